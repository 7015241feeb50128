"""The public programme, session pages, personal agendas and the exports, through the
client, for every role: anonymous, participant, organizer, co-chair of this area and of
another. Public pages are the same for all; the agenda needs a login. Only published
sessions of the event are shown; Chatham House sessions name no one; people who declined
never appear; another event's or an unpublished session is a 404."""

from __future__ import annotations

import itertools
import re
import uuid
from datetime import datetime, time, timedelta
from xml.etree import ElementTree as ET

import pytest
from icalendar import Calendar
from sqlalchemy import event as sa_event
from sqlalchemy import select

from models import (
    AgendaItem,
    AgendaSave,
    Event,
    FocusArea,
    Organization,
    Person,
    ProgrammeSession,
    Room,
    SessionFormat,
    SessionMode,
    SessionPart,
    SessionPerson,
    SessionStatus,
    SpeakerState,
    User,
    Visibility,
)
from webapp.extensions import db

_numbers = itertools.count(1)

# --- factories ------------------------------------------------------------------------------


def at(event: Event, day: int, hour: int, minute: int = 0) -> datetime:
    """Event-local time on day `day` (1 = opening day)."""
    return datetime.combine(event.opening_date + timedelta(days=day - 1), time(hour, minute))


def add_room(event: Event, name: str, position: int = 0, capacity: int = 100) -> Room:
    room = Room(event_id=event.id, name=name, position=position, capacity=capacity)
    db.session.add(room)
    db.session.flush()
    return room


def add_area(event: Event, code: str, position: int = 0) -> FocusArea:
    area = FocusArea(
        event_id=event.id,
        code=code,
        position=position,
        label=code.replace("_", " "),
        name={"en": f"{code.title()} area"},
        description={"en": ""},
        pillars={},
    )
    db.session.add(area)
    db.session.flush()
    return area


def add_session(
    event: Event,
    title: str,
    *,
    area: FocusArea | None = None,
    room: Room | None = None,
    starts_at: datetime | None = None,
    minutes: int = 60,
    status: SessionStatus = SessionStatus.PUBLISHED,
    format: SessionFormat = SessionFormat.PANEL,
    **fields,
) -> ProgrammeSession:
    """A session placed at `starts_at` for `minutes` (unplaced without it)."""
    session = ProgrammeSession(
        event_id=event.id,
        title=title,
        format=format,
        focus_area_id=area.id if area else None,
        room_id=room.id if room else None,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes) if starts_at else None,
        status=status,
        **fields,
    )
    db.session.add(session)
    db.session.flush()
    return session


def add_person(
    session: ProgrammeSession,
    last_name: str,
    *,
    first_name: str = "",
    part: SessionPart = SessionPart.SPEAKER,
    state: SpeakerState = SpeakerState.CONFIRMED,
    function: str = "",
    organization: Organization | None = None,
) -> Person:
    person = Person(
        first_name=first_name,
        last_name=last_name,
        function=function,
        email=f"person{next(_numbers)}@example.org",
        organization_id=organization.id if organization else None,
    )
    db.session.add(person)
    db.session.flush()
    db.session.add(
        SessionPerson(
            session_id=session.id,
            person_id=person.id,
            part=part,
            state=state,
            position=len(session.people),
        )
    )
    db.session.flush()
    return person


def add_agenda(session: ProgrammeSession, *items: tuple[str, int]) -> None:
    for position, (title, minutes) in enumerate(items):
        db.session.add(
            AgendaItem(session_id=session.id, position=position, title=title, minutes=minutes)
        )
    db.session.flush()


def bulk_programme(event: Event, n: int, rooms: int = 4, people: int = 3, start: int = 0) -> None:
    """`n` published sessions with people, organizations and agenda items, in `rooms`
    rooms, one an hour from day 2, 09:00 (for query counts)."""
    room_rows = [
        add_room(event, f"Bulk room {next(_numbers)}", position=10 + i) for i in range(rooms)
    ]
    area = db.session.scalar(select(FocusArea).where(FocusArea.event_id == event.id)) or add_area(
        event, "ACCESS"
    )
    organization = Organization(name=f"Bulk org {next(_numbers)}")
    db.session.add(organization)
    db.session.flush()
    for i in range(n):
        slot = i // rooms
        session = add_session(
            event,
            f"Bulk session {start + i}",
            area=area,
            room=room_rows[i % rooms],
            starts_at=at(event, 2 + slot // 9, 9 + slot % 9),
        )
        for j in range(people):
            add_person(
                session,
                f"Speaker {start + i}-{j}",
                organization=organization,
                function="Director",
            )
        add_agenda(session, ("Opening", 10), ("Discussion", 40))


# --- the shared programme ---------------------------------------------------------------------


def seed_programme(app, make_event, make_user) -> dict[str, int]:
    """Event A with two rooms, two areas and five sessions (three published), event B
    with one published session; a participant, an organizer and two co-chairs of A.
    Returns the ids by name."""
    event_id = make_event("PROG-A", name="Programme Conference", venue="CICG")
    other_id = make_event("PROG-B", name="Other Conference")
    with app.app_context():
        event = db.session.get(Event, event_id)
        other = db.session.get(Event, other_id)
        hall, annex = add_room(event, "Room 1", 1), add_room(event, "Room 2", 2)
        access, adoption = add_area(event, "ACCESS", 1), add_area(event, "ADOPTION", 2)
        ministry = Organization(name="Ministry of Digital Affairs")
        db.session.add(ministry)
        db.session.flush()
        open_panel = add_session(
            event,
            "Connecting schools",
            area=access,
            room=hall,
            starts_at=at(event, 2, 14),
            mode=SessionMode.HYBRID,
            stream_url="https://stream.example.org/schools",
            languages=["en", "fr"],
            interpretation=["zh"],
            description="How to connect every school by 2030.",
        )
        add_person(
            open_panel,
            "Lovelace",
            first_name="Ada",
            part=SessionPart.MODERATOR,
            function="Minister",
            organization=ministry,
        )
        add_person(open_panel, "Hopper", first_name="Grace")
        add_person(open_panel, "Declined", first_name="Dan", state=SpeakerState.DECLINED)
        # Asked but not yet confirmed: not public until they agree.
        add_person(open_panel, "Asked", first_name="Alan", state=SpeakerState.ASKED)
        add_agenda(open_panel, ("Opening remarks", 10), ("Panel discussion", 30))
        closed = add_session(
            event,
            "Closed roundtable",
            area=adoption,
            room=annex,
            starts_at=at(event, 2, 14, 30),
            format=SessionFormat.ROUNDTABLE,
            visibility=Visibility.INVITATION_ONLY,
            chatham_house=True,
            mode=SessionMode.HYBRID,
            stream_url="https://stream.example.org/secret",
            languages=["en"],
        )
        add_person(closed, "Speaker", first_name="Secret", function="Envoy")
        draft = add_session(
            event,
            "Draft idea",
            area=access,
            room=hall,
            starts_at=at(event, 3, 9),
            status=SessionStatus.DRAFT,
        )
        confirmed = add_session(
            event,
            "Confirmed not published",
            area=access,
            room=annex,
            starts_at=at(event, 3, 9),
            status=SessionStatus.CONFIRMED,
        )
        online = add_session(
            event,
            "Online dialogue",
            starts_at=at(event, 3, 10),
            format=SessionFormat.HIGH_LEVEL_DIALOGUE,
            mode=SessionMode.ONLINE,
            stream_url="https://stream.example.org/dialogue",
            languages=["es"],
        )
        elsewhere = add_session(other, "Other event session", starts_at=at(other, 2, 14))
        db.session.commit()
        ids = {
            "event": event.id,
            "other": other.id,
            "open": open_panel.id,
            "closed": closed.id,
            "draft": draft.id,
            "confirmed": confirmed.id,
            "online": online.id,
            "elsewhere": elsewhere.id,
            "hall": hall.id,
            "annex": annex.id,
        }
    make_user("participant@example.org", "Pat Participant")
    make_user("organizer@example.org", "Olga Organizer", organizer_of=event_id)
    make_user("cochair@example.org", "Cora Cochair", cochair_of=(event_id, "ACCESS"))
    make_user("othercochair@example.org", "Otto Other", cochair_of=(event_id, "ADOPTION"))
    return ids


@pytest.fixture
def programme(app, make_event, make_user):
    """The programme of `seed_programme`."""
    return seed_programme(app, make_event, make_user)


ROLES = [
    None,
    "participant@example.org",
    "organizer@example.org",
    "cochair@example.org",
    "othercochair@example.org",
]
PUBLISHED = ("Connecting schools", "Closed roundtable", "Online dialogue")
HIDDEN = ("Draft idea", "Confirmed not published", "Other event session")


def _text(response) -> str:
    return response.get_data(as_text=True)


# --- the programme page -----------------------------------------------------------------------


@pytest.mark.parametrize("who", ROLES)
def test_programme_is_the_same_for_every_role(client, login, programme, who):
    if who:
        login(who)
    response = client.get(f"/events/{programme['event']}/programme")
    assert response.status_code == 200
    page = _text(response)
    for title in PUBLISHED:
        assert title in page
    for title in HIDDEN:
        assert title not in page
    assert "3 sessions" in page
    assert "Europe/Zurich" in page
    assert "Invitation only" in page
    # Public people only: the declined and the Chatham House speaker are not named.
    assert "Ada Lovelace" in page and "Grace Hopper" in page
    assert "Dan Declined" not in page and "Secret Speaker" not in page
    forms = page.count('class="inline agenda-form"')
    assert forms == (3 if who else 0)
    assert ("Log in to keep a personal agenda" in page) is (who is None)


def test_programme_groups_by_day_and_time(client, programme, app):
    page = _text(client.get(f"/events/{programme['event']}/programme"))
    with app.app_context():
        event = db.session.get(Event, programme["event"])
        day2, day3 = at(event, 2, 0).date(), at(event, 3, 0).date()
    assert page.index(f'id="day-{day2.isoformat()}"') < page.index(f'id="day-{day3.isoformat()}"')
    assert page.index("Connecting schools") < page.index("Closed roundtable")
    assert page.index("Closed roundtable") < page.index("Online dialogue")
    assert "14:00" in page and "14:30" in page and "10:00" in page


def test_programme_at_a_glance_by_room(client, programme):
    page = _text(client.get(f"/events/{programme['event']}/programme?view=rooms"))
    assert "Room 1" in page and "Room 2" in page and "Online" in page
    assert 'class="room-column"' in page
    for title in PUBLISHED:
        assert title in page


def _shown(client, programme, query: str) -> set[str]:
    page = _text(client.get(f"/events/{programme['event']}/programme?{query}"))
    return {t for t in PUBLISHED if f">{t}</a>" in page}


def test_programme_filters(client, app, programme):
    with app.app_context():
        event = db.session.get(Event, programme["event"])
        day2, day3 = at(event, 2, 0).date(), at(event, 3, 0).date()
    assert _shown(client, programme, f"day={day2}") == {"Connecting schools", "Closed roundtable"}
    assert _shown(client, programme, f"day={day3}") == {"Online dialogue"}
    assert _shown(client, programme, f"room={programme['annex']}") == {"Closed roundtable"}
    assert _shown(client, programme, "focus_area=ACCESS") == {"Connecting schools"}
    assert _shown(client, programme, "focus_area=adoption") == {"Closed roundtable"}
    assert _shown(client, programme, "format=high_level_dialogue") == {"Online dialogue"}
    assert _shown(client, programme, "mode=online") == {"Online dialogue"}
    assert _shown(client, programme, "mode=hybrid") == {"Connecting schools", "Closed roundtable"}
    # Spoken or interpreted into: Chinese is interpreted in the open panel.
    assert _shown(client, programme, "language=zh") == {"Connecting schools"}
    assert _shown(client, programme, "language=es") == {"Online dialogue"}
    assert _shown(client, programme, "language=en") == {"Connecting schools", "Closed roundtable"}
    assert _shown(client, programme, f"day={day2}&room={programme['hall']}&language=fr") == {
        "Connecting schools"
    }
    page = _text(client.get(f"/events/{programme['event']}/programme?format=roundtable&day={day3}"))
    assert "No published session matches these filters." in page


@pytest.mark.parametrize(
    "query, name",
    [
        ("day=tomorrow", "day"),
        ("day=1999-01-01", "day"),
        ("room=abc", "room"),
        ("room=99999999999999999999999", "room"),
        ("focus_area=NOPE", "focus_area"),
        ("focus_area=%3Cscript%3E", "focus_area"),
        ("format=keynote", "format"),
        ("mode=teleport", "mode"),
        ("language=de", "language"),
        ("view=grid", "view"),
    ],
)
def test_bad_filters_are_ignored_with_a_message(client, programme, query, name):
    response = client.get(f"/events/{programme['event']}/programme?{query}")
    assert response.status_code == 200
    page = _text(response)
    assert f"The filter {name} was ignored" in page
    for title in PUBLISHED:  # the rest of the programme is still there
        assert title in page


def test_another_events_room_is_refused(client, app, programme):
    with app.app_context():
        other = db.session.get(Event, programme["other"])
        room_id = add_room(other, "Elsewhere").id
        db.session.commit()
    page = _text(client.get(f"/events/{programme['event']}/programme?room={room_id}"))
    assert "The filter room was ignored" in page


@pytest.mark.parametrize(
    "path",
    [
        "/events/999999/programme",
        "/events/99999999999999999999/programme",
        "/events/999999/programme.ics",
        "/events/999999/programme/schedule.xml",
        "/events/999999/programme/schedule.json",
    ],
)
def test_unknown_event_is_404(client, programme, path):
    assert client.get(path).status_code == 404


# --- the session page ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ROLES)
def test_session_page(client, login, programme, who):
    if who:
        login(who)
    url = f"/events/{programme['event']}/programme/sessions/{programme['open']}"
    page = _text(client.get(url))
    assert "<h1>Connecting schools</h1>" in page
    assert "Panel session" in page and "Access area" in page
    assert "Room 1" in page and "CICG" in page
    assert "Europe/Zurich" in page
    assert "14:00" in page and "15:00" in page
    assert "Hybrid" in page and 'href="https://stream.example.org/schools"' in page
    assert "English" in page and "Français" in page and "中文" in page
    assert "How to connect every school by 2030." in page
    # Agenda items with computed times.
    assert "14:00–14:10" in page and "14:10–14:40" in page
    assert "Opening remarks" in page and "Panel discussion" in page
    # People: name, function, organization, part; never who declined.
    assert "Ada Lovelace" in page and "Minister" in page
    assert "Ministry of Digital Affairs" in page and "Moderator" in page
    assert "Grace Hopper" in page and "Dan Declined" not in page
    assert "Alan Asked" not in page
    assert "Chatham House" not in page and "invitation-only" not in page
    assert ('class="inline agenda-form"' in page) is bool(who)


def test_curators_agenda_notes_stay_off_every_public_view(client, app, programme):
    """Agenda item notes are the curators' (the API, iCal and Frab never carried them);
    the session page leaves them out too."""
    with app.app_context():
        item = db.session.scalar(
            select(AgendaItem).where(AgendaItem.session_id == programme["open"]).limit(1)
        )
        item.notes = "Ask the minister to keep it short"
        db.session.commit()
    event, session_id = programme["event"], programme["open"]
    for url in (
        f"/events/{event}/programme/sessions/{session_id}",
        f"/events/{event}/programme/sessions/{session_id}.ics",
        f"/events/{event}/programme/schedule.xml",
        f"/events/{event}/programme/schedule.json",
        f"/api/v1/sessions/{session_id}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "keep it short" not in response.get_data(as_text=True), url


def test_chatham_house_and_invitation_only(client, programme):
    url = f"/events/{programme['event']}/programme/sessions/{programme['closed']}"
    page = _text(client.get(url))
    assert 'id="chatham-house"' in page and "Chatham House rule" in page
    assert "Secret Speaker" not in page and "Envoy" not in page
    assert 'id="invitation-only"' in page
    # An invitation-only session's stream is for its invitees, not the public page.
    assert "stream.example.org/secret" not in page
    assert "The streaming link goes to the invited participants." in page


def test_online_session_without_room(client, programme):
    page = _text(
        client.get(f"/events/{programme['event']}/programme/sessions/{programme['online']}")
    )
    assert "Online" in page and "All focus areas" in page
    assert 'href="https://stream.example.org/dialogue"' in page
    assert "The speakers will be announced." in page


@pytest.mark.parametrize("key", ["draft", "confirmed", "elsewhere"])
def test_unpublished_or_other_events_session_is_404(client, login, programme, key):
    login("organizer@example.org")  # not even the organizer sees it on the public page
    base = f"/events/{programme['event']}/programme/sessions/{programme[key]}"
    assert client.get(base).status_code == 404
    assert client.get(base + ".ics").status_code == 404


@pytest.mark.parametrize("session_id", ["999999", "99999999999999999999", "abc", "-1"])
def test_unknown_session_is_404(client, programme, session_id):
    base = f"/events/{programme['event']}/programme/sessions/{session_id}"
    assert client.get(base).status_code == 404
    assert client.get(base + ".ics").status_code == 404


def test_session_of_another_event_under_its_own_event_works(client, programme):
    url = f"/events/{programme['other']}/programme/sessions/{programme['elsewhere']}"
    assert client.get(url).status_code == 200


# --- personal agenda -------------------------------------------------------------------------


def _toggle(client, programme, key, action="add", **extra):
    url = f"/events/{programme['event']}/programme/sessions/{programme[key]}/agenda"
    data = {"action": action, **extra} if action is not None else extra
    return client.post(url, data=data, headers=extra.pop("headers", None) or {})


def _saved(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(AgendaSave.session_id).order_by(AgendaSave.id)))


def test_anonymous_agenda_needs_login(client, app, programme):
    event = programme["event"]
    response = client.get(f"/events/{event}/programme/agenda")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    response = _toggle(client, programme, "open")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    response = client.post(
        f"/events/{event}/programme/sessions/{programme['open']}/agenda",
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"
    assert client.get(f"/events/{event}/programme/agenda.ics").status_code == 302
    assert _saved(app) == []


@pytest.mark.parametrize("who", ROLES[1:])
def test_add_see_and_remove(client, app, login, programme, who):
    login(who)
    event = programme["event"]
    programme_url = f"/events/{event}/programme"
    response = _toggle(client, programme, "open", next=programme_url)
    assert response.status_code == 302 and response.headers["Location"] == programme_url
    assert _saved(app) == [programme["open"]]
    # Adding twice keeps one row.
    assert _toggle(client, programme, "open").status_code == 302
    assert _saved(app) == [programme["open"]]
    page = _text(client.get(f"/events/{event}/programme/agenda"))
    assert "Connecting schools" in page and "1 session" in page
    assert "Remove from my agenda" in page
    # The programme now offers to remove it.
    page = _text(client.get(programme_url))
    assert page.count("Remove from my agenda</span>") == 1
    response = _toggle(client, programme, "open", action="remove")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/events/{event}/programme/sessions/{programme['open']}"
    )
    assert _saved(app) == []
    page = _text(client.get(f"/events/{event}/programme/agenda"))
    assert "Your agenda is empty." in page and ">Connecting schools</a>" not in page
    # Removing what is not there is fine.
    assert _toggle(client, programme, "open", action="remove").status_code == 302


def test_toggle_without_action_and_as_json(client, app, login, programme):
    login("participant@example.org")
    url = f"/events/{programme['event']}/programme/sessions/{programme['closed']}/agenda"
    assert client.post(url).status_code == 302
    assert _saved(app) == [programme["closed"]]
    assert client.post(url).status_code == 302
    assert _saved(app) == []
    response = client.post(url, data={"action": "add"}, headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.get_json() == {"session": programme["closed"], "saved": True, "count": 1}
    response = client.post(url, data={"action": "remove"}, headers={"Accept": "application/json"})
    assert response.get_json() == {"session": programme["closed"], "saved": False, "count": 0}


def test_toggle_get_goes_to_the_session(client, login, programme):
    login("participant@example.org")
    url = f"/events/{programme['event']}/programme/sessions/{programme['open']}/agenda"
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/sessions/{programme['open']}")


@pytest.mark.parametrize("action", ["delete", "x" * 500])
def test_bad_action_is_400(client, app, login, programme, action):
    login("participant@example.org")
    assert _toggle(client, programme, "open", action=action).status_code == 400
    assert _saved(app) == []


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "javascript:1"])
def test_no_open_redirect(client, login, programme, next_url):
    login("participant@example.org")
    response = _toggle(client, programme, "open", next=next_url)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/sessions/{programme['open']}")


@pytest.mark.parametrize("key", ["draft", "confirmed", "elsewhere"])
def test_only_published_sessions_of_the_event_go_on_an_agenda(client, app, login, programme, key):
    login("participant@example.org")
    assert _toggle(client, programme, key).status_code == 404
    assert _saved(app) == []


def test_huge_session_id_on_agenda_is_404(client, login, programme):
    login("participant@example.org")
    url = f"/events/{programme['event']}/programme/sessions/99999999999999999999/agenda"
    assert client.post(url, data={"action": "add"}).status_code == 404


def test_clashes_are_flagged(client, login, programme):
    login("participant@example.org")
    for key in ("open", "closed", "online"):
        _toggle(client, programme, key)
    page = _text(client.get(f"/events/{programme['event']}/programme/agenda"))
    assert "3 sessions" in page
    assert "2 sessions overlap another" in page
    # Each of the two overlapping sessions names the other; the online one clashes with none.
    assert page.count('class="clash"') == 2
    rows = re.findall(r'<tr data-session="(\d+)"( class="clash")?>', page)
    assert {int(i) for i, clash in rows if clash} == {programme["open"], programme["closed"]}


def test_agenda_is_personal(client, login, programme):
    login("participant@example.org")
    _toggle(client, programme, "open")
    client.post("/account/logout")
    login("organizer@example.org")
    page = _text(client.get(f"/events/{programme['event']}/programme/agenda"))
    assert "Your agenda is empty." in page


def test_unpublished_session_drops_out_of_the_agenda(client, app, login, programme):
    login("participant@example.org")
    _toggle(client, programme, "open")
    with app.app_context():
        db.session.get(ProgrammeSession, programme["open"]).status = SessionStatus.CONFIRMED
        db.session.commit()
    page = _text(client.get(f"/events/{programme['event']}/programme/agenda"))
    assert ">Connecting schools</a>" not in page and "0 sessions" in page
    # The programme's "My agenda (n)" and the JSON count agree with the agenda page.
    page = _text(client.get(f"/events/{programme['event']}/programme"))
    assert "<span data-agenda-count>0</span>" in page
    response = _toggle(client, programme, "online", headers={"Accept": "application/json"})
    assert response.get_json()["count"] == 1


# --- iCal ------------------------------------------------------------------------------------


def _calendar(response) -> Calendar:
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data)


def _uids(calendar: Calendar) -> set[str]:
    return {str(e["UID"]) for e in calendar.walk("VEVENT")}


def test_programme_ics(client, programme):
    calendar = _calendar(client.get(f"/events/{programme['event']}/programme.ics"))
    assert _uids(calendar) == {
        f"session-{programme[k]}@localhost" for k in ("open", "closed", "online")
    }
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Zurich"]
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    panel = events["Connecting schools"]
    assert panel["DTSTART"].params["TZID"] == "Europe/Zurich"
    assert panel.decoded("DTSTART").hour == 14 and str(panel.decoded("DTSTART").tzinfo) in (
        "Europe/Zurich",
        "CET",
        "CEST",
    )
    assert (panel.decoded("DTEND") - panel.decoded("DTSTART")) == timedelta(hours=1)
    assert str(panel["LOCATION"]) == "Room 1, CICG, Geneva"
    assert str(panel["URL"]).endswith(
        f"/events/{programme['event']}/programme/sessions/{programme['open']}"
    )
    description = str(panel["DESCRIPTION"])
    assert "Ada Lovelace, Minister, Ministry of Digital Affairs (Moderator)" in description
    assert "Dan Declined" not in description and "14:10–14:40 Panel discussion" in description
    closed = str(events["Closed roundtable"]["DESCRIPTION"])
    assert "Secret Speaker" not in closed and "Chatham House rule" in closed
    assert "Invitation only." in closed and "stream.example.org/secret" not in closed
    assert str(events["Online dialogue"]["LOCATION"]).startswith("Online")


def test_session_ics(client, programme):
    response = client.get(
        f"/events/{programme['event']}/programme/sessions/{programme['closed']}.ics"
    )
    calendar = _calendar(response)
    assert _uids(calendar) == {f"session-{programme['closed']}@localhost"}
    assert "attachment" in response.headers["Content-Disposition"]


def test_agenda_ics(client, login, programme):
    login("participant@example.org")
    _toggle(client, programme, "online")
    response = client.get(f"/events/{programme['event']}/programme/agenda.ics")
    calendar = _calendar(response)
    assert _uids(calendar) == {f"session-{programme['online']}@localhost"}
    assert "no-store" in response.headers["Cache-Control"]
    assert str(calendar["X-WR-CALNAME"]) == "My agenda, PROG-A"


def test_empty_programme_ics_still_parses(client, make_event):
    event_id = make_event("EMPTY")
    calendar = _calendar(client.get(f"/events/{event_id}/programme.ics"))
    assert _uids(calendar) == set()


# --- Frab ------------------------------------------------------------------------------------


def test_frab_xml(client, programme):
    response = client.get(f"/events/{programme['event']}/programme/schedule.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    assert root.tag == "schedule" and root.findtext("version")
    conference = root.find("conference")
    assert conference.findtext("acronym") == "prog_a"
    assert conference.findtext("title") == "Programme Conference"
    assert conference.findtext("days") == "10"
    assert conference.findtext("time_zone_name") == "Europe/Zurich"
    assert conference.findtext("timeslot_duration") == "00:15"
    days = root.findall("day")
    assert [d.get("index") for d in days] == [str(i) for i in range(1, 11)]
    assert days[0].get("date") == conference.findtext("start")
    events = {int(e.get("id")): e for e in root.iter("event")}
    assert set(events) == {programme[k] for k in ("open", "closed", "online")}
    panel = events[programme["open"]]
    uuid.UUID(panel.get("guid"))
    assert panel.findtext("title") == "Connecting schools"
    assert panel.findtext("start") == "14:00" and panel.findtext("duration") == "01:00"
    assert panel.findtext("room") == "Room 1" and panel.findtext("track") == "ACCESS"
    assert panel.findtext("type") == "panel" and panel.findtext("language") == "en"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT14:00:00\+0[12]:00", panel.findtext("date"))
    assert panel.findtext("url").endswith(f"/programme/sessions/{programme['open']}")
    assert re.fullmatch(r"[a-z0-9_-]+[a-z0-9]", panel.findtext("slug"))
    assert [p.text for p in panel.find("persons")] == ["Ada Lovelace", "Grace Hopper"]
    assert panel.find("links/link").get("href") == "https://stream.example.org/schools"
    closed = events[programme["closed"]]
    assert list(closed.find("persons")) == [] and closed.find("links/link") is None
    assert closed.findtext("recording/optout") == "true"
    assert "Invitation only" in closed.findtext("subtitle")
    assert events[programme["online"]].findtext("room") == "Online"
    # The session sits in its room of its day.
    day2 = days[1]
    room = day2.find("room[@name='Room 1']")
    assert [e.get("id") for e in room.findall("event")] == [str(programme["open"])]


def test_frab_xml_escapes_everything(client, app, programme):
    with app.app_context():
        session = db.session.get(ProgrammeSession, programme["open"])
        session.title = 'Fish & <chips> "quoted" \x0bvertical'
        session.description = "</abstract><evil/>"
        db.session.commit()
    response = client.get(f"/events/{programme['event']}/programme/schedule.xml")
    root = ET.fromstring(response.data)
    event = next(e for e in root.iter("event") if e.get("id") == str(programme["open"]))
    assert event.findtext("title") == 'Fish & <chips> "quoted" vertical'
    assert event.findtext("abstract") == "</abstract><evil/>"
    assert root.find(".//evil") is None


def test_frab_json(client, programme):
    response = client.get(f"/events/{programme['event']}/programme/schedule.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["$schema"].startswith("https://")
    schedule = body["schedule"]
    assert set(schedule) == {"version", "base_url", "conference"}
    conference = schedule["conference"]
    assert {"acronym", "title", "start", "end", "daysCount", "timeslot_duration", "days"} <= set(
        conference
    )
    assert re.fullmatch(r"[a-z0-9_-][a-z0-9_]{3,}", conference["acronym"])
    assert conference["time_zone_name"] == "Europe/Zurich"
    assert conference["daysCount"] == len(conference["days"]) == 10
    assert [r["name"] for r in conference["rooms"]] == ["Room 1", "Room 2", "Online"]
    for room in conference["rooms"]:
        uuid.UUID(room["guid"])
    required = {
        "abstract", "date", "duration", "guid", "id", "language", "links", "persons",
        "room", "slug", "start", "subtitle", "title", "track", "type", "url",
    }  # fmt: skip
    events = {}
    for day in conference["days"]:
        assert {"index", "date", "day_start", "day_end", "rooms"} == set(day)
        for room_name, items in day["rooms"].items():
            for item in items:
                assert required <= set(item)
                assert item["room"] == room_name and item["date"].startswith(day["date"])
                assert re.fullmatch(r"\d+:\d\d", item["duration"])
                events[item["id"]] = item
    assert set(events) == {programme[k] for k in ("open", "closed", "online")}
    assert events[programme["open"]]["persons"] == [
        {"id": events[programme["open"]]["persons"][0]["id"], "public_name": "Ada Lovelace"},
        {"id": events[programme["open"]]["persons"][1]["id"], "public_name": "Grace Hopper"},
    ]
    assert events[programme["closed"]]["persons"] == []
    assert events[programme["closed"]]["do_not_record"] is True


# --- query counts ----------------------------------------------------------------------------


def count_queries(app, client, url) -> int:
    """SQL statements run by one GET of `url` (which must answer 200)."""
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


@pytest.mark.parametrize(
    "suffix",
    [
        "programme",
        "programme?view=rooms",
        "programme.ics",
        "programme/schedule.xml",
        "programme/schedule.json",
        "programme/agenda",
    ],
)
def test_query_count_does_not_grow(app, client, login, make_event, make_user, suffix):
    event_id = make_event("BULK")
    make_user("bulk@example.org")
    login("bulk@example.org")
    url = f"/events/{event_id}/{suffix}"

    def grow(n, start):
        with app.app_context():
            bulk_programme(db.session.get(Event, event_id), n, start=start)
            # The participant keeps every session, so the agenda grows too.
            user = db.session.scalar(select(User).where(User.email == "bulk@example.org"))
            have = set(db.session.scalars(select(AgendaSave.session_id)))
            for session_id in db.session.scalars(
                select(ProgrammeSession.id).where(ProgrammeSession.event_id == event_id)
            ):
                if session_id not in have:
                    db.session.add(AgendaSave(user_id=user.id, session_id=session_id))
            db.session.commit()

    grow(4, 0)
    few = count_queries(app, client, url)
    grow(36, 4)
    many = count_queries(app, client, url)
    assert few == many, (few, many)
    assert "Bulk session 39" in client.get(url).get_data(as_text=True)


@pytest.mark.parametrize("lang", ["zh", "ar", "fr"])
def test_pages_render_in_every_language(client, login, programme, lang):
    login("participant@example.org")
    _toggle(client, programme, "open")
    event = programme["event"]
    for path in (
        f"/events/{event}/programme",
        f"/events/{event}/programme?view=rooms",
        f"/events/{event}/programme/sessions/{programme['open']}",
        f"/events/{event}/programme/sessions/{programme['closed']}",
        f"/events/{event}/programme/agenda",
    ):
        response = client.get(f"{path}{'&' if '?' in path else '?'}lang={lang}")
        html = _text(response)
        assert response.status_code == 200, path
        assert f'lang="{lang}"' in html and ('dir="rtl"' in html) == (lang == "ar")
        for url in re.findall(r'(?:src|href)="([^"]+)"', html):
            # Only the stream links of the sessions leave the app.
            assert not re.match(r"(https?:)?//", url) or "stream.example.org" in url, url
    for path in ("programme.ics", "programme/schedule.xml", "programme/agenda.ics"):
        assert client.get(f"/events/{event}/{path}?lang={lang}").status_code == 200
