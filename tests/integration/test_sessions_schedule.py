"""The schedule and the conflicts page through the client: who sees and places what,
placing and its refusals (times, another area's or event's ids, mistyped values), the
conflicts shown after placing, the loaders' conflicts on real rows, and query counts that
do not grow with the programme."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from models import (
    AgendaSave,
    AuditEntry,
    BlockKind,
    Event,
    FocusArea,
    Person,
    ProgrammeBlock,
    ProgrammeSession,
    Room,
    SessionFormat,
    SessionMode,
    SessionPart,
    SessionPerson,
    SessionStatus,
    SpeakerState,
    User,
)
from sessions import conflicts
from sessions.core import ensure_focus_areas
from tests.conftest import PASSWORD
from webapp.extensions import db

S = SessionStatus


@pytest.fixture
def world(app, make_user, make_event):
    """An event with two rooms and four sessions of two areas; another event's room."""
    event_id = make_event("SCH-1")
    other_id = make_event("SCH-2")
    make_user("org@x.org", "Olga Organizer", organizer_of=event_id)
    make_user("access@x.org", "Ada Access", cochair_of=(event_id, "ACCESS"))
    make_user("adopt@x.org", "Abe Adoption", cochair_of=(event_id, "ADOPTION"))
    make_user("someone@x.org", "Sam Participant")
    with app.app_context():
        event = db.session.get(Event, event_id)
        areas = {a.code: a.id for a in ensure_focus_areas(event)}
        rooms = [
            Room(event_id=event_id, name="Room A", capacity=100, position=1),
            Room(event_id=event_id, name="Room B", capacity=10, position=2),
            Room(event_id=other_id, name="Elsewhere", capacity=10),
        ]
        db.session.add_all(rooms)
        db.session.commit()
        w = {
            "event": event_id,
            "other": other_id,
            "areas": areas,
            "room_a": rooms[0].id,
            "room_b": rooms[1].id,
            "other_room": rooms[2].id,
            "day2": event.opening_date + timedelta(days=1),
        }
    w["access_draft"] = add_session(app, w, "Access draft", "ACCESS", S.DRAFT)
    w["access_panel"] = add_session(app, w, "Access panel", "ACCESS", S.PROPOSED, "room_a", 14, 15)
    w["adopt_secret"] = add_session(
        app, w, "Adoption secret", "ADOPTION", S.CONFIRMED, "room_a", (14, 30), (15, 30)
    )
    w["adopt_public"] = add_session(
        app, w, "Adoption public", "ADOPTION", S.PUBLISHED, "room_b", 16, 17
    )
    w["ceremony"] = add_session(app, w, "Signing ceremony", None, S.DRAFT)
    return w


def at(world, hour, minute=0, days=0):
    return datetime.combine(world["day2"] + timedelta(days=days), time(hour, minute))


def local(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M")


def _time(world, value):
    if value is None:
        return None
    hour, minute = value if isinstance(value, tuple) else (value, 0)
    return at(world, hour, minute)


def add_session(app, world, title, area, status, room=None, start=None, end=None, **fields):
    with app.app_context():
        session = ProgrammeSession(
            event_id=world["event"],
            focus_area_id=world["areas"][area] if area else None,
            title=title,
            format=SessionFormat.PANEL,
            status=status,
            room_id=world[room] if room else None,
            starts_at=_time(world, start),
            ends_at=_time(world, end),
            **fields,
        )
        db.session.add(session)
        db.session.commit()
        return session.id


@pytest.fixture
def as_user(app):
    def login(email):
        client = app.test_client()
        response = client.post("/account/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302
        return client

    return login


def schedule_url(world, day=None):
    url = f"/events/{world['event']}/p2c/schedule"
    return f"{url}?day={day.isoformat()}" if day else url


def place_url(world, session_id):
    return f"/events/{world['event']}/p2c/schedule/sessions/{session_id}/place"


def place_data(session_id, room="", start=None, end=None, day=None):
    data = {
        f"s{session_id}-room_id": str(room or ""),
        f"s{session_id}-starts_at": local(start) if isinstance(start, datetime) else start or "",
        f"s{session_id}-ends_at": local(end) if isinstance(end, datetime) else end or "",
    }
    if day:
        data["day"] = day.isoformat()
    return data


def stored(app, session_id):
    with app.app_context():
        session = db.session.get(ProgrammeSession, session_id)
        return session.room_id, session.starts_at, session.ends_at


# --- who sees what --------------------------------------------------------------------


def test_schedule_access_per_role(client, world, as_user):
    assert as_user("org@x.org").get(schedule_url(world)).status_code == 200
    assert as_user("access@x.org").get(schedule_url(world)).status_code == 200
    assert as_user("adopt@x.org").get(schedule_url(world)).status_code == 200
    assert as_user("someone@x.org").get(schedule_url(world)).status_code == 403
    anonymous = client.get(schedule_url(world))
    assert anonymous.status_code == 302 and "/account/login" in anonymous.location
    assert as_user("org@x.org").get("/events/999999/p2c/schedule").status_code == 404


def test_the_first_p2c_day_is_shown_by_default_and_days_are_tabs(world, as_user):
    html = as_user("org@x.org").get(schedule_url(world)).get_data(as_text=True)
    day2 = world["day2"].isoformat()
    assert f'day={day2}" aria-current="page"' in html
    assert html.count('class="p2c-day"') == 3  # day 2 afternoon to day 4
    assert "Access panel" in html and "Room A" in html and "Room B" in html
    # A stale or hand-edited day shows the default day rather than failing.
    for bad in ("2001-01-01", "yesterday", "9" * 40):
        page = as_user("org@x.org").get(f"/events/{world['event']}/p2c/schedule?day={bad}")
        assert page.status_code == 200 and f'day={day2}" aria-current="page"' in page.get_data(
            as_text=True
        )


def test_organizer_sees_and_places_everything(world, as_user):
    html = as_user("org@x.org").get(schedule_url(world)).get_data(as_text=True)
    for title in ("Access draft", "Access panel", "Adoption secret", "Adoption public"):
        assert title in html
    assert "Signing ceremony" in html
    for key in ("access_draft", "access_panel", "adopt_secret", "ceremony"):
        assert place_url(world, world[key]) in html


def test_cochair_places_own_area_and_reads_others_published(world, as_user):
    html = as_user("access@x.org").get(schedule_url(world)).get_data(as_text=True)
    assert "Access draft" in html and "Access panel" in html
    assert place_url(world, world["access_draft"]) in html
    assert place_url(world, world["access_panel"]) in html
    assert "Adoption public" in html  # published: shown, read-only
    assert place_url(world, world["adopt_public"]) not in html
    assert f"/programme/sessions/{world['adopt_public']}" in html
    assert "Adoption secret" not in html  # another area's unpublished session: not at all
    assert "Signing ceremony" not in html  # cross-area: organizers only


# --- placing --------------------------------------------------------------------------


def test_organizer_places_a_session_and_sees_its_conflicts(app, world, as_user):
    org = as_user("org@x.org")
    data = place_data(world["access_draft"], world["room_b"], at(world, 16, 30), at(world, 17, 30))
    response = org.post(place_url(world, world["access_draft"]), data=data)
    assert response.status_code == 302
    assert f"placed={world['access_draft']}" in response.location
    assert stored(app, world["access_draft"]) == (
        world["room_b"],
        at(world, 16, 30),
        at(world, 17, 30),
    )
    page = org.get(response.location).get_data(as_text=True)
    assert 'id="placed-conflicts"' in page
    assert "Room B is also booked for “Adoption public”, 16:00–17:00." in page
    assert f"/p2c/sessions/{world['adopt_public']}" in page  # the link to the cause
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "programme.session_placed")
        )
        assert entry.object_id == world["access_draft"]
        assert entry.data["before"]["starts_at"] is None


def test_placing_without_conflicts_says_so(world, as_user):
    org = as_user("org@x.org")
    data = place_data(world["access_draft"], world["room_b"], at(world, 14), at(world, 15))
    page = org.post(place_url(world, world["access_draft"]), data=data, follow_redirects=True)
    assert page.status_code == 200
    assert "“Access draft” has no conflicts." in page.get_data(as_text=True)


def test_cochair_places_own_session_but_not_anothers(app, world, as_user):
    access = as_user("access@x.org")
    data = place_data(world["access_draft"], world["room_a"], at(world, 16), at(world, 17))
    assert access.post(place_url(world, world["access_draft"]), data=data).status_code == 302
    assert stored(app, world["access_draft"])[1] == at(world, 16)
    for key in ("adopt_secret", "adopt_public", "ceremony"):
        data = place_data(world[key], world["room_a"], at(world, 18), at(world, 19))
        assert access.post(place_url(world, world[key]), data=data).status_code == 404
    assert stored(app, world["adopt_public"])[1] == at(world, 16)
    assert stored(app, world["ceremony"]) == (None, None, None)


def test_participants_and_anonymous_cannot_place(app, client, world, as_user):
    data = place_data(world["access_draft"], world["room_a"], at(world, 16), at(world, 17))
    assert (
        as_user("someone@x.org")
        .post(place_url(world, world["access_draft"]), data=data)
        .status_code
        == 403
    )
    response = client.post(place_url(world, world["access_draft"]), data=data)
    assert response.status_code == 302 and "/account/login" in response.location
    assert stored(app, world["access_draft"]) == (None, None, None)


@pytest.mark.parametrize(
    "start, end, message",
    [
        ((16, 0), (15, 0), "The end must be after the start."),
        ((8, 0), (21, 0), "A session lasts at most 12 hours."),
        ("2001-01-01T10:00", "2001-01-01T11:00", "The time must be within the event"),
        ((16, 0), None, "Give an end time as well as a start time."),
        ("noon", (17, 0), "Not a valid datetime value."),
    ],
)
def test_bad_times_are_400_and_nothing_is_lost(app, world, as_user, start, end, message):
    session_id = world["access_panel"]
    before = stored(app, session_id)
    start = at(world, *start) if isinstance(start, tuple) else start
    end = at(world, *end) if isinstance(end, tuple) else end
    data = place_data(session_id, world["room_b"], start, end, day=world["day2"])
    response = as_user("access@x.org").post(place_url(world, session_id), data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    if isinstance(start, datetime):
        assert local(start) in html  # what was typed is still in the form
    assert stored(app, session_id) == before


def test_foreign_and_mistyped_rooms(app, world, as_user):
    org = as_user("org@x.org")
    session_id = world["access_draft"]
    times = (at(world, 16), at(world, 17))
    other = place_data(session_id, world["other_room"], *times)
    assert org.post(place_url(world, session_id), data=other).status_code == 404
    missing = place_data(session_id, 99999999, *times)
    assert org.post(place_url(world, session_id), data=missing).status_code == 404
    typed = place_data(session_id, "room-a", *times)
    response = org.post(place_url(world, session_id), data=typed)
    assert response.status_code == 400
    assert "Choose a room from the list." in response.get_data(as_text=True)
    assert stored(app, session_id) == (None, None, None)


def test_another_events_session_is_a_404(app, world, as_user, make_user):
    make_user("org2@x.org", organizer_of=world["other"])
    data = place_data(world["access_draft"], "", at(world, 16), at(world, 17))
    url = f"/events/{world['other']}/p2c/schedule/sessions/{world['access_draft']}/place"
    assert as_user("org2@x.org").post(url, data=data).status_code == 404
    assert as_user("org@x.org").post(place_url(world, 99999999), data=data).status_code == 404


def test_room_id_beyond_the_databases_integers_is_404_not_500(app, world, as_user):
    session_id = world["access_panel"]
    data = place_data(session_id, "99999999999", at(world, 16), at(world, 17))
    response = as_user("org@x.org").post(place_url(world, session_id), data=data)
    assert response.status_code == 404
    assert stored(app, session_id) == (world["room_a"], at(world, 14), at(world, 15))


def test_online_session_without_room_and_taking_off_the_grid(app, world, as_user):
    org = as_user("org@x.org")
    session_id = world["access_panel"]
    data = place_data(session_id, "", at(world, 16), at(world, 17))
    assert org.post(place_url(world, session_id), data=data).status_code == 302
    assert stored(app, session_id) == (None, at(world, 16), at(world, 17))
    html = org.get(schedule_url(world)).get_data(as_text=True)
    assert "No room (online)" in html
    assert org.post(place_url(world, session_id), data=place_data(session_id)).status_code == 302
    assert stored(app, session_id) == (None, None, None)


def test_a_published_session_is_not_taken_off_the_grid(app, world, as_user):
    session_id = world["adopt_public"]
    response = as_user("adopt@x.org").post(
        place_url(world, session_id), data=place_data(session_id)
    )
    assert response.status_code == 409
    assert "A published session stays in the programme" in response.get_data(as_text=True)
    assert stored(app, session_id)[1] == at(world, 16)


def test_a_published_session_keeps_its_room_on_the_schedule_as_on_its_form(app, world, as_user):
    """The schedule keeps the session form's rule: a published in-person session may not
    lose its room (it would stop being publishable)."""
    session_id = world["adopt_public"]
    no_room = place_data(session_id, "", at(world, 16), at(world, 17))
    response = as_user("adopt@x.org").post(place_url(world, session_id), data=no_room)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "A published session must stay publishable" in html
    assert "Choose a room" in html
    assert stored(app, session_id) == (world["room_b"], at(world, 16), at(world, 17))
    # Moving it to another free room and time is fine.
    elsewhere = place_data(session_id, world["room_a"], at(world, 17), at(world, 18))
    response = as_user("adopt@x.org").post(place_url(world, session_id), data=elsewhere)
    assert response.status_code == 302
    assert stored(app, session_id) == (world["room_a"], at(world, 17), at(world, 18))


def test_no_session_may_give_a_published_one_a_hard_conflict(app, world, as_user):
    """The public programme never shows a clash: a proposed session cannot be placed into
    a published session's room and time; a draft may (drafts hold no room) but cannot
    then leave draft while the clash stands."""
    published_slot = (world["room_b"], at(world, 16), at(world, 17))
    ada = as_user("access@x.org")
    proposed = place_data(world["access_panel"], *published_slot)
    response = ada.post(place_url(world, world["access_panel"]), data=proposed)
    assert response.status_code == 409
    assert "A published session may not get a hard conflict" in response.get_data(as_text=True)
    assert stored(app, world["access_panel"]) == (world["room_a"], at(world, 14), at(world, 15))

    draft = place_data(world["access_draft"], *published_slot)
    assert ada.post(place_url(world, world["access_draft"]), data=draft).status_code == 302
    assert stored(app, world["access_draft"]) == published_slot
    status_url = f"/events/{world['event']}/p2c/sessions/{world['access_draft']}/status"
    response = ada.post(status_url, data={"to": "proposed"})
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(ProgrammeSession, world["access_draft"]).status == S.DRAFT


# --- the conflicts page ---------------------------------------------------------------


def conflicts_url(world):
    return f"/events/{world['event']}/p2c/conflicts"


def test_conflicts_page_access_per_role(client, world, as_user):
    assert as_user("org@x.org").get(conflicts_url(world)).status_code == 200
    assert as_user("access@x.org").get(conflicts_url(world)).status_code == 200
    assert as_user("someone@x.org").get(conflicts_url(world)).status_code == 403
    assert client.get(conflicts_url(world)).status_code == 302


def test_conflicts_page_lists_hard_first_with_links(app, world, as_user):
    with app.app_context():
        db.session.add(
            ProgrammeBlock(
                event_id=world["event"],
                kind=BlockKind.BREAK,
                title="Coffee",
                starts_at=at(world, 16, 30),
                ends_at=at(world, 17),
            )
        )
        db.session.commit()
    html = as_user("org@x.org").get(conflicts_url(world)).get_data(as_text=True)
    assert html.count('class="conflict-hard"') == 2  # the double-booked pair, both ways
    assert html.count('class="conflict-soft"') == 1
    assert html.index("conflict-hard") < html.index("conflict-soft")
    assert "Room A is also booked for “Adoption secret”, 14:30–15:30." in html
    assert "It overlaps the break “Coffee”, 16:30–17:00." in html
    assert f"/events/{world['event']}/p2c/venue#blocks" in html
    assert f"/p2c/sessions/{world['adopt_secret']}" in html


def test_cochair_sees_own_conflicts_without_names_of_hidden_sessions(world, as_user):
    html = as_user("access@x.org").get(conflicts_url(world)).get_data(as_text=True)
    assert "Access panel" in html
    assert "Adoption secret" not in html
    assert "another session you cannot see" in html
    assert "Not yours to open" in html
    adopt = as_user("adopt@x.org").get(conflicts_url(world)).get_data(as_text=True)
    assert "Adoption secret" in adopt and "Access panel" not in adopt


# --- the loaders on real rows ---------------------------------------------------------


def test_loaders_count_people_saves_and_capacity(app, world):
    with app.app_context():
        session = db.session.get(ProgrammeSession, world["adopt_public"])  # Room B holds 10
        people = [Person(last_name=f"P{n}", email=f"p{n}@x.org") for n in range(12)]
        db.session.add_all(people)
        db.session.flush()
        for n, person in enumerate(people[:8]):
            state = SpeakerState.CONFIRMED if n < 6 else SpeakerState.DECLINED
            db.session.add(
                SessionPerson(
                    session_id=session.id,
                    person_id=person.id,
                    part=SessionPart.SPEAKER,
                    state=state,
                )
            )
        users = [User(email=f"u{n}@x.org", name=f"U{n}", password_hash="x") for n in range(5)]
        db.session.add_all(users)
        db.session.flush()
        db.session.add_all(AgendaSave(user_id=u.id, session_id=session.id) for u in users)
        db.session.commit()
        found = conflicts.session_conflicts(session)
        assert [c.kind for c in found] == ["over_capacity"]
        assert "11 people are expected" in found[0].message
        assert conflicts.hard_conflicts(session) == []


def test_loaders_find_people_in_two_places_and_ignore_drafts(app, world):
    with app.app_context():
        person = Person(first_name="Ana", last_name="Lima", email="ana@x.org")
        db.session.add(person)
        db.session.flush()
        for key in ("access_panel", "adopt_public"):
            db.session.add(
                SessionPerson(session_id=world[key], person_id=person.id, part=SessionPart.SPEAKER)
            )
        public = db.session.get(ProgrammeSession, world["adopt_public"])
        public.starts_at, public.ends_at = at(world, 14, 30), at(world, 15)
        draft = db.session.get(ProgrammeSession, world["access_draft"])
        draft.room_id, draft.starts_at, draft.ends_at = (
            world["room_a"],
            at(world, 16),
            at(world, 17),
        )
        db.session.commit()
        panel = db.session.get(ProgrammeSession, world["access_panel"])
        kinds = sorted(c.kind for c in conflicts.hard_conflicts(panel))
        assert kinds == ["person_double_booked", "room_double_booked"]
        assert conflicts.session_conflicts(draft) == []
        # The draft in Room A holds nothing: a session placed on it is not double-booked.
        panel.starts_at, panel.ends_at = at(world, 16), at(world, 17)
        public.starts_at = at(world, 18)
        public.ends_at = at(world, 19)
        db.session.flush()
        assert conflicts.session_conflicts(panel) == []
        online_row = ProgrammeSession(
            event_id=world["event"],
            focus_area_id=world["areas"]["ACCESS"],
            title="Online",
            format=SessionFormat.PANEL,
            status=S.PROPOSED,
            mode=SessionMode.ONLINE,
            starts_at=at(world, 16),
            ends_at=at(world, 17),
        )
        db.session.add(online_row)
        db.session.flush()
        assert conflicts.session_conflicts(online_row) == []
        db.session.rollback()


def test_plenary_and_window_on_real_rows(app, world):
    with app.app_context():
        db.session.add(
            ProgrammeBlock(
                event_id=world["event"],
                kind=BlockKind.PLENARY,
                title="Plenary 4",
                room_id=world["room_b"],
                starts_at=at(world, 16, 30),
                ends_at=at(world, 18),
            )
        )
        panel = db.session.get(ProgrammeSession, world["access_panel"])
        panel.starts_at, panel.ends_at = at(world, 10), at(world, 11)  # before 14:00 on day 2
        db.session.commit()
        public = db.session.get(ProgrammeSession, world["adopt_public"])
        assert [c.kind for c in conflicts.hard_conflicts(public)] == ["plenary_overlap"]
        assert [c.kind for c in conflicts.hard_conflicts(panel)] == ["outside_window"]
        ceremony = db.session.get(ProgrammeSession, world["ceremony"])
        ceremony.starts_at, ceremony.ends_at = at(world, 10), at(world, 11)
        ceremony.status = S.PROPOSED
        db.session.flush()
        assert conflicts.session_conflicts(ceremony) == []  # cross-area
        db.session.rollback()


def test_unplaced_session_has_no_conflicts(app, world):
    with app.app_context():
        draft = db.session.get(ProgrammeSession, world["access_draft"])
        assert conflicts.session_conflicts(draft) == []


# --- query counts ---------------------------------------------------------------------


def _queries(app, client, url) -> int:
    with app.app_context():
        engine = db.engine
    seen = []

    def count(*_args, **_kwargs):
        seen.append(1)

    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def populate(app, world, n, start=0):
    """n more sessions of every status over days 2 to 4, in both rooms, with a speaker
    each (one person on many of them) and agenda saves."""
    statuses = [S.DRAFT, S.PROPOSED, S.CONFIRMED, S.PUBLISHED]
    codes = ["ACCESS", "ADOPTION", "VALUE_CREATION", "ACCELERATE"]
    with app.app_context():
        shared = Person(last_name="Everywhere", email=f"everywhere{start}@x.org")
        db.session.add(shared)
        user = User(email=f"saver{start}@x.org", name="Saver", password_hash="x")
        db.session.add(user)
        db.session.flush()
        for i in range(start, start + n):
            placed = i % 5 != 0
            session = ProgrammeSession(
                event_id=world["event"],
                focus_area_id=world["areas"][codes[i % 4]],
                title=f"Generated {i}",
                format=SessionFormat.ROUNDTABLE,
                status=statuses[i % 4],
                room_id=(world["room_a"], world["room_b"])[i % 2] if placed else None,
                starts_at=at(world, 14 + i % 4, days=i % 3) if placed else None,
                ends_at=at(world, 15 + i % 4, days=i % 3) if placed else None,
            )
            db.session.add(session)
            db.session.flush()
            db.session.add(
                SessionPerson(session_id=session.id, person_id=shared.id, part=SessionPart.SPEAKER)
            )
            db.session.add(AgendaSave(user_id=user.id, session_id=session.id))
        db.session.add(
            ProgrammeBlock(
                event_id=world["event"],
                kind=BlockKind.BREAK,
                title=f"Break {start}",
                starts_at=at(world, 15, 30),
                ends_at=at(world, 16),
            )
        )
        db.session.commit()


@pytest.mark.parametrize("email", ["org@x.org", "access@x.org"])
def test_query_counts_do_not_grow_with_the_programme(app, world, as_user, email):
    client = as_user(email)
    populate(app, world, 8)
    pages = [schedule_url(world, world["day2"]), conflicts_url(world)]
    few = [_queries(app, client, url) for url in pages]
    populate(app, world, 120, start=100)
    many = [_queries(app, client, url) for url in pages]
    assert few == many
    with app.app_context():
        assert len(db.session.scalars(select(FocusArea.id)).all()) >= 4


def test_huge_ids_are_404s(world, as_user):
    org = as_user("org@x.org")
    huge = "9" * 40
    data = place_data(world["access_draft"], huge, at(world, 16), at(world, 17))
    response = org.post(place_url(world, world["access_draft"]), data=data)
    assert response.status_code == 400  # not a room of the list
    assert org.post(place_url(world, huge), data=data).status_code == 404
    assert org.get(f"/events/{world['event']}/p2c/venue/rooms/{huge}").status_code == 404


# --- the day grid ---------------------------------------------------------------------


def test_day_grid_lanes_extent_and_columns(app, world):
    from types import SimpleNamespace as Row

    from sessions.scheduling import day_grid

    rooms = [Row(id=1, name="A"), Row(id=2, name="B")]
    sessions = [
        Row(id=10, room_id=1, starts_at=at(world, 14), ends_at=at(world, 15, 30)),
        Row(id=11, room_id=1, starts_at=at(world, 15), ends_at=at(world, 16)),
        Row(id=12, room_id=2, starts_at=at(world, 7, 15), ends_at=at(world, 8)),
        Row(id=13, room_id=None, starts_at=at(world, 20), ends_at=at(world, 21, 10)),
        Row(id=14, room_id=2, starts_at=at(world, 9, days=1), ends_at=at(world, 10, days=1)),
    ]
    blocks = [Row(room_id=None, starts_at=at(world, 12), ends_at=at(world, 13))]
    grid = day_grid(world["day2"], rooms, sessions, blocks, "No room")
    assert grid.times[0] == at(world, 7) and grid.times[-1] == at(world, 21)
    assert [(c.room_id, c.first, c.lanes) for c in grid.columns] == [
        (1, 2, 2),
        (2, 4, 1),
        (None, 5, 1),
    ]
    assert "repeat(2, minmax(7rem, 1fr))" in grid.template
    spans = {
        i.obj.id: (i.row, i.row_end, i.column, i.column_end)
        for i in grid.items
        if i.kind == "session"
    }
    assert spans[10] == (16, 19, 2, 3) and spans[11] == (18, 20, 3, 4)
    assert spans[12] == (2, 4, 4, 5)  # 07:15 starts in the 07:00 row
    assert spans[13] == (28, 31, 5, 6)  # 21:10 ends inside the 21:00 row
    assert 14 not in spans  # another day
    block = next(i for i in grid.items if i.kind == "block")
    assert (block.row, block.row_end, block.column, block.column_end) == (12, 14, 2, 6)


def test_a_published_session_is_not_moved_into_a_hard_conflict(app, world, as_user):
    session_id = world["adopt_public"]
    clash = place_data(session_id, world["room_a"], at(world, 14), at(world, 15))
    response = as_user("adopt@x.org").post(place_url(world, session_id), data=clash)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "A published session cannot move into a hard conflict" in html
    assert "Room A is also booked for “another session you cannot see”" in html
    assert stored(app, session_id) == (world["room_b"], at(world, 16), at(world, 17))
    # A warning (a break) does not stop it.
    with app.app_context():
        db.session.add(
            ProgrammeBlock(
                event_id=world["event"],
                kind=BlockKind.BREAK,
                title="Coffee",
                starts_at=at(world, 17),
                ends_at=at(world, 17, 30),
            )
        )
        db.session.commit()
    later = place_data(session_id, world["room_b"], at(world, 16, 30), at(world, 17, 30))
    assert as_user("adopt@x.org").post(place_url(world, session_id), data=later).status_code == 302
    assert stored(app, session_id)[1] == at(world, 16, 30)
