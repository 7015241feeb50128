"""Accreditation through the client: the queue per role (focal point of this member, of
another member, organizer, participant, anonymous), single and bulk decisions with mail,
audit and seats, refusals (outside the member, missing reason, double decision, foreign
ids in a bulk action), and "register a delegate"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import (
    Approval,
    AttendanceMode,
    AuditEntry,
    Event,
    MembershipCategory,
    Organization,
    Person,
    Registration,
    RegistrationCategory,
    SeatState,
    User,
    utcnow,
)
from registration import seats
from tests.conftest import outbox
from webapp.extensions import db


@pytest.fixture
def world(app, make_user, make_event):
    """An event open for registration, another event, two Member States with a focal
    point each, a Sector Member without one, and the people around them."""
    event_id = make_event("ACC-1", days=100)
    other_event_id = make_event("ACC-2", days=100)
    with app.app_context():
        a = Organization(
            name="Atlantis", membership=MembershipCategory.MEMBER_STATE, country_iso2="FR"
        )
        b = Organization(
            name="Borduria", membership=MembershipCategory.MEMBER_STATE, country_iso2="DE"
        )
        c = Organization(
            name="Cable Co", membership=MembershipCategory.SECTOR_MEMBER, country_iso2="KE"
        )
        db.session.add_all([a, b, c])
        db.session.commit()
        orgs = {"a": a.id, "b": b.id, "c": c.id}
    ids = {
        "organizer": make_user("org@x.org", "Olga Organizer", organizer_of=event_id),
        "other_organizer": make_user("org2@x.org", "Oscar Other", organizer_of=other_event_id),
        "fp_a": make_user("fpa@x.org", "Fiona Focal", focal_point_of=(event_id, orgs["a"])),
        "fp_b": make_user("fpb@x.org", "Boris Focal", focal_point_of=(event_id, orgs["b"])),
        "participant": make_user("pat@x.org", "Pat Participant", locale="fr"),
        "outsider": make_user("out@x.org", "Otto Outsider"),
    }
    return {"event": event_id, "other_event": other_event_id, **orgs, **ids}


def add_registration(
    app,
    event_id,
    last_name,
    *,
    org=None,
    user_id=None,
    approval=Approval.PENDING,
    mode=AttendanceMode.IN_PERSON,
    category=RegistrationCategory.MEMBER_STATE,
    minutes_ago=0,
    email=None,
    **fields,
):
    """A registration taking a seat (or joining the waiting list) as registering does."""
    with app.app_context():
        registration = Registration(
            event_id=event_id,
            user_id=user_id,
            organization_id=org,
            category=category,
            mode=mode,
            first_name=fields.pop("first_name", "Ann"),
            last_name=last_name,
            email=email or f"{last_name.lower()}@example.org",
            organization_name=fields.pop("organization_name", ""),
            approval=approval,
            created_at=utcnow() - timedelta(minutes=minutes_ago),
            **fields,
        )
        db.session.add(registration)
        db.session.flush()
        seats.assign(registration)
        db.session.commit()
        return registration.id


def stored(app, registration_id) -> Registration:
    with app.app_context():
        registration = db.session.get(Registration, registration_id)
        db.session.expunge(registration)
        return registration


def audits(app, action) -> list[AuditEntry]:
    with app.app_context():
        entries = list(
            db.session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )
        for e in entries:
            db.session.expunge(e)
        return entries


def queue_url(world, **args) -> str:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/events/{world['event']}/accreditation" + (f"?{query}" if query else "")


def decide_url(world, registration_id, event=None) -> str:
    return f"/events/{event or world['event']}/accreditation/{registration_id}/decide"


# --------------------------------------------------------------------------- the queue


def test_focal_point_sees_their_members_requests_pending_first(app, client, login, world):
    decided = add_registration(
        app, world["event"], "Decided", org=world["a"], approval=Approval.APPROVED, minutes_ago=90
    )
    newer = add_registration(app, world["event"], "Newer", org=world["a"], minutes_ago=5)
    older = add_registration(app, world["event"], "Older", org=world["a"], minutes_ago=50)
    add_registration(app, world["event"], "Borduran", org=world["b"])
    add_registration(
        app, world["event"], "Cabler", org=world["c"], category=RegistrationCategory.SECTOR_MEMBER
    )
    add_registration(app, world["other_event"], "Elsewhere", org=world["a"])
    login("fpa@x.org")
    response = client.get(queue_url(world))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.index("Older") < body.index("Newer") < body.index("Decided")
    assert "Borduran" not in body and "Cabler" not in body and "Elsewhere" not in body
    assert 'data-approval="pending">Awaiting approval: 2' in body
    assert 'data-approval="approved">Approved: 1' in body
    assert f'name="ids" value="{older}"' in body and f'name="ids" value="{decided}"' not in body
    assert f"/accreditation/{newer}/decide" in body
    # Filters: approval and mode; another member's id is ignored with a notice.
    approved = client.get(queue_url(world, approval="approved")).get_data(as_text=True)
    assert "Decided" in approved and "Older" not in approved
    online = client.get(queue_url(world, mode="online")).get_data(as_text=True)
    assert "No requests match." in online
    foreign = client.get(queue_url(world, member=world["b"]))
    assert foreign.status_code == 200
    text = foreign.get_data(as_text=True)
    assert "ignored" in text and "Borduran" not in text and "Older" in text
    bad = client.get(
        queue_url(world, approval="bogus", mode="x", member="²", page="99999999999999999999")
    )
    assert bad.status_code == 200 and "Older" in bad.get_data(as_text=True)


def test_organizers_see_what_waits_for_them_and_filter_by_member(app, client, login, world):
    add_registration(app, world["event"], "Atlantean", org=world["a"])
    add_registration(
        app, world["event"], "Cabler", org=world["c"], category=RegistrationCategory.SECTOR_MEMBER
    )
    add_registration(
        app,
        world["event"],
        "Journalist",
        category=RegistrationCategory.MEDIA,
        organization_name="Daily",
    )
    login("org@x.org")
    body = client.get(queue_url(world)).get_data(as_text=True)
    assert "Cabler" in body and "Journalist" in body and "Atlantean" not in body
    member = client.get(queue_url(world, member=world["a"])).get_data(as_text=True)
    assert "Atlantean" in member and "Cabler" not in member
    every = client.get(queue_url(world, scope="all")).get_data(as_text=True)
    assert all(n in every for n in ("Atlantean", "Cabler", "Journalist"))


def test_queue_refuses_participants_other_organizers_and_anonymous(app, client, login, world):
    rid = add_registration(app, world["event"], "Atlantean", org=world["a"])
    assert client.get(queue_url(world)).status_code == 302  # to the login page
    bulk = {"decision": "approve", "ids": [str(rid)]}
    assert client.post(f"/events/{world['event']}/accreditation/bulk", data=bulk).status_code == 302
    assert client.get(f"/events/{world['event']}/accreditation/delegates/new").status_code == 302
    login("fpb@x.org")
    body = client.get(queue_url(world)).get_data(as_text=True)
    assert "Atlantean" not in body and "No requests match." in body
    bulk_response = client.post(f"/events/{world['event']}/accreditation/bulk", data=bulk)
    assert bulk_response.status_code == 404
    client.post("/account/logout")
    login("pat@x.org")
    assert client.get(queue_url(world)).status_code == 403
    assert client.post(f"/events/{world['event']}/accreditation/bulk", data=bulk).status_code == 403
    assert stored(app, rid).approval == Approval.PENDING
    client.post("/account/logout")
    login("org2@x.org")
    assert client.get(queue_url(world)).status_code == 403
    assert client.get("/events/999999/accreditation").status_code == 404


# ------------------------------------------------------------------------- decisions


def test_focal_point_approves_mail_in_the_participants_language_and_audit(
    app, client, login, world
):
    rid = add_registration(
        app,
        world["event"],
        "Participant",
        org=world["a"],
        user_id=world["participant"],
        email="pat@x.org",
    )
    login("fpa@x.org")
    response = client.post(decide_url(world, rid) + "?mode=in_person", data={"decision": "approve"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(queue_url(world, mode="in_person"))
    registration = stored(app, rid)
    assert registration.approval == Approval.APPROVED
    assert registration.decided_by_id == world["fp_a"] and registration.decided_at is not None
    assert registration.seat == SeatState.HELD
    message = outbox(app, "pat@x.org")[-1]
    assert message.template == "registration/decision" and message.locale == "fr"
    assert f"/events/{world['event']}/registration" in message.body_text
    entry = audits(app, "registration.approved")[-1]
    assert entry.actor_id == world["fp_a"] and entry.object_id == rid
    assert entry.data["override"] is False


def test_reject_needs_a_reason_and_releases_the_seat_to_the_next_waiting(app, client, login, world):
    with app.app_context():
        seats.set_capacity(db.session.get(Event, world["event"]), AttendanceMode.IN_PERSON, 1)
        db.session.commit()
    holder = add_registration(app, world["event"], "Holder", org=world["a"])
    waiting = add_registration(app, world["event"], "Waiter", org=world["b"], email="waiter@x.org")
    assert stored(app, waiting).seat == SeatState.WAITING
    login("fpa@x.org")
    response = client.post(decide_url(world, holder), data={"decision": "reject", "reason": "  "})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Give a reason for the rejection" in body and 'aria-invalid="true"' in body
    assert stored(app, holder).approval == Approval.PENDING
    assert stored(app, holder).seat == SeatState.HELD
    long = client.post(decide_url(world, holder), data={"decision": "reject", "reason": "x" * 2001})
    assert long.status_code == 400
    response = client.post(
        decide_url(world, holder), data={"decision": "reject", "reason": "Not on our list"}
    )
    assert response.status_code == 302
    rejected = stored(app, holder)
    assert rejected.approval == Approval.REJECTED and rejected.seat == SeatState.NONE
    assert rejected.decision_reason == "Not on our list"
    assert stored(app, waiting).seat == SeatState.OFFERED
    assert outbox(app, "waiter@x.org")[-1].template == "registration/offer"
    mail = outbox(app, "holder@example.org")[-1]
    assert mail.template == "registration/decision" and "Not on our list" in mail.body_text


def test_focal_point_cannot_decide_outside_their_member(app, client, login, world):
    theirs = add_registration(app, world["event"], "Borduran", org=world["b"])
    elsewhere = add_registration(app, world["other_event"], "Elsewhere", org=world["a"])
    # The focal point's own registration for another member: seen, but not theirs to decide.
    own = add_registration(app, world["event"], "Focal", org=world["b"], user_id=world["fp_a"])
    login("fpa@x.org")
    assert client.post(decide_url(world, theirs), data={"decision": "approve"}).status_code == 404
    assert (
        client.post(decide_url(world, elsewhere), data={"decision": "approve"}).status_code == 404
    )
    assert (
        client.post(
            decide_url(world, elsewhere, world["other_event"]), data={"decision": "approve"}
        ).status_code
        == 403
    )
    assert client.post(decide_url(world, own), data={"decision": "approve"}).status_code == 403
    assert client.post(decide_url(world, 987654), data={"decision": "approve"}).status_code == 404
    for rid in (theirs, elsewhere, own):
        assert stored(app, rid).approval == Approval.PENDING
    assert not audits(app, "registration.approved")


def test_participant_and_anonymous_cannot_decide(app, client, login, world):
    rid = add_registration(
        app, world["event"], "Participant", org=world["a"], user_id=world["participant"]
    )
    assert client.post(decide_url(world, rid), data={"decision": "approve"}).status_code == 302
    login("pat@x.org")
    assert client.post(decide_url(world, rid), data={"decision": "approve"}).status_code == 403
    assert stored(app, rid).approval == Approval.PENDING


def test_bad_decision_values_are_400(app, client, login, world):
    rid = add_registration(app, world["event"], "Atlantean", org=world["a"])
    login("fpa@x.org")
    assert client.post(decide_url(world, rid), data={"decision": "maybe"}).status_code == 400
    assert client.post(decide_url(world, rid), data={}).status_code == 400
    assert stored(app, rid).approval == Approval.PENDING


def test_second_decision_is_a_conflict_unless_an_organizer_overrides(app, client, login, world):
    rid = add_registration(app, world["event"], "Atlantean", org=world["a"])
    login("fpa@x.org")
    assert client.post(decide_url(world, rid), data={"decision": "approve"}).status_code == 302
    again = client.post(decide_url(world, rid), data={"decision": "reject", "reason": "Oops"})
    assert again.status_code == 409
    assert "already approved" in again.get_data(as_text=True)
    assert stored(app, rid).approval == Approval.APPROVED
    # The focal point cannot override on the detail page either.
    detail = f"/events/{world['event']}/registrations/{rid}"
    refused = client.post(detail, data={"action": "reject", "reason": "Oops"})
    assert refused.status_code == 409
    client.post("/account/logout")
    login("org@x.org")
    assert (
        client.post(decide_url(world, rid), data={"decision": "reject", "reason": "x"}).status_code
        == 409
    )
    response = client.post(detail, data={"action": "reject", "reason": "Credentials withdrawn"})
    assert response.status_code == 302
    registration = stored(app, rid)
    assert registration.approval == Approval.REJECTED and registration.seat == SeatState.NONE
    assert registration.decided_by_id == world["organizer"]
    mail = outbox(app, "atlantean@example.org")[-1]
    assert mail.template == "registration/override" and "Credentials withdrawn" in mail.body_text
    assert audits(app, "registration.rejected")[-1].data["override"] is True


# --------------------------------------------------------------------------------- bulk


def bulk_url(world) -> str:
    return f"/events/{world['event']}/accreditation/bulk"


def test_bulk_approve_and_reject(app, client, login, world):
    first = add_registration(app, world["event"], "First", org=world["a"])
    second = add_registration(app, world["event"], "Second", org=world["a"])
    third = add_registration(app, world["event"], "Third", org=world["a"])
    login("fpa@x.org")
    response = client.post(
        bulk_url(world), data={"decision": "approve", "ids": [str(first), str(second), str(first)]}
    )
    assert response.status_code == 302
    assert stored(app, first).approval == stored(app, second).approval == Approval.APPROVED
    assert stored(app, third).approval == Approval.PENDING
    assert len(audits(app, "registration.approved")) == 2
    no_reason = client.post(bulk_url(world), data={"decision": "reject", "ids": [str(third)]})
    assert no_reason.status_code == 400
    assert "Give a reason" in no_reason.get_data(as_text=True)
    done = client.post(
        bulk_url(world), data={"decision": "reject", "ids": [str(third)], "reason": "Late"}
    )
    assert done.status_code == 302
    assert stored(app, third).approval == Approval.REJECTED


def test_bulk_with_foreign_or_decided_ids_changes_nothing(app, client, login, world):
    mine = add_registration(app, world["event"], "Mine", org=world["a"])
    decided = add_registration(
        app, world["event"], "Done", org=world["a"], approval=Approval.APPROVED
    )
    foreign = add_registration(app, world["event"], "Foreign", org=world["b"])
    elsewhere = add_registration(app, world["other_event"], "Elsewhere", org=world["a"])
    own = add_registration(app, world["event"], "Focal", org=world["b"], user_id=world["fp_a"])
    login("fpa@x.org")
    cases = [
        ([mine, foreign], 404),
        ([mine, elsewhere], 404),
        ([mine, own], 403),
        ([mine, decided], 409),
        ([mine, "abc"], 400),
        ([mine, "²"], 400),
        ([mine, "-1"], 400),
        ([], 400),
        (list(range(1, 502)), 400),
    ]
    for ids, status in cases:
        response = client.post(
            bulk_url(world), data={"decision": "approve", "ids": [str(i) for i in ids]}
        )
        assert response.status_code == status, (ids[:3], response.status_code)
    assert "Done" in client.post(
        bulk_url(world), data={"decision": "approve", "ids": [str(mine), str(decided)]}
    ).get_data(as_text=True)
    for rid in (mine, foreign, elsewhere, own):
        assert stored(app, rid).approval == Approval.PENDING
    assert not audits(app, "registration.approved")
    assert not outbox(app, "mine@example.org")


# ------------------------------------------------------------------ register a delegate


def delegate_url(world) -> str:
    return f"/events/{world['event']}/accreditation/delegates/new"


def delegate_form(world, **changes):
    data = {
        "member": str(world["a"]),
        "first_name": "Dora",
        "last_name": "Delegate",
        "email": "dora@atlantis.example",
        "function": "Counsellor",
        "category": "member_state",
        "mode": "in_person",
        "country_iso2": "",
        "delegation": "Atlantis",
    }
    data.update(changes)
    return data


def test_focal_point_registers_a_delegate_approved_at_once(app, client, login, world):
    login("fpa@x.org")
    page = client.get(delegate_url(world))
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Atlantis" in body and "Borduria" not in body
    # Consent to the public list is the delegate's own: a focal point cannot give it.
    response = client.post(
        delegate_url(world), data={**delegate_form(world), "listed_publicly": "y"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        registration = db.session.scalar(
            select(Registration).where(Registration.email == "dora@atlantis.example")
        )
        assert registration.listed_publicly is False
        assert registration.approval == Approval.APPROVED
        assert registration.organization_id == world["a"]
        assert registration.user_id is None
        assert registration.registered_by_id == world["fp_a"]
        assert registration.country_iso2 == "FR"
        assert registration.seat == SeatState.HELD
    assert outbox(app, "dora@atlantis.example")
    again = client.post(delegate_url(world), data=delegate_form(world))
    assert again.status_code == 409
    assert "already registered" in again.get_data(as_text=True)


def test_delegate_with_an_account_is_linked(app, client, login, world):
    login("fpa@x.org")
    response = client.post(delegate_url(world), data=delegate_form(world, email="OUT@x.org"))
    assert response.status_code == 302
    with app.app_context():
        registration = db.session.scalar(
            select(Registration).where(Registration.email == "out@x.org")
        )
        assert registration.user_id == world["outsider"]


def test_delegate_refusals(app, client, login, world):
    login("fpa@x.org")
    foreign = client.post(delegate_url(world), data=delegate_form(world, member=str(world["b"])))
    assert foreign.status_code == 400  # not one of the choices offered
    missing = client.post(delegate_url(world), data=delegate_form(world, last_name="", email="bad"))
    assert missing.status_code == 400
    body = missing.get_data(as_text=True)
    assert 'id="last_name-error"' in body and 'id="email-error"' in body
    assert 'value="Dora"' in body  # nothing typed is lost
    with app.app_context():
        assert db.session.scalar(select(func.count(Registration.id))) == 0
    client.post("/account/logout")
    login("pat@x.org")
    assert client.get(delegate_url(world)).status_code == 403
    assert client.post(delegate_url(world), data=delegate_form(world)).status_code == 403


def test_mail_to_a_delegate_follows_one_language_rule(app, client, login, world, monkeypatch):
    """A delegate without an account is written to in the directory person's language,
    by registering (received) and accreditation (override) alike; labels in the mail are
    translated for the recipient, not in the focal point's language."""
    from flask_babel.speaklater import LazyString

    from registration import registering

    with app.app_context():
        db.session.add(
            Person(
                first_name="Dora",
                last_name="Delegate",
                email="dora@atlantis.example",
                organization_id=world["a"],
                languages=["es", "fr"],
            )
        )
        db.session.commit()
    labels = []
    send = registering.mail.send

    def spy(*args, **context):
        labels.append(context.get("category"))
        return send(*args, **context)

    monkeypatch.setattr(registering.mail, "send", spy)
    login("fpa@x.org")
    assert client.post(delegate_url(world), data=delegate_form(world)).status_code == 302
    assert labels and all(isinstance(label, LazyString) for label in labels)
    client.post("/account/logout")
    login("org@x.org")
    with app.app_context():
        delegate = db.session.scalar(select(Registration.id))
    response = client.post(
        f"/events/{world['event']}/registrations/{delegate}",
        data={"action": "reject", "reason": "Not in the delegation"},
    )
    assert response.status_code == 302
    messages = outbox(app, "dora@atlantis.example")
    assert [m.template for m in messages] == [
        "registration/approved_now",
        "registration/override",
    ]
    assert {m.locale for m in messages} == {"es"}


def test_reasons_the_rules_give_are_shown_translated(app, client, login, world, monkeypatch):
    """ "Registered by the focal point" is stored in English; the pages translate it."""
    from registration import core

    monkeypatch.setitem(
        core.REASON_LABELS, core.REASON_REGISTERED_BY_FOCAL_POINT, "Inscrit par le point focal"
    )
    login("fpa@x.org")
    assert client.post(delegate_url(world), data=delegate_form(world)).status_code == 302
    with app.app_context():
        delegate = db.session.scalar(select(Registration))
        assert delegate.decision_reason == core.REASON_REGISTERED_BY_FOCAL_POINT
    for url in (queue_url(world), f"/events/{world['event']}/registrations/{delegate.id}"):
        html = client.get(url).get_data(as_text=True)
        assert "Inscrit par le point focal" in html, url
        assert core.REASON_REGISTERED_BY_FOCAL_POINT not in html, url


def test_organizer_registers_a_delegate_for_any_member(app, client, login, world):
    login("org@x.org")
    body = client.get(delegate_url(world)).get_data(as_text=True)
    assert "Atlantis" in body and "Borduria" in body and "Cable Co" in body
    response = client.post(
        delegate_url(world),
        data=delegate_form(world, member=str(world["c"]), category="sector_member"),
    )
    assert response.status_code == 302
    with app.app_context():
        registration = db.session.scalar(select(Registration))
        assert registration.organization_id == world["c"]
        assert registration.approval == Approval.APPROVED
        assert db.session.get(User, world["organizer"]).email == "org@x.org"
