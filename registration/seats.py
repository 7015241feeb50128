"""Seat accounting and the waiting list — the one place seats are taken and given back.

A pool's `taken` only moves through conditional UPDATEs (`taken < capacity` checked by
the database in the same statement), so concurrent requests cannot oversell: on
PostgreSQL the second UPDATE of the row waits for the first and re-checks the condition
on the committed row; SQLite runs one writer at a time. Everything here runs inside the
caller's transaction: a rollback gives the seat back with everything else.

A registration's own seat state is re-read under a row lock (PostgreSQL: SELECT ... FOR
UPDATE) before it moves: two requests about the same registration (a double submit, a
cancellation while the offers sweep runs) never count its seat twice.

The waiting list is served in order: a freed seat is not returned to the pool while
someone waits — it is *offered* to the head of the queue (the pool's `taken` does not
change), kept for `event.registration_offer_hours`, then passed on if not claimed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from models import AttendanceMode, Event, Registration, SeatPool, SeatState, utcnow
from webapp.extensions import db


def pool(event: Event, mode: AttendanceMode) -> SeatPool:
    """The event's pool for `mode`, made (without a limit) the first time it is needed."""
    found = db.session.scalar(
        select(SeatPool).where(SeatPool.event_id == event.id, SeatPool.mode == mode)
    )
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            found = SeatPool(event_id=event.id, mode=mode, capacity=None, taken=0)
            db.session.add(found)
    except IntegrityError:  # made meanwhile by another request
        found = db.session.scalar(
            select(SeatPool).where(SeatPool.event_id == event.id, SeatPool.mode == mode)
        )
    return found


def _take(pool_id: int) -> bool:
    """Take one seat if one is free; True when taken."""
    result = db.session.execute(
        update(SeatPool)
        .where(
            SeatPool.id == pool_id,
            or_(SeatPool.capacity.is_(None), SeatPool.taken < SeatPool.capacity),
        )
        .values(taken=SeatPool.taken + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _give_back(pool_id: int) -> None:
    db.session.execute(
        update(SeatPool)
        .where(SeatPool.id == pool_id, SeatPool.taken > 0)
        .values(taken=SeatPool.taken - 1)
        .execution_options(synchronize_session=False)
    )


def _lock(registration: Registration) -> None:
    """Write the caller's changes, then re-read the registration's seat (and mode) under
    a row lock: what another transaction changed meanwhile is seen, and it waits for us."""
    db.session.flush()
    db.session.refresh(
        registration,
        ["mode", "seat", "waiting_since", "offer_expires_at"],
        with_for_update=True,
    )


def assign(registration: Registration, now: datetime | None = None) -> SeatState:
    """A new (or re-activated) registration takes a seat of its mode, or joins the
    waiting list at its end. Nobody who is waiting is overtaken: a free seat only exists
    when nobody waits (freed seats go to the queue first). A registration that already
    holds, waits or is offered a seat (a concurrent request placed it) keeps it."""
    _lock(registration)
    if registration.seat != SeatState.NONE:
        return registration.seat
    seats = pool(registration.event, registration.mode)
    if _take(seats.id):
        registration.seat = SeatState.HELD
        registration.waiting_since = None
    else:
        registration.seat = SeatState.WAITING
        registration.waiting_since = now or utcnow()
    registration.offer_expires_at = None
    db.session.flush()
    return registration.seat


def release(registration: Registration, now: datetime | None = None) -> Registration | None:
    """The registration gives up its seat, offer or place in the queue (cancelled,
    rejected, moved to another mode). A seat it held goes to the next person waiting, if
    any; that registration is returned so the caller can tell them by mail."""
    _lock(registration)
    was = registration.seat
    registration.seat = SeatState.NONE
    registration.waiting_since = None
    registration.offer_expires_at = None
    db.session.flush()
    if was in (SeatState.HELD, SeatState.OFFERED):
        return pass_on(registration.event, registration.mode, now)
    return None


def pass_on(event: Event, mode: AttendanceMode, now: datetime | None = None) -> Registration | None:
    """Offer one freed seat to the head of the waiting list; with nobody waiting, the seat
    goes back to the pool. The offer is claimed atomically (`seat = 'waiting'` in the
    UPDATE), so two concurrent passes never offer one seat twice."""
    now = now or utcnow()
    # Above a lowered capacity, a freed seat simply disappears: nobody is offered it.
    shrunk = db.session.execute(
        update(SeatPool)
        .where(
            SeatPool.event_id == event.id,
            SeatPool.mode == mode,
            SeatPool.capacity.is_not(None),
            SeatPool.taken > SeatPool.capacity,
        )
        .values(taken=SeatPool.taken - 1)
        .execution_options(synchronize_session=False)
    )
    if shrunk.rowcount == 1:
        return None
    expires = now + timedelta(hours=event.registration_offer_hours)
    while True:
        head = db.session.scalar(
            select(Registration.id)
            .where(
                Registration.event_id == event.id,
                Registration.mode == mode,
                Registration.seat == SeatState.WAITING,
            )
            .order_by(Registration.waiting_since, Registration.id)
            .limit(1)
        )
        if head is None:
            _give_back(pool(event, mode).id)
            return None
        result = db.session.execute(
            update(Registration)
            .where(Registration.id == head, Registration.seat == SeatState.WAITING)
            .values(seat=SeatState.OFFERED, offer_expires_at=expires)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            offered = db.session.get(Registration, head)
            db.session.refresh(offered)
            return offered


def claim(registration: Registration, now: datetime | None = None) -> bool:
    """The participant takes the seat offered to them, before the offer lapses."""
    now = now or utcnow()
    _lock(registration)
    if registration.seat != SeatState.OFFERED or (
        registration.offer_expires_at is not None and registration.offer_expires_at < now
    ):
        return False
    registration.seat = SeatState.HELD
    registration.offer_expires_at = None
    registration.waiting_since = None
    db.session.flush()
    return True


def lapse_offers(now: datetime | None = None) -> list[tuple[Registration, Registration | None]]:
    """Offers past their time lapse (the registration leaves the queue) and their seats
    pass on. Returns (lapsed, offered next) pairs for the caller's mail."""
    now = now or utcnow()
    lapsed = list(
        db.session.scalars(
            select(Registration)
            .where(Registration.seat == SeatState.OFFERED, Registration.offer_expires_at < now)
            .order_by(Registration.offer_expires_at, Registration.id)
        )
    )
    pairs = []
    for registration in lapsed:
        result = db.session.execute(
            update(Registration)
            .where(Registration.id == registration.id, Registration.seat == SeatState.OFFERED)
            .values(seat=SeatState.NONE, offer_expires_at=None, waiting_since=None)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            continue  # claimed or lapsed by someone else meanwhile
        db.session.refresh(registration)
        pairs.append((registration, pass_on(registration.event, registration.mode, now)))
    return pairs


def set_capacity(event: Event, mode: AttendanceMode, capacity: int | None) -> list[Registration]:
    """Change a pool's size. New seats go to the waiting list first (returned, to be told);
    a smaller size takes no seat away — it only stops new ones until enough are freed."""
    seats = pool(event, mode)
    seats.capacity = capacity
    db.session.flush()
    offered = []
    while True:
        head_waiting = db.session.scalar(
            select(Registration.id)
            .where(
                Registration.event_id == event.id,
                Registration.mode == mode,
                Registration.seat == SeatState.WAITING,
            )
            .limit(1)
        )
        if head_waiting is None or not _take(seats.id):
            break
        # The seat just taken is handed on to the head of the queue (pass_on keeps
        # `taken` as it is when someone waits).
        offered_now = pass_on(event, mode)
        if offered_now is None:
            break
        offered.append(offered_now)
    db.session.refresh(seats)
    return offered


def counts(event: Event) -> dict[AttendanceMode, dict[str, int | None]]:
    """Per mode: capacity, taken, waiting (for dashboards; two queries)."""
    pools = {
        p.mode: p for p in db.session.scalars(select(SeatPool).where(SeatPool.event_id == event.id))
    }
    waiting = dict(
        db.session.execute(
            select(Registration.mode, func.count())
            .where(Registration.event_id == event.id, Registration.seat == SeatState.WAITING)
            .group_by(Registration.mode)
        ).all()
    )
    return {
        mode: {
            "capacity": pools[mode].capacity if mode in pools else None,
            "taken": pools[mode].taken if mode in pools else 0,
            "waiting": waiting.get(mode, 0),
        }
        for mode in AttendanceMode
    }
