"""The participant's self-service: their page (status, waiting-list place, orders, links),
edits before and after the closing deadline (a new mode moves the seat), cancellation
(the seat is offered to the next person, by mail), claiming an offered seat before and
after it lapses, the lapse sweep (twice), the personal data download and the deletion
of the account (wrong and right password, and what remains)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from models import (
    AgendaSave,
    Approval,
    AttendanceMode,
    AuditEntry,
    Deadline,
    DeadlineKind,
    EntryStatus,
    Event,
    Order,
    OrderStatus,
    OutboxMessage,
    PaidItem,
    PaymentMethod,
    Person,
    Pledge,
    ProgrammeSession,
    Registration,
    RegistrationCategory,
    Role,
    RoleGrant,
    SeatPool,
    SeatState,
    SessionFormat,
    TargetEntry,
    User,
    utcnow,
)
from registration import core, registering, seats, selfservice
from registration.core import RegistrationError
from tests.conftest import PASSWORD, link_in, outbox
from tests.integration.test_registration_register import (
    add_invitation,
    count,
    form,
    service_values,
)
from tests.integration.test_registration_register import world as world
from webapp.extensions import db
from webapp.jobs import run_periodic


def set_capacity(app, event_id, capacity, mode=AttendanceMode.IN_PERSON):
    with app.app_context():
        offered = seats.set_capacity(db.session.get(Event, event_id), mode, capacity)
        db.session.commit()
        return [r.id for r in offered]


def register(app, email, event_id, **changes):
    """Register `email` through the service (one commit)."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        registration = registering.register(
            user, db.session.get(Event, event_id), **service_values(**changes)
        )
        db.session.commit()
        return registration.id


def load(app, registration_id):
    with app.app_context():
        registration = db.session.get(Registration, registration_id)
        db.session.expunge(registration)
        return registration


def close_registration(app, event_id, days_ago=1):
    with app.app_context():
        db.session.add(
            Deadline(
                event_id=event_id,
                key=core.CLOSES_KEY,
                label="Registration closes",
                source="registration",
                kind=DeadlineKind.FIXED,
                fixed_date=date.today() - timedelta(days=days_ago),
            )
        )
        db.session.commit()


@pytest.fixture
def full(app, world):
    """One in-person seat, held by the observer; the startup and the Sector Member's
    representative wait, in that order."""
    set_capacity(app, world["event"], 1)
    ids = {
        "holder": register(app, "observer@x.org", world["event"]),
        "first": register(
            app,
            "startup@x.org",
            world["event"],
            organization_name="",
            first_name="Stu",
            last_name="Startup",
        ),
        "second": register(
            app,
            "smrep@x.org",
            world["event"],
            category="sector_member",
            organization_name="",
            first_name="Sam",
            last_name="Sector",
        ),
    }
    return world | ids


# --- the participant's page --------------------------------------------------------------


def test_page_shows_status_seat_and_details(app, client, login, full):
    login("startup@x.org")
    page = client.get(f"/events/{full['event']}/registration")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Awaiting approval" in html and "The secretariat decides" in html
    assert "On the waiting list" in html and "You are number 1 on the waiting list." in html
    assert "Small Startup" in html and "Kenya" in html
    assert f"/events/{full['event']}/registration/edit" in html
    assert f"/events/{full['event']}/registration/cancel" in html
    client.post("/account/logout")
    login("smrep@x.org")
    html = client.get(f"/events/{full['event']}/registration").get_data(as_text=True)
    assert "You are number 2 on the waiting list." in html


def test_page_lists_the_participants_orders_only(app, client, login, full):
    with app.app_context():
        item = PaidItem(event_id=full["event"], name="Gala dinner", price_cents=9500)
        db.session.add(item)
        db.session.flush()
        db.session.add_all(
            [
                Order(
                    event_id=full["event"],
                    item_id=item.id,
                    registration_id=full["holder"],
                    user_id=full["users"]["observer@x.org"],
                    amount_cents=9500,
                    currency="CHF",
                ),
                Order(
                    event_id=full["event"],
                    item_id=item.id,
                    registration_id=full["first"],
                    user_id=full["users"]["startup@x.org"],
                    amount_cents=19000,
                    currency="CHF",
                    quantity=2,
                ),
            ]
        )
        db.session.commit()
    login("observer@x.org")
    html = client.get(f"/events/{full['event']}/registration").get_data(as_text=True)
    assert "Gala dinner" in html and "95.00 CHF" in html and "190.00" not in html


def test_badge_link_only_when_confirmed_in_person(app, client, login, world):
    register(app, "fp@x.org", world["event"], category="member_state", organization_name="")
    login("fp@x.org")
    html = client.get(f"/events/{world['event']}/registration").get_data(as_text=True)
    if "registration.badge" in app.view_functions:
        assert f"/events/{world['event']}/registration/badge.pdf" in html
    client.post("/account/logout")
    register(app, "observer@x.org", world["event"])  # pending: no badge
    login("observer@x.org")
    html = client.get(f"/events/{world['event']}/registration").get_data(as_text=True)
    assert "badge.pdf" not in html


# --- editing ---------------------------------------------------------------------------


def test_edit_form_is_filled_and_explains_the_mode_change(app, client, login, full):
    login("observer@x.org")
    page = client.get(f"/events/{full['event']}/registration/edit")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'value="Observer"' in html
    assert "Changing how you attend gives up your seat" in html


def test_changing_mode_releases_the_seat_to_the_next_person(app, client, login, full):
    login("observer@x.org")
    response = client.post(f"/events/{full['event']}/registration/edit", data=form(mode="online"))
    assert response.status_code == 302
    holder = load(app, full["holder"])
    assert holder.mode == AttendanceMode.ONLINE and holder.seat == SeatState.HELD
    first = load(app, full["first"])
    assert first.seat == SeatState.OFFERED and first.offer_expires_at is not None
    offer = [m for m in outbox(app, "startup@x.org") if m.template == "registration/offer"]
    assert len(offer) == 1 and link_in(offer[0]) == f"/events/{full['event']}/registration"
    assert load(app, full["second"]).seat == SeatState.WAITING
    with app.app_context():
        counts = seats.counts(db.session.get(Event, full["event"]))
    assert counts[AttendanceMode.IN_PERSON]["taken"] == 1
    assert counts[AttendanceMode.ONLINE]["taken"] == 1


def test_edit_after_closing_is_refused(app, client, login, full):
    close_registration(app, full["event"])
    login("observer@x.org")
    assert client.get(f"/events/{full['event']}/registration/edit").status_code == 403
    response = client.post(
        f"/events/{full['event']}/registration/edit", data=form(last_name="Late")
    )
    assert response.status_code == 403
    assert load(app, full["holder"]).last_name == "Observer"
    html = client.get(f"/events/{full['event']}/registration").get_data(as_text=True)
    assert "Registration closed on" in html


def test_edit_with_bad_input_keeps_everything(app, client, login, full):
    login("observer@x.org")
    response = client.post(
        f"/events/{full['event']}/registration/edit",
        data=form(last_name="x" * 500, function="Kept function"),
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="last_name-error"' in html and 'value="Kept function"' in html
    assert load(app, full["holder"]).function == ""


def test_new_name_after_approval_needs_approval_again(app, ctx, world):
    ids = add_invitation(app, world["event"], "invitee@x.org", waives=True)
    invitee = db.session.scalar(select(User).where(User.email == "invitee@x.org"))
    event = db.session.get(Event, world["event"])
    registration = registering.register(
        invitee, event, **service_values(category="invited_guest", last_name="Invitee")
    )
    assert registration.approval == Approval.APPROVED
    assert registering.edit(
        invitee,
        registration,
        **service_values(category="invited_guest", last_name="Invitee", dietary_needs="Halal"),
    ) == ["dietary_needs"]
    assert registration.approval == Approval.APPROVED
    changed = registering.edit(
        invitee,
        registration,
        **service_values(category="invited_guest", last_name="Someone", dietary_needs="Halal"),
    )
    assert changed == ["last_name"]
    assert registration.approval == Approval.PENDING and not registration.approval_waived
    assert ids  # the invitation stays linked
    assert registration.invitation_id == ids["invitation"]


def test_focal_points_own_edits_stay_approved(app, ctx, world):
    focal = db.session.scalar(select(User).where(User.email == "fp@x.org"))
    event = db.session.get(Event, world["event"])
    registration = registering.register(
        focal, event, **service_values(category="member_state", organization_name="")
    )
    registering.edit(
        focal,
        registration,
        **service_values(category="member_state", organization_name="", last_name="Renamed"),
    )
    assert registration.approval == Approval.APPROVED


def test_edit_of_a_cancelled_registration_is_409(app, client, login, full):
    login("observer@x.org")
    client.post(f"/events/{full['event']}/registration/cancel", data={"confirm": "y"})
    assert client.get(f"/events/{full['event']}/registration/edit").status_code == 409
    assert client.post(f"/events/{full['event']}/registration/edit", data=form()).status_code == 409


# --- cancelling ----------------------------------------------------------------------------


def test_cancel_asks_for_confirmation(app, client, login, full):
    login("observer@x.org")
    page = client.get(f"/events/{full['event']}/registration/cancel")
    assert page.status_code == 200 and "Cancel my registration" in page.get_data(as_text=True)
    response = client.post(f"/events/{full['event']}/registration/cancel", data={})
    assert response.status_code == 400 and "Tick the box" in response.get_data(as_text=True)
    assert load(app, full["holder"]).cancelled_at is None


def test_cancel_offers_the_seat_to_the_next_person_by_mail(app, client, login, full):
    login("observer@x.org")
    response = client.post(f"/events/{full['event']}/registration/cancel", data={"confirm": "y"})
    assert response.status_code == 302
    holder = load(app, full["holder"])
    assert holder.cancelled_at is not None and holder.seat == SeatState.NONE
    assert [m.template for m in outbox(app, "observer@x.org")][-1] == "registration/cancelled"
    first = load(app, full["first"])
    assert first.seat == SeatState.OFFERED
    offer = outbox(app, "startup@x.org")[-1]
    assert offer.template == "registration/offer"
    assert "kept for you until" in offer.body_text
    assert load(app, full["second"]).seat == SeatState.WAITING
    html = client.get(f"/events/{full['event']}/registration").get_data(as_text=True)
    assert "You cancelled this registration" in html
    # Twice is refused and changes nothing.
    assert (
        client.post(
            f"/events/{full['event']}/registration/cancel", data={"confirm": "y"}
        ).status_code
        == 409
    )
    assert count(app, OutboxMessage, OutboxMessage.template == "registration/offer") == 1


def test_cancel_moves_the_invitation_entry_to_declined(app, ctx, world):
    ids = add_invitation(app, world["event"], "invitee@x.org", waives=False)
    invitee = db.session.scalar(select(User).where(User.email == "invitee@x.org"))
    registration = registering.register(
        invitee, db.session.get(Event, world["event"]), **service_values()
    )
    assert db.session.get(TargetEntry, ids["entry"]).status == EntryStatus.REGISTERED
    registering.cancel(invitee, registration)
    assert db.session.get(TargetEntry, ids["entry"]).status == EntryStatus.DECLINED


# --- claiming an offered seat -----------------------------------------------------------------


def offer_to_first(app, client, login, full):
    login("observer@x.org")
    client.post(f"/events/{full['event']}/registration/cancel", data={"confirm": "y"})
    client.post("/account/logout")
    login("startup@x.org")


def test_claim_before_the_offer_lapses(app, client, login, full):
    offer_to_first(app, client, login, full)
    html = client.get(f"/events/{full['event']}/registration").get_data(as_text=True)
    assert "A seat is kept for you until" in html and "Take the seat" in html
    response = client.post(f"/events/{full['event']}/registration/claim")
    assert response.status_code == 302
    assert load(app, full["first"]).seat == SeatState.HELD
    assert count(app, AuditEntry, AuditEntry.action == "registration.offer_claimed") == 1
    # Nothing left to claim.
    assert client.post(f"/events/{full['event']}/registration/claim").status_code == 409


def test_claim_after_the_offer_lapsed_is_409(app, client, login, full):
    offer_to_first(app, client, login, full)
    with app.app_context():
        registration = db.session.get(Registration, full["first"])
        registration.offer_expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    response = client.post(f"/events/{full['event']}/registration/claim")
    assert response.status_code == 409
    assert "lapsed" in response.get_data(as_text=True)
    assert load(app, full["first"]).seat == SeatState.OFFERED


def test_claim_without_an_offer_is_409(app, client, login, full):
    login("smrep@x.org")
    assert client.post(f"/events/{full['event']}/registration/claim").status_code == 409
    assert load(app, full["second"]).seat == SeatState.WAITING


def test_claim_without_a_registration_goes_to_the_form(app, client, login, world):
    login("observer@x.org")
    response = client.post(f"/events/{world['event']}/registration/claim")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/events/{world['event']}/register")


# --- the lapse sweep ---------------------------------------------------------------------


def test_lapse_sweep_passes_the_seat_on_once(app, client, login, full):
    offer_to_first(app, client, login, full)
    later = utcnow() + timedelta(hours=49)
    with app.app_context():
        assert registering.sweep_offers(later) == {"lapsed": 1, "offered": 1}
        assert registering.sweep_offers(later) == {"lapsed": 0, "offered": 0}
    first, second = load(app, full["first"]), load(app, full["second"])
    assert first.seat == SeatState.NONE and second.seat == SeatState.OFFERED
    assert [m.template for m in outbox(app, "startup@x.org")][-1] == "registration/offer_lapsed"
    assert [m.template for m in outbox(app, "smrep@x.org")].count("registration/offer") == 1
    assert count(app, OutboxMessage, OutboxMessage.template == "registration/offer_lapsed") == 1
    # The lapsed participant may join the end of the list again.
    html = client.get(f"/events/{full['event']}/registration").get_data(as_text=True)
    assert "Join the waiting list again" in html
    assert client.post(f"/events/{full['event']}/registration/rejoin").status_code == 302
    assert load(app, full["first"]).seat == SeatState.WAITING
    assert client.post(f"/events/{full['event']}/registration/rejoin").status_code == 409


def test_sweep_runs_with_the_periodic_tasks(app, full):
    with app.app_context():
        registration = db.session.get(Registration, full["holder"])
        registering.cancel(None, registration)
        db.session.get(Registration, full["first"]).offer_expires_at = utcnow() - timedelta(
            minutes=5
        )
        db.session.commit()
        results = run_periodic()
        assert results["registration.offers"] == {"lapsed": 1, "offered": 1}
        assert run_periodic()["registration.offers"] == {"lapsed": 0, "offered": 0}


def test_sweep_with_nothing_to_do(app, world):
    with app.app_context():
        assert registering.sweep_offers() == {"lapsed": 0, "offered": 0}


# --- personal data ----------------------------------------------------------------------------


def test_my_data_needs_a_login(client, world):
    response = client.get("/account/data.json")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_my_data_is_a_json_download_of_everything(app, client, login, full):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "observer@x.org"))
        registration = db.session.get(Registration, full["holder"])
        registration.passport_number = "X1234567"
        item = PaidItem(event_id=full["event"], name="Gala dinner", price_cents=9500)
        db.session.add(item)
        db.session.flush()
        session = ProgrammeSession(
            event_id=full["event"], title="Connecting schools", format=SessionFormat.PANEL
        )
        db.session.add(session)
        db.session.flush()
        db.session.add_all(
            [
                Order(
                    event_id=full["event"],
                    item_id=item.id,
                    registration_id=registration.id,
                    user_id=user.id,
                    amount_cents=9500,
                    currency="CHF",
                ),
                AgendaSave(user_id=user.id, session_id=session.id),
                Pledge(
                    event_id=full["event"],
                    organization_id=full["company"],
                    created_by_id=user.id,
                    title="Fibre for all",
                ),
            ]
        )
        db.session.commit()
    login("observer@x.org")
    response = client.get("/account/data.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == "observer@x.org"
    assert "password_hash" not in data["account"] and "session_version" not in data["account"]
    assert "password" not in response.get_data(as_text=True).lower().replace("password_", "")
    [registration] = data["registrations"]
    assert registration["passport_number"] == "X1234567"
    assert registration["event"]["acronym"] == "REG-1"
    assert registration["seat"] == "held" and registration["category"] == "observer"
    assert data["orders"][0]["item"] == "Gala dinner" and data["orders"][0]["amount_cents"] == 9500
    assert data["agenda"][0]["title"] == "Connecting schools"
    assert data["pledges_created"][0]["title"] == "Fibre for all"
    assert any(e["action"] == "registration.created" for e in data["audit"])
    assert any(e["action"] == "user.logged_in" for e in data["audit"])
    assert data["directory_person"] is None


def test_my_data_holds_nothing_of_others(app, client, login, full):
    login("startup@x.org")
    data = json.loads(client.get("/account/data.json").get_data(as_text=True))
    assert [r["id"] for r in data["registrations"]] == [full["first"]]
    assert data["directory_person"]["organization"] == "Small Startup"
    text = json.dumps(data)
    assert "observer@x.org" not in text and "smrep@x.org" not in text


def test_my_data_holds_nothing_of_others_from_the_audit_log(app, client, login, full):
    """The organizer's download lists what they did, not whom they did it to; the
    participant's lists what was done to their registration, without the organizer's
    address."""
    login("org@x.org")
    response = client.post(
        f"/events/{full['event']}/registrations/{full['holder']}",
        data={"action": "reject", "reason": "Olga's letter is missing"},
    )
    assert response.status_code == 302
    data = json.loads(client.get("/account/data.json").get_data(as_text=True))
    [rejected] = [e for e in data["audit"] if e["action"] == "registration.rejected"]
    assert rejected["by_me"] and rejected["object_id"] == full["holder"]
    text = json.dumps(data)
    assert "Olga" not in text and "Observer" not in text and "observer@x.org" not in text
    client.post("/account/logout")
    login("observer@x.org")
    data = json.loads(client.get("/account/data.json").get_data(as_text=True))
    [rejected] = [e for e in data["audit"] if e["action"] == "registration.rejected"]
    assert not rejected["by_me"] and rejected["data"]["reason"] == "Olga's letter is missing"
    assert "ip" not in rejected["data"]
    [created] = [e for e in data["audit"] if e["action"] == "registration.created"]
    assert "summary" in created


def test_my_data_includes_roles_and_invitations(app, client, login, world):
    add_invitation(app, world["event"], "invitee@x.org", waives=False)
    login("fp@x.org")
    data = json.loads(client.get("/account/data.json").get_data(as_text=True))
    assert data["roles"][0]["role"] == "focal_point"
    client.post("/account/logout")
    login("invitee@x.org")
    data = json.loads(client.get("/account/data.json").get_data(as_text=True))
    assert data["invitations"][0]["answer"] == "accepted"
    assert "token_hash" not in data["invitations"][0]
    assert "token_salt" not in data["invitations"][0]


# --- deleting the account -------------------------------------------------------------------


def test_delete_page_asks_for_the_password(app, client, login, full):
    login("observer@x.org")
    page = client.get("/account/delete")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="password"' in html
    assert "Your registration is cancelled" in html
    assert "/account/data.json" in html
    account = client.get("/account/").get_data(as_text=True)
    assert "/account/delete" in account and "/account/data.json" in account
    # The links are in the page, once, not in its <title>.
    assert "<title>Your account · Convene</title>" in account
    assert account.count('id="data-h"') == 1


def test_delete_with_a_wrong_password_changes_nothing(app, client, login, full):
    login("observer@x.org")
    response = client.post("/account/delete", data={"password": "wrong-one", "confirm": "y"})
    assert response.status_code == 400
    assert "Your password is not correct." in response.get_data(as_text=True)
    assert count(app, User, User.email == "observer@x.org") == 1
    holder = load(app, full["holder"])
    assert holder.cancelled_at is None and holder.last_name == "Observer"
    assert client.get(f"/events/{full['event']}/registration").status_code == 200
    # Without the confirmation box, nothing either.
    response = client.post("/account/delete", data={"password": PASSWORD})
    assert response.status_code == 400
    assert count(app, User, User.email == "observer@x.org") == 1


def test_delete_anonymizes_and_keeps_what_belongs_to_others(app, client, login, full):
    observer_id = full["users"]["observer@x.org"]
    with app.app_context():
        registration = db.session.get(Registration, full["holder"])
        registration.visa_support = True
        registration.passport_number = "X1234567"
        registration.date_of_birth = "1980-02-03"
        registration.accessibility_needs = "Wheelchair"
        person = Person(
            first_name="Olga",
            last_name="Observer",
            email="observer@x.org",
            user_id=observer_id,
            organization_id=full["company"],
        )
        db.session.add(person)
        item = PaidItem(event_id=full["event"], name="Gala dinner", price_cents=9500)
        db.session.add(item)
        db.session.flush()
        db.session.add_all(
            [
                Pledge(
                    event_id=full["event"],
                    organization_id=full["company"],
                    created_by_id=observer_id,
                    title="Fibre for all",
                ),
                RoleGrant(user_id=observer_id, event_id=full["later"], role=Role.ORGANIZER),
                Order(
                    event_id=full["event"],
                    item_id=item.id,
                    registration_id=registration.id,
                    user_id=observer_id,
                    amount_cents=9500,
                    currency="CHF",
                ),
            ]
        )
        db.session.commit()
        person_id = person.id
    login("observer@x.org")
    response = client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    # Logged out: the account is gone.
    assert client.get(f"/events/{full['event']}/registration").status_code == 302
    assert count(app, User, User.email == "observer@x.org") == 0
    holder = load(app, full["holder"])
    assert holder.full_name == "Deleted participant"
    assert holder.email == f"deleted-{holder.id}@invalid"
    assert holder.user_id is None and holder.person_id is None
    assert holder.passport_number == "" and holder.date_of_birth is None
    assert holder.accessibility_needs == "" and not holder.visa_support
    assert holder.cancelled_at is not None and holder.seat == SeatState.NONE
    # What counts stays.
    assert holder.organization_name == "Friends of the Net" and holder.country_iso2 == "KE"
    # The seat went to the next person, who was told.
    assert load(app, full["first"]).seat == SeatState.OFFERED
    assert outbox(app, "startup@x.org")[-1].template == "registration/offer"
    with app.app_context():
        pledge = db.session.scalar(select(Pledge))
        assert pledge.title == "Fibre for all" and pledge.organization_id == full["company"]
        assert pledge.created_by_id is None
        person = db.session.get(Person, person_id)
        assert person is not None and person.user_id is None
        assert (
            db.session.scalar(
                select(func.count(RoleGrant.id)).where(RoleGrant.user_id == observer_id)
            )
            == 0
        )
        order = db.session.scalar(select(Order))
        assert order.user_id is None and order.registration_id == holder.id
        deleted = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "account.deleted")
        )
        assert deleted.actor_id is None
        assert "observer" not in (deleted.summary + json.dumps(deleted.data)).lower()
        assert deleted.data.get("ip") is None
        summaries = " ".join(db.session.scalars(select(AuditEntry.summary)))
        assert "observer@x.org" not in summaries
        # Nor the network address of their requests.
        logins = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "user.logged_in")
        ).all()
        assert logins and all("ip" not in entry.data for entry in logins)
        assert "Olga Observer" not in summaries
    # No mail to the deleted address about its own cancellation.
    assert "registration/cancelled" not in [m.template for m in outbox(app, "observer@x.org")]


def test_delete_cancels_unpaid_orders_and_their_units_go_back(app, client, login, full):
    """Nobody can pay an order of a deleted account: it is cancelled, its units back on
    sale; a paid order stays (the money was received)."""
    observer_id = full["users"]["observer@x.org"]
    with app.app_context():
        item = PaidItem(
            event_id=full["event"], name="Gala dinner", price_cents=9500, quantity_limit=5
        )
        db.session.add(item)
        db.session.flush()
        item.sold = 3
        common = {
            "event_id": full["event"],
            "item_id": item.id,
            "registration_id": full["holder"],
            "user_id": observer_id,
            "currency": "CHF",
            "method": PaymentMethod.BANK_TRANSFER,
            "reserved": True,
        }
        unpaid = Order(quantity=2, amount_cents=19000, **common)
        paid = Order(quantity=1, amount_cents=9500, status=OrderStatus.PAID, **common)
        db.session.add_all([unpaid, paid])
        db.session.commit()
        ids = {"item": item.id, "unpaid": unpaid.id, "paid": paid.id}
    login("observer@x.org")
    response = client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Order, ids["unpaid"]).status == OrderStatus.CANCELLED
        assert db.session.get(Order, ids["paid"]).status == OrderStatus.PAID
        assert db.session.get(PaidItem, ids["item"]).sold == 1


def test_delete_also_takes_a_delegate_registration_not_picked_up_yet(app, client, login, full):
    """A focal point registered the person by their address; their account never opened
    the event's pages, so the registration was never linked: it is theirs all the same,
    in their data and in the deletion."""
    with app.app_context():
        later = db.session.get(Event, full["later"])
        fp = db.session.scalar(select(User).where(User.email == "fp@x.org"))
        registration = Registration(
            event_id=later.id,
            category=RegistrationCategory.MEMBER_STATE,
            mode=AttendanceMode.IN_PERSON,
            first_name="Stu",
            last_name="Startup",
            email="Startup@x.org",
            passport_number="X1234567",
            registered_by_id=fp.id,
        )
        db.session.add(registration)
        db.session.flush()
        seats.assign(registration)
        db.session.commit()
        delegate = registration.id
    login("startup@x.org")
    data = json.loads(client.get("/account/data.json").get_data(as_text=True))
    assert delegate in [r["id"] for r in data["registrations"]]
    response = client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    gone = load(app, delegate)
    assert gone.full_name == "Deleted participant" and gone.passport_number == ""
    assert gone.cancelled_at is not None and gone.seat == SeatState.NONE
    assert_pools_add_up(app, full["later"])


def test_only_administrator_cannot_delete_their_account(app, ctx, make_user):
    make_user("admin@x.org", "Ada Admin", admin=True)
    admin = db.session.scalar(select(User).where(User.email == "admin@x.org"))
    with pytest.raises(RegistrationError) as caught:
        selfservice.delete_account(admin, PASSWORD)
    assert caught.value.status == 409
    make_user("admin2@x.org", "Second Admin", admin=True)
    selfservice.delete_account(admin, PASSWORD)
    assert db.session.scalar(select(User).where(User.email == "admin@x.org")) is None


def test_delete_account_without_registrations(app, ctx, make_user):
    make_user("plain@x.org", "Plain User")
    user = db.session.scalar(select(User).where(User.email == "plain@x.org"))
    with pytest.raises(RegistrationError):
        selfservice.delete_account(user, None)
    assert selfservice.delete_account(user, PASSWORD) == {"registrations": 0, "roles": 0}


# --- seat accounting across every flow ------------------------------------------------------


def assert_pools_add_up(app, event_id):
    """Each pool's `taken` is exactly its registrations holding or offered a seat."""
    with app.app_context():
        for pool in db.session.scalars(select(SeatPool).where(SeatPool.event_id == event_id)):
            seated = db.session.scalar(
                select(func.count(Registration.id)).where(
                    Registration.event_id == event_id,
                    Registration.mode == pool.mode,
                    Registration.seat.in_([SeatState.HELD, SeatState.OFFERED]),
                )
            )
            assert pool.taken == seated, (pool.mode, pool.taken, seated)


def seat_of(app, registration_id):
    return load(app, registration_id).seat


def test_pools_add_up_after_every_flow(app, client, login, full):
    """Register, change mode, cancel, reject, override, claim, lapse, join again, delete
    the account, change the capacity, register a delegate: after each, every pool's
    count is what the registrations say."""
    event = full["event"]
    check = lambda: assert_pools_add_up(app, event)  # noqa: E731
    check()
    # Register: the Member State delegate waits (and waits for their focal point).
    delegate = register(app, "delegate@x.org", event, category="member_state", organization_name="")
    assert seat_of(app, delegate) == SeatState.WAITING
    check()
    # Changing mode gives the in-person seat to the head of the queue.
    login("observer@x.org")
    assert (
        client.post(f"/events/{event}/registration/edit", data=form(mode="online")).status_code
        == 302
    )
    assert seat_of(app, full["first"]) == SeatState.OFFERED
    check()
    # The offered participant claims the seat.
    client.post("/account/logout")
    login("startup@x.org")
    assert client.post(f"/events/{event}/registration/claim").status_code == 302
    assert seat_of(app, full["first"]) == SeatState.HELD
    check()
    # The organizers add a seat: offered to the next one waiting.
    client.post("/account/logout")
    login("org@x.org")
    settings = {
        "capacity_in_person": "2",
        "capacity_online": "",
        "offer_hours": "48",
        "opens_days": "180",
        "closes_days": "7",
    }
    assert client.post(f"/events/{event}/registrations/settings", data=settings).status_code == 302
    assert seat_of(app, full["second"]) == SeatState.OFFERED
    check()
    # The offer lapses: it passes to the delegate.
    with app.app_context():
        registering.sweep_offers(utcnow() + timedelta(hours=49))
    assert seat_of(app, full["second"]) == SeatState.NONE
    assert seat_of(app, delegate) == SeatState.OFFERED
    check()
    # The lapsed participant joins the list again.
    client.post("/account/logout")
    login("smrep@x.org")
    assert client.post(f"/events/{event}/registration/rejoin").status_code == 302
    assert seat_of(app, full["second"]) == SeatState.WAITING
    check()
    # The focal point rejects the delegate (offered): the seat passes on.
    client.post("/account/logout")
    login("fp@x.org")
    response = client.post(
        f"/events/{event}/accreditation/{delegate}/decide",
        data={"decision": "reject", "reason": "Not in the delegation"},
    )
    assert response.status_code == 302
    assert seat_of(app, delegate) == SeatState.NONE
    assert seat_of(app, full["second"]) == SeatState.OFFERED
    check()
    # The organizers override: approved again, the delegate waits at the end.
    client.post("/account/logout")
    login("org@x.org")
    response = client.post(
        f"/events/{event}/registrations/{delegate}", data={"action": "approve", "reason": ""}
    )
    assert response.status_code == 302
    assert seat_of(app, delegate) == SeatState.WAITING
    check()
    # The focal point registers another delegate: approved, waiting too.
    response = client.post(
        f"/events/{event}/accreditation/delegates/new",
        data={
            "member": str(full["ms"]),
            "first_name": "Nia",
            "last_name": "Newcomer",
            "email": "nia@x.org",
            "category": "member_state",
            "mode": "in_person",
            "country_iso2": "KE",
        },
    )
    assert response.status_code == 302
    check()
    # The capacity is lowered below what is taken: no seat is taken away.
    settings["capacity_in_person"] = "1"
    assert client.post(f"/events/{event}/registrations/settings", data=settings).status_code == 302
    check()
    # A seat holder cancels: the seat above the new capacity disappears.
    client.post("/account/logout")
    login("startup@x.org")
    response = client.post(f"/events/{event}/registration/cancel", data={"confirm": "y"})
    assert response.status_code == 302
    assert seat_of(app, full["first"]) == SeatState.NONE
    check()
    # The offered participant deletes their account: their seat passes to the delegate.
    client.post("/account/logout")
    login("smrep@x.org")
    response = client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    assert seat_of(app, full["second"]) == SeatState.NONE
    assert seat_of(app, delegate) == SeatState.OFFERED
    check()
    # The organizers cancel the delegate on their behalf; then lift the limit.
    login("org@x.org")
    response = client.post(
        f"/events/{event}/registrations/{delegate}", data={"action": "cancel", "reason": ""}
    )
    assert response.status_code == 302
    check()
    settings["capacity_in_person"] = ""
    assert client.post(f"/events/{event}/registrations/settings", data=settings).status_code == 302
    check()
    with app.app_context():
        waiting = db.session.scalar(
            select(func.count(Registration.id)).where(
                Registration.event_id == event, Registration.seat == SeatState.WAITING
            )
        )
    assert waiting == 0
