"""People on a session through the client: added from the directory (and refused when
not in it, twice, or from another area), removed, asked again; and the public page where
they confirm or decline (valid, expired, used, forged), with mail and audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from models import AuditEntry, SessionPerson, SessionStatus, SpeakerState, utcnow
from tests.conftest import link_in, outbox
from webapp.extensions import db

from .test_sessions_curation import EMAILS, ROLES, add_person, add_session, as_role, placed, world

__all__ = ["world"]  # the fixture, shared


def people_of(app, session_id):
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(SessionPerson)
                .where(SessionPerson.session_id == session_id)
                .order_by(SessionPerson.id)
            )
        )
        db.session.expunge_all()
        return rows


def add(client, world, session_id, **data):
    return client.post(f"/events/{world['event']}/p2c/sessions/{session_id}/people", data=data)


ADD_STATUS = {"organizer": 302, "cochair": 302, "other_cochair": 404, "participant": 404}


@pytest.mark.parametrize("role", ROLES)
def test_add_person_per_role(app, client, login, world, role):
    session_id = add_session(app, world, **placed(world))
    as_role(login, role)
    response = add(
        client,
        world,
        session_id,
        person=str(world["people"][0]),
        part="speaker",
        stakeholder_role="problem_owner",
    )
    if role == "anonymous":
        assert response.status_code == 302 and "/account/login" in response.location
        assert people_of(app, session_id) == []
        return
    assert response.status_code == ADD_STATUS[role]
    people = people_of(app, session_id)
    if ADD_STATUS[role] != 302:
        assert people == []
        return
    (entry,) = people
    assert entry.state == SpeakerState.ASKED and entry.stakeholder_role == "problem_owner"
    assert entry.token_hash and entry.token_expires_at > utcnow() + timedelta(days=29)
    (mail,) = outbox(app, "amina@example.org")
    assert mail.subject == "Please confirm: Session"
    assert "as Speaker" in mail.body_text and "Room A" in mail.body_text
    assert entry.token_hash not in mail.body_text  # only the token travels
    with app.app_context():
        assert db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "session.person_added")
        )


def test_add_by_email_and_refusals(app, client, login, world):
    session_id = add_session(app, world)
    login(EMAILS["cochair"])
    response = add(client, world, session_id, email="BO@example.org", part="moderator")
    assert response.status_code == 302
    response = add(client, world, session_id, email="bo@example.org", part="speaker")
    assert response.status_code == 409
    assert "already on this session" in response.get_data(as_text=True)
    response = add(client, world, session_id, email="stranger@example.org", part="speaker")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert (
        'id="email-error"' in body and "Nobody with this email address is in the directory" in body
    )
    assert "stranger@example.org" in body  # kept as typed
    response = add(client, world, session_id, person="999999", part="speaker")
    assert response.status_code == 400
    assert "This person is not in the directory" in response.get_data(as_text=True)
    response = add(client, world, session_id, person=str(world["people"][2]), part="speaker")
    assert response.status_code == 400
    assert "no email address" in response.get_data(as_text=True)
    assert [p.part.value for p in people_of(app, session_id)] == ["moderator"]


@pytest.mark.parametrize(
    "data",
    [
        {"part": "speaker"},
        {"person": "abc", "part": "speaker"},
        {"person": "99999999999999999999", "part": "speaker"},
        {"person": "PERSON", "part": "keynote"},
        {"person": "PERSON", "part": "speaker", "stakeholder_role": "investor"},
        {"email": "x" * 300 + "@example.org", "part": "speaker"},
    ],
)
def test_bad_person_input(app, client, login, world, data):
    session_id = add_session(app, world)
    login(EMAILS["cochair"])
    data = {k: (str(world["people"][0]) if v == "PERSON" else v) for k, v in data.items()}
    assert add(client, world, session_id, **data).status_code == 400
    assert people_of(app, session_id) == []
    assert outbox(app) == []


def test_remove_and_resend(app, client, login, world):
    session_id = add_session(app, world)
    login(EMAILS["cochair"])
    add(client, world, session_id, person=str(world["people"][0]), part="speaker")
    add(client, world, session_id, person=str(world["people"][1]), part="moderator")
    first, second = people_of(app, session_id)
    base = f"/events/{world['event']}/p2c/sessions/{session_id}/people"
    old_link = link_in(outbox(app, "amina@example.org")[-1])
    assert client.post(f"{base}/{first.id}/resend").status_code == 302
    assert len(outbox(app, "amina@example.org")) == 2
    assert client.get(old_link).status_code == 404  # replaced by the new link
    assert client.get(link_in(outbox(app, "amina@example.org")[-1])).status_code == 200
    assert client.post(f"{base}/{second.id}/remove").status_code == 302
    assert [p.person_id for p in people_of(app, session_id)] == [world["people"][0]]
    assert client.post(f"{base}/{second.id}/remove").status_code == 404
    with app.app_context():
        actions = list(
            db.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.action.like("session.person%"))
                .order_by(AuditEntry.id)
            )
        )
    assert actions == [
        "session.person_added",
        "session.person_added",
        "session.person_asked_again",
        "session.person_removed",
    ]


def test_confirmed_person_is_not_asked_again(app, client, login, world):
    session_id = add_session(app, world)
    add_person(app, session_id, world["people"][0], state=SpeakerState.CONFIRMED)
    (entry,) = people_of(app, session_id)
    login(EMAILS["cochair"])
    url = f"/events/{world['event']}/p2c/sessions/{session_id}/people/{entry.id}/resend"
    response = client.post(url)
    assert response.status_code == 409
    assert "already confirmed" in response.get_data(as_text=True)


def test_people_of_another_area_are_not_found(app, client, login, world):
    mine = add_session(app, world)
    theirs = add_session(app, world, "ADOPTION")
    add_person(app, theirs, world["people"][0])
    (entry,) = people_of(app, theirs)
    login(EMAILS["cochair"])
    base = f"/events/{world['event']}/p2c/sessions"
    assert client.post(f"{base}/{mine}/people/{entry.id}/remove").status_code == 404
    assert client.post(f"{base}/{mine}/people/{entry.id}/resend").status_code == 404
    assert client.post(f"{base}/{theirs}/people/{entry.id}/remove").status_code == 404
    assert len(people_of(app, theirs)) == 1


def test_adding_to_a_published_session_must_not_double_book(app, client, login, world):
    day = placed(world)
    busy = add_session(app, world, "ADOPTION", SessionStatus.CONFIRMED, **{**day, "room_id": None})
    add_person(app, busy, world["people"][1])
    session_id = add_session(app, world, status=SessionStatus.PUBLISHED, **day)
    add_person(app, session_id, world["people"][0])
    login(EMAILS["cochair"])
    response = add(client, world, session_id, person=str(world["people"][1]), part="speaker")
    assert response.status_code == 409
    assert 'data-kind="person_double_booked"' in response.get_data(as_text=True)
    assert len(people_of(app, session_id)) == 1
    assert outbox(app, "bo@example.org") == []


def test_asking_again_on_a_published_session_must_not_double_book(app, client, login, world):
    """Bo declined here and now speaks elsewhere at the same time: asking him again would
    put a published session into a hard conflict, as adding him would."""
    day = placed(world)
    busy = add_session(app, world, "ADOPTION", SessionStatus.CONFIRMED, **{**day, "room_id": None})
    add_person(app, busy, world["people"][1])
    session_id = add_session(app, world, status=SessionStatus.PUBLISHED, **day)
    add_person(app, session_id, world["people"][0])
    add_person(app, session_id, world["people"][1], state=SpeakerState.DECLINED)
    entry = people_of(app, session_id)[1]
    login(EMAILS["cochair"])
    url = f"/events/{world['event']}/p2c/sessions/{session_id}/people/{entry.id}/resend"
    response = client.post(url)
    assert response.status_code == 409
    assert 'data-kind="person_double_booked"' in response.get_data(as_text=True)
    assert people_of(app, session_id)[1].state == SpeakerState.DECLINED
    assert outbox(app, "bo@example.org") == []


# --- the answer page ----------------------------------------------------------------------


@pytest.fixture
def asked(app, client, login, world):
    """A session with Amina asked to speak; returns (session id, link path)."""
    session_id = add_session(app, world, title="Rural access", **placed(world))
    login(EMAILS["cochair"])
    add(client, world, session_id, person=str(world["people"][0]), part="panellist")
    client.post("/account/logout")
    return session_id, link_in(outbox(app, "amina@example.org")[-1])


@pytest.mark.parametrize(("choice", "state"), [("confirm", "confirmed"), ("decline", "declined")])
def test_answer(app, client, asked, choice, state):
    session_id, link = asked
    page = client.get(link)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Rural access" in body and "Room A" in body and "Panellist" in body
    assert "15:00–16:00" in body
    response = client.post(link, data={"answer": choice})
    assert response.status_code == 200
    assert f'data-state="{state}"' in response.get_data(as_text=True)
    (entry,) = people_of(app, session_id)
    assert entry.state == state and entry.answered_at is not None
    again = client.post(link, data={"answer": "confirm"})
    assert again.status_code == 410
    assert 'data-kind="used"' in again.get_data(as_text=True)
    assert client.get(link).status_code == 410
    assert people_of(app, session_id)[0].state == state
    with app.app_context():
        assert db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == f"session.person_{state}")
        )


def test_answer_shows_on_the_manage_page(app, client, login, asked, world):
    session_id, link = asked
    client.post(link, data={"answer": "confirm"})
    login(EMAILS["cochair"])
    body = client.get(f"/events/{world['event']}/p2c/sessions/{session_id}").get_data(as_text=True)
    assert 'data-state="confirmed"' in body


def test_expired_link(app, client, asked):
    session_id, link = asked
    with app.app_context():
        entry = db.session.scalar(select(SessionPerson))
        entry.token_expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    response = client.get(link)
    assert response.status_code == 410
    assert 'data-kind="expired"' in response.get_data(as_text=True)
    assert client.post(link, data={"answer": "confirm"}).status_code == 410
    assert people_of(app, session_id)[0].state == SpeakerState.ASKED


@pytest.mark.parametrize(
    "token", ["forged-token-forged-token-forged-token-00000", "x" * 500, "bad%20token", "é"]
)
def test_forged_links(client, asked, token):
    response = client.get(f"/p2c/speaker/{token}")
    assert response.status_code == 404
    assert "This link is not valid" in response.get_data(as_text=True)
    assert client.post(f"/p2c/speaker/{token}", data={"answer": "confirm"}).status_code == 404


def test_answer_needs_a_choice(app, client, asked):
    session_id, link = asked
    response = client.post(link, data={"answer": "maybe"})
    assert response.status_code == 400
    assert people_of(app, session_id)[0].state == SpeakerState.ASKED


def test_removed_person_link_stops_working(app, client, login, asked, world):
    session_id, link = asked
    (entry,) = people_of(app, session_id)
    login(EMAILS["cochair"])
    client.post(f"/events/{world['event']}/p2c/sessions/{session_id}/people/{entry.id}/remove")
    assert client.get(link).status_code == 404


def test_answer_with_a_link_replaced_meanwhile_counts_for_nothing(app, client, asked, monkeypatch):
    """A resend between reading the link and recording the answer (a race) replaces the
    token: the old link's answer is refused, as a co-chair's is."""
    from sessions import curation

    session_id, link = asked
    found, calls = curation.find_by_token, []

    def then_resent(raw):
        entry = found(raw)
        calls.append(raw)
        if len(calls) < 2:  # the page's own look-up; the resend lands inside `answer`
            return entry
        db.session.execute(
            SessionPerson.__table__.update()
            .where(SessionPerson.id == entry.id)
            .values(token_hash="0" * 64)
        )
        return entry

    monkeypatch.setattr(curation, "find_by_token", then_resent)
    response = client.post(link, data={"answer": "confirm"})
    assert response.status_code == 410
    assert people_of(app, session_id)[0].state == SpeakerState.ASKED


def test_speakers_are_asked_in_the_co_chairs_language_rule(app, client, login, world):
    """One rule for every P2C mail (`cochairs.mail_locale`): the person's language, else
    their account's, else the event's first — not English by default."""
    from models import Event

    with app.app_context():
        db.session.get(Event, world["event"]).languages = ["zh", "en"]
        db.session.commit()
    session_id = add_session(app, world)
    login(EMAILS["cochair"])
    assert add(client, world, session_id, email="bo@example.org", part="speaker").status_code == 302
    (message,) = outbox(app, "bo@example.org")
    assert message.locale == "zh"
