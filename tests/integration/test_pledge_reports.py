"""Progress reports and the follow-up dashboard through the HTTP client, per role."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from models import (
    Event,
    Organization,
    Person,
    Pledge,
    PledgerSector,
    PledgeState,
    PledgeTag,
    ProgressReport,
    User,
    utcnow,
)
from tests.conftest import outbox
from webapp.extensions import db


@pytest.fixture
def setup(app, make_event, make_user):
    """An event with an organizer, a pledger member, a participant, and a pledge of the
    member's organization published 13 months ago (yellow)."""
    event_id = make_event("FU-I")
    make_user("organizer@x.org", "Olivia Organizer", organizer_of=event_id)
    make_user("member@ministry.example", "Mia Member")
    make_user("participant@x.org", "Pat Participant")
    with app.app_context():
        ministry = Organization(name="Ministry of ICT")
        other = Organization(name="Other Org")
        db.session.add_all([ministry, other])
        db.session.flush()
        member = db.session.scalar(select(User).where(User.email == "member@ministry.example"))
        db.session.add(Person(last_name="Member", user_id=member.id, organization_id=ministry.id))
        db.session.commit()
        ids = {"event": event_id, "ministry": ministry.id, "other": other.id}
    ids["pledge"] = publish(app, event_id, ids["ministry"], 1, amount=Decimal(1_000_000))
    return ids


def publish(app, event_id, organization_id, number, days_ago=395, **fields):
    """A published pledge created directly as a model."""
    with app.app_context():
        pledge = Pledge(
            event_id=event_id,
            organization_id=organization_id,
            title=fields.pop("title", f"Connect schools {number}"),
            state=PledgeState.PUBLISHED,
            published_at=utcnow() - timedelta(days=days_ago),
            public_id=f"P2C-2026-{number:04d}",
            currency="USD",
            usd_rate=Decimal(1),
            sector=fields.pop("sector", PledgerSector.GOVERNMENT),
            **fields,
        )
        pledge.tags = [PledgeTag(kind="focus_area", code="ACCESS")]
        db.session.add(pledge)
        db.session.commit()
        return pledge.id


GOOD = {
    "status": "on_track",
    "percent_complete": "40",
    "amount_disbursed": "250000",
    "people_reached": "1200",
    "narrative": "Forty schools connected <script>alert(1)</script>",
    "evidence_links": "https://example.org/report.pdf",
}


def test_member_files_a_report_and_the_light_turns_green(app, client, login, setup):
    login("member@ministry.example")
    base = f"/events/{setup['event']}/pledges/{setup['pledge']}/reports"
    page = client.get(base).get_data(as_text=True)
    assert 'data-light="yellow"' in page and "File a progress report" in page
    assert client.get(base + "/new").status_code == 200
    response = client.post(base + "/new", data=GOOD)
    assert response.status_code == 302 and response.headers["Location"].endswith(base)
    page = client.get(base).get_data(as_text=True)
    assert 'data-light="green"' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    with app.app_context():
        report = db.session.scalar(select(ProgressReport))
        assert report.disbursed_usd == Decimal("250000.00") and report.people_reached == 1200
    assert outbox(app, "member@ministry.example")[-1].template == "pledges/report_received"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount_disbursed", "-10", "cannot be negative"),
        ("amount_disbursed", "99999999999", "far more than was pledged"),
        ("amount_disbursed", "lots", "Enter a number"),
        ("percent_complete", "140", "between 0 and 100"),
        ("people_reached", "-1", "between 0"),
        ("evidence_links", "javascript:alert(1)", "is not a web address"),
        ("evidence_links", "data:text/html,hi", "is not a web address"),
        ("narrative", "x" * 20_001, "longer than 20,000 characters"),
        ("status", "", "Choose a status"),
        ("status", "finished", "Not a valid choice"),
    ],
)
def test_bad_input_is_shown_beside_the_field(app, client, login, setup, field, value, message):
    login("member@ministry.example")
    url = f"/events/{setup['event']}/pledges/{setup['pledge']}/reports/new"
    data = {**GOOD, field: value}
    response = client.post(url, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert f'id="{field}-error"' in page
    # nothing typed is lost: the bad value and the other fields come back
    assert value[:40] in page or field == "status"  # a select cannot show an unknown value
    assert ("Forty schools connected" in page) or field == "narrative"
    assert 'value="1200"' in page or field == "people_reached"
    with app.app_context():
        assert db.session.scalar(select(func.count(ProgressReport.id))) == 0


def test_a_completed_report_closes_the_pledge(app, client, login, setup):
    login("member@ministry.example")
    url = f"/events/{setup['event']}/pledges/{setup['pledge']}/reports/new"
    assert client.post(url, data={**GOOD, "status": "completed"}).status_code == 302
    with app.app_context():
        assert db.session.get(Pledge, setup["pledge"]).state == PledgeState.COMPLETED
    response = client.post(url, data=GOOD)
    assert response.status_code == 409
    assert "only be filed on published pledges" in response.get_data(as_text=True)


def test_non_members_and_other_events(app, client, login, setup, make_event):
    other_pledge = publish(app, setup["event"], setup["other"], 2)
    login("member@ministry.example")
    base = f"/events/{setup['event']}/pledges/{other_pledge}/reports"
    assert client.get(base).status_code == 403
    assert client.get(base + "/new").status_code == 403
    assert client.post(base + "/new", data=GOOD).status_code == 403
    elsewhere = make_event("FU-OTHER")
    assert client.get(f"/events/{elsewhere}/pledges/{setup['pledge']}/reports").status_code == 404
    assert client.get(f"/events/{setup['event']}/pledges/999999/reports/new").status_code == 404
    client.post("/account/logout")
    login("participant@x.org")
    mine = f"/events/{setup['event']}/pledges/{setup['pledge']}/reports"
    assert client.get(mine).status_code == 403
    assert client.post(mine + "/new", data=GOOD).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(ProgressReport.id))) == 0


def test_anonymous_is_sent_to_login(client, setup):
    url = f"/events/{setup['event']}/pledges/{setup['pledge']}/reports/new"
    assert client.get(url).status_code in (302, 401)
    assert client.get(f"/events/{setup['event']}/pledges/followup").status_code in (302, 401)


def test_organizer_dashboard(app, client, login, setup):
    publish(app, setup["event"], setup["other"], 2, sector=PledgerSector.PRIVATE, days_ago=30)
    publish(app, setup["event"], setup["other"], 3, sector=PledgerSector.PRIVATE, days_ago=1200)
    login("organizer@x.org")
    url = f"/events/{setup['event']}/pledges/followup"
    response = client.get(url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Response rate by pledger sector" in page and "<svg" in page
    assert "Ministry of ICT" in page and "P2C-2026-0001" in page  # yellow
    assert "P2C-2026-0003" in page  # inactive
    assert "P2C-2026-0002" not in page  # green: not listed
    assert 'id="count-yellow">1<' in page and 'id="count-inactive">1<' in page
    filtered = client.get(url + "?light=inactive").get_data(as_text=True)
    assert "P2C-2026-0003" in filtered and "P2C-2026-0001" not in filtered
    by_sector = client.get(url + "?sector=government&light=bogus").get_data(as_text=True)
    assert "P2C-2026-0001" in by_sector and "P2C-2026-0003" not in by_sector
    # The organizer reads any pledge's reports but does not file them.
    reports = f"/events/{setup['event']}/pledges/{setup['pledge']}/reports"
    assert client.get(reports).status_code == 200
    assert client.get(reports + "/new").status_code == 403


def test_dashboard_is_for_organizers_only(client, login, setup):
    login("participant@x.org")
    assert client.get(f"/events/{setup['event']}/pledges/followup").status_code == 403
    client.post("/account/logout")
    login("member@ministry.example")
    assert client.get(f"/events/{setup['event']}/pledges/followup").status_code == 403


def _queries(app, client, url) -> int:
    with app.app_context():
        engine = db.engine
    seen = []

    def count(*_args):
        seen.append(1)

    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def _add(app, setup, start, count):
    with app.app_context():
        for number in range(start, start + count):
            pledge = Pledge(
                event_id=setup["event"],
                organization_id=setup["other"] if number % 2 else setup["ministry"],
                title=f"Pledge {number}",
                state=PledgeState.PUBLISHED,
                published_at=utcnow() - timedelta(days=100 + 20 * number),
                public_id=f"P2C-2026-{number:04d}",
                sector=list(PledgerSector)[number % len(PledgerSector)],
                usd_value=Decimal(1000),
            )
            pledge.tags = [PledgeTag(kind="focus_area", code="ADOPTION")]
            db.session.add(pledge)
            db.session.flush()
            if number % 3 == 0:
                db.session.add(
                    ProgressReport(
                        pledge_id=pledge.id,
                        status="on_track",
                        submitted_at=utcnow() - timedelta(days=number),
                        disbursed_usd=Decimal(10),
                    )
                )
        db.session.commit()


def test_query_count_is_constant(app, client, login, setup):
    login("organizer@x.org")
    _add(app, setup, 10, 9)
    dashboard = f"/events/{setup['event']}/pledges/followup"
    few = _queries(app, client, dashboard)
    _add(app, setup, 19, 50)
    assert _queries(app, client, dashboard) == few
    with app.app_context():
        assert db.session.scalar(select(func.count(Pledge.id))) == 60


@pytest.mark.parametrize("value", ["0", "37", "abc", "", "9" * 40])
def test_report_period_bad_values_are_refused(app, client, login, setup, value):
    login("organizer@x.org")
    response = client.post(
        f"/events/{setup['event']}/pledges/followup/period", data={"months": value}
    )
    assert response.status_code == 400
    assert "between 1 and 36" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Event, setup["event"]).pledge_report_months == 12


def test_report_period_changes_the_lights(app, client, login, setup):
    login("organizer@x.org")
    before = client.get(f"/events/{setup['event']}/pledges/followup").get_data(as_text=True)
    assert 'id="count-yellow">1<' in before
    response = client.post(
        f"/events/{setup['event']}/pledges/followup/period", data={"months": "24"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Event, setup["event"]).pledge_report_months == 24
    # Published 13 months ago: with a 24-month period nothing is due yet.
    after = client.get(f"/events/{setup['event']}/pledges/followup").get_data(as_text=True)
    assert 'id="count-yellow">0<' in after and 'id="count-green">1<' in after
    client.post("/account/logout")
    login("participant@x.org")
    assert (
        client.post(
            f"/events/{setup['event']}/pledges/followup/period", data={"months": "6"}
        ).status_code
        == 403
    )
