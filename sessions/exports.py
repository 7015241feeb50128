"""Exports of the public programme: iCalendar (RFC 5545) for calendars, and the Frab
schedule (schedule.xml and the c3voc schedule.json) that conference apps such as
Giggity, Fahrplan and ConfClerk read.

Plain functions of the event, its published sessions (loaded by `programme`) and a
`Links` value, so they run without a request. Only what the public programme shows goes
out: no one who declined, no people at all under the Chatham House rule, no streaming
link of an invitation-only session.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from xml.etree import ElementTree as ET

from flask_babel import get_locale
from flask_babel import gettext as _
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from models import Event, ProgrammeSession, Room

from .core import FORMAT_LABELS, MODE_LABELS, PART_LABELS, event_days
from .programme import (
    agenda_times,
    aware,
    is_invitation_only,
    languages_text,
    person_line,
    public_people,
    public_stream_url,
    zone,
)

#: The c3voc JSON schema that schedule.json follows.
FRAB_JSON_SCHEMA = "https://c3voc.de/schedule/schema.json"
#: The grid conference apps snap to.
TIMESLOT = "00:15"
#: Room name for online sessions without a room (apps need a room for every event).
ONLINE_ROOM = "Online"
#: Hours a day without sessions is shown as, in the event's zone.
DEFAULT_DAY = (time(9, 0), time(18, 0))


@dataclass(frozen=True)
class Links:
    """Where the programme lives on the web: the host for iCal UIDs, the site's base URL,
    the public programme page and each session's page."""

    host: str
    base_url: str
    programme_url: str
    session_url: Callable[[ProgrammeSession], str]


def uid(session: ProgrammeSession, host: str) -> str:
    """A calendar UID that stays the same across exports, so a re-import updates."""
    return f"session-{session.id}@{host}"


def guid(url: str) -> str:
    """A stable UUID for a Frab event or room, derived from its public address."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, url))


def _locale() -> str:
    locale = get_locale()
    return str(locale) if locale else "en"


def _area_name(session: ProgrammeSession) -> str:
    area = session.focus_area
    if area is None:
        return ""
    return area.text("name", _locale()) or area.label


def location(event: Event, session: ProgrammeSession) -> str:
    """Room, venue and city; "Online" (in the reader's language) for a session without a
    room. (Frab keeps ONLINE_ROOM untranslated: apps key rooms by name.)"""
    parts = [session.room.name if session.room else "", event.venue, event.city]
    text = ", ".join(p for p in parts if p)
    online = _("Online")
    return text if session.room else (online if not text else f"{online} · {text}")


def notes(session: ProgrammeSession) -> list[str]:
    """What a reader must know before going: invitation only, Chatham House, stream."""
    out = []
    if is_invitation_only(session):
        out.append(_("Invitation only."))
    if session.chatham_house:
        out.append(
            _(
                "Held under the Chatham House rule: what is said may be used, but no one"
                " is named, and the session is not recorded."
            )
        )
    if session.languages:
        out.append(_("Languages: %(languages)s", languages=languages_text(session.languages)))
    if session.interpretation:
        out.append(
            _(
                "Interpretation into: %(languages)s",
                languages=languages_text(session.interpretation),
            )
        )
    stream = public_stream_url(session)
    if stream:
        out.append(_("Live stream: %(url)s", url=stream))
    return out


def running_order(session: ProgrammeSession) -> list[str]:
    """The agenda as lines, "14:10–14:30 Title"."""
    lines = []
    for timed in agenda_times(session):
        when = (
            f"{timed.starts_at:%H:%M}–{timed.ends_at:%H:%M} "
            if timed.starts_at and timed.ends_at
            else ""
        )
        lines.append(f"{when}{timed.item.title}")
    return lines


def describe(session: ProgrammeSession) -> str:
    """The plain-text description of a calendar entry."""
    head = " · ".join(
        str(x) for x in (FORMAT_LABELS.get(session.format, ""), _area_name(session)) if x
    )
    blocks = [head, "\n".join(notes(session)), session.description or ""]
    agenda = running_order(session)
    if agenda:
        blocks.append(_("Agenda") + ":\n" + "\n".join(agenda))
    people = public_people(session)
    if people:
        blocks.append(_("People") + ":\n" + "\n".join(person_line(p, PART_LABELS) for p in people))
    return "\n\n".join(b for b in blocks if b)


# --- iCalendar ----------------------------------------------------------------------------


def ical(event: Event, sessions: Iterable[ProgrammeSession], links: Links, name: str) -> bytes:
    """An iCalendar file with one VEVENT per placed session, times in the event's zone
    (TZID, with its VTIMEZONE)."""
    tz = zone(event)
    calendar = Calendar()
    calendar.add("prodid", "-//Convene//Partner2Connect programme//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", tz.key)
    for session in sessions:
        if session.starts_at is None or session.ends_at is None:
            continue
        entry = CalendarEvent()
        entry.add("uid", uid(session, links.host))
        entry.add("dtstamp", session.updated_at or session.published_at or datetime.now(UTC))
        entry.add("dtstart", aware(session.starts_at, tz))
        entry.add("dtend", aware(session.ends_at, tz))
        entry.add("summary", session.title)
        entry.add("location", location(event, session))
        entry.add("description", describe(session))
        entry.add("url", links.session_url(session))
        if session.focus_area:
            entry.add("categories", [session.focus_area.label])
        entry.add("status", "CONFIRMED")
        calendar.add_component(entry)
    # Only the years the event spans: a VTIMEZONE from 1970 would be mostly history.
    calendar.add_missing_timezones(
        first_date=date(event.opening_date.year, 1, 1),
        last_date=date(event.closing_date.year + 1, 12, 31),
    )
    return calendar.to_ical()


# --- Frab schedule ------------------------------------------------------------------------


def _slug(text: str) -> str:
    """Lower-case ASCII letters, digits and underscores, as Frab slugs use."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")


def acronym(event: Event) -> str:
    """The event's acronym as the c3voc schema wants it: at least four of [a-z0-9_]."""
    slug = _slug(event.acronym) or f"event_{event.id}"
    return slug if len(slug) >= 4 else f"{slug}_p2c"


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _room_names(sessions: list[ProgrammeSession]) -> list[tuple[Room | None, str]]:
    """The rooms the programme uses, in the venue's order; online sessions last."""
    rooms = {s.room.id: s.room for s in sessions if s.room is not None}
    ordered: list[tuple[Room | None, str]] = [
        (r, r.name) for r in sorted(rooms.values(), key=lambda r: (r.position, r.name))
    ]
    if any(s.room is None for s in sessions):
        ordered.append((None, ONLINE_ROOM))
    return ordered


def _frab_event(event: Event, session: ProgrammeSession, links: Links) -> dict[str, Any]:
    tz = zone(event)
    url = links.session_url(session)
    minutes = int((session.ends_at - session.starts_at).total_seconds() // 60)
    stream = public_stream_url(session)
    labels = [str(x) for x in (FORMAT_LABELS.get(session.format), _area_name(session)) if x]
    if is_invitation_only(session):
        labels.append(_("Invitation only"))
    if session.chatham_house:
        labels.append(_("Chatham House rule"))
    details = [*notes(session)]
    agenda = running_order(session)
    if agenda:
        details.append(_("Agenda") + ":\n" + "\n".join(agenda))
    title_slug = _slug(session.title)[:60].strip("_")
    return {
        "url": url,
        "id": session.id,
        "guid": guid(url),
        "date": aware(session.starts_at, tz).isoformat(),
        "start": f"{session.starts_at:%H:%M}",
        "duration": _hhmm(minutes),
        "room": session.room.name if session.room else ONLINE_ROOM,
        "slug": "-".join(x for x in (acronym(event), str(session.id), title_slug) if x),
        "title": session.title,
        "subtitle": " · ".join(labels),
        "track": session.focus_area.label if session.focus_area else "Partner2Connect",
        "type": session.format.value,
        "language": (session.languages or event.languages or ["en"])[0],
        "abstract": session.description or "",
        "description": "\n\n".join(details),
        "recording_license": "",
        "do_not_record": bool(session.chatham_house),
        "persons": [
            {"id": p.person_id, "public_name": p.person.full_name} for p in public_people(session)
        ],
        "links": [{"url": stream, "title": str(MODE_LABELS[session.mode])}] if stream else [],
        "attachments": [],
    }


def _version(sessions: list[ProgrammeSession]) -> str:
    """Changes whenever a published session does, so apps know to reload."""
    stamps = [s.updated_at for s in sessions if s.updated_at]
    latest = max(stamps).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if stamps else "-"
    return f"{len(sessions)} sessions, {latest} UTC"


def frab_schedule(
    event: Event, sessions: Iterable[ProgrammeSession], links: Links
) -> dict[str, Any]:
    """The schedule as the c3voc schedule.json shape: every day of the event, every room
    the programme uses on each day, the placed sessions in them by start time."""
    tz = zone(event)
    placed = [s for s in sessions if s.starts_at is not None and s.ends_at is not None]
    rooms = _room_names(placed)
    days = []
    for index, day in enumerate(event_days(event), start=1):
        todays = [s for s in placed if s.starts_at.date() == day]
        start = min((s.starts_at for s in todays), default=datetime.combine(day, DEFAULT_DAY[0]))
        end = max((s.ends_at for s in todays), default=datetime.combine(day, DEFAULT_DAY[1]))
        by_room: dict[str, list[dict[str, Any]]] = {name: [] for _room, name in rooms}
        for session in sorted(todays, key=lambda s: (s.starts_at, s.id)):
            item = _frab_event(event, session, links)
            by_room[item["room"]].append(item)
        days.append(
            {
                "index": index,
                "date": day.isoformat(),
                "day_start": aware(start, tz).isoformat(),
                "day_end": aware(end, tz).isoformat(),
                "rooms": by_room,
            }
        )
    return {
        "$schema": FRAB_JSON_SCHEMA,
        "generator": {"name": "Convene"},
        "schedule": {
            "version": _version(placed),
            "base_url": links.base_url,
            "conference": {
                "acronym": acronym(event),
                "title": event.name,
                "start": event.opening_date.isoformat(),
                "end": event.closing_date.isoformat(),
                "daysCount": len(days),
                "timeslot_duration": TIMESLOT,
                "time_zone_name": tz.key,
                "url": links.programme_url,
                "rooms": [
                    {
                        "name": name,
                        "guid": guid(f"{links.programme_url}#room-{room.id if room else 0}"),
                        "capacity": room.capacity if room and room.capacity else None,
                    }
                    for room, name in rooms
                ],
                "days": days,
            },
        },
    }


#: Characters XML 1.0 cannot carry even escaped (control characters, lone surrogates).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(parent: ET.Element, tag: str, value: Any) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = _NOT_XML.sub("", str(value)) if value not in (None, "") else None
    return element


def _attr(value: Any) -> str:
    return _NOT_XML.sub("", str(value))


#: The event fields schedule.xml carries as plain text elements, in Frab's order.
_EVENT_TEXT = (
    "date",
    "start",
    "duration",
    "room",
    "slug",
    "url",
    "title",
    "subtitle",
    "track",
    "type",
    "language",
    "abstract",
    "description",
)


def frab_xml(schedule: dict[str, Any]) -> bytes:
    """schedule.xml from the `frab_schedule` dictionary (one source for both formats).
    ElementTree escapes markup; characters XML cannot hold are dropped."""
    body, conference = schedule["schedule"], schedule["schedule"]["conference"]
    root = ET.Element("schedule")
    ET.SubElement(root, "generator", name="Convene")
    _text(root, "version", body["version"])
    head = ET.SubElement(root, "conference")
    for tag in ("acronym", "title", "start", "end"):
        _text(head, tag, conference[tag])
    _text(head, "days", conference["daysCount"])
    _text(head, "timeslot_duration", conference["timeslot_duration"])
    _text(head, "base_url", body["base_url"])
    _text(head, "time_zone_name", conference["time_zone_name"])
    for day in conference["days"]:
        day_element = ET.SubElement(
            root,
            "day",
            index=str(day["index"]),
            date=day["date"],
            start=day["day_start"],
            end=day["day_end"],
        )
        for room_name, items in day["rooms"].items():
            room_element = ET.SubElement(day_element, "room", name=_attr(room_name))
            for item in items:
                element = ET.SubElement(
                    room_element, "event", guid=item["guid"], id=str(item["id"])
                )
                for tag in _EVENT_TEXT:
                    _text(element, tag, item[tag])
                recording = ET.SubElement(element, "recording")
                _text(recording, "license", item["recording_license"])
                _text(recording, "optout", "true" if item["do_not_record"] else "false")
                persons = ET.SubElement(element, "persons")
                for person in item["persons"]:
                    tag = ET.SubElement(persons, "person", id=str(person["id"]))
                    tag.text = _NOT_XML.sub("", person["public_name"])
                links = ET.SubElement(element, "links")
                for link in item["links"]:
                    tag = ET.SubElement(links, "link", href=_attr(link["url"]))
                    tag.text = _NOT_XML.sub("", link["title"])
                ET.SubElement(element, "attachments")
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
