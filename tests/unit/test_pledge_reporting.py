"""Follow-up reporting without HTTP: due dates, the traffic light at its boundaries, the
reminder sweep, report validation, response rates and totals."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from models import (
    AuditEntry,
    Event,
    Organization,
    OutboxMessage,
    Person,
    Pledge,
    PledgerSector,
    PledgeState,
    PledgeTag,
    ProgressReport,
    ReportReminder,
    ReportStatus,
    User,
)
from pledges import reporting
from pledges.reporting import (
    GREEN,
    INACTIVE,
    RED,
    YELLOW,
    ReportError,
    add_months,
    first_unanswered,
    schedule,
    traffic_light,
)
from webapp.extensions import db

P = date(2024, 3, 15)  # publication


def at(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time().replace(hour=10), tzinfo=UTC)


# --- dates and the light (pure) ------------------------------------------------------


def test_add_months_clamps_to_month_end():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 11, 15), 14) == date(2026, 1, 15)


def test_schedule_every_12_and_every_6_months():
    assert schedule(P, 12, date(2027, 3, 15)) == [
        date(2025, 3, 15),
        date(2026, 3, 15),
        date(2027, 3, 15),
    ]
    assert schedule(P, 6, date(2025, 9, 14)) == [date(2024, 9, 15), date(2025, 3, 15)]
    assert schedule(P, 12, date(2025, 3, 14)) == []
    # Counted from publication, not step by step: the 31st stays the 31st where it can.
    assert schedule(date(2024, 1, 31), 6, date(2025, 2, 1)) == [
        date(2024, 7, 31),
        date(2025, 1, 31),
    ]


def test_first_unanswered_due_date():
    assert first_unanswered(P, None, 12) == date(2025, 3, 15)
    # A report counts for the due date nearest to it, early or late.
    assert first_unanswered(P, date(2025, 2, 1), 12) == date(2026, 3, 15)
    assert first_unanswered(P, date(2025, 3, 15), 12) == date(2026, 3, 15)
    assert first_unanswered(P, date(2025, 9, 1), 12) == date(2026, 3, 15)
    # Half way between two due dates counts for the later one.
    assert first_unanswered(P, date(2025, 9, 12), 12) == date(2026, 3, 15)
    assert first_unanswered(P, date(2025, 9, 13), 12) == date(2027, 3, 15)
    # Soon after publication: nearer to publication, so the first report is still due.
    assert first_unanswered(P, date(2024, 3, 16), 12) == date(2025, 3, 15)
    assert first_unanswered(P, date(2024, 9, 12), 12) == date(2025, 3, 15)
    assert first_unanswered(P, date(2024, 9, 13), 12) == date(2026, 3, 15)
    assert first_unanswered(P, date(2025, 9, 1), 6) == date(2026, 3, 15)


@pytest.mark.parametrize(
    ("last", "today", "light"),
    [
        # never reported: green until the first due date, yellow for two years, inactive
        (None, P, GREEN),
        (None, date(2025, 3, 14), GREEN),  # the day before one year
        (None, date(2025, 3, 15), YELLOW),  # one year: the first report is due
        (None, date(2025, 3, 16), YELLOW),
        (None, date(2027, 3, 14), YELLOW),  # the day before two years overdue
        (None, date(2027, 3, 15), INACTIVE),  # two years past the first due date
        (None, date(2030, 1, 1), INACTIVE),
        # reported on 2025-03-10 (answers 2025-03-15): next due 2026-03-15, but green only
        # while the last report is under a year old
        (date(2025, 3, 10), date(2026, 3, 9), GREEN),
        (date(2025, 3, 10), date(2026, 3, 10), YELLOW),
        (date(2025, 3, 10), date(2026, 3, 15), YELLOW),
        (date(2025, 3, 10), date(2028, 3, 14), YELLOW),
        (date(2025, 3, 10), date(2028, 3, 15), RED),  # reported before: red, not inactive
        # reported late, on 2025-06-01: it counts for 2025-03-15; 2026-03-15 is next
        (date(2025, 6, 1), date(2025, 6, 1), GREEN),
        (date(2025, 6, 1), date(2026, 3, 14), GREEN),
        (date(2025, 6, 1), date(2026, 3, 15), YELLOW),
        # reported 19 months after publication (late for the first due date): green for a
        # year, then yellow, even though the due date it counts for is later
        (date(2025, 10, 15), date(2026, 10, 14), GREEN),
        (date(2025, 10, 15), date(2026, 10, 15), YELLOW),
        # a report two days after publication answers nothing: still inactive at 3 years
        (date(2024, 3, 17), date(2027, 3, 15), RED),
        (date(2024, 3, 17), date(2025, 3, 15), YELLOW),
    ],
)
def test_traffic_light_boundaries(last, today, light):
    assert traffic_light(at(P), at(last) if last else None, today, 12) == light


def test_traffic_light_with_six_month_periods():
    assert traffic_light(P, None, date(2024, 9, 14), 6) == GREEN
    assert traffic_light(P, None, date(2024, 9, 15), 6) == YELLOW
    assert traffic_light(P, None, date(2026, 9, 15), 6) == INACTIVE
    assert traffic_light(P, date(2024, 9, 20), date(2025, 3, 14), 6) == GREEN
    assert traffic_light(P, date(2024, 9, 20), date(2025, 3, 15), 6) == YELLOW


def test_unpublished_pledges_have_no_light():
    with pytest.raises(ValueError):
        traffic_light(None, None, P)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2025, 2, 12), []),
        (date(2025, 2, 13), [(date(2025, 3, 15), "before")]),  # 30 days ahead
        (date(2025, 3, 15), [(date(2025, 3, 15), "before")]),
        (date(2025, 3, 28), []),
        (date(2025, 3, 29), [(date(2025, 3, 15), "after")]),  # 14 days after
        (date(2026, 3, 14), [(date(2025, 3, 15), "after"), (date(2026, 3, 15), "before")]),
        (date(2026, 3, 29), [(date(2026, 3, 15), "after")]),
    ],
)
def test_reminders_due(today, expected):
    assert reporting.reminders_due(P, None, 12, today) == expected


def test_no_reminder_when_the_due_date_is_answered():
    assert reporting.reminders_due(P, date(2025, 3, 1), 12, date(2025, 3, 29)) == []
    assert reporting.reminders_due(P, date(2025, 2, 20), 12, date(2025, 3, 1)) == []


# --- with the database -----------------------------------------------------------------


@pytest.fixture
def world(ctx):
    """An event, two organizations, a member of the first, and an outsider."""
    event = Event(
        name="Follow-up Conference",
        acronym="FU-1",
        city="Kigali",
        country_iso2="RW",
        timezone="Africa/Kigali",
        opening_date=date(2024, 3, 1),
        closing_date=date(2024, 3, 10),
        languages=["en"],
    )
    ministry = Organization(name="Ministry of ICT")
    telco = Organization(name="Telco Ltd")
    member = User(email="member@ministry.example", name="Mia Member", password_hash="x")
    outsider = User(email="outsider@example.org", name="Otto Outsider", password_hash="x")
    db.session.add_all([event, ministry, telco, member, outsider])
    db.session.flush()
    db.session.add(
        Person(last_name="Member", email=member.email, user_id=member.id, organization=ministry)
    )
    db.session.flush()
    return {
        "event": event,
        "ministry": ministry,
        "telco": telco,
        "member": member,
        "outsider": outsider,
    }


def make_pledge(event, organization, number, published=P, **fields):
    """A published pledge, created directly."""
    areas = fields.pop("areas", [])
    pledge = Pledge(
        event_id=event.id,
        organization_id=organization.id,
        title=fields.pop("title", f"Pledge {number}"),
        state=fields.pop("state", PledgeState.PUBLISHED),
        published_at=at(published),
        public_id=f"P2C-2024-{number:04d}",
        **fields,
    )
    pledge.tags = [PledgeTag(kind="focus_area", code=code) for code in areas]
    db.session.add(pledge)
    db.session.flush()
    return pledge


def add_report(pledge, day, **fields):
    report = ProgressReport(
        pledge_id=pledge.id,
        submitted_at=at(day),
        status=fields.pop("status", ReportStatus.ON_TRACK),
        **fields,
    )
    db.session.add(report)
    db.session.flush()
    return report


def test_lights_for_uses_one_query_and_skips_unpublished(world):
    event, ministry = world["event"], world["ministry"]
    fresh = make_pledge(event, ministry, 1)
    reported = make_pledge(event, ministry, 2)
    add_report(reported, date(2025, 1, 1))
    add_report(reported, date(2025, 3, 1))
    done = make_pledge(event, ministry, 3, state=PledgeState.COMPLETED)
    today = date(2025, 4, 1)
    lights = reporting.lights_for([fresh, reported, done], today)
    assert lights == {fresh.id: YELLOW, reported.id: GREEN}
    assert reporting.lights_for([], today) == {}


def test_due_dates_and_next_due_of_a_pledge(world):
    event, ministry = world["event"], world["ministry"]
    pledge = make_pledge(event, ministry, 1)
    assert reporting.due_dates(pledge, date(2026, 3, 15)) == [date(2025, 3, 15), date(2026, 3, 15)]
    assert reporting.next_due(pledge, [], date(2024, 6, 1)) == date(2025, 3, 15)
    report = add_report(pledge, date(2025, 4, 1))
    assert reporting.next_due(pledge, [report], date(2025, 6, 1)) == date(2026, 3, 15)
    event.pledge_report_months = 6
    assert reporting.due_dates(pledge, date(2025, 3, 15)) == [date(2024, 9, 15), date(2025, 3, 15)]
    assert reporting.next_due(pledge, [report], date(2025, 6, 1)) == date(2025, 9, 15)


def test_reminders_before_and_after_once_each(world):
    event, ministry = world["event"], world["ministry"]
    pledge = make_pledge(event, ministry, 1)
    db.session.commit()

    def mails():
        return db.session.scalars(
            select(OutboxMessage.template)
            .where(OutboxMessage.to_email == "member@ministry.example")
            .order_by(OutboxMessage.id)
        ).all()

    assert reporting.sweep(date(2025, 2, 1)) == {"before": 0, "after": 0}
    assert reporting.sweep(date(2025, 2, 20)) == {"before": 1, "after": 0}
    assert reporting.sweep(date(2025, 2, 20)) == {"before": 0, "after": 0}  # twice: once
    assert reporting.sweep(date(2025, 3, 10)) == {"before": 0, "after": 0}
    assert mails() == ["pledges/report_due"]
    assert reporting.sweep(date(2025, 3, 29)) == {"before": 0, "after": 1}
    assert reporting.sweep(date(2025, 3, 30)) == {"before": 0, "after": 0}
    assert mails() == ["pledges/report_due", "pledges/report_overdue"]
    rows = db.session.execute(
        select(ReportReminder.due_on, ReportReminder.stage).where(
            ReportReminder.pledge_id == pledge.id
        )
    ).all()
    assert sorted(rows) == [(date(2025, 3, 15), "after"), (date(2025, 3, 15), "before")]
    message = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert f"/events/{event.id}/pledges/{pledge.id}/reports/new" in message.body_text
    assert "Pledge 1" in message.subject


def test_no_reminder_after_a_report_and_none_for_completed(world):
    event, ministry = world["event"], world["ministry"]
    pledge = make_pledge(event, ministry, 1)
    make_pledge(event, ministry, 2, state=PledgeState.COMPLETED)
    add_report(pledge, date(2025, 3, 1))
    db.session.commit()
    assert reporting.sweep(date(2025, 3, 29)) == {"before": 0, "after": 0}
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_submit_report_converts_at_the_pledges_rate_and_audits(world):
    event, ministry, member = world["event"], world["ministry"], world["member"]
    pledge = make_pledge(
        event, ministry, 1, amount=Decimal("1000000"), currency="EUR", usd_rate=Decimal("1.1")
    )
    report = reporting.submit_report(
        member,
        pledge,
        status="on_track",
        percent_complete="40",
        amount_disbursed="250000.5",
        people_reached="1200",
        narrative="  Towers built.  ",
        evidence_links="https://example.org/a\n\nhttp://example.org/b\nhttps://example.org/a",
    )
    assert report.disbursed_usd == Decimal("275000.55")
    assert report.amount_disbursed == Decimal("250000.50")
    assert report.narrative == "Towers built."
    assert report.evidence_links == ["https://example.org/a", "http://example.org/b"]
    assert pledge.state == PledgeState.PUBLISHED
    assert db.session.scalar(
        select(AuditEntry.action).where(AuditEntry.object_id == pledge.id)
    ) == ("pledge.reported")
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert message.to_email == member.email and message.template == "pledges/report_received"


def test_completed_report_completes_the_pledge_and_cancelled_keeps_it(world):
    event, ministry, member = world["event"], world["ministry"], world["member"]
    first = make_pledge(event, ministry, 1)
    second = make_pledge(event, ministry, 2)
    reporting.submit_report(member, first, status="completed")
    reporting.submit_report(member, second, status="cancelled", percent_complete="10")
    assert first.state == PledgeState.COMPLETED
    assert second.state == PledgeState.PUBLISHED
    with pytest.raises(ReportError, match="published"):
        reporting.submit_report(member, first, status="on_track")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"status": "bogus"}, "status", "Choose a status"),
        ({"percent_complete": "101"}, "percent_complete", "between 0 and 100"),
        ({"percent_complete": "-1"}, "percent_complete", "between 0 and 100"),
        ({"percent_complete": "half"}, "percent_complete", "whole number"),
        ({"amount_disbursed": "-5"}, "amount_disbursed", "negative"),
        ({"amount_disbursed": "10000001"}, "amount_disbursed", "far more"),
        ({"amount_disbursed": "NaN"}, "amount_disbursed", "number"),
        ({"amount_disbursed": "1e400"}, "amount_disbursed", "far more"),
        ({"people_reached": "-3"}, "people_reached", "between 0"),
        ({"people_reached": "99999999999"}, "people_reached", "between 0"),
        ({"narrative": "x" * 20_001}, "narrative", "longer than"),
        ({"evidence_links": "javascript:alert(1)"}, "evidence_links", "not a web address"),
        ({"evidence_links": "ftp://example.org/x"}, "evidence_links", "not a web address"),
        ({"evidence_links": "https://"}, "evidence_links", "not a web address"),
        ({"evidence_links": "https://e.org/" + "a" * 2000}, "evidence_links", "longer than"),
        (
            {"evidence_links": [f"https://e.org/{i}" for i in range(21)]},
            "evidence_links",
            "at most 20",
        ),
    ],
)
def test_submit_report_refuses_bad_input(world, fields, field, message):
    pledge = make_pledge(
        world["event"], world["ministry"], 1, amount=Decimal("1000000"), currency="USD"
    )
    arguments = {"status": "on_track", **fields}
    with pytest.raises(ReportError, match=message) as caught:
        reporting.submit_report(world["member"], pledge, **arguments)
    assert caught.value.field == field
    assert db.session.scalar(select(func.count(ProgressReport.id))) == 0


def test_without_a_pledged_amount_the_ceiling_is_max_amount(world):
    pledge = make_pledge(world["event"], world["ministry"], 1)
    report = reporting.submit_report(
        world["member"], pledge, status="on_track", amount_disbursed="5e9"
    )
    assert report.disbursed_usd == Decimal("5000000000.00")  # no currency: USD
    with pytest.raises(ReportError):
        reporting.submit_report(world["member"], pledge, status="on_track", amount_disbursed="2e12")


def test_only_members_report(world):
    pledge = make_pledge(world["event"], world["telco"], 1)
    with pytest.raises(ReportError, match="Only members"):
        reporting.submit_report(world["member"], pledge, status="on_track")
    with pytest.raises(ReportError, match="Only members"):
        reporting.submit_report(world["outsider"], pledge, status="on_track")


def test_dashboard_response_rates_and_totals(world):
    event, ministry, telco = world["event"], world["ministry"], world["telco"]
    gov = {"sector": PledgerSector.GOVERNMENT}
    priv = {"sector": PledgerSector.PRIVATE}
    # Today 2025-06-01: pledges published 2024-03-15 have their first report due (2025-03-15).
    a = make_pledge(
        event, ministry, 1, areas=["ACCESS"], usd_value=Decimal(1000), people_to_reach=100, **gov
    )
    make_pledge(event, ministry, 2, areas=["ACCESS", "ADOPTION"], usd_value=Decimal(3000), **gov)
    c = make_pledge(
        event, telco, 3, areas=["ADOPTION"], usd_value=Decimal(6000), people_to_reach=50, **priv
    )
    make_pledge(
        event, telco, 4, published=date(2025, 1, 1), usd_value=Decimal(500), **priv
    )  # not due
    d = make_pledge(event, telco, 5, state=PledgeState.COMPLETED, usd_value=Decimal(100), **priv)
    add_report(a, date(2024, 12, 1), disbursed_usd=Decimal(100), people_reached=10)
    add_report(a, date(2025, 4, 1), disbursed_usd=Decimal(400), people_reached=40)  # latest
    add_report(c, date(2024, 1, 1), disbursed_usd=Decimal(50))  # too old to answer 2025-03-15
    add_report(d, date(2025, 2, 1), disbursed_usd=Decimal(100), people_reached=5)
    board = reporting.dashboard(event, date(2025, 6, 1))

    assert (board.overall.due, board.overall.answered) == (3, 1)
    rates = {r.code: (r.due, r.answered) for r in board.by_sector}
    assert rates == {"government": (2, 1), "private_sector": (1, 0)}
    areas = {r.code: (r.due, r.answered) for r in board.by_focus_area}
    assert areas == {"ACCESS": (2, 1), "ADOPTION": (2, 0)}
    assert board.by_sector[0].percent == 50.0

    assert board.totals.pledges == 5
    assert board.totals.pledged_usd == Decimal(10600)
    assert board.totals.disbursed_usd == Decimal(550)  # 400 + 50 + 100: latest reports only
    assert (board.totals.people_to_reach, board.totals.people_reached) == (150, 45)
    by_sector = {t.code: (t.pledged_usd, t.disbursed_usd) for t in board.totals_by_sector}
    assert by_sector == {
        "government": (Decimal(4000), Decimal(400)),
        "private_sector": (Decimal(6600), Decimal(150)),
    }
    assert board.lights == {GREEN: 2, YELLOW: 2, RED: 0, INACTIVE: 0}
    assert sorted(row.public_id for row in board.pledges) == ["P2C-2024-0002", "P2C-2024-0003"]


def test_dashboard_on_an_empty_event(world):
    board = reporting.dashboard(world["event"], date(2025, 6, 1))
    assert board.overall.percent == 0 and board.totals.pledged_usd == 0 and board.pledges == []
