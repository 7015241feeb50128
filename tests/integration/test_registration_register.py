"""Registering: the form (prefilled from the account, the directory and an accepted
invitation), every approval rule, seats and the waiting list at registration, the
window, duplicates (also the race), delegates registered by focal points, bad inputs,
and who sees what."""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from models import (
    Approval,
    AttendanceMode,
    AuditEntry,
    Deadline,
    DeadlineKind,
    EntryStatus,
    Event,
    Invitation,
    MembershipCategory,
    Organization,
    OutboxMessage,
    Person,
    Registration,
    RegistrationCategory,
    RsvpAnswer,
    SeatState,
    TargetEntry,
    User,
    Wave,
    utcnow,
)
from registration import core, registering, seats
from registration.core import RegistrationError
from registration.registering import RegistrationInvalid
from tests.conftest import outbox
from webapp.extensions import db

SCRIPT = "<script>alert(1)</script>"


def form(**changes):
    """What the registration form posts for an observer typing their organization."""
    data = {
        "category": "observer",
        "mode": "in_person",
        "first_name": "Olga",
        "last_name": "Observer",
        "organization_name": "Friends of the Net",
        "country_iso2": "KE",
        "function": "Researcher",
        "delegation": "",
        "accessibility_needs": "",
        "dietary_needs": "Vegetarian",
        "listed_publicly": "y",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def service_values(**changes):
    values = {
        "category": "observer",
        "mode": "in_person",
        "first_name": "Olga",
        "last_name": "Observer",
        "organization_name": "Friends of the Net",
        "country_iso2": "KE",
    }
    values.update(changes)
    return values


def user_id(app, email):
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def registration_of(app, email, event_id):
    with app.app_context():
        registration = db.session.scalar(
            select(Registration).where(
                Registration.event_id == event_id, func.lower(Registration.email) == email
            )
        )
        if registration is not None:
            db.session.expunge(registration)
        return registration


def count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def add_invitation(app, event_id, email, *, waives: bool, first="Ivy", last="Invitee", org=None):
    """An accepted invitation of a directory person (with `email`) in a wave."""
    with app.app_context():
        person = Person(first_name=first, last_name=last, email=email, organization_id=org)
        db.session.add(person)
        db.session.flush()
        entry = TargetEntry(
            event_id=event_id,
            person_id=person.id,
            constituent_group="PRIV",
            status=EntryStatus.ACCEPTED,
        )
        wave = Wave(
            event_id=event_id,
            name=f"Wave {secrets.token_hex(3)}",
            send_by_days=-200,
            rsvp_by_days=-100,
            waives_approval=waives,
        )
        db.session.add_all([entry, wave])
        db.session.flush()
        invitation = Invitation(
            wave_id=wave.id,
            entry_id=entry.id,
            email=email,
            token_salt=secrets.token_hex(8),
            token_hash=secrets.token_hex(32),
            expires_at=utcnow() + timedelta(days=30),
            answer=RsvpAnswer.ACCEPTED,
            answered_at=utcnow(),
        )
        db.session.add(invitation)
        db.session.commit()
        return {"invitation": invitation.id, "entry": entry.id, "person": person.id}


@pytest.fixture
def world(app, make_user, make_event):
    """An event open for registration (opens in 100 days: the window runs from 80 days
    ago to 93 days ahead), one not open yet and one closed; a Member State with a
    linked delegate and a focal point, another Member State with its focal point, a
    Sector Member without focal point, and an organizer."""
    event = make_event("REG-1", days=100)
    later = make_event("REG-2", days=300)
    closed = make_event("REG-3", days=3)
    with app.app_context():
        ms = Organization(
            name="Republic of Kenya",
            membership=MembershipCategory.MEMBER_STATE,
            country_iso2="KE",
        )
        other_ms = Organization(
            name="Republic of Rwanda",
            membership=MembershipCategory.MEMBER_STATE,
            country_iso2="RW",
        )
        sm = Organization(name="Example Telecom", membership=MembershipCategory.SECTOR_MEMBER)
        company = Organization(name="Small Startup", membership=MembershipCategory.NON_MEMBER)
        db.session.add_all([ms, other_ms, sm, company])
        db.session.commit()
        ids = {"ms": ms.id, "other_ms": other_ms.id, "sm": sm.id, "company": company.id}
    make_user("org@x.org", "Otto Organizer", organizer_of=event)
    make_user("fp@x.org", "Fiona Focal", focal_point_of=(event, ids["ms"]))
    make_user("fp-rw@x.org", "Ralph Rwanda", focal_point_of=(event, ids["other_ms"]))
    for email, name in (
        ("delegate@x.org", "Dan Delegate"),
        ("smrep@x.org", "Sam Sector"),
        ("observer@x.org", "Olga Observer"),
        ("startup@x.org", "Stu Startup"),
        ("invitee@x.org", "Ivy Invitee"),
    ):
        make_user(email, name)
    with app.app_context():
        users = {u.email: u.id for u in db.session.scalars(select(User))}
        db.session.add_all(
            [
                Person(
                    first_name="Dan",
                    last_name="Delegate",
                    email="delegate@x.org",
                    function="Director",
                    organization_id=ids["ms"],
                    country_iso2="KE",
                    user_id=users["delegate@x.org"],
                ),
                Person(
                    first_name="Fiona",
                    last_name="Focal",
                    email="fp@x.org",
                    organization_id=ids["ms"],
                    user_id=users["fp@x.org"],
                ),
                Person(
                    first_name="Sam",
                    last_name="Sector",
                    email="smrep@x.org",
                    organization_id=ids["sm"],
                    user_id=users["smrep@x.org"],
                ),
                Person(
                    first_name="Stu",
                    last_name="Startup",
                    email="startup@x.org",
                    organization_id=ids["company"],
                    user_id=users["startup@x.org"],
                ),
            ]
        )
        db.session.commit()
    return {"event": event, "later": later, "closed": closed, **ids, "users": users}


def register_as(app, login, client, email, event_id, **changes):
    login(email)
    return client.post(f"/events/{event_id}/register", data=form(**changes))


# --- the form ---------------------------------------------------------------------------


def test_anonymous_is_sent_to_log_in(client, world):
    for path in ("register", "registration", "registration/edit", "registration/cancel"):
        response = client.get(f"/events/{world['event']}/{path}")
        assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    response = client.post(f"/events/{world['event']}/register", data=form())
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_form_is_prefilled_from_the_directory(client, login, world):
    login("delegate@x.org")
    page = client.get(f"/events/{world['event']}/register")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'value="Dan"' in html and 'value="Delegate"' in html and 'value="Director"' in html
    assert "Republic of Kenya" in html and "From the directory" in html
    assert 'value="delegate@x.org" readonly' in html
    assert '<option selected value="member_state">' in html
    # The organization is not typed: there is no such field.
    assert 'name="organization_name"' not in html


def test_form_without_directory_link_asks_for_the_organization(client, login, world):
    login("observer@x.org")
    html = client.get(f"/events/{world['event']}/register").get_data(as_text=True)
    assert 'name="organization_name"' in html
    assert "ask the secretariat to link your account" in html
    assert 'value="Olga"' in html and 'value="Observer"' in html  # from the account's name


def test_unknown_event_is_404(client, login, world):
    login("observer@x.org")
    assert client.get("/events/999999/register").status_code == 404
    assert client.get("/events/99999999999999/register").status_code == 404
    assert client.get("/events/999999/registration").status_code == 404


# --- the approval rules -------------------------------------------------------------------


def test_member_delegate_waits_for_their_focal_point(app, client, login, world):
    response = register_as(
        app,
        login,
        client,
        "delegate@x.org",
        world["event"],
        category="member_state",
        organization_name=None,
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/events/{world['event']}/registration")
    registration = registration_of(app, "delegate@x.org", world["event"])
    assert registration.approval == Approval.PENDING and not registration.approval_waived
    assert registration.seat == SeatState.HELD
    assert registration.organization_id == world["ms"]
    assert registration.organization_name == "Republic of Kenya"
    assert registration.person_id is not None
    received = outbox(app, "delegate@x.org")
    assert [m.template for m in received] == ["registration/received"]
    assert "focal point of Republic of Kenya" in received[0].body_text
    to_decide = outbox(app, "fp@x.org")
    assert [m.template for m in to_decide] == ["registration/new_request"]
    assert f"/events/{world['event']}/accreditation?member={world['ms']}" in to_decide[0].body_text
    assert "(Republic of Kenya) asks to attend" in to_decide[0].body_text
    # Nobody else decides: not the other member's focal point, not the organizers.
    assert outbox(app, "fp-rw@x.org") == [] and outbox(app, "org@x.org") == []
    assert count(app, AuditEntry, AuditEntry.action == "registration.created") == 1


def test_focal_point_own_registration_is_approved_at_once(app, client, login, world):
    register_as(
        app,
        login,
        client,
        "fp@x.org",
        world["event"],
        category="member_state",
        first_name="Fiona",
        last_name="Focal",
    )
    registration = registration_of(app, "fp@x.org", world["event"])
    assert registration.approval == Approval.APPROVED and registration.approval_waived
    assert registration.decided_at is not None
    assert [m.template for m in outbox(app, "fp@x.org")] == ["registration/approved_now"]
    assert outbox(app, "org@x.org") == []


def test_member_without_focal_point_goes_to_the_organizers(app, client, login, world):
    register_as(app, login, client, "smrep@x.org", world["event"], category="sector_member")
    registration = registration_of(app, "smrep@x.org", world["event"])
    assert registration.approval == Approval.PENDING
    assert registration.organization_id == world["sm"]
    to_decide = outbox(app, "org@x.org")
    assert [m.template for m in to_decide] == ["registration/new_request"]
    assert f"/accreditation?member={world['sm']}" in to_decide[0].body_text
    assert "The secretariat will approve" in outbox(app, "smrep@x.org")[0].body_text


def test_non_member_goes_to_the_organizers(app, client, login, world):
    register_as(app, login, client, "observer@x.org", world["event"])
    registration = registration_of(app, "observer@x.org", world["event"])
    assert registration.approval == Approval.PENDING
    assert registration.organization_id is None
    assert registration.organization_name == "Friends of the Net"
    assert registration.listed_publicly and registration.dietary_needs == "Vegetarian"
    assert "The secretariat will approve" in outbox(app, "observer@x.org")[0].body_text
    # Non-members' requests wait in the organizers' queue, without a mail each.
    assert outbox(app, "org@x.org") == [] and outbox(app, "fp@x.org") == []


def test_directory_organization_that_is_not_a_member_goes_to_organizers(app, client, login, world):
    register_as(app, login, client, "startup@x.org", world["event"], category="observer")
    registration = registration_of(app, "startup@x.org", world["event"])
    assert registration.organization_id == world["company"]
    assert registration.organization_name == "Small Startup"
    assert registration.approval == Approval.PENDING
    assert outbox(app, "org@x.org") == []


@pytest.mark.parametrize(
    ("email", "category"),
    [
        ("observer@x.org", "member_state"),
        ("observer@x.org", "sector_member"),
        ("smrep@x.org", "member_state"),
        ("delegate@x.org", "sector_member"),
    ],
)
def test_member_categories_need_the_member_behind_them(app, client, login, world, email, category):
    response = register_as(app, login, client, email, world["event"], category=category)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="category-error"' in html and "directory" in html
    assert count(app, Registration) == 0


def test_invitation_that_waives_approval(app, client, login, world):
    ids = add_invitation(app, world["event"], "invitee@x.org", waives=True)
    login("invitee@x.org")
    html = client.get(f"/events/{world['event']}/register").get_data(as_text=True)
    assert "You accepted the invitation" in html and "needs no further approval" in html
    assert 'value="Ivy"' in html and '<option selected value="invited_guest">' in html
    client.post(
        f"/events/{world['event']}/register",
        data=form(category="invited_guest", first_name="Ivy", last_name="Invitee"),
    )
    registration = registration_of(app, "invitee@x.org", world["event"])
    assert registration.approval == Approval.APPROVED and registration.approval_waived
    assert registration.invitation_id == ids["invitation"]
    assert registration.person_id == ids["person"]
    with app.app_context():
        assert db.session.get(TargetEntry, ids["entry"]).status == EntryStatus.REGISTERED
    assert [m.template for m in outbox(app, "invitee@x.org")] == ["registration/approved_now"]
    assert outbox(app, "org@x.org") == []


def test_invitation_without_waiver_still_needs_approval(app, client, login, world):
    ids = add_invitation(app, world["event"], "invitee@x.org", waives=False)
    register_as(app, login, client, "invitee@x.org", world["event"], category="invited_guest")
    registration = registration_of(app, "invitee@x.org", world["event"])
    assert registration.approval == Approval.PENDING and not registration.approval_waived
    assert registration.invitation_id == ids["invitation"]
    with app.app_context():
        assert db.session.get(TargetEntry, ids["entry"]).status == EntryStatus.REGISTERED
    assert "The secretariat will approve" in outbox(app, "invitee@x.org")[0].body_text


def test_invitation_of_another_event_is_not_used(app, client, login, world):
    add_invitation(app, world["later"], "invitee@x.org", waives=True)
    register_as(app, login, client, "invitee@x.org", world["event"], category="invited_guest")
    registration = registration_of(app, "invitee@x.org", world["event"])
    assert registration.invitation_id is None and registration.approval == Approval.PENDING


def test_answered_rsvp_page_links_to_the_form(app, client, login, world):
    from invitations import sending

    ids = add_invitation(app, world["event"], "invitee@x.org", waives=False)
    with app.app_context():
        invitation = db.session.get(Invitation, ids["invitation"])
        token = sending.invitation_token(invitation.token_salt)
        invitation.token_hash = __import__("webapp.security", fromlist=["x"]).hash_token(token)
        db.session.commit()
    login("invitee@x.org")
    html = client.get(f"/rsvp/{token}").get_data(as_text=True)
    assert f"/events/{world['event']}/register" in html


# --- seats at registration -----------------------------------------------------------------


def test_full_mode_puts_the_registration_on_the_waiting_list(app, client, login, world):
    with app.app_context():
        seats.set_capacity(db.session.get(Event, world["event"]), AttendanceMode.IN_PERSON, 1)
        db.session.commit()
    register_as(app, login, client, "fp@x.org", world["event"], category="member_state")
    client.post("/account/logout")
    response = register_as(app, login, client, "observer@x.org", world["event"])
    assert response.status_code == 302
    registration = registration_of(app, "observer@x.org", world["event"])
    assert registration.seat == SeatState.WAITING
    message = outbox(app, "observer@x.org")[0]
    assert "you are number 1 on the waiting list" in message.body_text
    page = client.get(f"/events/{world['event']}/registration").get_data(as_text=True)
    assert "You are number 1 on the waiting list." in page
    # The online mode has its own seats.
    client.post("/account/logout")
    register_as(
        app, login, client, "smrep@x.org", world["event"], category="sector_member", mode="online"
    )
    assert registration_of(app, "smrep@x.org", world["event"]).seat == SeatState.HELD


def test_approved_but_waiting_gets_the_waitlisted_mail(app, client, login, world):
    with app.app_context():
        seats.set_capacity(db.session.get(Event, world["event"]), AttendanceMode.IN_PERSON, 0)
        db.session.commit()
    register_as(app, login, client, "fp@x.org", world["event"], category="member_state")
    registration = registration_of(app, "fp@x.org", world["event"])
    assert registration.approval == Approval.APPROVED and registration.seat == SeatState.WAITING
    assert [m.template for m in outbox(app, "fp@x.org")] == ["registration/waitlisted"]


# --- the window -----------------------------------------------------------------------------


def test_before_the_window_is_403_with_the_dates(app, client, login, world):
    login("observer@x.org")
    with app.app_context():
        first, _last = core.window(db.session.get(Event, world["later"]))
    page = client.get(f"/events/{world['later']}/register")
    assert page.status_code == 403
    html = page.get_data(as_text=True)
    assert "Registration opens on " + first.isoformat() in html
    response = client.post(f"/events/{world['later']}/register", data=form())
    assert response.status_code == 403
    assert count(app, Registration) == 0


def test_after_the_window_is_403(app, client, login, world):
    login("observer@x.org")
    page = client.get(f"/events/{world['closed']}/register")
    assert page.status_code == 403 and "Registration closed on" in page.get_data(as_text=True)
    assert client.post(f"/events/{world['closed']}/register", data=form()).status_code == 403
    assert count(app, Registration) == 0


def test_window_follows_the_timeline_deadlines(app, client, login, world):
    with app.app_context():
        db.session.add(
            Deadline(
                event_id=world["event"],
                key=core.CLOSES_KEY,
                label="Registration closes",
                source="registration",
                kind=DeadlineKind.FIXED,
                fixed_date=date.today() - timedelta(days=1),
            )
        )
        db.session.commit()
    login("observer@x.org")
    assert client.get(f"/events/{world['event']}/register").status_code == 403


def test_service_refuses_outside_the_window(app, ctx, world):
    event = db.session.get(Event, world["event"])
    observer = db.session.get(User, world["users"]["observer@x.org"])
    first, last = core.window(event)
    with pytest.raises(RegistrationError) as caught:
        registering.register(observer, event, today=last + timedelta(days=1), **service_values())
    assert caught.value.status == 403
    with pytest.raises(RegistrationError):
        registering.register(observer, event, today=first - timedelta(days=1), **service_values())
    registration = registering.register(observer, event, today=first, **service_values())
    assert registration.id is not None


# --- duplicates -------------------------------------------------------------------------


def test_second_registration_is_409_with_a_link(app, client, login, world):
    register_as(app, login, client, "observer@x.org", world["event"])
    page = client.get(f"/events/{world['event']}/register")
    assert page.status_code == 409
    html = page.get_data(as_text=True)
    assert "already registered" in html and f"/events/{world['event']}/registration" in html
    again = client.post(f"/events/{world['event']}/register", data=form(last_name="Twice"))
    assert again.status_code == 409
    assert count(app, Registration) == 1
    assert registration_of(app, "observer@x.org", world["event"]).last_name == "Observer"


def test_duplicate_race_is_caught_by_the_unique_constraint(app, ctx, world, monkeypatch):
    event = db.session.get(Event, world["event"])
    observer = db.session.get(User, world["users"]["observer@x.org"])
    registering.register(observer, event, **service_values())
    db.session.commit()
    # As if the other request had not committed yet when this one looked.
    monkeypatch.setattr(registering, "_existing", lambda event, user: None)
    with pytest.raises(RegistrationError) as caught:
        registering.register(observer, event, **service_values(last_name="Racer"))
    assert caught.value.status == 409
    assert caught.value.registration is not None
    db.session.rollback()
    assert db.session.scalar(select(func.count(Registration.id))) == 1
    assert seats.counts(event)[AttendanceMode.IN_PERSON]["taken"] == 1


def test_registering_again_after_cancelling(app, client, login, world):
    with app.app_context():
        seats.set_capacity(db.session.get(Event, world["event"]), AttendanceMode.IN_PERSON, 1)
        db.session.commit()
    register_as(app, login, client, "observer@x.org", world["event"])
    first = registration_of(app, "observer@x.org", world["event"])
    client.post(f"/events/{world['event']}/registration/cancel", data={"confirm": "y"})
    response = client.post(
        f"/events/{world['event']}/register", data=form(mode="online", last_name="Back")
    )
    assert response.status_code == 302
    again = registration_of(app, "observer@x.org", world["event"])
    assert again.id == first.id and again.cancelled_at is None
    assert again.mode == AttendanceMode.ONLINE and again.seat == SeatState.HELD
    assert again.last_name == "Back" and again.approval == Approval.PENDING
    assert count(app, Registration) == 1


# --- delegates registered by focal points ------------------------------------------------


def delegate_values(**changes):
    values = {
        "email": "New.Delegate@x.org",
        "first_name": "Nia",
        "last_name": "Newdelegate",
        "mode": AttendanceMode.IN_PERSON,
    }
    values.update(changes)
    return values


def test_focal_point_registers_a_delegate_approved(app, ctx, world):
    event = db.session.get(Event, world["event"])
    focal = db.session.get(User, world["users"]["fp@x.org"])
    ms = db.session.get(Organization, world["ms"])
    registration = registering.register_delegate(focal, event, ms, **delegate_values())
    db.session.commit()
    assert registration.approval == Approval.APPROVED and not registration.approval_waived
    assert registration.decided_by_id == focal.id and registration.registered_by_id == focal.id
    assert registration.category == RegistrationCategory.MEMBER_STATE
    assert registration.country_iso2 == "KE"  # the member's, when not given
    assert registration.email == "new.delegate@x.org" and registration.user_id is None
    assert registration.seat == SeatState.HELD
    assert [m.template for m in outbox(app, "new.delegate@x.org")] == ["registration/approved_now"]
    with pytest.raises(RegistrationError) as caught:
        registering.register_delegate(focal, event, ms, **delegate_values())
    assert caught.value.status == 409


def test_delegate_registration_is_theirs_once_they_log_in(app, client, login, world, make_user):
    with app.app_context():
        event = db.session.get(Event, world["event"])
        focal = db.session.get(User, world["users"]["fp@x.org"])
        registering.register_delegate(focal, event, world["ms"], **delegate_values())
        db.session.commit()
    make_user("new.delegate@x.org", "Nia Newdelegate")
    login("new.delegate@x.org")
    page = client.get(f"/events/{world['event']}/registration")
    assert page.status_code == 200 and "Newdelegate" in page.get_data(as_text=True)
    assert registration_of(app, "new.delegate@x.org", world["event"]).user_id == user_id(
        app, "new.delegate@x.org"
    )


def test_delegate_of_an_account_is_owned_by_it(app, ctx, world):
    event = db.session.get(Event, world["event"])
    focal = db.session.get(User, world["users"]["fp@x.org"])
    registration = registering.register_delegate(
        focal, event, world["ms"], **delegate_values(email="delegate@x.org")
    )
    assert registration.user_id == world["users"]["delegate@x.org"]
    assert registration.person_id is not None


@pytest.mark.parametrize("who", ["fp-rw@x.org", "delegate@x.org", "smrep@x.org"])
def test_only_that_members_focal_points_register_delegates(app, ctx, world, who):
    event = db.session.get(Event, world["event"])
    actor = db.session.get(User, world["users"][who])
    with pytest.raises(RegistrationError) as caught:
        registering.register_delegate(actor, event, world["ms"], **delegate_values())
    assert caught.value.status == 403


def test_organizer_registers_a_delegate_even_after_the_window(app, ctx, world):
    event = db.session.get(Event, world["closed"])
    organizer = db.session.get(User, world["users"]["org@x.org"])
    focal = db.session.get(User, world["users"]["fp@x.org"])
    with pytest.raises(RegistrationError) as caught:  # not the focal point of this event
        registering.register_delegate(focal, event, world["ms"], **delegate_values())
    assert caught.value.status == 403
    # Organizers are organizers of REG-1 only: make them organizer of REG-3.
    from models import Role, RoleGrant

    db.session.add(RoleGrant(user_id=organizer.id, event_id=event.id, role=Role.ORGANIZER))
    db.session.flush()
    db.session.expire(organizer, ["grants"])
    registration = registering.register_delegate(organizer, event, world["ms"], **delegate_values())
    assert registration.approval == Approval.APPROVED


def test_delegates_are_for_members_only(app, ctx, world):
    event = db.session.get(Event, world["event"])
    organizer = db.session.get(User, world["users"]["org@x.org"])
    with pytest.raises(RegistrationError) as caught:
        registering.register_delegate(organizer, event, world["company"], **delegate_values())
    assert caught.value.status == 400
    with pytest.raises(RegistrationInvalid) as caught:
        registering.register_delegate(
            organizer, event, world["ms"], **delegate_values(email="not an address")
        )
    assert caught.value.field == "email"


# --- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"category": 5}, "category"),
        ({"category": ["observer"]}, "category"),
        ({"category": "king"}, "category"),
        ({"mode": "telepathy"}, "mode"),
        ({"mode": None}, "mode"),
        ({"first_name": 123}, "first_name"),
        ({"last_name": ""}, "last_name"),
        ({"last_name": "x" * 121}, "last_name"),
        ({"organization_name": "y" * 301}, "organization_name"),
        ({"organization_name": ""}, "organization_name"),
        ({"accessibility_needs": "z" * 2001}, "accessibility_needs"),
        ({"head_of_delegation": "maybe"}, "head_of_delegation"),
        ({"listed_publicly": 7}, "listed_publicly"),
        ({"country_iso2": "ZZ"}, "country_iso2"),
        ({"country_iso2": "Kenya and more"}, "country_iso2"),
        ({"country_iso2": None}, "country_iso2"),
        ({"visa_support": True}, "passport_number"),
        (
            {"visa_support": True, "passport_number": "A1234567", "nationality_iso2": "KE"},
            "date_of_birth",
        ),
        (
            {"visa_support": True, "passport_number": "A1234567", "date_of_birth": "1980-02-03"},
            "nationality_iso2",
        ),
        (
            {
                "visa_support": True,
                "passport_number": "<A1>",
                "nationality_iso2": "KE",
                "date_of_birth": "1980-02-03",
            },
            "passport_number",
        ),
        (
            {
                "visa_support": True,
                "passport_number": "A1234567",
                "nationality_iso2": "KE",
                "date_of_birth": "1980-02-31",
            },
            "date_of_birth",
        ),
        (
            {
                "visa_support": True,
                "passport_number": "A1234567",
                "nationality_iso2": "KE",
                "date_of_birth": "2999-01-01",
            },
            "date_of_birth",
        ),
        (
            {
                "visa_support": True,
                "passport_number": "A1234567",
                "nationality_iso2": "KE",
                "date_of_birth": 19800203,
            },
            "date_of_birth",
        ),
    ],
)
def test_service_names_the_wrong_field(app, ctx, world, changes, field):
    event = db.session.get(Event, world["event"])
    observer = db.session.get(User, world["users"]["observer@x.org"])
    with pytest.raises(RegistrationInvalid) as caught:
        registering.register(observer, event, **service_values(**changes))
    assert field in caught.value.errors
    assert caught.value.status == 400
    assert db.session.scalar(select(func.count(Registration.id))) == 0


def test_service_refuses_unknown_fields(app, ctx, world):
    event = db.session.get(Event, world["event"])
    observer = db.session.get(User, world["users"]["observer@x.org"])
    with pytest.raises(TypeError):
        registering.register(observer, event, **service_values(approval="approved"))


def test_visa_details_are_kept_only_with_a_request(app, ctx, world):
    event = db.session.get(Event, world["event"])
    observer = db.session.get(User, world["users"]["observer@x.org"])
    registration = registering.register(
        observer,
        event,
        **service_values(
            visa_support=False,
            passport_number="A1234567",
            nationality_iso2="KE",
            date_of_birth="1980-02-03",
        ),
    )
    assert registration.passport_number == "" and registration.nationality_iso2 is None
    assert registration.date_of_birth is None


def test_visa_request_keeps_the_passport_details(app, client, login, world):
    response = register_as(
        app,
        login,
        client,
        "observer@x.org",
        world["event"],
        visa_support="y",
        passport_number="ab 123-456",
        nationality_iso2="KE",
        date_of_birth="1980-02-03",
    )
    assert response.status_code == 302
    registration = registration_of(app, "observer@x.org", world["event"])
    assert registration.visa_support and registration.passport_number == "AB 123-456"
    assert registration.nationality_iso2 == "KE" and registration.date_of_birth == "1980-02-03"


def test_missing_visa_fields_are_shown_beside_them_and_nothing_is_lost(app, client, login, world):
    response = register_as(
        app,
        login,
        client,
        "observer@x.org",
        world["event"],
        visa_support="y",
        function="Chief Scientist",
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="passport_number-error"' in html
    # The service stops at the first broken rule group only when it must: all three are named.
    assert 'id="nationality_iso2-error"' in html and 'id="date_of_birth-error"' in html
    assert 'value="Chief Scientist"' in html
    assert count(app, Registration) == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"last_name": "x" * 5000}, "last_name"),
        ({"accessibility_needs": "x" * 100_000}, "accessibility_needs"),
        ({"country_iso2": "ZZ"}, "country_iso2"),
        ({"category": "king"}, "category"),
        ({"mode": ""}, "mode"),
        ({"date_of_birth": "yesterday", "visa_support": "y"}, "date_of_birth"),
    ],
)
def test_bad_form_input_is_400_beside_the_field(app, client, login, world, changes, field):
    response = register_as(app, login, client, "observer@x.org", world["event"], **changes)
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert count(app, Registration) == 0


def test_script_in_names_is_escaped(app, client, login, world):
    register_as(app, login, client, "observer@x.org", world["event"], last_name=SCRIPT)
    html = client.get(f"/events/{world['event']}/registration").get_data(as_text=True)
    assert SCRIPT not in html and "&lt;script&gt;" in html


def test_nul_characters_are_dropped(app, client, login, world):
    register_as(app, login, client, "observer@x.org", world["event"], function="Chief\x00Editor")
    assert registration_of(app, "observer@x.org", world["event"]).function == "ChiefEditor"


# --- whose registration ----------------------------------------------------------------


def test_nobody_sees_another_users_registration(app, client, login, world):
    register_as(app, login, client, "observer@x.org", world["event"], last_name="Secretname")
    client.post("/account/logout")
    login("startup@x.org")
    page = client.get(f"/events/{world['event']}/registration")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "You are not registered for this event." in html and "Secretname" not in html
    observer_registration = registration_of(app, "observer@x.org", world["event"])
    # Ids in the query string or form mean nothing: the pages are the user's own.
    for path, method in (
        (f"registration?registration_id={observer_registration.id}", "get"),
        ("registration/edit", "get"),
        ("registration/cancel", "post"),
        ("registration/claim", "post"),
        ("registration/rejoin", "post"),
    ):
        response = getattr(client, method)(
            f"/events/{world['event']}/{path}",
            data={"confirm": "y", "registration_id": observer_registration.id},
        )
        assert "Secretname" not in response.get_data(as_text=True)
        assert response.status_code in (200, 302)
    still = registration_of(app, "observer@x.org", world["event"])
    assert still.cancelled_at is None and still.last_name == "Secretname"


def test_registration_of_another_event_is_not_shown(app, client, login, world):
    register_as(app, login, client, "observer@x.org", world["event"])
    page = client.get(f"/events/{world['later']}/registration")
    assert "You are not registered for this event." in page.get_data(as_text=True)


def test_service_refuses_changes_to_someone_elses_registration(app, ctx, world):
    event = db.session.get(Event, world["event"])
    observer = db.session.get(User, world["users"]["observer@x.org"])
    other = db.session.get(User, world["users"]["startup@x.org"])
    registration = registering.register(observer, event, **service_values())
    for call in (
        lambda: registering.edit(other, registration, **service_values(last_name="Hijack")),
        lambda: registering.cancel(other, registration),
        lambda: registering.claim(other, registration),
        lambda: registering.rejoin(other, registration),
    ):
        with pytest.raises(RegistrationError) as caught:
            call()
        assert caught.value.status == 403
    assert registration.last_name == "Observer" and registration.cancelled_at is None


def test_every_registration_mail_is_in_the_participants_language(app, ctx, world, make_user):
    make_user("zh@x.org", "Zhang Wei", locale="zh")
    event = db.session.get(Event, world["event"])
    user = db.session.scalar(select(User).where(User.email == "zh@x.org"))
    registering.register(user, event, **service_values())
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_email == "zh@x.org"))
    assert message.locale == "zh"


def test_wave_form_sets_the_approval_waiver(app, client, login, world):
    from tests.integration.test_invitation_waves import form as wave_form

    login("org@x.org")
    page = client.get(f"/events/{world['event']}/waves/new").get_data(as_text=True)
    assert 'name="waives_approval"' in page
    response = client.post(
        f"/events/{world['event']}/waves/new",
        data=wave_form(send_by_days="90", rsvp_by_days="60", reminder_days="", waives_approval="y"),
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 302, [line for line in text.splitlines() if "error" in line]
    with app.app_context():
        wave = db.session.scalar(select(Wave))
        assert wave.waives_approval is True
        wave_id = wave.id
    edit = client.get(f"/events/{world['event']}/waves/{wave_id}/edit").get_data(as_text=True)
    [tag] = re.findall(r"<input[^>]*name=\"waives_approval\"[^>]*>", edit)
    assert "checked" in tag
    client.post(
        f"/events/{world['event']}/waves/{wave_id}/edit",
        data=wave_form(send_by_days="90", rsvp_by_days="60", reminder_days=""),
    )
    with app.app_context():
        assert db.session.get(Wave, wave_id).waives_approval is False
