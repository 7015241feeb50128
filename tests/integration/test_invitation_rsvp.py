"""RSVP through the HTTP client: accept, decline, delegate, and every kind of bad link."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import (
    AuditEntry,
    EntryStatus,
    Event,
    Invitation,
    Person,
    RsvpAnswer,
    TargetEntry,
    User,
    Wave,
)
from tests.conftest import link_in, outbox
from webapp.extensions import db

LETTER = {"subject": "Invitation to {event}", "body": "Dear {name},\n\nAnswer here: {rsvp_link}"}


def invite(
    app,
    event_id: int,
    email: str = "guest@x.org",
    *,
    first_name: str = "Grace",
    last_name: str = "Guest",
    group: str = "MS_MIN",
    wave_name: str = "Formal invitations",
    send_by: int = -200,
    rsvp_by: int = -100,
    languages: tuple[str, ...] = ("en",),
    letters: dict | None = None,
    owner_id: int | None = None,
) -> dict:
    """A person on the event's list, invited in a wave (created if new) through the
    sending service, so the letter is in the outbox. Returns ids and the raw token."""
    from invitations import sending, waves

    with app.test_request_context():
        event = db.session.get(Event, event_id)
        person = db.session.scalar(select(Person).where(Person.email == email))
        if person is None:
            person = Person(
                first_name=first_name,
                last_name=last_name,
                email=email,
                function="Minister",
                languages=list(languages),
            )
            db.session.add(person)
            db.session.flush()
        entry = db.session.scalar(
            select(TargetEntry).where(
                TargetEntry.event_id == event_id, TargetEntry.person_id == person.id
            )
        )
        if entry is None:
            entry = TargetEntry(
                event_id=event_id,
                person=person,
                constituent_group=group,
                owner_id=owner_id,
            )
            db.session.add(entry)
            db.session.flush()
        wave = db.session.scalar(
            select(Wave).where(Wave.event_id == event_id, Wave.name == wave_name)
        )
        if wave is None:
            wave = waves.create_wave(
                None,
                event,
                name=wave_name,
                audience={"groups": [group]},
                letters=letters or {"en": LETTER},
                send_by_days=send_by,
                rsvp_by_days=rsvp_by,
            )
        invitation = sending.invite_one(wave, entry)
        token = sending.invitation_token(invitation.token_salt)
        db.session.commit()
        return {
            "token": token,
            "invitation_id": invitation.id,
            "entry_id": entry.id,
            "wave_id": wave.id,
            "person_id": person.id,
        }


def load(app, model, id_):
    with app.app_context():
        obj = db.session.get(model, id_)
        if obj is not None:
            db.session.expunge(obj)
        return obj


@pytest.fixture
def event_id(make_event, make_user):
    """An event opening in 300 days with an organizer (the contact on error pages)."""
    eid = make_event()
    make_user("organizer@x.org", "Olivia Organizer", organizer_of=eid)
    return eid


@pytest.fixture
def invited(app, event_id):
    """One invitee with a pending invitation."""
    return invite(app, event_id)


def test_letter_link_opens_the_page(app, client, invited):
    [letter] = outbox(app, "guest@x.org")
    response = client.get(link_in(letter))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Test Conference" in body and "Grace Guest" in body
    assert "Please answer by" in body
    for button in ("Accept the invitation", "Decline the invitation", "Name my delegate"):
        assert button in body


def test_accept_records_answer_moves_entry_and_confirms(app, client, invited):
    token = invited["token"]
    response = client.post(f"/rsvp/{token}/accept")
    assert response.status_code == 302
    invitation = load(app, Invitation, invited["invitation_id"])
    assert invitation.answer == RsvpAnswer.ACCEPTED and invitation.answered_at is not None
    assert load(app, TargetEntry, invited["entry_id"]).status == EntryStatus.ACCEPTED
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEntry.action)))
    assert "invitation.accepted" in actions
    confirmation = outbox(app, "guest@x.org")[-1]
    assert confirmation.template == "invitations/rsvp_confirmation"
    assert "accept" in confirmation.subject.lower()
    assert "organizer@x.org" in confirmation.body_text

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you: your acceptance is recorded" in page
    assert "you accepted this invitation" in page
    assert "Create my Convene account" in page


def test_account_after_accepting_is_verified_linked_and_logged_in(app, client, invited):
    token = invited["token"]
    client.post(f"/rsvp/{token}/accept")
    assert client.get(f"/rsvp/{token}/account").status_code == 200
    response = client.post(
        f"/rsvp/{token}/account",
        data={"password": "a-long-password", "confirm": "a-long-password"},
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "guest@x.org"))
        assert user is not None and user.email_verified_at is not None
        assert user.name == "Grace Guest"
        assert db.session.get(Person, invited["person_id"]).user_id == user.id
    assert client.get("/account/").status_code == 200  # logged in


def test_account_page_before_accepting_goes_back(app, client, invited):
    response = client.get(f"/rsvp/{invited['token']}/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/rsvp/{invited['token']}")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"password": "short", "confirm": "short"}, "Field must be between 10 and 200"),
        ({"password": "a-long-password", "confirm": "another-one!"}, "The passwords differ."),
        ({"password": "aaaaaaaaaaaa", "confirm": "aaaaaaaaaaaa"}, "Use more different characters."),
        ({}, "This field is required."),
    ],
)
def test_account_bad_passwords(app, client, invited, data, message):
    client.post(f"/rsvp/{invited['token']}/accept")
    response = client.post(f"/rsvp/{invited['token']}/account", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "guest@x.org")) is None


def test_account_exists_says_so_and_links_to_login(app, client, invited, make_user):
    make_user("guest@x.org", "Grace Guest")
    client.post(f"/rsvp/{invited['token']}/accept")
    page = client.get(f"/rsvp/{invited['token']}").get_data(as_text=True)
    assert "already exists" in page and "/account/login" in page
    response = client.post(
        f"/rsvp/{invited['token']}/account",
        data={"password": "a-long-password", "confirm": "a-long-password"},
    )
    assert response.status_code == 409
    assert "/account/login" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 2  # organizer + guest


def test_decline_with_reason(app, client, invited):
    response = client.post(
        f"/rsvp/{invited['token']}/decline", data={"reason": "  At a summit that week. "}
    )
    assert response.status_code == 302
    invitation = load(app, Invitation, invited["invitation_id"])
    assert invitation.answer == RsvpAnswer.DECLINED
    assert invitation.decline_reason == "At a summit that week."
    assert load(app, TargetEntry, invited["entry_id"]).status == EntryStatus.DECLINED
    confirmation = outbox(app, "guest@x.org")[-1]
    assert "At a summit that week." in confirmation.body_text
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "you declined this invitation" in page and "At a summit that week." in page
    assert "Create my Convene account" not in page


def test_decline_without_reason(app, client, invited):
    assert client.post(f"/rsvp/{invited['token']}/decline").status_code == 302
    assert load(app, Invitation, invited["invitation_id"]).answer == RsvpAnswer.DECLINED


def test_decline_reason_too_long_keeps_text(app, client, invited):
    reason = "x" * 2001
    response = client.post(f"/rsvp/{invited['token']}/decline", data={"reason": reason})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Field cannot be longer than 2000 characters." in body
    assert reason in body
    assert load(app, Invitation, invited["invitation_id"]).answer == RsvpAnswer.PENDING


def test_delegate_invites_a_new_person(app, client, invited):
    response = client.post(
        f"/rsvp/{invited['token']}/delegate",
        data={
            "name": "Dr Ada Deputy",
            "email": "Ada.Deputy@X.org",
            "function": "Deputy Minister",
            "organization": "Ministry of ICT",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    original = load(app, Invitation, invited["invitation_id"])
    assert original.answer == RsvpAnswer.DELEGATED
    assert load(app, TargetEntry, invited["entry_id"]).status == EntryStatus.DECLINED
    with app.app_context():
        person = db.session.scalar(select(Person).where(Person.email == "ada.deputy@x.org"))
        assert person.last_name == "Deputy" and person.function == "Deputy Minister"
        assert person.organization.name == "Ministry of ICT"
        entry = db.session.scalar(select(TargetEntry).where(TargetEntry.person_id == person.id))
        assert entry.constituent_group == "MS_MIN" and entry.status == EntryStatus.INVITED
        delegate = db.session.scalar(select(Invitation).where(Invitation.entry_id == entry.id))
        assert delegate.delegate_of_id == invited["invitation_id"]
        assert delegate.wave_id == invited["wave_id"]
        audit = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "invitation.delegated")
        )
        assert "delegated to" in audit.summary and "ada.deputy@x.org" in audit.summary
    [letter] = outbox(app, "ada.deputy@x.org")
    assert "/rsvp/" in letter.body_text
    assert outbox(app, "guest@x.org")[-1].template == "invitations/delegated"
    # The delegate's own link works.
    assert client.get(link_in(letter)).status_code == 200
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "you named a delegate" in page and "ada.deputy@x.org" in page


def test_delegate_to_a_person_already_in_the_directory(app, client, invited, event_id):
    with app.app_context():
        db.session.add(Person(first_name="Known", last_name="Person", email="known@x.org"))
        db.session.commit()
    response = client.post(
        f"/rsvp/{invited['token']}/delegate",
        data={"name": "Known Person", "email": "known@x.org", "function": ""},
    )
    assert response.status_code == 302
    with app.app_context():
        assert (
            db.session.scalar(select(func.count(Person.id)).where(Person.email == "known@x.org"))
            == 1
        )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "Me Again", "email": "GUEST@x.org"}, "you cannot delegate to yourself"),
        ({"name": "Ada", "email": "not-an-email"}, "Enter a valid email address."),
        ({"name": "", "email": "ada@x.org"}, "Give the delegate's name."),
        ({"name": "Ada", "email": ""}, "Give the delegate's email address."),
        ({"name": "A" * 300, "email": "ada@x.org"}, "Field cannot be longer than 240"),
        ({"name": "Ada", "email": "ada@x.org", "function": "f" * 201}, "Field cannot be longer"),
    ],
)
def test_delegate_bad_input_keeps_values(app, client, invited, data, message):
    response = client.post(f"/rsvp/{invited['token']}/delegate", data=data)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert message in body
    if data.get("email"):
        assert f'value="{data["email"]}"' in body
    assert load(app, Invitation, invited["invitation_id"]).answer == RsvpAnswer.PENDING
    with app.app_context():
        assert db.session.scalar(select(func.count(Invitation.id))) == 1


def test_delegate_someone_already_invited_in_the_wave(app, client, invited, event_id):
    invite(app, event_id, "colleague@x.org", first_name="Cole", last_name="League")
    response = client.post(
        f"/rsvp/{invited['token']}/delegate",
        data={"name": "Cole League", "email": "colleague@x.org"},
    )
    assert response.status_code == 400
    assert "already been invited" in response.get_data(as_text=True)
    assert load(app, Invitation, invited["invitation_id"]).answer == RsvpAnswer.PENDING


def test_second_answer_shows_already_answered(app, client, invited):
    token = invited["token"]
    assert client.post(f"/rsvp/{token}/accept").status_code == 302
    for action, data in (("decline", {"reason": "changed my mind"}), ("accept", {})):
        response = client.post(f"/rsvp/{token}/{action}", data=data)
        body = response.get_data(as_text=True)
        assert response.status_code == 409
        assert "already been answered" in body and "you accepted this invitation" in body
        assert "organizer@x.org" in body
    response = client.post(
        f"/rsvp/{token}/delegate", data={"name": "Ada Deputy", "email": "ada@x.org"}
    )
    assert response.status_code == 409
    invitation = load(app, Invitation, invited["invitation_id"])
    assert invitation.answer == RsvpAnswer.ACCEPTED and invitation.decline_reason == ""
    assert outbox(app, "ada@x.org") == []


def test_expired_link_says_whom_to_contact(app, client, make_event, make_user):
    eid = make_event("OLD-T", days=10)
    make_user("organizer@x.org", "Olivia Organizer", organizer_of=eid)
    ids = invite(app, eid, send_by=-60, rsvp_by=-15)  # 5 days ago
    for response in (
        client.get(f"/rsvp/{ids['token']}"),
        client.post(f"/rsvp/{ids['token']}/accept"),
        client.post(f"/rsvp/{ids['token']}/decline"),
    ):
        body = response.get_data(as_text=True)
        assert response.status_code == 410
        assert "deadline to answer this invitation has passed" in body
        assert "Olivia Organizer" in body and "organizer@x.org" in body
    assert load(app, Invitation, ids["invitation_id"]).answer == RsvpAnswer.PENDING


def test_link_past_the_rsvp_deadline_is_expired(app, client, invited):
    from datetime import date, timedelta

    with app.app_context():
        invitation = db.session.get(Invitation, invited["invitation_id"])
        wave = invitation.wave
        # The RSVP day was two days ago, anywhere on earth.
        wave.rsvp_by_days = (date.today() - timedelta(days=2) - wave.event.opening_date).days
        db.session.commit()
    assert client.get(f"/rsvp/{invited['token']}").status_code == 410


@pytest.mark.parametrize(
    "token",
    [
        "forged-token",
        "A" * 43,
        "x" * 5000,
        "%C3%A9%E4%B8%AD%E6%96%87",
        "%00",
        "abc%20def",
        "' OR 1=1 --",
    ],
)
def test_forged_links_are_404_pages_not_errors(app, client, invited, token):
    for response in (client.get(f"/rsvp/{token}"), client.post(f"/rsvp/{token}/accept")):
        body = response.get_data(as_text=True)
        assert response.status_code == 404
        assert "This link is not valid." in body
        assert "convene@localhost" in body  # no event known: the platform's address
    assert load(app, Invitation, invited["invitation_id"]).answer == RsvpAnswer.PENDING


def test_another_waves_token_answers_only_that_wave(app, client, invited, event_id):
    other = invite(app, event_id, wave_name="Second wave", send_by=-150, rsvp_by=-90)
    assert other["entry_id"] == invited["entry_id"] and other["token"] != invited["token"]
    assert client.post(f"/rsvp/{other['token']}/decline").status_code == 302
    assert load(app, Invitation, other["invitation_id"]).answer == RsvpAnswer.DECLINED
    assert load(app, Invitation, invited["invitation_id"]).answer == RsvpAnswer.PENDING


def test_token_of_a_deleted_wave_is_not_valid(app, client, invited):
    with app.app_context():
        db.session.delete(db.session.get(Wave, invited["wave_id"]))
        db.session.commit()
    assert client.get(f"/rsvp/{invited['token']}").status_code == 404


def test_page_in_the_letters_language(app, client, make_event, make_user):
    eid = make_event("ZH-T")
    make_user("organizer@x.org", organizer_of=eid)
    letters = {"zh": {"subject": "邀请 {event}", "body": "尊敬的 {name}：{rsvp_link}"}}
    ids = invite(app, eid, "zh@x.org", languages=("zh",), letters=letters)
    assert outbox(app, "zh@x.org")[0].locale == "zh"
    assert '<html lang="zh"' in client.get(f"/rsvp/{ids['token']}").get_data(as_text=True)
    english = client.get(f"/rsvp/{ids['token']}?lang=en").get_data(as_text=True)
    assert '<html lang="en"' in english
    assert "lang=en" in english  # the forms keep the chosen language
    client.post(f"/rsvp/{ids['token']}/accept")
    assert outbox(app, "zh@x.org")[-1].locale == "zh"


def test_posts_are_rate_limited(app, client, invited, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_RSVP", "3 per minute")
    statuses = [client.post("/rsvp/forged/accept").status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]


def test_answered_link_after_the_deadline_still_shows_the_answer(app, client, invited):
    from datetime import timedelta

    from models import utcnow

    client.post(f"/rsvp/{invited['token']}/decline", data={"reason": "Travel"})
    with app.app_context():
        invitation = db.session.get(Invitation, invited["invitation_id"])
        invitation.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    response = client.get(f"/rsvp/{invited['token']}")
    assert response.status_code == 200
    assert "you declined this invitation" in response.get_data(as_text=True)
    assert client.post(f"/rsvp/{invited['token']}/accept").status_code == 409


def test_account_after_accepting_leads_to_registration_when_it_is_open(
    app, client, invited, make_event
):
    """While registration is closed the new account lands on the home page; once it is
    open (here: an event 100 days away), on the registration form prefilled from the
    invitation."""
    token = invited["token"]
    client.post(f"/rsvp/{token}/accept")
    data = {"password": "a-long-password", "confirm": "a-long-password"}
    response = client.post(f"/rsvp/{token}/account", data=data)
    assert response.headers["Location"] == "/"

    soon = make_event("SOON-T", days=100)
    other = app.test_client()
    guest = invite(app, soon, "soon@x.org", first_name="Sam", send_by=-60, rsvp_by=-30)
    other.post(f"/rsvp/{guest['token']}/accept")
    response = other.post(f"/rsvp/{guest['token']}/account", data=data)
    assert response.headers["Location"] == f"/events/{soon}/register"
    form = other.get(response.headers["Location"])
    assert form.status_code == 200
    assert 'value="Sam"' in form.get_data(as_text=True)
