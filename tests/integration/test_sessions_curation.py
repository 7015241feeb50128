"""Curation pages through the client: the session list, the session form (new, edit), the
manage page, status moves with the publishing rules, agenda items, and the balance from
the database — for each role (organizer, co-chair of this area, co-chair of another area,
participant, anonymous) and with bad inputs."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from models import (
    AgendaItem,
    AuditEntry,
    Country,
    Event,
    Organization,
    Person,
    ProgrammeSession,
    Room,
    SessionPart,
    SessionPerson,
    SessionStatus,
    SpeakerState,
)
from sessions import balance
from sessions.core import ensure_focus_areas
from webapp.extensions import db

ROLES = ["organizer", "cochair", "other_cochair", "participant", "anonymous"]
EMAILS = {
    "organizer": "org@x.org",
    "cochair": "access@x.org",
    "other_cochair": "adoption@x.org",
    "participant": "someone@x.org",
    "admin": "admin@x.org",
}


@pytest.fixture
def world(app, make_user, make_event):
    """An event with its focus areas, two rooms, a P2C window from day 2 14:00, the five
    roles, directory people, and a second event with a room."""
    event_id = make_event("SC-1")
    other_event_id = make_event("SC-2")
    with app.app_context():
        event = db.session.get(Event, event_id)
        day2 = event.opening_date + timedelta(days=1)
        event.p2c_start = datetime.combine(day2, time(14, 0))
        event.p2c_end = datetime.combine(day2 + timedelta(days=2), time(18, 0))
        areas = {a.code: a.id for a in ensure_focus_areas(event)}
        other_areas = {
            a.code: a.id for a in ensure_focus_areas(db.session.get(Event, other_event_id))
        }
        rooms = [
            Room(event_id=event_id, name="Room A", capacity=100),
            Room(event_id=event_id, name="Room B", capacity=50),
            Room(event_id=other_event_id, name="Elsewhere", capacity=10),
        ]
        db.session.add_all(rooms)
        country = db.session.scalar(select(Country).where(Country.region_code == "AFR").limit(1))
        org = Organization(name="Ministry of ICT", constituent_group="MS_MIN")
        db.session.add(org)
        db.session.flush()
        people = [
            Person(
                first_name="Amina",
                last_name="Diallo",
                email="amina@example.org",
                organization_id=org.id,
                country_iso2=country.iso2,
                gender="f",
            ),
            Person(first_name="Bo", last_name="Berg", email="bo@example.org", gender="m"),
            Person(first_name="No", last_name="Mail"),
        ]
        db.session.add_all(people)
        db.session.commit()
        world = {
            "event": event_id,
            "other_event": other_event_id,
            "areas": areas,
            "other_areas": other_areas,
            "room": rooms[0].id,
            "room_b": rooms[1].id,
            "other_room": rooms[2].id,
            "day2": day2,
            "people": [p.id for p in people],
        }
    make_user(EMAILS["organizer"], "Olga Organizer", organizer_of=event_id)
    make_user(EMAILS["cochair"], "Ana Access", cochair_of=(event_id, "ACCESS"))
    make_user(EMAILS["other_cochair"], "Adam Adoption", cochair_of=(event_id, "ADOPTION"))
    make_user(EMAILS["participant"], "Pat Participant")
    return world


def as_role(login, role):
    if role != "anonymous":
        login(EMAILS[role])


def at(world, hour, minute=0, day=0):
    """A datetime-local string on day 2 (+day) of the event."""
    moment = datetime.combine(world["day2"] + timedelta(days=day), time(hour, minute))
    return moment.strftime("%Y-%m-%dT%H:%M")


def add_session(app, world, area="ACCESS", status=SessionStatus.DRAFT, title="Session", **kw):
    with app.app_context():
        session = ProgrammeSession(
            event_id=world["event"],
            focus_area_id=world["areas"][area] if area else None,
            title=title,
            format="panel",
            status=status,
            **kw,
        )
        db.session.add(session)
        db.session.commit()
        return session.id


def placed(world, start=15, end=16, room=True):
    """Keyword arguments placing a session on day 2."""
    day = world["day2"]
    return {
        "starts_at": datetime.combine(day, time(start)),
        "ends_at": datetime.combine(day, time(end)),
        "room_id": world["room"] if room else None,
    }


def add_person(app, session_id, person_id, part=SessionPart.SPEAKER, **kw):
    with app.app_context():
        db.session.add(SessionPerson(session_id=session_id, person_id=person_id, part=part, **kw))
        db.session.commit()


def stored(app, session_id):
    with app.app_context():
        session = db.session.get(ProgrammeSession, session_id)
        if session is not None:
            session.agenda_items, session.people  # noqa: B018 - load before detaching
            db.session.expunge_all()
        return session


def form(world, **overrides):
    data = {
        "focus_area": str(world["areas"]["ACCESS"]),
        "title": "Connecting the last mile",
        "format": "panel",
        "description": "Who pays for rural access?",
        "room": str(world["room"]),
        "starts_at": at(world, 15),
        "ends_at": at(world, 16, 30),
        "mode": "in_person",
        "stream_url": "",
        "visibility": "public",
        "capacity": "80",
        "languages": ["en", "fr"],
        "interpretation": ["zh"],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def count(app, model, **where):
    with app.app_context():
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return db.session.scalar(query)


# --- the list -----------------------------------------------------------------------------


LIST_STATUS = {"organizer": 200, "cochair": 200, "other_cochair": 200, "participant": 403}


@pytest.mark.parametrize("role", ROLES)
def test_list_per_role(app, client, login, world, role):
    add_session(app, world, title="Access draft")
    add_session(app, world, "ADOPTION", title="Adoption draft")
    add_session(app, world, "ADOPTION", SessionStatus.PUBLISHED, title="Adoption live")
    add_session(app, world, None, title="Cross-area ceremony")
    as_role(login, role)
    response = client.get(f"/events/{world['event']}/p2c/sessions")
    if role == "anonymous":
        assert response.status_code == 302 and "/account/login" in response.location
        return
    assert response.status_code == LIST_STATUS[role]
    if response.status_code != 200:
        return
    body = response.get_data(as_text=True)
    shown = {
        t for t in ("Access draft", "Adoption draft", "Adoption live", "Cross-area") if t in body
    }
    expected = {
        "organizer": {"Access draft", "Adoption draft", "Adoption live", "Cross-area"},
        "cochair": {"Access draft", "Adoption live"},
        "other_cochair": {"Adoption draft", "Adoption live"},
    }[role]
    assert shown == expected


def test_list_filters_and_counts(app, client, login, world):
    add_session(app, world, title="One draft")
    add_session(app, world, status=SessionStatus.PROPOSED, title="Proposed one")
    add_session(app, world, "ADOPTION", SessionStatus.PUBLISHED, title="Published one")
    login(EMAILS["organizer"])
    url = f"/events/{world['event']}/p2c/sessions"
    body = client.get(url).get_data(as_text=True)
    assert "Draft: 1" in body and "Proposed: 1" in body and "Published: 1" in body
    body = client.get(url, query_string={"status": "proposed"}).get_data(as_text=True)
    assert "Proposed one" in body and "One draft" not in body
    adoption = world["areas"]["ADOPTION"]
    body = client.get(url, query_string={"area": adoption}).get_data(as_text=True)
    assert "Published one" in body and "One draft" not in body
    body = client.get(url, query_string={"format": "roundtable"}).get_data(as_text=True)
    assert 'id="no-sessions"' in body
    for nonsense in ({"area": "x" * 500}, {"status": "bogus"}, {"format": "1"}, {"area": "9" * 30}):
        assert client.get(url, query_string=nonsense).status_code == 200


def test_list_of_another_event_is_forbidden_to_its_cochair(client, login, world):
    login(EMAILS["cochair"])
    assert client.get(f"/events/{world['other_event']}/p2c/sessions").status_code == 403
    assert client.get("/events/999999/p2c/sessions").status_code == 404


# --- new and edit -------------------------------------------------------------------------


NEW_STATUS = {"organizer": 302, "cochair": 302, "other_cochair": 403, "participant": 403}


@pytest.mark.parametrize("role", ROLES)
def test_new_session_per_role(app, client, login, world, role):
    as_role(login, role)
    url = f"/events/{world['event']}/p2c/sessions/new"
    response = client.post(url, data=form(world))
    if role == "anonymous":
        assert response.status_code == 302 and "/account/login" in response.location
    else:
        assert response.status_code == NEW_STATUS[role]
    created = count(app, ProgrammeSession)
    assert created == (1 if NEW_STATUS.get(role) == 302 else 0)
    if created:
        with app.app_context():
            session = db.session.scalar(select(ProgrammeSession))
            assert session.status == SessionStatus.DRAFT
            assert session.languages == ["en", "fr"] and session.interpretation == ["zh"]
            assert session.capacity == 80 and session.room_id == world["room"]
            assert session.starts_at == datetime.combine(world["day2"], time(15))
            assert response.location.endswith(f"/p2c/sessions/{session.id}")
            assert db.session.scalar(
                select(AuditEntry).where(AuditEntry.action == "session.created")
            )


def test_new_form_offers_a_cochair_only_their_areas(client, login, world):
    login(EMAILS["cochair"])
    body = client.get(f"/events/{world['event']}/p2c/sessions/new").get_data(as_text=True)
    assert f'<option value="{world["areas"]["ACCESS"]}">ACCESS' in body
    assert ">ADOPTION" not in body and "cross-area" not in body
    client.post("/account/logout")
    login(EMAILS["organizer"])
    body = client.get(f"/events/{world['event']}/p2c/sessions/new").get_data(as_text=True)
    assert f'<option value="{world["areas"]["ADOPTION"]}">ADOPTION' in body
    assert "cross-area" in body


def test_cochair_cannot_post_another_area_or_none(app, client, login, world):
    login(EMAILS["cochair"])
    url = f"/events/{world['event']}/p2c/sessions/new"
    assert (
        client.post(url, data=form(world, focus_area=str(world["areas"]["ADOPTION"]))).status_code
        == 403
    )
    other = str(world["other_areas"]["ACCESS"])
    assert client.post(url, data=form(world, focus_area=other)).status_code == 404
    response = client.post(url, data=form(world, focus_area=""))
    assert response.status_code == 400
    assert "Choose one of your focus areas" in response.get_data(as_text=True)
    assert count(app, ProgrammeSession) == 0


def test_organizer_creates_a_cross_area_session(app, client, login, world):
    login(EMAILS["organizer"])
    response = client.post(
        f"/events/{world['event']}/p2c/sessions/new",
        data=form(world, focus_area="", format="signing_ceremony", title="Coalition signing"),
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(ProgrammeSession.focus_area_id)) is None


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", "Give the session a title"),
        ({"title": "x" * 301}, "title", "300"),
        ({"description": "x" * 10_001}, "description", "10000"),
        ({"ends_at": "START"}, "ends_at", "The end must be after the start"),
        ({"starts_at": "", "ends_at": "END"}, "starts_at", "Give a start time"),
        ({"starts_at": "FAR", "ends_at": "FAR2"}, "starts_at", "within the event"),
        ({"starts_at": "yesterday"}, "starts_at", "Not a valid datetime"),
        ({"capacity": "0"}, "capacity", "from 1 to"),
        ({"capacity": "99999999999999999999"}, "capacity", "from 1 to"),
        ({"capacity": "many"}, "capacity", "Not a valid integer"),
        ({"stream_url": "javascript:alert(1)"}, "stream_url", "https://"),
        ({"stream_url": "https://" + "x" * 600}, "stream_url", "500"),
        ({"format": "gala"}, "format", "Not a valid choice"),
        ({"mode": "telepathy"}, "mode", "Not a valid choice"),
        ({"visibility": "secret"}, "visibility", "Not a valid choice"),
        ({"languages": ["en", "de"]}, "languages", "is not a valid choice"),
        ({"room": "abc"}, "room", "Choose one of the options"),
        ({"focus_area": "1e9"}, "focus_area", "Choose one of the options"),
    ],
)
def test_bad_session_input(app, client, login, world, overrides, field, message):
    login(EMAILS["cochair"])
    special = {"START": at(world, 15), "END": at(world, 16)}
    event = None
    with app.app_context():
        event = db.session.get(Event, world["event"])
        far = datetime.combine(event.closing_date + timedelta(days=3), time(10))
    special["FAR"] = far.strftime("%Y-%m-%dT%H:%M")
    special["FAR2"] = (far + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    values = {k: special.get(v, v) if isinstance(v, str) else v for k, v in overrides.items()}
    response = client.post(f"/events/{world['event']}/p2c/sessions/new", data=form(world, **values))
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert f'id="{field}-error"' in body
    assert message in body
    kept = "Connecting the last mile" if field == "description" else "Who pays for rural access?"
    assert kept in body  # what was typed is kept
    assert count(app, ProgrammeSession) == 0


def test_rooms_of_another_event_are_not_found(app, client, login, world):
    login(EMAILS["organizer"])
    response = client.post(
        f"/events/{world['event']}/p2c/sessions/new",
        data=form(world, room=str(world["other_room"])),
    )
    assert response.status_code == 404
    assert count(app, ProgrammeSession) == 0


EDIT_STATUS = {"organizer": 302, "cochair": 302, "other_cochair": 404, "participant": 404}


@pytest.mark.parametrize("role", ROLES)
def test_edit_per_role(app, client, login, world, role):
    session_id = add_session(app, world, title="Before")
    as_role(login, role)
    url = f"/events/{world['event']}/p2c/sessions/{session_id}/edit"
    page = client.get(url)
    response = client.post(url, data=form(world, title="After"))
    if role == "anonymous":
        assert page.status_code == 302 and response.status_code == 302
        assert stored(app, session_id).title == "Before"
        return
    assert page.status_code == (200 if EDIT_STATUS[role] == 302 else 404)
    assert response.status_code == EDIT_STATUS[role]
    assert stored(app, session_id).title == ("After" if EDIT_STATUS[role] == 302 else "Before")


def test_edit_form_shows_stored_values_and_keeps_them_on_error(app, client, login, world):
    session_id = add_session(
        app, world, description="Stored text", languages=["ar"], **placed(world)
    )
    login(EMAILS["cochair"])
    url = f"/events/{world['event']}/p2c/sessions/{session_id}/edit"
    body = client.get(url).get_data(as_text=True)
    assert "Stored text" in body and at(world, 15) in body
    assert '<input checked id="languages-0" name="languages" type="checkbox" value="ar">' in body
    response = client.post(url, data=form(world, ends_at=at(world, 14)))
    assert response.status_code == 400
    assert stored(app, session_id).ends_at == datetime.combine(world["day2"], time(16))


def test_session_of_another_event_is_not_found(app, client, login, world):
    session_id = add_session(app, world)
    login(EMAILS["organizer"])
    url = f"/events/{world['other_event']}/p2c/sessions/{session_id}"
    assert client.get(url).status_code == 404
    assert client.get(f"/events/{world['event']}/p2c/sessions/999999").status_code == 404


def test_cross_area_session_is_the_organizers_alone(app, client, login, world):
    session_id = add_session(app, world, None)
    login(EMAILS["cochair"])
    assert client.get(f"/events/{world['event']}/p2c/sessions/{session_id}").status_code == 404
    client.post("/account/logout")
    login(EMAILS["organizer"])
    assert client.get(f"/events/{world['event']}/p2c/sessions/{session_id}").status_code == 200


# --- the manage page ----------------------------------------------------------------------


MANAGE_STATUS = {"organizer": 200, "cochair": 200, "other_cochair": 404, "participant": 404}


@pytest.mark.parametrize("role", ROLES)
def test_manage_per_role(app, client, login, world, role):
    session_id = add_session(app, world, title="Rural access panel", **placed(world))
    add_person(app, session_id, world["people"][0], stakeholder_role="funder")
    as_role(login, role)
    response = client.get(f"/events/{world['event']}/p2c/sessions/{session_id}")
    if role == "anonymous":
        assert response.status_code == 302
        return
    assert response.status_code == MANAGE_STATUS[role]
    if response.status_code == 200:
        body = response.get_data(as_text=True)
        assert "Rural access panel" in body and "Amina Diallo" in body
        assert 'id="session-balance"' in body
        assert "No problem owners yet." in body and "No funders yet." not in body
        assert "Room A" in body


def test_other_area_published_session_is_still_not_editable(app, client, login, world):
    session_id = add_session(app, world, "ADOPTION", SessionStatus.PUBLISHED)
    login(EMAILS["cochair"])
    base = f"/events/{world['event']}/p2c/sessions/{session_id}"
    assert client.get(base).status_code == 404
    assert client.post(base + "/status", data={"to": "confirmed"}).status_code == 404
    assert client.post(base + "/items", data={"title": "x", "minutes": "5"}).status_code == 404
    assert stored(app, session_id).status == SessionStatus.PUBLISHED


def test_directory_search_on_the_manage_page(app, client, login, world):
    session_id = add_session(app, world)
    add_person(app, session_id, world["people"][0])
    login(EMAILS["cochair"])
    url = f"/events/{world['event']}/p2c/sessions/{session_id}"
    body = client.get(url, query_string={"q": "berg"}).get_data(as_text=True)
    assert "Bo Berg" in body and "1 person found" in body
    body = client.get(url, query_string={"q": "amina"}).get_data(as_text=True)
    assert "already on the session" in body
    body = client.get(url, query_string={"q": "zzzz" * 100}).get_data(as_text=True)
    assert "Nobody in the directory matches" in body


def test_directory_search_leaks_no_email_address_to_cochairs(app, client, login, world):
    """Co-chairs find speakers by name and organization only: matching the text against
    addresses would let them read the directory's addresses letter by letter."""
    session_id = add_session(app, world)
    url = f"/events/{world['event']}/p2c/sessions/{session_id}"
    login(EMAILS["cochair"])
    body = client.get(url, query_string={"q": "bo@example"}).get_data(as_text=True)
    assert "Bo Berg" not in body and "Nobody in the directory matches" in body
    assert "Bo Berg" in client.get(url, query_string={"q": "berg"}).get_data(as_text=True)
    # A whole address finds its owner, as adding a speaker by address does.
    body = client.get(url, query_string={"q": "BO@example.org"}).get_data(as_text=True)
    assert "Bo Berg" in body and "1 person found" in body
    client.post("/account/logout")
    login(EMAILS["organizer"])  # organizers read the directory: addresses match too
    body = client.get(url, query_string={"q": "bo@example"}).get_data(as_text=True)
    assert "Bo Berg" in body and "1 person found" in body


# --- status moves -------------------------------------------------------------------------


def test_full_cycle_with_audit(app, client, login, world):
    session_id = add_session(app, world, **placed(world))
    add_person(app, session_id, world["people"][0], SessionPart.MODERATOR)
    login(EMAILS["cochair"])
    url = f"/events/{world['event']}/p2c/sessions/{session_id}/status"
    for to in ("proposed", "confirmed", "published", "confirmed", "draft"):
        response = client.post(url, data={"to": to})
        assert response.status_code == 302, (to, response.get_data(as_text=True)[:500])
        assert stored(app, session_id).status == to
    with app.app_context():
        actions = list(
            db.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.action.like("session.%"))
                .order_by(AuditEntry.id)
            )
        )
    assert actions == [
        "session.proposed",
        "session.confirmed",
        "session.published",
        "session.confirmed",
        "session.draft",
    ]


@pytest.mark.parametrize(
    ("start", "to", "code"),
    [
        (SessionStatus.DRAFT, "published", 409),
        (SessionStatus.DRAFT, "confirmed", 409),
        (SessionStatus.PUBLISHED, "draft", 409),
        (SessionStatus.DRAFT, "sideways", 400),
        (SessionStatus.DRAFT, "", 400),
    ],
)
def test_moves_that_are_not_allowed(app, client, login, world, start, to, code):
    session_id = add_session(app, world, status=start, **placed(world))
    login(EMAILS["organizer"])
    response = client.post(
        f"/events/{world['event']}/p2c/sessions/{session_id}/status", data={"to": to}
    )
    assert response.status_code == code
    assert stored(app, session_id).status == start


def test_publishing_lists_what_is_missing(app, client, login, world):
    session_id = add_session(app, world, status=SessionStatus.CONFIRMED, mode="hybrid")
    add_person(
        app, session_id, world["people"][0], SessionPart.SPEAKER, state=SpeakerState.DECLINED
    )
    login(EMAILS["cochair"])
    response = client.post(
        f"/events/{world['event']}/p2c/sessions/{session_id}/status", data={"to": "published"}
    )
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    for text in (
        "cannot be published yet",
        "start and an end time",
        "Choose a room",
        "streaming link",
        "moderator or a speaker who has not declined",
    ):
        assert text in body
    assert stored(app, session_id).status == SessionStatus.CONFIRMED


def test_online_session_publishes_without_a_room(app, client, login, world):
    session_id = add_session(
        app,
        world,
        status=SessionStatus.CONFIRMED,
        mode="online",
        stream_url="https://stream.example.org/live",
        **placed(world, room=False),
    )
    add_person(app, session_id, world["people"][1])
    login(EMAILS["cochair"])
    response = client.post(
        f"/events/{world['event']}/p2c/sessions/{session_id}/status", data={"to": "published"}
    )
    assert response.status_code == 302
    session = stored(app, session_id)
    assert session.status == SessionStatus.PUBLISHED and session.published_at is not None


def test_hard_conflict_blocks_publishing_with_a_link(app, client, login, world):
    other = add_session(app, world, status=SessionStatus.CONFIRMED, title="Holder", **placed(world))
    session_id = add_session(
        app, world, status=SessionStatus.CONFIRMED, title="Newcomer", **placed(world, 15, 17)
    )
    add_person(app, session_id, world["people"][1])
    login(EMAILS["cochair"])
    response = client.post(
        f"/events/{world['event']}/p2c/sessions/{session_id}/status", data={"to": "published"}
    )
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert 'data-kind="room_double_booked"' in body
    assert f"/p2c/sessions/{other}" in body  # the link to the cause
    assert stored(app, session_id).status == SessionStatus.CONFIRMED


def test_soft_conflict_warns_but_does_not_block(app, client, login, world):
    session_id = add_session(
        app, world, status=SessionStatus.CONFIRMED, capacity=500, **placed(world)
    )
    add_person(app, session_id, world["people"][1])
    login(EMAILS["cochair"])
    url = f"/events/{world['event']}/p2c/sessions/{session_id}"
    assert 'data-kind="over_capacity"' in client.get(url).get_data(as_text=True)
    assert client.post(url + "/status", data={"to": "published"}).status_code == 302
    assert stored(app, session_id).status == SessionStatus.PUBLISHED


def test_edit_of_a_published_session_must_keep_it_publishable(app, client, login, world):
    session_id = add_session(app, world, status=SessionStatus.PUBLISHED, **placed(world))
    add_person(app, session_id, world["people"][1])
    login(EMAILS["cochair"])
    url = f"/events/{world['event']}/p2c/sessions/{session_id}/edit"
    response = client.post(url, data=form(world, room="", title="Renamed"))
    assert response.status_code == 409
    assert "Choose a room" in response.get_data(as_text=True)
    session = stored(app, session_id)
    assert session.title == "Session" and session.room_id == world["room"]
    assert client.post(url, data=form(world, title="Renamed")).status_code == 302
    assert stored(app, session_id).title == "Renamed"


def test_a_published_session_keeps_its_old_problems_editable(app, client, login, world):
    session_id = add_session(app, world, status=SessionStatus.PUBLISHED, **placed(world))
    add_person(app, session_id, world["people"][1], state=SpeakerState.DECLINED)
    login(EMAILS["cochair"])
    url = f"/events/{world['event']}/p2c/sessions/{session_id}"
    assert "Published, but it now lacks:" in client.get(url).get_data(as_text=True)
    response = client.post(url + "/edit", data=form(world, title="Renamed"))
    assert response.status_code == 302
    assert stored(app, session_id).title == "Renamed"


def test_delete_only_drafts(app, client, login, world):
    draft = add_session(app, world)
    proposed = add_session(app, world, status=SessionStatus.PROPOSED)
    login(EMAILS["cochair"])
    base = f"/events/{world['event']}/p2c/sessions"
    assert client.post(f"{base}/{proposed}/delete").status_code == 409
    assert client.post(f"{base}/{draft}/delete").status_code == 302
    assert stored(app, draft) is None and stored(app, proposed) is not None


# --- agenda items -------------------------------------------------------------------------


def test_agenda_items_timed_ordered_and_over_time(app, client, login, world):
    session_id = add_session(app, world, **placed(world, 15, 16))
    login(EMAILS["cochair"])
    base = f"/events/{world['event']}/p2c/sessions/{session_id}"
    for title, minutes in (("Opening", "10"), ("Panel", "40"), ("Questions", "20")):
        response = client.post(base + "/items", data={"title": title, "minutes": minutes})
        assert response.status_code == 302
    body = client.get(base).get_data(as_text=True)
    assert "15:00–15:10" in body and "15:10–15:50" in body and "15:50–16:10" in body
    assert "runs 10 minutes past the end" in body
    with app.app_context():
        items = list(
            db.session.scalars(
                select(AgendaItem)
                .where(AgendaItem.session_id == session_id)
                .order_by(AgendaItem.position)
            )
        )
        ids = [i.id for i in items]
    assert client.post(f"{base}/items/{ids[2]}/move", data={"direction": "up"}).status_code == 302
    assert client.post(f"{base}/items/{ids[0]}/move", data={"direction": "up"}).status_code == 302
    with app.app_context():
        order = list(
            db.session.scalars(
                select(AgendaItem.title)
                .where(AgendaItem.session_id == session_id)
                .order_by(AgendaItem.position)
            )
        )
    assert order == ["Opening", "Questions", "Panel"]
    assert client.post(f"{base}/items/{ids[0]}/move", data={"direction": "left"}).status_code == 400
    edit = client.post(f"{base}/items/{ids[1]}/edit", data={"title": "Discussion", "minutes": "30"})
    assert edit.status_code == 302
    assert client.get(f"{base}/items/{ids[1]}/edit").status_code == 200
    assert client.post(f"{base}/items/{ids[2]}/delete").status_code == 302
    body = client.get(base).get_data(as_text=True)
    assert "Discussion" in body and "Questions" not in body and "past the end" not in body


@pytest.mark.parametrize(
    "data",
    [
        {"title": "", "minutes": "10"},
        {"title": "x" * 301, "minutes": "10"},
        {"title": "Ok", "minutes": "0"},
        {"title": "Ok", "minutes": "601"},
        {"title": "Ok", "minutes": "ten"},
        {"title": "Ok", "minutes": "99999999999999999999999"},
        {"title": "Ok", "minutes": "10", "notes": "x" * 2001},
    ],
)
def test_bad_agenda_items(app, client, login, world, data):
    session_id = add_session(app, world)
    login(EMAILS["cochair"])
    response = client.post(f"/events/{world['event']}/p2c/sessions/{session_id}/items", data=data)
    assert response.status_code == 400
    assert 'class="error"' in response.get_data(as_text=True)
    assert count(app, AgendaItem) == 0


def test_items_of_another_session_are_not_found(app, client, login, world):
    mine = add_session(app, world)
    theirs = add_session(app, world, "ADOPTION")
    with app.app_context():
        item = AgendaItem(session_id=theirs, title="Theirs", minutes=5)
        db.session.add(item)
        db.session.commit()
        item_id = item.id
    login(EMAILS["cochair"])
    base = f"/events/{world['event']}/p2c/sessions/{mine}/items/{item_id}"
    assert client.post(base + "/delete").status_code == 404
    assert client.post(base + "/edit", data={"title": "Mine", "minutes": "5"}).status_code == 404
    assert client.post(base + "/move", data={"direction": "up"}).status_code == 404
    assert count(app, AgendaItem) == 1


# --- the balance from the database ----------------------------------------------------------


def test_session_and_area_balance(app, ctx, world):
    first = add_session(app, world)
    second = add_session(app, world)
    elsewhere = add_session(app, world, "ADOPTION")
    amina, bo, nomail = world["people"]
    add_person(app, first, amina, stakeholder_role="problem_owner")
    add_person(app, first, bo, stakeholder_role="funder", state=SpeakerState.DECLINED)
    add_person(app, second, amina, stakeholder_role="problem_owner")
    add_person(app, second, nomail, stakeholder_role="beneficiary")
    add_person(app, elsewhere, bo, stakeholder_role="funder")
    session = db.session.get(ProgrammeSession, first)
    one = balance.session_balance(session)
    assert one.total == 1 and one.counts("role") == {"problem_owner": 1}
    assert one.counts("group") == {"MS_MIN": 1} and one.counts("region") == {"AFR": 1}
    assert "No funders yet." in one.missing
    area = session.focus_area
    queries = []
    engine = db.engine
    listener = lambda *args: queries.append(args)  # noqa: E731
    sa_event.listen(engine, "before_cursor_execute", listener)
    try:
        whole = balance.area_balance(area)
    finally:
        sa_event.remove(engine, "before_cursor_execute", listener)
    assert whole.total == 3  # Amina on two sessions counts twice; Bo declined
    assert whole.counts("role") == {"problem_owner": 2, "beneficiary": 1}
    assert whole.counts("gender") == {"f": 2, "": 1}
    assert whole.counts("region") == {"AFR": 2, "": 1}
    assert len(queries) == 2
    group = whole["group"].rows[0]
    assert group.code == "MS_MIN" and "Member States" in group.label


def queries_for(app, client, url) -> int:
    """SQL statements one GET of `url` runs."""
    seen = []
    listener = lambda *args: seen.append(args)  # noqa: E731
    with app.app_context():
        engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa_event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


def test_list_and_manage_query_counts_do_not_grow(app, client, login, world):
    login(EMAILS["cochair"])
    first = add_session(app, world, **placed(world))
    add_person(app, first, world["people"][0])
    url = f"/events/{world['event']}/p2c/sessions"
    manage = f"{url}/{first}"
    small, small_manage = queries_for(app, client, url), queries_for(app, client, manage)
    for n in range(12):
        sid = add_session(app, world, "ADOPTION" if n % 2 else "ACCESS", title=f"S{n}")
        add_person(app, sid, world["people"][n % 2])
    with app.app_context():
        for n in range(5):
            db.session.add(AgendaItem(session_id=first, title=f"Item {n}", minutes=5))
        db.session.add(
            SessionPerson(session_id=first, person_id=world["people"][1], part="speaker")
        )
        db.session.commit()
    assert queries_for(app, client, url) == small
    assert queries_for(app, client, manage) == small_manage
