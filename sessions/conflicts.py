"""Conflict detection for the programme.

`detect` is pure: it takes plain data (the dataclasses below, or ORM rows with the same
attributes) and returns every conflict of every placed session. The loaders
(`event_conflicts`, `session_conflicts`, `hard_conflicts`) read what it needs in a fixed
number of queries, hide what the viewer may not see, and add the links.

The rules:
- Drafts hold no room: a session (a draft too) is checked against the *non-draft*
  sessions of the event only. Unplaced sessions (no times) have no conflicts.
- Intervals are half-open: a session ending at 15:00 does not overlap one starting then.
- room_double_booked (hard): another session in the same room at an overlapping time.
  A session holds a room only if it has one (online sessions usually have none).
- person_double_booked (hard): a directory person on both sessions, declined on neither.
- outside_window (hard): a session of a focus area must lie inside the P2C segment
  window; a cross-area session (no focus area: the plenary pledging, the signing
  ceremony) may sit anywhere in the event, because these are the segment's links to the
  conference's plenary days — it is only checked against the event's own days.
- plenary_overlap (hard): a plenary block of the whole venue, or of the session's room.
- break_overlap (soft): a break of the whole venue, or of the session's room.
- over_capacity (soft): confirmed people on the session plus personal-agenda saves above
  the room's capacity, or the session's own capacity above the room's (a room capacity of
  0 means unknown and is never exceeded).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from flask import has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from models import (
    AgendaSave,
    BlockKind,
    Event,
    FocusArea,
    Person,
    ProgrammeBlock,
    ProgrammeSession,
    Room,
    SessionPerson,
    SessionStatus,
    SpeakerState,
)
from webapp.extensions import db
from webapp.permissions import can

from .blueprint import clock, localdatetime
from .core import cochair_codes, event_bounds, segment_window

KIND_LABELS = {
    "room_double_booked": _l("Room double-booked"),
    "person_double_booked": _l("Person in two places"),
    "outside_window": _l("Outside the segment"),
    "plenary_overlap": _l("Overlaps a plenary"),
    "break_overlap": _l("Overlaps a break"),
    "over_capacity": _l("Over capacity"),
}


@dataclass(frozen=True)
class Conflict:
    kind: str
    hard: bool
    session_id: int
    message: str
    link: str | None = None
    other_session_id: int | None = None


@dataclass(frozen=True)
class Slot:
    """A session as conflict detection sees it."""

    id: int
    title: str
    status: str
    starts_at: datetime | None
    ends_at: datetime | None
    room_id: int | None = None
    focus_area_id: int | None = None
    capacity: int | None = None

    @classmethod
    def of(cls, session: Any) -> Slot:
        return cls(*(getattr(session, name) for name in cls.__dataclass_fields__))


@dataclass(frozen=True)
class BlockSlot:
    id: int
    kind: str
    title: str
    room_id: int | None
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class RoomInfo:
    id: int
    name: str
    capacity: int = 0


@dataclass(frozen=True)
class Booking:
    """A directory person (not declined) on a session."""

    session_id: int
    person_id: int
    name: str


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Half-open intervals: touching ends do not overlap."""
    return a_start < b_end and b_start < a_end


def _placed(s: Any) -> bool:
    return s.starts_at is not None and s.ends_at is not None


def _span(start: datetime, end: datetime) -> str:
    return f"{clock(start)}–{clock(end)}"


def detect(
    sessions: Iterable[Any],
    blocks: Iterable[Any],
    rooms: Iterable[Any],
    window: tuple[datetime | None, datetime | None],
    attendance: Mapping[int, int],
    people: Iterable[Booking],
    *,
    bounds: tuple[datetime, datetime] | None = None,
) -> list[Conflict]:
    """Every conflict of every placed session in `sessions`, hard ones first.

    `window` is the P2C segment (start, end), `bounds` the event's (for cross-area
    sessions), `attendance` session id → confirmed people plus agenda saves, `people` the
    not-declined people of the sessions. Links are left to the loaders.
    """
    placed = sorted((s for s in sessions if _placed(s)), key=lambda s: (s.starts_at, s.id))
    holding = [s for s in placed if s.status != SessionStatus.DRAFT]
    by_room: dict[int, list[Any]] = defaultdict(list)
    for s in holding:
        if s.room_id is not None:
            by_room[s.room_id].append(s)
    bookings: dict[int, list[Booking]] = defaultdict(list)
    for b in people:
        bookings[b.session_id].append(b)
    holding_ids = {s.id for s in holding}
    by_person: dict[int, list[Any]] = defaultdict(list)
    slots = {s.id: s for s in placed}
    for session_id, booked in bookings.items():
        if session_id in holding_ids:
            for b in booked:
                by_person[b.person_id].append(slots[session_id])
    room_of = {r.id: r for r in rooms}
    block_list = list(blocks)

    found: list[Conflict] = []
    for s in placed:
        found += _room_conflicts(s, by_room, room_of)
        found += _person_conflicts(s, bookings.get(s.id, []), by_person)
        found += _window_conflicts(s, window, bounds)
        found += _block_conflicts(s, block_list)
        found += _capacity_conflicts(s, room_of, attendance)
    order = {s.id: n for n, s in enumerate(placed)}
    return sorted(found, key=lambda c: (not c.hard, order[c.session_id]))


def _room_conflicts(s: Any, by_room: Mapping[int, list[Any]], room_of) -> list[Conflict]:
    if s.room_id is None:
        return []
    room = room_of.get(s.room_id)
    name = room.name if room is not None else _("The room")
    return [
        Conflict(
            "room_double_booked",
            True,
            s.id,
            _(
                "%(room)s is also booked for “%(other)s”, %(time)s.",
                room=name,
                other=o.title,
                time=_span(o.starts_at, o.ends_at),
            ),
            other_session_id=o.id,
        )
        for o in by_room.get(s.room_id, [])
        if o.id != s.id and overlaps(s.starts_at, s.ends_at, o.starts_at, o.ends_at)
    ]


def _person_conflicts(s: Any, booked: list[Booking], by_person) -> list[Conflict]:
    found = []
    for b in booked:
        for o in by_person.get(b.person_id, []):
            if o.id != s.id and overlaps(s.starts_at, s.ends_at, o.starts_at, o.ends_at):
                message = _(
                    "%(person)s is also on “%(other)s” at the same time, %(time)s.",
                    person=b.name,
                    other=o.title,
                    time=_span(o.starts_at, o.ends_at),
                )
                found.append(Conflict("person_double_booked", True, s.id, message, None, o.id))
    return found


def _window_conflicts(s: Any, window, bounds) -> list[Conflict]:
    if s.focus_area_id is None:
        if bounds is None or (bounds[0] <= s.starts_at and s.ends_at <= bounds[1]):
            return []
        message = _(
            "The session is outside the event, %(start)s to %(end)s.",
            start=localdatetime(bounds[0]),
            end=localdatetime(bounds[1]),
        )
        return [Conflict("outside_window", True, s.id, message)]
    start, end = window
    if start is None or end is None:
        message = _("The event has no P2C segment; set one on the event's page.")
        return [Conflict("outside_window", True, s.id, message)]
    if start <= s.starts_at and s.ends_at <= end:
        return []
    message = _(
        "The session is outside the P2C segment, %(start)s to %(end)s.",
        start=localdatetime(start),
        end=localdatetime(end),
    )
    return [Conflict("outside_window", True, s.id, message)]


def _block_conflicts(s: Any, blocks: list[Any]) -> list[Conflict]:
    found = []
    for b in blocks:
        if b.room_id is not None and b.room_id != s.room_id:
            continue
        if not overlaps(s.starts_at, s.ends_at, b.starts_at, b.ends_at):
            continue
        time = _span(b.starts_at, b.ends_at)
        if b.kind == BlockKind.PLENARY:
            message = _(
                "It overlaps the plenary block “%(title)s”, %(time)s.", title=b.title, time=time
            )
            found.append(Conflict("plenary_overlap", True, s.id, message))
        else:
            message = _("It overlaps the break “%(title)s”, %(time)s.", title=b.title, time=time)
            found.append(Conflict("break_overlap", False, s.id, message))
    return found


def _capacity_conflicts(s: Any, room_of, attendance: Mapping[int, int]) -> list[Conflict]:
    room = room_of.get(s.room_id) if s.room_id is not None else None
    if room is None or not room.capacity:
        return []
    found = []
    expected = attendance.get(s.id, 0)
    if expected > room.capacity:
        message = _(
            "%(n)s people are expected (confirmed people and personal agendas) but "
            "%(room)s holds %(capacity)s.",
            n=expected,
            room=room.name,
            capacity=room.capacity,
        )
        found.append(Conflict("over_capacity", False, s.id, message))
    if s.capacity and s.capacity > room.capacity:
        message = _(
            "The session offers %(seats)s seats but %(room)s holds %(capacity)s.",
            seats=s.capacity,
            room=room.name,
            capacity=room.capacity,
        )
        found.append(Conflict("over_capacity", False, s.id, message))
    return found


# --- loaders --------------------------------------------------------------------------


_SLOT_COLUMNS = [getattr(ProgrammeSession, name) for name in Slot.__dataclass_fields__]


def _load(event: Event, subject: ProgrammeSession | None) -> dict[str, Any]:
    """What `detect` needs, in five queries: placed sessions (all of the event, or only
    those overlapping `subject`), rooms, blocks, people and agenda saves."""
    query = select(*_SLOT_COLUMNS).where(
        ProgrammeSession.event_id == event.id,
        ProgrammeSession.starts_at.is_not(None),
        ProgrammeSession.ends_at.is_not(None),
    )
    if subject is not None:
        query = query.where(
            ProgrammeSession.id != subject.id,
            ProgrammeSession.status != SessionStatus.DRAFT,
            ProgrammeSession.starts_at < subject.ends_at,
            ProgrammeSession.ends_at > subject.starts_at,
        )
    sessions = [Slot(*row) for row in db.session.execute(query.order_by(ProgrammeSession.id))]
    if subject is not None:
        sessions.append(Slot.of(subject))
    ids = [s.id for s in sessions]
    rooms = [
        RoomInfo(*row)
        for row in db.session.execute(
            select(Room.id, Room.name, Room.capacity).where(Room.event_id == event.id)
        )
    ]
    blocks = list(
        db.session.scalars(
            select(ProgrammeBlock)
            .where(ProgrammeBlock.event_id == event.id)
            .order_by(ProgrammeBlock.starts_at, ProgrammeBlock.id)
        )
    )
    people, attendance = _people(ids)
    return {
        "sessions": sessions,
        "blocks": blocks,
        "rooms": rooms,
        "people": people,
        "attendance": attendance,
    }


def _people(ids: list[int]) -> tuple[list[Booking], dict[int, int]]:
    """The not-declined people of these sessions, and per session the confirmed people
    plus personal-agenda saves (two queries, whatever the number of sessions)."""
    if not ids:
        return [], {}
    rows = db.session.execute(
        select(
            SessionPerson.session_id,
            SessionPerson.person_id,
            SessionPerson.state,
            Person.honorific,
            Person.first_name,
            Person.last_name,
        )
        .join(Person, Person.id == SessionPerson.person_id)
        .where(SessionPerson.session_id.in_(ids), SessionPerson.state != SpeakerState.DECLINED)
        .order_by(SessionPerson.session_id, SessionPerson.id)
    )
    people, attendance = [], defaultdict(int)
    for session_id, person_id, state, *name in rows:
        people.append(Booking(session_id, person_id, " ".join(p for p in name if p)))
        if state == SpeakerState.CONFIRMED:
            attendance[session_id] += 1
    saves = db.session.execute(
        select(AgendaSave.session_id, func.count())
        .where(AgendaSave.session_id.in_(ids))
        .group_by(AgendaSave.session_id)
    )
    for session_id, n in saves:
        attendance[session_id] += n
    return people, dict(attendance)


class _Viewer:
    """What a user may see and edit among the event's sessions, for names and links."""

    def __init__(self, user: Any, event: Event):
        self.event = event
        self.user = user
        self.all = user is None or can(user, "programme.manage", event)
        self.own_areas: set[int] = set()
        if not self.all:
            codes = cochair_codes(user, event)
            if codes:
                self.own_areas = set(
                    db.session.scalars(
                        select(FocusArea.id).where(
                            FocusArea.event_id == event.id, FocusArea.code.in_(codes)
                        )
                    )
                )

    def edits(self, s: Slot) -> bool:
        return self.all or (s.focus_area_id is not None and s.focus_area_id in self.own_areas)

    def sees(self, s: Slot) -> bool:
        return self.edits(s) or s.status == SessionStatus.PUBLISHED

    def link(self, conflict: Conflict, slots: Mapping[int, Slot]) -> str | None:
        """The page of the cause: the other session if the viewer may open it, else the
        venue (organizers) or the schedule of the day (co-chairs)."""
        if self.user is None or not has_request_context():
            return None
        if conflict.other_session_id is not None:
            other = slots[conflict.other_session_id]
            if self.edits(other):
                return url_for(
                    "sessions.session_manage", event_id=self.event.id, session_id=other.id
                )
            if other.status == SessionStatus.PUBLISHED:
                return url_for(
                    "sessions.public_session", event_id=self.event.id, session_id=other.id
                )
            return None
        if self.all:
            anchor = {"over_capacity": "rooms", "outside_window": "window"}.get(
                conflict.kind, "blocks"
            )
            return url_for("sessions.venue", event_id=self.event.id, _anchor=anchor)
        day = slots[conflict.session_id].starts_at.date().isoformat()
        return url_for("sessions.schedule", event_id=self.event.id, day=day)


def _conflicts(event: Event, subject: ProgrammeSession | None, viewer: Any) -> list[Conflict]:
    if viewer is None and has_request_context():
        viewer = current_user
    see = _Viewer(viewer, event)
    data = _load(event, subject)
    hidden_title = _("another session you cannot see")
    slots = [s if see.sees(s) else replace(s, title=hidden_title) for s in data.pop("sessions")]
    by_id = {s.id: s for s in slots}
    found = detect(slots, window=segment_window(event), bounds=event_bounds(event), **data)
    if subject is not None:
        found = [c for c in found if c.session_id == subject.id]
    return [replace(c, link=see.link(c, by_id)) for c in found if see.sees(by_id[c.session_id])]


def event_conflicts(event: Event, viewer: Any = None) -> list[Conflict]:
    """Every conflict of the event's placed sessions that `viewer` (by default the
    current user) may see, hard ones first; a constant number of queries."""
    return _conflicts(event, None, viewer)


def session_conflicts(session: ProgrammeSession, viewer: Any = None) -> list[Conflict]:
    """The conflicts of one session (none when it is not placed)."""
    if not _placed(session):
        return []
    return _conflicts(session.event, session, viewer)


def hard_conflicts(session: ProgrammeSession, viewer: Any = None) -> list[Conflict]:
    """The conflicts that block publishing the session."""
    return [c for c in session_conflicts(session, viewer) if c.hard]


def counts(conflicts: Iterable[Conflict]) -> dict[str, int]:
    """How many hard and soft conflicts, and how many sessions have any."""
    conflicts = list(conflicts)
    hard = sum(1 for c in conflicts if c.hard)
    return {
        "hard": hard,
        "soft": len(conflicts) - hard,
        "sessions": len({c.session_id for c in conflicts}),
    }
