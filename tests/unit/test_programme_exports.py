"""Programme rules and exports without a database: grouping by day, time and room; agenda
clashes and times; who is shown publicly; filters; iCal and Frab built from unsaved
model objects."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from xml.etree import ElementTree as ET

import pytest
from icalendar import Calendar
from werkzeug.datastructures import MultiDict

from models import (
    AgendaItem,
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
    Visibility,
)
from sessions import exports
from sessions import programme as prog

OPENING = date(2027, 11, 8)


def make_event(**fields) -> Event:
    values = {
        "id": 7,
        "name": "World Conference",
        "acronym": "WTDC-27",
        "city": "Geneva",
        "venue": "CICG",
        "timezone": "Europe/Zurich",
        "opening_date": OPENING,
        "closing_date": OPENING + timedelta(days=3),
        "languages": ["en"],
    }
    return Event(**(values | fields))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 11, 7 + day, hour, minute)


_ids = iter(range(1, 10_000))


def make_session(
    title="Panel",
    start: datetime | None = None,
    minutes=60,
    room: Room | None = None,
    area: FocusArea | None = None,
    people=(),
    agenda=(),
    **fields,
) -> ProgrammeSession:
    """An unsaved published session with an id, its room, area, people and agenda."""
    session = ProgrammeSession(
        id=fields.pop("id", next(_ids)),
        event_id=7,
        title=title,
        format=fields.pop("format", SessionFormat.PANEL),
        mode=fields.pop("mode", SessionMode.IN_PERSON),
        visibility=fields.pop("visibility", Visibility.PUBLIC),
        chatham_house=fields.pop("chatham_house", False),
        status=SessionStatus.PUBLISHED,
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes) if start else None,
        room=room,
        room_id=room.id if room else None,
        focus_area=area,
        languages=fields.pop("languages", ["en"]),
        interpretation=fields.pop("interpretation", []),
        stream_url=fields.pop("stream_url", ""),
        description=fields.pop("description", ""),
        updated_at=datetime(2027, 10, 1, 12, tzinfo=UTC),
        **fields,
    )
    session.people = [
        SessionPerson(person=person, person_id=person.id, part=part, state=state)
        for person, part, state in people
    ]
    session.agenda_items = [
        AgendaItem(title=t, minutes=m, position=i) for i, (t, m) in enumerate(agenda)
    ]
    return session


def person(last: str, first: str = "", function: str = "", org: str = "") -> Person:
    return Person(
        id=next(_ids),
        first_name=first,
        last_name=last,
        function=function,
        organization=Organization(name=org) if org else None,
    )


ROOM_A = Room(id=1, event_id=7, name="Room A", position=1)
ROOM_B = Room(id=2, event_id=7, name="Room B", position=2)
ACCESS = FocusArea(id=1, event_id=7, code="ACCESS", label="ACCESS", name={"en": "Connecting"})

LINKS = exports.Links(
    host="convene.example.org",
    base_url="https://convene.example.org/",
    programme_url="https://convene.example.org/events/7/programme",
    session_url=lambda s: f"https://convene.example.org/events/7/programme/sessions/{s.id}",
)


# --- grouping ------------------------------------------------------------------------------


def test_by_day_groups_days_slots_and_rooms():
    a = make_session("A", at(2, 14), room=ROOM_B)
    b = make_session("B", at(2, 14), room=ROOM_A)
    c = make_session("C", at(2, 15), room=ROOM_A)
    d = make_session("D", at(3, 9), mode=SessionMode.ONLINE)
    e = make_session("E")
    days, unplaced = prog.by_day([a, b, c, d, e])
    assert [day.date for day in days] == [date(2027, 11, 9), date(2027, 11, 10)]
    assert [(s.starts_at.hour, [x.title for x in s.sessions]) for s in days[0].slots] == [
        (14, ["A", "B"]),
        (15, ["C"]),
    ]
    # Rooms in the venue's order, whatever the order of the sessions.
    assert [(c.room.name, [s.title for s in c.sessions]) for c in days[0].rooms] == [
        ("Room A", ["B", "C"]),
        ("Room B", ["A"]),
    ]
    assert [(c.room, [s.title for s in c.sessions]) for c in days[1].rooms] == [(None, ["D"])]
    assert days[0].count == 3 and unplaced == [e]


def test_clashes():
    a = make_session("A", at(2, 14), 60)
    b = make_session("B", at(2, 14, 30), 60)  # overlaps A
    c = make_session("C", at(2, 15, 30), 30)  # touches B's end: no clash
    d = make_session("D", at(2, 14, 45), 5)  # inside A and B
    e = make_session("E")  # unplaced: never clashes
    found = prog.clashes([c, b, a, d, e])
    assert {k: sorted(s.title for s in v) for k, v in found.items()} == {
        a.id: ["B", "D"],
        b.id: ["A", "D"],
        d.id: ["A", "B"],
    }
    assert prog.clashes([a, c]) == {}
    assert prog.overlaps(a, b) and not prog.overlaps(b, c) and not prog.overlaps(a, e)


def test_agenda_times_count_from_the_start():
    session = make_session(start=at(2, 14), agenda=[("Opening", 10), ("Panel", 35), ("Close", 0)])
    timed = prog.agenda_times(session)
    assert [(t.starts_at.strftime("%H:%M"), t.ends_at.strftime("%H:%M")) for t in timed] == [
        ("14:00", "14:10"),
        ("14:10", "14:45"),
        ("14:45", "14:45"),
    ]
    unplaced = make_session(agenda=[("Opening", 10)])
    assert [(t.starts_at, t.ends_at) for t in prog.agenda_times(unplaced)] == [(None, None)]


def test_public_people_and_stream():
    ada, dan = person("Lovelace", "Ada"), person("Declined", "Dan")
    people = [
        (ada, SessionPart.MODERATOR, SpeakerState.CONFIRMED),
        (dan, SessionPart.SPEAKER, SpeakerState.DECLINED),
    ]
    session = make_session(people=people, mode=SessionMode.HYBRID, stream_url="https://s.example")
    assert [p.person for p in prog.public_people(session)] == [ada]
    assert prog.public_stream_url(session) == "https://s.example"
    chatham = make_session(people=people, chatham_house=True)
    assert prog.public_people(chatham) == []
    invited = make_session(
        mode=SessionMode.ONLINE,
        stream_url="https://s.example",
        visibility=Visibility.INVITATION_ONLY,
    )
    assert prog.is_invitation_only(invited) and prog.public_stream_url(invited) == ""
    in_person = make_session(stream_url="https://s.example")
    assert prog.public_stream_url(in_person) == ""


# --- filters ------------------------------------------------------------------------------


def test_parse_filters_valid():
    args = MultiDict(
        {
            "day": "2027-11-09",
            "room": "2",
            "focus_area": "access",
            "format": "panel",
            "mode": "online",
            "language": "fr",
            "unrelated": "x",
        }
    )
    filters, errors = prog.parse_filters(
        args, days=[date(2027, 11, 9)], room_ids=[2], area_codes=["ACCESS"]
    )
    assert errors == {}
    assert filters == prog.Filters(
        date(2027, 11, 9), 2, "ACCESS", SessionFormat.PANEL, SessionMode.ONLINE, "fr"
    )
    assert filters.args() == {
        "day": "2027-11-09",
        "room": "2",
        "focus_area": "ACCESS",
        "format": "panel",
        "mode": "online",
        "language": "fr",
    }
    assert prog.parse_filters(MultiDict()) == (prog.Filters(), {})
    assert not prog.Filters()


@pytest.mark.parametrize(
    "name, value",
    [
        ("day", "09/11/2027"),
        ("day", "2027-11-20"),
        ("room", "-1"),
        ("room", "0"),
        ("room", "3"),
        ("room", str(2**70)),
        ("room", "²"),
        ("room", "٣"),
        ("focus_area", "VALUE CREATION"),
        ("focus_area", "ADOPTION"),
        ("format", "Panel"),
        ("mode", "in person"),
        ("language", "de"),
    ],
)
def test_parse_filters_refuses(name, value):
    filters, errors = prog.parse_filters(
        MultiDict({name: value}),
        days=[date(2027, 11, 9)],
        room_ids=[2],
        area_codes=["ACCESS"],
    )
    assert set(errors) == {name} and errors[name]
    assert filters == prog.Filters()


def test_zone_falls_back_to_utc():
    assert prog.zone(make_event()).key == "Europe/Zurich"
    assert prog.zone(make_event(timezone="Mars/Olympus")).key == "UTC"


# --- iCal ---------------------------------------------------------------------------------


def _programme():
    ada = person("Lovelace", "Ada", "Minister", "Ministry")
    open_panel = make_session(
        "Connecting schools",
        at(2, 14),
        room=ROOM_A,
        area=ACCESS,
        people=[(ada, SessionPart.MODERATOR, SpeakerState.CONFIRMED)],
        agenda=[("Opening", 10)],
        description="Every school.",
        mode=SessionMode.HYBRID,
        stream_url="https://s.example/1",
        languages=["en", "fr"],
        interpretation=["ar"],
    )
    secret = make_session(
        "Closed",
        at(2, 16),
        room=ROOM_B,
        chatham_house=True,
        visibility=Visibility.INVITATION_ONLY,
        people=[(person("Secret"), SessionPart.SPEAKER, SpeakerState.CONFIRMED)],
    )
    online = make_session("Online talk", at(3, 9, 30), 45, mode=SessionMode.ONLINE)
    unplaced = make_session("Later")
    return open_panel, secret, online, unplaced


def test_ical_has_every_placed_session_with_the_events_zone():
    event = make_event()
    sessions = _programme()
    calendar = Calendar.from_ical(exports.ical(event, sessions, LINKS, "WTDC-27 programme"))
    entries = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert set(entries) == {"Connecting schools", "Closed", "Online talk"}
    assert [str(t["TZID"]) for t in calendar.walk("VTIMEZONE")] == ["Europe/Zurich"]
    panel = entries["Connecting schools"]
    assert str(panel["UID"]) == f"session-{sessions[0].id}@convene.example.org"
    assert panel["DTSTART"].params["TZID"] == "Europe/Zurich"
    start = panel.decoded("DTSTART")
    assert (start.hour, start.utcoffset()) == (14, timedelta(hours=1))
    assert str(panel["LOCATION"]) == "Room A, CICG, Geneva"
    assert str(panel["URL"]) == LINKS.session_url(sessions[0])
    text = str(panel["DESCRIPTION"])
    assert "Panel session · Connecting" in text and "Every school." in text
    assert "Interpretation into: العربية" in text and "Live stream: https://s.example/1" in text
    assert "14:00–14:10 Opening" in text
    assert "Ada Lovelace, Minister, Ministry (Moderator)" in text
    closed = entries["Closed"]
    assert "Secret" not in str(closed["DESCRIPTION"])
    assert "Invitation only." in str(closed["DESCRIPTION"])
    assert str(entries["Online talk"]["LOCATION"]) == "Online · CICG, Geneva"
    # The same export twice is the same file: stable UIDs and stamps.
    assert exports.ical(event, sessions, LINKS, "x") == exports.ical(event, sessions, LINKS, "x")


def test_ical_location_of_an_online_session_is_translated(monkeypatch):
    event = make_event()
    online = make_session("Online talk", at(3, 9, 30), 45, mode=SessionMode.ONLINE)
    monkeypatch.setattr(exports, "_", lambda text, **values: {"Online": "En ligne"}[text])
    assert exports.location(event, online) == "En ligne · CICG, Geneva"


def test_ical_in_utc_needs_no_vtimezone():
    event = make_event(timezone="UTC")
    calendar = Calendar.from_ical(exports.ical(event, _programme()[:1], LINKS, "x"))
    assert calendar.walk("VTIMEZONE") == []
    assert calendar.walk("VEVENT")[0].decoded("DTSTART").utcoffset() == timedelta(0)


# --- Frab -----------------------------------------------------------------------------------


def test_frab_schedule_shape():
    event = make_event()
    sessions = _programme()
    schedule = exports.frab_schedule(event, sessions, LINKS)
    json.dumps(schedule)  # serializable as it is
    conference = schedule["schedule"]["conference"]
    assert conference["acronym"] == "wtdc_27"
    assert (conference["start"], conference["end"], conference["daysCount"]) == (
        "2027-11-08",
        "2027-11-11",
        4,
    )
    assert [r["name"] for r in conference["rooms"]] == ["Room A", "Room B", "Online"]
    day2 = conference["days"][1]
    assert (day2["index"], day2["date"]) == (2, "2027-11-09")
    assert day2["day_start"] == "2027-11-09T14:00:00+01:00"
    assert day2["day_end"] == "2027-11-09T17:00:00+01:00"
    assert conference["days"][0]["day_start"] == "2027-11-08T09:00:00+01:00"  # empty day
    panel = day2["rooms"]["Room A"][0]
    assert panel["id"] == sessions[0].id and panel["start"] == "14:00"
    assert panel["duration"] == "01:00" and panel["date"] == "2027-11-09T14:00:00+01:00"
    assert uuid.UUID(panel["guid"]).version == 5
    assert re.fullmatch(r"[a-z0-9_-]+[a-z0-9]", panel["slug"])
    assert panel["persons"] == [
        {"id": sessions[0].people[0].person_id, "public_name": "Ada Lovelace"}
    ]
    assert panel["links"] == [{"url": "https://s.example/1", "title": "Hybrid"}]
    assert panel["track"] == "ACCESS" and panel["language"] == "en"
    closed = day2["rooms"]["Room B"][0]
    assert closed["persons"] == [] and closed["do_not_record"] is True
    assert "Invitation only" in closed["subtitle"]
    online = conference["days"][2]["rooms"]["Online"][0]
    assert online["duration"] == "00:45" and online["track"] == "Partner2Connect"
    ids = [e["id"] for d in conference["days"] for r in d["rooms"].values() for e in r]
    assert sorted(ids) == sorted(s.id for s in sessions[:3])  # the unplaced one is left out


def test_frab_ids_are_stable():
    event, sessions = make_event(), _programme()
    first = exports.frab_schedule(event, sessions, LINKS)
    assert first == exports.frab_schedule(event, sessions, LINKS)


@pytest.mark.parametrize(
    "acronym, expected",
    [("WTDC-27", "wtdc_27"), ("AB", "ab_p2c"), ("Café 2027!", "cafe_2027"), ("会议", "event_7")],
)
def test_acronym(acronym, expected):
    value = exports.acronym(make_event(acronym=acronym))
    assert value == expected
    assert re.fullmatch(r"[a-z0-9_-][a-z0-9_]{3,}", value) or value == "event_7"


def test_frab_xml_is_well_formed_and_escaped():
    event = make_event(name="Conference <&> \x01")
    hostile = make_session(
        'A & B <script>alert("x")</script> \x0b',
        at(2, 9),
        room=Room(id=3, event_id=7, name='Room "3" & <4>', position=3),
        description="]]><!-- -->\x00",
        people=[(person("O'Brien & <Co>"), SessionPart.SPEAKER, SpeakerState.CONFIRMED)],
    )
    body = exports.frab_xml(exports.frab_schedule(event, [*_programme(), hostile], LINKS))
    root = ET.fromstring(body)
    assert root.findtext("conference/title") == "Conference <&> "
    event_element = next(e for e in root.iter("event") if e.get("id") == str(hostile.id))
    assert event_element.findtext("title") == 'A & B <script>alert("x")</script> '
    assert event_element.findtext("abstract") == "]]><!-- -->"
    assert event_element.findtext("room") == 'Room "3" & <4>'
    assert [p.text for p in event_element.find("persons")] == ["O'Brien & <Co>"]
    assert root.find(".//script") is None
    assert len(list(root.iter("event"))) == 4
    uuid.UUID(event_element.get("guid"))
