"""The public programme: the published sessions of an event with everything its pages,
exports and API show, loaded in a fixed number of queries however long the programme.

Only published sessions are public. People who declined are never shown, and a session
under the Chatham House rule shows no people at all (no attribution). Times are naive
and event-local (see models/sessions.py); `zone(event)` turns them into instants for
the exports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, String, cast, or_, select
from sqlalchemy.orm import contains_eager, joinedload, lazyload, selectinload

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
    SessionPerson,
    SessionStatus,
    SpeakerState,
    Visibility,
)
from webapp.extensions import db
from webapp.i18n import LANGUAGE_NAMES

from .core import MAX_ID, event_days

#: The filters of the programme page and the API, in the order the form shows them.
FILTERS = ("day", "room", "focus_area", "format", "mode", "language")
#: The ways the programme page lists sessions: by time, or at a glance by room.
VIEWS = ("time", "rooms")


def zone(event: Event) -> ZoneInfo:
    """The event's time zone; an unknown name (never stored by the event form) is UTC."""
    try:
        return ZoneInfo(event.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def aware(value: datetime | None, tz: ZoneInfo) -> datetime | None:
    """An event-local programme time as an instant in the event's zone."""
    return value.replace(tzinfo=tz) if value is not None else None


# --- filters --------------------------------------------------------------------------


@dataclass
class Filters:
    """What the reader narrowed the programme to; None means any."""

    day: date | None = None
    room: int | None = None
    focus_area: str | None = None
    format: SessionFormat | None = None
    mode: SessionMode | None = None
    language: str | None = None

    def args(self) -> dict[str, str]:
        """The filters as query-string values, for links that keep them."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[f.name] = value.isoformat() if isinstance(value, date) else str(value)
        return out

    def __bool__(self) -> bool:
        return bool(self.args())


def parse_filters(
    args: Mapping[str, str],
    *,
    days: Iterable[date] | None = None,
    room_ids: Iterable[int] | None = None,
    area_codes: Iterable[str] | None = None,
) -> tuple[Filters, dict[str, str]]:
    """Filters from a query string, and the refused ones with the reason (translated).

    `days`, `room_ids` and `area_codes` are the allowed values when the event is known;
    without them any well-formed value is taken (the API across events)."""
    filters, errors = Filters(), {}
    raw = {name: (args.get(name) or "").strip() for name in FILTERS}
    if raw["day"]:
        try:
            value = date.fromisoformat(raw["day"])
        except ValueError:
            errors["day"] = str(_l("Give the day as YYYY-MM-DD."))
        else:
            if days is not None and value not in set(days):
                errors["day"] = str(_l("That day is not a day of the event."))
            else:
                filters.day = value
    if raw["room"]:
        number = int(raw["room"]) if re.fullmatch(r"[0-9]{1,19}", raw["room"]) else None
        if number is None or not 1 <= number <= MAX_ID:
            errors["room"] = str(_l("Give the room as its number."))
        elif room_ids is not None and number not in set(room_ids):
            errors["room"] = str(_l("There is no such room at this event."))
        else:
            filters.room = number
    if raw["focus_area"]:
        code = raw["focus_area"].upper()
        known = set(area_codes) if area_codes is not None else None
        if not re.fullmatch(r"[A-Z_]{1,40}", code) or (known is not None and code not in known):
            errors["focus_area"] = str(_l("There is no such focus area."))
        else:
            filters.focus_area = code
    if raw["format"]:
        try:
            filters.format = SessionFormat(raw["format"])
        except ValueError:
            errors["format"] = str(_l("There is no such session format."))
    if raw["mode"]:
        try:
            filters.mode = SessionMode(raw["mode"])
        except ValueError:
            errors["mode"] = str(_l("Choose in person, online or hybrid."))
    if raw["language"]:
        if raw["language"] in LANGUAGE_NAMES:
            filters.language = raw["language"]
        else:
            errors["language"] = str(_l("Choose one of the six UN languages."))
    return filters, errors


# --- queries --------------------------------------------------------------------------


def matching(event_id: int | None, filters: Filters | None = None) -> Select:
    """Published sessions (of one event, or all), filtered, in programme order: by time
    (unplaced last), then room, then id. The room is joined for the order; `load` adds
    everything else."""
    query = (
        select(ProgrammeSession)
        .outerjoin(Room, ProgrammeSession.room_id == Room.id)
        .where(ProgrammeSession.status == SessionStatus.PUBLISHED)
        .order_by(
            ProgrammeSession.event_id,
            ProgrammeSession.starts_at.is_(None),
            ProgrammeSession.starts_at,
            Room.position,
            Room.name,
            ProgrammeSession.id,
        )
    )
    if event_id is not None:
        query = query.where(ProgrammeSession.event_id == event_id)
    filters = filters or Filters()
    if filters.day is not None:
        start = datetime.combine(filters.day, datetime.min.time())
        query = query.where(
            ProgrammeSession.starts_at >= start,
            ProgrammeSession.starts_at < start + timedelta(days=1),
        )
    if filters.room is not None:
        query = query.where(ProgrammeSession.room_id == filters.room)
    if filters.focus_area is not None:
        query = query.where(
            ProgrammeSession.focus_area_id.in_(
                select(FocusArea.id).where(FocusArea.code == filters.focus_area)
            )
        )
    if filters.format is not None:
        query = query.where(ProgrammeSession.format == filters.format)
    if filters.mode is not None:
        query = query.where(ProgrammeSession.mode == filters.mode)
    if filters.language is not None:
        # Spoken on the floor or interpreted into. The lists are JSON text on SQLite and
        # PostgreSQL alike; codes are two letters checked above, so LIKE is exact.
        needle = f'%"{filters.language}"%'
        query = query.where(
            or_(
                cast(ProgrammeSession.languages, String).like(needle),
                cast(ProgrammeSession.interpretation, String).like(needle),
            )
        )
    return query


def load(query: Select) -> Select:
    """`query` (from `matching`) with the room, area, agenda and people (with their
    organizations) loaded up front: three queries whatever the number of sessions."""
    return query.options(
        contains_eager(ProgrammeSession.room),
        joinedload(ProgrammeSession.focus_area),
        selectinload(ProgrammeSession.agenda_items),
        # The model joins a person's organization and countries by default; the
        # programme shows the organization's name only, so the countries stay out.
        selectinload(ProgrammeSession.people)
        .joinedload(SessionPerson.person)
        .options(
            lazyload(Person.country),
            joinedload(Person.organization).lazyload(Organization.country),
        ),
    )


def published_sessions(event: Event, filters: Filters | None = None) -> list[ProgrammeSession]:
    """The event's published sessions matching `filters`, everything loaded."""
    return list(db.session.scalars(load(matching(event.id, filters))).unique())


def public_session(event: Event, session_id: int) -> ProgrammeSession | None:
    """One published session of the event with everything loaded, or None."""
    query = load(matching(event.id).where(ProgrammeSession.id == session_id))
    return db.session.scalars(query).unique().first()


def rooms_of(event: Event) -> list[Room]:
    return list(
        db.session.scalars(
            select(Room).where(Room.event_id == event.id).order_by(Room.position, Room.name)
        )
    )


def areas_of(event: Event) -> list[FocusArea]:
    """The event's focus areas as stored (a public page never seeds them)."""
    return list(
        db.session.scalars(
            select(FocusArea)
            .where(FocusArea.event_id == event.id)
            .order_by(FocusArea.position, FocusArea.code)
        )
    )


def programme_filters(
    event: Event, args: Mapping[str, str], rooms: list[Room], areas: list[FocusArea]
) -> tuple[Filters, dict[str, str]]:
    """`parse_filters` with the event's own days, rooms and areas as the allowed values."""
    return parse_filters(
        args,
        days=event_days(event),
        room_ids=[r.id for r in rooms],
        area_codes=[a.code for a in areas],
    )


# --- what the pages show --------------------------------------------------------------


def public_people(session: ProgrammeSession) -> list[SessionPerson]:
    """The people shown publicly: only those who confirmed taking part (a name goes public
    once its owner agreed), and none at all under the Chatham House rule."""
    if session.chatham_house:
        return []
    return [p for p in session.people if p.state == SpeakerState.CONFIRMED]


def is_invitation_only(session: ProgrammeSession) -> bool:
    return session.visibility == Visibility.INVITATION_ONLY


def public_stream_url(session: ProgrammeSession) -> str:
    """The streaming link shown publicly: online and hybrid sessions open to all (an
    invitation-only session's link goes to its invitees, not to the public page)."""
    if session.mode == SessionMode.IN_PERSON or is_invitation_only(session):
        return ""
    return session.stream_url or ""


@dataclass
class TimedItem:
    item: AgendaItem
    starts_at: datetime | None
    ends_at: datetime | None


def agenda_times(session: ProgrammeSession) -> list[TimedItem]:
    """The running order with each item's start and end, counted from the session's
    start (no times while the session is not placed)."""
    out, start = [], session.starts_at
    for item in session.agenda_items:
        end = start + timedelta(minutes=max(item.minutes or 0, 0)) if start else None
        out.append(TimedItem(item, start, end))
        start = end
    return out


@dataclass
class Slot:
    """Sessions starting at the same time."""

    starts_at: datetime
    sessions: list[ProgrammeSession] = field(default_factory=list)


@dataclass
class RoomColumn:
    """A room's sessions of one day; `room` None holds online sessions without a room."""

    room: Room | None
    sessions: list[ProgrammeSession] = field(default_factory=list)


@dataclass
class Day:
    date: date
    slots: list[Slot] = field(default_factory=list)
    rooms: list[RoomColumn] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(s.sessions) for s in self.slots)


def by_day(
    sessions: Iterable[ProgrammeSession],
) -> tuple[list[Day], list[ProgrammeSession]]:
    """Placed sessions by day, then by start time and by room; and the unplaced ones.

    `sessions` come in programme order (time, room, id), which each group keeps."""
    days: dict[date, Day] = {}
    unplaced = []
    for session in sessions:
        if session.starts_at is None:
            unplaced.append(session)
            continue
        day = days.setdefault(session.starts_at.date(), Day(session.starts_at.date()))
        if not day.slots or day.slots[-1].starts_at != session.starts_at:
            day.slots.append(Slot(session.starts_at))
        day.slots[-1].sessions.append(session)
    for day in days.values():
        columns: dict[int | None, RoomColumn] = {}
        for slot in day.slots:
            for session in slot.sessions:
                columns.setdefault(session.room_id, RoomColumn(session.room)).sessions.append(
                    session
                )
        day.rooms = sorted(
            columns.values(),
            key=lambda c: (c.room is None, c.room.position if c.room else 0, _room_name(c)),
        )
    return sorted(days.values(), key=lambda d: d.date), unplaced


def _room_name(column: RoomColumn) -> str:
    return column.room.name if column.room else ""


def overlaps(a: ProgrammeSession, b: ProgrammeSession) -> bool:
    """Whether two placed sessions share some time (touching ends do not clash)."""
    if None in (a.starts_at, a.ends_at, b.starts_at, b.ends_at):
        return False
    return a.starts_at < b.ends_at and b.starts_at < a.ends_at


def clashes(sessions: list[ProgrammeSession]) -> dict[int, list[ProgrammeSession]]:
    """For each session, the others of the list it overlaps (sessions by start time, so
    the scan stops at the first that starts after it ends)."""
    placed = sorted(
        (s for s in sessions if s.starts_at and s.ends_at), key=lambda s: (s.starts_at, s.id)
    )
    out: dict[int, list[ProgrammeSession]] = {}
    for i, first in enumerate(placed):
        for second in placed[i + 1 :]:
            if second.starts_at >= first.ends_at:
                break
            out.setdefault(first.id, []).append(second)
            out.setdefault(second.id, []).append(first)
    return out


def languages_text(codes: Iterable[str]) -> str:
    """Language codes as names, e.g. "English, French"."""
    return ", ".join(str(LANGUAGE_NAMES.get(c, c)) for c in codes)


def person_line(person: SessionPerson, part_labels: Mapping[Any, Any]) -> str:
    """ "Name, function, organization (part)" for exports."""
    who = person.person
    bits = [who.full_name, who.function, who.organization.name if who.organization else ""]
    text = ", ".join(b for b in bits if b)
    return f"{text} ({part_labels.get(person.part, person.part)})"
