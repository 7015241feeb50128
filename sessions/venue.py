"""The venue of an event's programme: rooms, breaks and plenary blocks, and screens.

Organizers keep these; sessions are placed in rooms around the blocks (see scheduling
and conflicts). Every change is audited.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from models import BlockKind, Event, ProgrammeBlock, ProgrammeSession, Room, Screen, User
from webapp import audit
from webapp.extensions import db

from .core import MAX_ID, ProgrammeConflict, ProgrammeError, check_times

MAX_NAME = 120
MAX_NOTES = 500
MAX_TITLE = 200
MAX_CAPACITY = 100_000


# --- lookups --------------------------------------------------------------------------


def rooms(event: Event) -> list[Room]:
    """The event's rooms in their order."""
    return list(
        db.session.scalars(
            select(Room).where(Room.event_id == event.id).order_by(Room.position, Room.name)
        )
    )


def blocks(event: Event) -> list[ProgrammeBlock]:
    """The event's breaks and plenary blocks in time order."""
    return list(
        db.session.scalars(
            select(ProgrammeBlock)
            .where(ProgrammeBlock.event_id == event.id)
            .order_by(ProgrammeBlock.starts_at, ProgrammeBlock.id)
        )
    )


def blocks_by_day(event: Event) -> dict[date, list[ProgrammeBlock]]:
    by_day: dict[date, list[ProgrammeBlock]] = defaultdict(list)
    for block in blocks(event):
        by_day[block.starts_at.date()].append(block)
    return dict(by_day)


def screens(event: Event) -> list[Screen]:
    return list(
        db.session.scalars(select(Screen).where(Screen.event_id == event.id).order_by(Screen.name))
    )


def _of_event(model: type, event: Event, item_id: Any) -> Any:
    """The event's row of `model`, or 404: another event's id is as unknown as a missing one."""
    try:
        number = int(item_id)
    except (TypeError, ValueError):
        number = 0
    item = db.session.get(model, number) if 1 <= number <= MAX_ID else None
    if item is None or item.event_id != event.id:
        abort(404)
    return item


def room_or_404(event: Event, room_id: Any) -> Room:
    return _of_event(Room, event, room_id)


def block_or_404(event: Event, block_id: Any) -> ProgrammeBlock:
    return _of_event(ProgrammeBlock, event, block_id)


def screen_or_404(event: Event, screen_id: Any) -> Screen:
    return _of_event(Screen, event, screen_id)


def room_usage(event: Event) -> dict[int, int]:
    """Room id → number of sessions placed in it (one query)."""
    rows = db.session.execute(
        select(ProgrammeSession.room_id, func.count())
        .where(ProgrammeSession.event_id == event.id, ProgrammeSession.room_id.is_not(None))
        .group_by(ProgrammeSession.room_id)
    )
    return dict(rows.all())


# --- checks ---------------------------------------------------------------------------


def _name(value: str | None, field: str = "name", limit: int = MAX_NAME) -> str:
    value = (value or "").strip()
    if not value:
        raise ProgrammeError(_l("Give a name."), field)
    if len(value) > limit:
        raise ProgrammeError(_l("At most %(n)s characters.", n=limit), field)
    return value


def _name_free(model: type, event: Event, name: str, current: Any = None) -> None:
    """Names are unique per event, whatever their case: "Room A" and "room a" are one room."""
    clash = db.session.scalar(
        select(model.id).where(
            model.event_id == event.id,
            func.lower(model.name) == name.lower(),
            model.id != (current.id if current is not None else -1),
        )
    )
    if clash is not None:
        raise ProgrammeConflict(_l("%(name)s already exists in this event.", name=name), "name")


def _event_of(item: Room | ProgrammeBlock | Screen) -> Event:
    return db.session.get(Event, item.event_id)


def _room_of(event: Event, room: Room | None) -> Room | None:
    if room is not None and room.event_id != event.id:
        raise ProgrammeError(_l("Choose a room of this event."), "room_id")
    return room


# --- rooms ----------------------------------------------------------------------------


def _room_values(capacity: Any, position: Any, notes: str | None) -> dict[str, Any]:
    if not isinstance(capacity, int) or not 0 <= capacity <= MAX_CAPACITY:
        raise ProgrammeError(_l("A number from 0 to %(n)s.", n=MAX_CAPACITY), "capacity")
    if not isinstance(position, int) or not 0 <= position <= 1000:
        raise ProgrammeError(_l("A number from 0 to 1000."), "position")
    notes = (notes or "").strip()
    if len(notes) > MAX_NOTES:
        raise ProgrammeError(_l("At most %(n)s characters.", n=MAX_NOTES), "notes")
    return {"capacity": capacity, "position": position, "notes": notes}


def add_room(
    actor: User, event: Event, name: str, capacity: int = 0, position: int = 0, notes: str = ""
) -> Room:
    name = _name(name)
    values = _room_values(capacity, position, notes)
    _name_free(Room, event, name)
    room = Room(event_id=event.id, name=name, **values)
    db.session.add(room)
    db.session.flush()
    audit.record("programme.room_added", actor=actor, event_id=event.id, obj=room, summary=name)
    return room


def update_room(
    actor: User, room: Room, name: str, capacity: int, position: int, notes: str = ""
) -> Room:
    name = _name(name)
    values = _room_values(capacity, position, notes)
    _name_free(Room, _event_of(room), name, room)
    before = {"name": room.name, "capacity": room.capacity}
    room.name = name
    for key, value in values.items():
        setattr(room, key, value)
    db.session.flush()
    audit.record(
        "programme.room_changed",
        actor=actor,
        event_id=room.event_id,
        obj=room,
        summary=name,
        before=before,
    )
    return room


def delete_room(actor: User, room: Room) -> None:
    """Delete a room nothing is placed in.

    A room with sessions or blocks is refused rather than emptied: unsetting the room
    would silently take published sessions off the public grid, and would turn a room's
    own break or plenary into one of the whole venue (blocks without a room hold every
    room). The organizer moves them first, knowingly. Screens in the room become screens
    of the venue at large, which changes nothing for anyone.
    """
    sessions = db.session.scalar(
        select(func.count())
        .select_from(ProgrammeSession)
        .where(ProgrammeSession.room_id == room.id)
    )
    blocks_ = db.session.scalar(
        select(func.count()).select_from(ProgrammeBlock).where(ProgrammeBlock.room_id == room.id)
    )
    if sessions or blocks_:
        raise ProgrammeConflict(
            _l(
                "%(room)s is used by %(sessions)s sessions and %(blocks)s blocks; move them "
                "to another room or delete them first.",
                room=room.name,
                sessions=sessions,
                blocks=blocks_,
            )
        )
    for screen in db.session.scalars(select(Screen).where(Screen.room_id == room.id)):
        screen.room_id = None
    audit.record(
        "programme.room_deleted", actor=actor, event_id=room.event_id, obj=room, summary=room.name
    )
    db.session.delete(room)
    db.session.flush()


# --- blocks ---------------------------------------------------------------------------


def _block_values(
    event: Event,
    kind: Any,
    title: str | None,
    room: Room | None,
    starts_at: datetime | None,
    ends_at: datetime | None,
) -> dict[str, Any]:
    try:
        kind = BlockKind(kind)
    except ValueError:
        raise ProgrammeError(_l("Choose a break or a plenary block."), "kind") from None
    title = _name(title, "title", MAX_TITLE)
    if starts_at is None and ends_at is None:
        raise ProgrammeError(_l("Give a start and an end."), "starts_at")
    check_times(event, starts_at, ends_at)
    room = _room_of(event, room)
    return {
        "kind": kind,
        "title": title,
        "room_id": room.id if room else None,
        "starts_at": starts_at,
        "ends_at": ends_at,
    }


def add_block(
    actor: User,
    event: Event,
    kind: Any,
    title: str,
    room: Room | None,
    starts_at: datetime | None,
    ends_at: datetime | None,
) -> ProgrammeBlock:
    block = ProgrammeBlock(
        event_id=event.id, **_block_values(event, kind, title, room, starts_at, ends_at)
    )
    db.session.add(block)
    db.session.flush()
    audit.record(
        "programme.block_added", actor=actor, event_id=event.id, obj=block, summary=block.title
    )
    return block


def update_block(
    actor: User,
    block: ProgrammeBlock,
    kind: Any,
    title: str,
    room: Room | None,
    starts_at: datetime | None,
    ends_at: datetime | None,
) -> ProgrammeBlock:
    values = _block_values(_event_of(block), kind, title, room, starts_at, ends_at)
    before = {"starts_at": block.starts_at.isoformat(), "ends_at": block.ends_at.isoformat()}
    for key, value in values.items():
        setattr(block, key, value)
    db.session.flush()
    audit.record(
        "programme.block_changed",
        actor=actor,
        event_id=block.event_id,
        obj=block,
        summary=block.title,
        before=before,
    )
    return block


def delete_block(actor: User, block: ProgrammeBlock) -> None:
    audit.record(
        "programme.block_deleted",
        actor=actor,
        event_id=block.event_id,
        obj=block,
        summary=block.title,
    )
    db.session.delete(block)
    db.session.flush()


# --- screens --------------------------------------------------------------------------


def add_screen(actor: User, event: Event, name: str, room: Room | None = None) -> Screen:
    name = _name(name)
    room = _room_of(event, room)
    _name_free(Screen, event, name)
    screen = Screen(event_id=event.id, name=name, room_id=room.id if room else None)
    db.session.add(screen)
    db.session.flush()
    audit.record("programme.screen_added", actor=actor, event_id=event.id, obj=screen, summary=name)
    return screen


def update_screen(actor: User, screen: Screen, name: str, room: Room | None = None) -> Screen:
    event = _event_of(screen)
    name = _name(name)
    room = _room_of(event, room)
    _name_free(Screen, event, name, screen)
    screen.name = name
    screen.room_id = room.id if room else None
    db.session.flush()
    audit.record(
        "programme.screen_changed", actor=actor, event_id=event.id, obj=screen, summary=name
    )
    return screen


def delete_screen(actor: User, screen: Screen) -> None:
    audit.record(
        "programme.screen_deleted",
        actor=actor,
        event_id=screen.event_id,
        obj=screen,
        summary=screen.name,
    )
    db.session.delete(screen)
    db.session.flush()
