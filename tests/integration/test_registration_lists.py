"""The organizers' registration list (filters, sorting, paging, counts, query count),
its CSV and XLSX exports, one registration's page with overrides and cancellation, the
registration settings, and the public list of participants — per role."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import event as sa_event
from sqlalchemy import select

from models import (
    Approval,
    AttendanceMode,
    AuditEntry,
    Deadline,
    DeadlineKind,
    Event,
    Organization,
    Registration,
    RegistrationCategory,
    SeatState,
    utcnow,
)
from registration import core, seats
from tests.conftest import outbox
from tests.integration.test_registration_accreditation import (
    add_registration,
    audits,
    stored,
)
from tests.integration.test_registration_accreditation import world as world
from webapp.extensions import db


def list_url(world, **args) -> str:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/events/{world['event']}/registrations" + (f"?{query}" if query else "")


@pytest.fixture
def people(app, world):
    """Registrations of different kinds: members, a private-sector guest, the media."""
    with app.app_context():
        db.session.get(Organization, world["c"]).constituent_group = "SM"
        db.session.commit()
    return {
        "alice": add_registration(
            app,
            world["event"],
            "Alvarez",
            first_name="Alice",
            org=world["a"],
            country_iso2="FR",
            approval=Approval.APPROVED,
            organization_name="Atlantis",
            minutes_ago=30,
        ),
        "bob": add_registration(
            app,
            world["event"],
            "Bauer",
            first_name="Bob",
            org=world["b"],
            country_iso2="DE",
            mode=AttendanceMode.ONLINE,
            minutes_ago=20,
        ),
        "chen": add_registration(
            app,
            world["event"],
            "Chen",
            first_name="Chen",
            org=world["c"],
            country_iso2="CN",
            category=RegistrationCategory.SECTOR_MEMBER,
            approval=Approval.REJECTED,
            organization_name='=HYPERLINK("x")',
            minutes_ago=10,
        ),
        "dee": add_registration(
            app,
            world["event"],
            "Diallo",
            first_name="Dee",
            country_iso2="SN",
            category=RegistrationCategory.MEDIA,
            organization_name="Daily Planet",
            minutes_ago=5,
        ),
        "other": add_registration(app, world["other_event"], "Otherevent", org=world["a"]),
    }


def names_in(body: str) -> set[str]:
    return {n for n in ("Alvarez", "Bauer", "Chen", "Diallo", "Otherevent") if n in body}


# --------------------------------------------------------------------------- the list


def test_list_per_role(app, client, login, world, people):
    url = list_url(world)
    assert client.get(url).status_code == 302
    for email, status in (
        ("fpa@x.org", 403),
        ("pat@x.org", 403),
        ("org2@x.org", 403),
        ("org@x.org", 200),
    ):
        login(email)
        assert client.get(url).status_code == status, email
        for export in ("export.csv", "export.xlsx", "settings"):
            assert (
                client.get(f"/events/{world['event']}/registrations/{export}").status_code == status
            )
        client.post("/account/logout")


def test_filters_sorting_and_counts(app, client, login, world, people):
    login("org@x.org")
    body = client.get(list_url(world)).get_data(as_text=True)
    assert names_in(body) == {"Alvarez", "Bauer", "Chen", "Diallo"}
    assert body.index("Diallo") < body.index("Chen") < body.index("Alvarez")  # newest first
    assert 'data-approval="approved">Approved: 1' in body
    assert 'data-approval="pending">Awaiting approval: 2' in body
    assert 'data-mode="online">Online: 1' in body
    assert 'data-seat="held">Seat confirmed: 4' in body
    cases = {
        "category=media": {"Diallo"},
        "mode=online": {"Bauer"},
        "region=EUR": {"Alvarez", "Bauer"},
        "country=SN": {"Diallo"},
        "approval=rejected": {"Chen"},
        "seat=held": {"Alvarez", "Bauer", "Chen", "Diallo"},
        "seat=waiting": set(),
        "group=SM": {"Chen"},
        f"member={world['a']}": {"Alvarez"},
        "q=ali": {"Alvarez"},
        "q=daily+planet": {"Diallo"},
        "q=bauer%40nowhere": set(),
        "q=bauer@example": {"Bauer"},
        "q=%25": set(),
        "state=active": {"Alvarez", "Bauer", "Chen", "Diallo"},
        "state=cancelled": set(),
        "region=EUR&mode=in_person": {"Alvarez"},
    }
    for query, expected in cases.items():
        response = client.get(list_url(world) + "?" + query)
        assert response.status_code == 200
        assert names_in(response.get_data(as_text=True)) == expected, query
    by_name = client.get(list_url(world, sort="name")).get_data(as_text=True)
    assert by_name.index("Alvarez") < by_name.index("Bauer") < by_name.index("Chen")
    filtered = client.get(list_url(world, region="EUR")).get_data(as_text=True)
    assert 'data-approval="approved">Approved: 1' in filtered
    assert "export.csv?region=EUR" in filtered


def test_bad_filters_are_ignored_with_a_notice_and_pages_clamp(app, client, login, world, people):
    login("org@x.org")
    for query in (
        "category=chef",
        "region=XX",
        "country=ZZ",
        "member=abc",
        "member=²",
        f"member={world['other_event'] * 0 + 999999}",
        "sort=shoe",
        "approval=maybe",
        "group=nope",
        "state=gone",
        "q=" + "x" * 201,
    ):
        response = client.get(list_url(world) + "?" + query)
        assert response.status_code == 200, query
        body = response.get_data(as_text=True)
        assert "was ignored" in body, query
        assert names_in(body) == {"Alvarez", "Bauer", "Chen", "Diallo"}, query
    for page in ("99999999999999999999999", "-3", "abc", "5"):
        response = client.get(list_url(world, page=page))
        assert response.status_code == 200
        assert "Diallo" in response.get_data(as_text=True)


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


def populate(app, event_id, orgs, n, start=0):
    with app.app_context():
        now = utcnow()
        for i in range(start, start + n):
            db.session.add(
                Registration(
                    event_id=event_id,
                    organization_id=orgs[i % len(orgs)],
                    category=RegistrationCategory.MEMBER_STATE,
                    mode=AttendanceMode.IN_PERSON if i % 3 else AttendanceMode.ONLINE,
                    first_name=f"P{i}",
                    last_name=f"Person{i:04d}",
                    email=f"p{i}@example.org",
                    organization_name="Org",
                    country_iso2="FR" if i % 2 else "KE",
                    approval=list(Approval)[i % 3],
                    seat=SeatState.HELD,
                    created_at=now - timedelta(seconds=i),
                )
            )
        db.session.commit()


def test_constant_number_of_queries(app, client, login, world):
    orgs = [world["a"], world["b"], world["c"]]
    populate(app, world["event"], orgs, 10)
    login("org@x.org")
    urls = [
        list_url(world),
        list_url(world, region="EUR", sort="name", mode="in_person"),
        list_url(world, q="person", page=2),
        f"/events/{world['event']}/accreditation",
    ]
    few = [_queries(app, client, url) for url in urls]
    populate(app, world["event"], orgs, 190, start=10)
    many = [_queries(app, client, url) for url in urls]
    assert few == many, (few, many)
    assert max(many) <= 12, many


# ------------------------------------------------------------------------- exports


def test_csv_export_applies_filters_and_is_formula_safe(app, client, login, world, people):
    login("org@x.org")
    response = client.get(f"/events/{world['event']}/registrations/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["Id", "First name", "Last name", "Email"]
    assert {r[2] for r in body} == {"Alvarez", "Bauer", "Chen", "Diallo"}
    chen = next(r for r in body if r[2] == "Chen")
    assert chen[4] == '\'=HYPERLINK("x")'
    assert chen[header.index("Region")] == "ASP"
    assert chen[header.index("Approval")] == "Rejected"
    eur = client.get(f"/events/{world['event']}/registrations/export.csv?region=EUR&sort=name")
    rows = list(csv.reader(io.StringIO(eur.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r[2] for r in rows[1:]] == ["Alvarez", "Bauer"]
    bad = client.get(f"/events/{world['event']}/registrations/export.csv?region=XX")
    assert bad.status_code == 400


def test_xlsx_export(app, client, login, world, people):
    login("org@x.org")
    response = client.get(f"/events/{world['event']}/registrations/export.xlsx?mode=online")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][2] == "Last name"
    assert [r[2] for r in rows[1:]] == ["Bauer"]
    assert (
        client.get(f"/events/{world['event']}/registrations/export.xlsx?sort=bogus").status_code
        == 400
    )


def test_xlsx_export_refuses_more_than_its_cap(app, client, login, world, people, monkeypatch):
    from registration import lists

    monkeypatch.setattr(lists, "XLSX_MAX_ROWS", 2)
    login("org@x.org")
    response = client.get(f"/events/{world['event']}/registrations/export.xlsx")
    assert response.status_code == 302
    assert "More than 2 registrations" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )


# -------------------------------------------------------------------------- detail


def detail_url(world, rid, event=None) -> str:
    return f"/events/{event or world['event']}/registrations/{rid}"


def test_detail_per_role(app, client, login, world, people):
    own = add_registration(
        app, world["event"], "Self", org=world["a"], user_id=world["participant"]
    )
    url = detail_url(world, people["alice"])
    assert client.get(url).status_code == 302
    login("org@x.org")
    body = client.get(url).get_data(as_text=True)
    assert "Alice Alvarez" in body and "Cancel the registration" in body
    assert client.get(detail_url(world, people["other"])).status_code == 404
    assert client.get(detail_url(world, 987654)).status_code == 404
    client.post("/account/logout")
    login("fpa@x.org")
    body = client.get(url).get_data(as_text=True)
    assert "Alice Alvarez" in body and "Cancel the registration" not in body
    assert client.get(detail_url(world, people["bob"])).status_code == 404
    assert client.post(url, data={"action": "cancel"}).status_code == 403
    client.post("/account/logout")
    login("fpb@x.org")
    assert client.get(url).status_code == 404
    client.post("/account/logout")
    login("pat@x.org")
    assert client.get(url).status_code == 404
    assert client.get(detail_url(world, own)).status_code == 404


def test_focal_point_decides_on_the_detail_page(app, client, login, world, people):
    bob = people["bob"]
    login("fpb@x.org")
    url = detail_url(world, bob)
    missing = client.post(url, data={"action": "reject", "reason": ""})
    assert missing.status_code == 400
    assert 'id="reason-reject-error"' in missing.get_data(as_text=True)
    assert client.post(url, data={"action": "approve", "reason": "Welcome"}).status_code == 302
    assert stored(app, bob).approval == Approval.APPROVED
    assert stored(app, bob).decision_reason == "Welcome"
    assert client.post(url, data={"action": "fly"}).status_code == 400


def test_organizer_override_and_cancel_on_behalf(app, client, login, world, people):
    with app.app_context():
        seats.set_capacity(db.session.get(Event, world["event"]), AttendanceMode.IN_PERSON, 3)
        db.session.commit()
    waiting = add_registration(app, world["event"], "Waiter", org=world["a"], email="w@x.org")
    assert stored(app, waiting).seat == SeatState.WAITING
    chen = people["chen"]  # rejected, but still holding the seat it was given at insert
    login("org@x.org")
    url = detail_url(world, people["alice"])
    refused = client.post(url, data={"action": "approve"})
    assert refused.status_code == 409
    needs_reason = client.post(url, data={"action": "reject", "reason": ""})
    assert needs_reason.status_code == 400
    assert client.post(url, data={"action": "reject", "reason": "Fraud"}).status_code == 302
    assert stored(app, people["alice"]).seat == SeatState.NONE
    assert stored(app, waiting).seat == SeatState.OFFERED
    assert outbox(app, "w@x.org")[-1].template == "registration/offer"
    # Approved again: a seat, or the end of the waiting list.
    assert client.post(url, data={"action": "approve", "reason": ""}).status_code == 302
    alice = stored(app, people["alice"])
    assert alice.approval == Approval.APPROVED and alice.seat == SeatState.WAITING
    # Cancelling on behalf: the seat goes on, the participant is told.
    dee = detail_url(world, people["dee"])
    assert (
        client.post(dee, data={"action": "cancel", "reason": "Asked by phone"}).status_code == 302
    )
    cancelled = stored(app, people["dee"])
    assert cancelled.cancelled_at is not None and cancelled.seat == SeatState.NONE
    assert stored(app, people["alice"]).seat == SeatState.OFFERED
    mail = outbox(app, "diallo@example.org")[-1]
    assert mail.template == "registration/override" and "Asked by phone" in mail.body_text
    assert client.post(dee, data={"action": "cancel"}).status_code == 409
    assert client.post(dee, data={"action": "approve"}).status_code == 409
    entry = audits(app, "registration.cancelled")[-1]
    assert entry.actor_id == world["organizer"] and entry.data["on_behalf"] is True
    body = client.get(dee).get_data(as_text=True)
    assert "registration.cancelled" in body and "Asked by phone" in body
    assert stored(app, chen).approval == Approval.REJECTED


# ------------------------------------------------------------------------ settings


def settings_url(world) -> str:
    return f"/events/{world['event']}/registrations/settings"


def settings_form(**changes):
    data = {
        "capacity_in_person": "",
        "capacity_online": "",
        "offer_hours": "48",
        "opens_days": "180",
        "closes_days": "7",
    }
    data.update(changes)
    return data


def test_settings_show_defaults_and_save_the_window_relative(app, client, login, world):
    login("org@x.org")
    body = client.get(settings_url(world)).get_data(as_text=True)
    assert 'value="180"' in body and 'value="7"' in body and 'value="48"' in body
    response = client.post(
        settings_url(world),
        data=settings_form(
            capacity_in_person="300", opens_days="200", closes_days="-2", offer_hours="24"
        ),
    )
    assert response.status_code == 302
    with app.app_context():
        event = db.session.get(Event, world["event"])
        assert event.registration_offer_hours == 24
        opens = db.session.scalar(select(Deadline).where(Deadline.key == core.OPENS_KEY))
        closes = db.session.scalar(select(Deadline).where(Deadline.key == core.CLOSES_KEY))
        assert (opens.kind, opens.offset_days, opens.source) == (
            DeadlineKind.RELATIVE,
            -200,
            "registration",
        )
        assert closes.offset_days == 2
        first, last = core.window(event)
        assert first == event.opening_date - timedelta(days=200)
        assert last == event.opening_date + timedelta(days=2)
        assert seats.counts(event)[AttendanceMode.IN_PERSON]["capacity"] == 300
        assert seats.counts(event)[AttendanceMode.ONLINE]["capacity"] is None
    assert audits(app, "registration.settings")[-1].data["capacity"] == {
        "in_person": 300,
        "online": None,
    }
    body = client.get(settings_url(world)).get_data(as_text=True)
    assert 'value="300"' in body and 'value="-2"' in body


def test_more_seats_go_to_the_waiting_list_by_mail(app, client, login, world):
    with app.app_context():
        seats.set_capacity(db.session.get(Event, world["event"]), AttendanceMode.IN_PERSON, 1)
        db.session.commit()
    add_registration(app, world["event"], "Holder", org=world["a"])
    first = add_registration(app, world["event"], "First", org=world["a"], email="first@x.org")
    second = add_registration(app, world["event"], "Second", org=world["a"], email="second@x.org")
    login("org@x.org")
    response = client.post(
        settings_url(world), data=settings_form(capacity_in_person="2", offer_hours="12")
    )
    assert response.status_code == 302
    assert stored(app, first).seat == SeatState.OFFERED
    # Kept for the hours saved with it, not those before.
    with app.app_context():
        offer = db.session.get(Registration, first)
        assert offer.offer_expires_at - utcnow() <= timedelta(hours=12)
    assert stored(app, second).seat == SeatState.WAITING
    assert outbox(app, "first@x.org")[-1].template == "registration/offer"
    assert not outbox(app, "second@x.org")
    assert "offered a seat by mail" in client.get(settings_url(world)).get_data(as_text=True)


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"offer_hours": "0"}, "offer_hours"),
        ({"offer_hours": "721"}, "offer_hours"),
        ({"offer_hours": ""}, "offer_hours"),
        ({"capacity_in_person": "-1"}, "capacity_in_person"),
        ({"capacity_online": "many"}, "capacity_online"),
        ({"opens_days": "5", "closes_days": "10"}, "closes_days"),
        ({"opens_days": "5", "closes_days": "5"}, "closes_days"),
        ({"closes_days": "-30"}, "closes_days"),
        ({"opens_days": "99999999999999999999"}, "opens_days"),
    ],
)
def test_settings_refuse_bad_values(app, client, login, world, changes, field):
    login("org@x.org")
    response = client.post(settings_url(world), data=settings_form(**changes))
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Deadline).where(Deadline.key == core.OPENS_KEY)) is None
        assert db.session.get(Event, world["event"]).registration_offer_hours == 48
        assert (
            db.session.scalar(
                select(AuditEntry).where(AuditEntry.action == "registration.settings")
            )
            is None
        )


# --------------------------------------------------------------------- public list


def test_public_list_shows_only_approved_listed_participants(app, client, world):
    listed = dict(listed_publicly=True)
    add_registration(
        app,
        world["event"],
        "Visible",
        org=world["a"],
        approval=Approval.APPROVED,
        country_iso2="FR",
        organization_name="Atlantis",
        **listed,
    )
    add_registration(app, world["event"], "Private", org=world["a"], approval=Approval.APPROVED)
    add_registration(app, world["event"], "Waiting", org=world["a"], **listed)
    add_registration(
        app, world["event"], "Refused", org=world["a"], approval=Approval.REJECTED, **listed
    )
    add_registration(
        app,
        world["event"],
        "Gone",
        org=world["a"],
        approval=Approval.APPROVED,
        cancelled_at=utcnow(),
        **listed,
    )
    add_registration(
        app,
        world["other_event"],
        "Otherevent",
        org=world["a"],
        approval=Approval.APPROVED,
        **listed,
    )
    url = f"/events/{world['event']}/participants"
    response = client.get(url)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Ann Visible" in body and "Atlantis" in body and "France" in body
    assert "Member State delegate" in body
    for hidden in ("Private", "Waiting", "Refused", "Gone", "Otherevent"):
        assert hidden not in body
    assert "visible@example.org" not in body
    assert "Visible" in client.get(url + "?q=atlan").get_data(as_text=True)
    assert "Visible" not in client.get(url + "?q=private").get_data(as_text=True)
    assert client.get(url + "?q=" + "x" * 300).status_code == 200
    assert client.get(url + "?page=999999999999999999999").status_code == 200
    assert client.get("/events/987654/participants").status_code == 404


def test_public_list_pages(app, client, world):
    with app.app_context():
        for i in range(60):
            db.session.add(
                Registration(
                    event_id=world["event"],
                    category=RegistrationCategory.OBSERVER,
                    mode=AttendanceMode.ONLINE,
                    first_name="P",
                    last_name=f"Name{i:02d}",
                    email=f"n{i}@x.org",
                    approval=Approval.APPROVED,
                    listed_publicly=True,
                )
            )
        db.session.commit()
    url = f"/events/{world['event']}/participants"
    first = client.get(url).get_data(as_text=True)
    assert "60 participants" in first and "Name00" in first and "Name59" not in first
    second = client.get(url + "?page=2").get_data(as_text=True)
    assert "Name59" in second and "Name00" not in second
