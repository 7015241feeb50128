"""Placing a session in the programme: its room, start and end.

Placing checks only what makes a placement meaningless (times half-given, inverted, too
long or outside the event; a room of another event); where it lands among the other
sessions, blocks and the segment window is for conflict detection, whose findings come
back as warnings. Publishing is what hard conflicts block, so a co-chair can sketch the
programme first and resolve the clashes after; only a session already published must stay
publishable (no new hard conflict, a room unless online: `curation.check_nothing_new`, the
rule the session form keeps too), so that the public programme never gains one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

from models import Event, ProgrammeSession, Room, SessionStatus, User
from webapp import audit
from webapp.extensions import db
from webapp.permissions import can

from . import conflicts, curation
from .core import ProgrammeConflict, ProgrammeError, check_times, event_days, segment_window


class PlacementNotFound(ProgrammeError):
    """A session or room the user may not touch: as unknown as a missing one."""

    status = 404


def place(
    actor: User,
    session: ProgrammeSession,
    room: Room | None,
    starts_at: datetime | None,
    ends_at: datetime | None,
) -> list[conflicts.Conflict]:
    """Put the session in `room` from `starts_at` to `ends_at` (no times: take it off the
    grid) and return the conflicts it now has. Organizers place any session, co-chairs
    only those of their own areas."""
    if not can(actor, "session.edit", session):
        raise PlacementNotFound(_l("No such session."))
    if room is not None and room.event_id != session.event_id:
        raise PlacementNotFound(_l("No such room."), "room_id")
    check_times(session.event, starts_at, ends_at)
    if starts_at is None and session.status == SessionStatus.PUBLISHED:
        raise ProgrammeConflict(
            _l("A published session stays in the programme; give it a start and an end."),
            "starts_at",
        )
    standing = curation.published_state(session)
    before = _where(session)
    session.room_id = room.id if room is not None else None
    session.room = room
    session.starts_at, session.ends_at = starts_at, ends_at
    db.session.flush()
    found = conflicts.session_conflicts(session, actor)
    try:
        # A published session stays publishable, by the rule the session form keeps too:
        # no new hard conflict, and nothing it needs (a room unless online) taken away.
        curation.check_nothing_new(session, standing)
    except curation.NotPublishable as error:
        raise _refusal(error, session) from None
    after = _where(session)
    if after != before:
        audit.record(
            "programme.session_placed",
            actor=actor,
            event_id=session.event_id,
            obj=session,
            summary=session.title,
            before=before,
            after=after,
        )
    return found


def _refusal(error: curation.NotPublishable, session: ProgrammeSession) -> ProgrammeConflict:
    """Why the session cannot go there, as one message beside the form."""
    if error.conflicts:
        found = " ".join(c.message for c in error.conflicts)
        if session.status == SessionStatus.PUBLISHED:
            message = _l(
                "A published session cannot move into a hard conflict: %(conflicts)s",
                conflicts=found,
            )
        else:
            message = _l(
                "A published session may not get a hard conflict: %(conflicts)s",
                conflicts=found,
            )
        return ProgrammeConflict(message, "starts_at")
    fields = {field for field, _message in error.problems}
    return ProgrammeConflict(
        _l(
            "A published session must stay publishable: %(problems)s",
            problems=" ".join(str(message) for _field, message in error.problems),
        ),
        "room_id" if "room" in fields else "starts_at",
    )


def _where(session: ProgrammeSession) -> dict[str, str | int | None]:
    return {
        "room_id": session.room_id,
        "starts_at": session.starts_at.isoformat() if session.starts_at else None,
        "ends_at": session.ends_at.isoformat() if session.ends_at else None,
    }


# --- the day grid ---------------------------------------------------------------------

SLOT = timedelta(minutes=30)
#: The grid shows at least 08:00 to 20:00, more when something is placed earlier or later.
DAY_START, DAY_END = time(8, 0), time(20, 0)


def p2c_days(event: Event) -> list[date]:
    """The event days the P2C segment touches."""
    start, end = segment_window(event)
    if start is None or end is None:
        return []
    return [d for d in event_days(event) if start.date() <= d <= end.date()]


def pick_day(event: Event, value: str | None) -> date:
    """The day asked for if it is a day of the event, else the first P2C day (else the
    first day): a stale or hand-edited link shows a day rather than failing."""
    days = event_days(event)
    try:
        asked = date.fromisoformat((value or "")[:10])
    except ValueError:
        asked = None
    if asked in days:
        return asked
    return (p2c_days(event) or days)[0]


@dataclass
class GridItem:
    """A session or block in the grid: CSS grid rows and columns (1-based, end exclusive;
    row 1 holds the room names, column 1 the times)."""

    kind: str
    obj: Any
    row: int
    row_end: int
    column: int
    column_end: int


@dataclass
class GridColumn:
    """A room (None: sessions without one) and its grid columns: one lane per session
    that overlaps another in the room, so a double-booking shows side by side."""

    room_id: int | None
    name: str
    first: int = 2
    lanes: int = 1


@dataclass
class DayGrid:
    day: date
    times: list[datetime]
    columns: list[GridColumn]
    items: list[GridItem] = field(default_factory=list)

    @property
    def template(self) -> str:
        """The CSS grid-template-columns: the times, then each room's lanes."""
        lanes = " ".join(
            f"repeat({c.lanes}, minmax({10 if c.lanes == 1 else 7}rem, 1fr))" for c in self.columns
        )
        return f"4.5rem {lanes}".strip()


def _floor(value: datetime) -> datetime:
    return value.replace(minute=0 if value.minute < 30 else 30, second=0, microsecond=0)


def _lanes(sessions: list[Any]) -> tuple[dict[int, int], int]:
    """Session id → lane, and the number of lanes, for the sessions of one room."""
    ends: list[datetime] = []
    lane_of = {}
    for s in sorted(sessions, key=lambda s: (s.starts_at, s.id)):
        lane = next((n for n, end in enumerate(ends) if end <= s.starts_at), len(ends))
        if lane == len(ends):
            ends.append(s.ends_at)
        else:
            ends[lane] = s.ends_at
        lane_of[s.id] = lane
    return lane_of, max(len(ends), 1)


def day_grid(
    day: date, rooms: list[Room], sessions: list[Any], blocks: list[Any], no_room: str
) -> DayGrid:
    """Rooms as columns and half-hour rows, with the sessions and blocks starting on `day`
    placed in them (cut at midnight). Sessions without a room get a column `no_room`."""
    midnight = datetime.combine(day, time())
    placed = [s for s in sessions if s.starts_at is not None and s.starts_at.date() == day]
    day_blocks = [b for b in blocks if b.starts_at.date() == day]
    things = placed + day_blocks
    start = min([datetime.combine(day, DAY_START)] + [_floor(t.starts_at) for t in things])
    end = max([datetime.combine(day, DAY_END)] + [t.ends_at for t in things])
    end = min(end, midnight + timedelta(days=1))
    if (end - midnight) % SLOT:
        end = _floor(end) + SLOT
    times = [start + SLOT * n for n in range((end - start) // SLOT)]
    room_ids = {r.id for r in rooms}
    columns = [GridColumn(r.id, r.name) for r in rooms]
    if any(s.room_id not in room_ids for s in placed):
        columns.append(GridColumn(None, no_room))
    by_column: dict[int | None, list[Any]] = {c.room_id: [] for c in columns}
    for s in placed:
        by_column[s.room_id if s.room_id in room_ids else None].append(s)
    lane_of: dict[int, int] = {}
    first = 2
    for column in columns:
        lanes, column.lanes = _lanes(by_column[column.room_id])
        lane_of.update(lanes)
        column.first, first = first, first + column.lanes
    grid = DayGrid(day, times, columns)

    def rows(t: Any) -> tuple[int, int]:
        top = 2 + (t.starts_at - start) // SLOT
        last = min(t.ends_at, end) - start
        return top, max(top + 1, 2 + -(-last // SLOT))

    for b in day_blocks:
        column = next((c for c in columns if c.room_id == b.room_id), None)
        if b.room_id is None:
            grid.items.append(GridItem("block", b, *rows(b), 2, first))
        elif column is not None:
            grid.items.append(
                GridItem("block", b, *rows(b), column.first, column.first + column.lanes)
            )
    for column in columns:
        mine = by_column[column.room_id]
        for s in mine:
            alone = not any(
                o is not s and o.starts_at < s.ends_at and s.starts_at < o.ends_at for o in mine
            )
            left = column.first if alone else column.first + lane_of[s.id]
            right = column.first + column.lanes if alone else left + 1
            grid.items.append(GridItem("session", s, *rows(s), left, right))
    return grid
