"""Seat accounting (registration/seats.py) on the database: taking seats, the waiting
list's order, the offer cycle (release → offer → claim, or lapse → next), capacity
raised and lowered, and the counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from models import (
    AttendanceMode,
    Event,
    Registration,
    RegistrationCategory,
    SeatPool,
    SeatState,
)
from registration import seats
from webapp.extensions import db

IN_PERSON = AttendanceMode.IN_PERSON
ONLINE = AttendanceMode.ONLINE
T0 = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def event(ctx):
    opening = date.today() + timedelta(days=100)
    event = Event(
        name="Seat Conference",
        acronym="SEAT-1",
        opening_date=opening,
        closing_date=opening + timedelta(days=5),
        languages=["en"],
        timezone="UTC",
        registration_offer_hours=48,
    )
    db.session.add(event)
    db.session.flush()
    return event


def person(event: Event, name: str, mode=IN_PERSON) -> Registration:
    registration = Registration(
        event=event,
        category=RegistrationCategory.OBSERVER,
        mode=mode,
        last_name=name,
        email=f"{name.lower()}@example.org",
    )
    db.session.add(registration)
    db.session.flush()
    return registration


def taken(event: Event, mode=IN_PERSON) -> int:
    return db.session.scalar(
        select(SeatPool.taken).where(SeatPool.event_id == event.id, SeatPool.mode == mode)
    )


def fill(event: Event, names: list[str], start=T0, mode=IN_PERSON) -> list[Registration]:
    """Registrations assigned one minute apart, in order."""
    result = []
    for i, name in enumerate(names):
        registration = person(event, name, mode)
        seats.assign(registration, start + timedelta(minutes=i))
        result.append(registration)
    return result


def test_pool_is_made_once_without_a_limit(event):
    first = seats.pool(event, IN_PERSON)
    assert first.capacity is None and first.taken == 0
    assert seats.pool(event, IN_PERSON).id == first.id
    assert seats.pool(event, ONLINE).id != first.id
    assert db.session.scalar(select(func.count(SeatPool.id))) == 2


def test_unlimited_pool_always_has_a_seat(event):
    registrations = fill(event, [f"P{i}" for i in range(5)])
    assert {r.seat for r in registrations} == {SeatState.HELD}
    assert taken(event) == 5
    assert all(r.waiting_since is None for r in registrations)


def test_full_pool_puts_people_on_the_waiting_list(event):
    seats.set_capacity(event, IN_PERSON, 2)
    a, b, c = fill(event, ["A", "B", "C"])
    assert (a.seat, b.seat, c.seat) == (SeatState.HELD, SeatState.HELD, SeatState.WAITING)
    assert c.waiting_since == T0 + timedelta(minutes=2)
    assert taken(event) == 2


def test_modes_and_events_are_separate(event):
    seats.set_capacity(event, IN_PERSON, 1)
    seats.set_capacity(event, ONLINE, 1)
    fill(event, ["A"])
    online = fill(event, ["B"], mode=ONLINE)[0]
    assert online.seat == SeatState.HELD
    other = Event(
        name="Other",
        acronym="SEAT-2",
        opening_date=event.opening_date,
        closing_date=event.closing_date,
        languages=["en"],
        timezone="UTC",
    )
    db.session.add(other)
    db.session.flush()
    seats.set_capacity(other, IN_PERSON, 1)
    assert fill(other, ["C"])[0].seat == SeatState.HELD


def test_zero_capacity_sends_everyone_to_the_waiting_list(event):
    seats.set_capacity(event, IN_PERSON, 0)
    assert fill(event, ["A"])[0].seat == SeatState.WAITING
    assert taken(event) == 0


def test_released_seat_is_offered_to_the_head_of_the_queue(event):
    seats.set_capacity(event, IN_PERSON, 1)
    holder, first, second = fill(event, ["Holder", "First", "Second"])
    offered = seats.release(holder, T0 + timedelta(hours=1))
    assert offered.id == first.id
    db.session.refresh(first)
    assert first.seat == SeatState.OFFERED
    assert first.offer_expires_at == T0 + timedelta(hours=49)
    assert holder.seat == SeatState.NONE
    # The seat moved from one person to the next: the pool's count did not change.
    assert taken(event) == 1
    db.session.refresh(second)
    assert second.seat == SeatState.WAITING


def test_queue_order_is_by_time_then_id(event):
    seats.set_capacity(event, IN_PERSON, 1)
    holder = fill(event, ["Holder"])[0]
    late = person(event, "Late")
    seats.assign(late, T0 + timedelta(minutes=30))
    early_b = person(event, "EarlyB")
    seats.assign(early_b, T0 + timedelta(minutes=10))
    early_a = person(event, "EarlyA")
    seats.assign(early_a, T0 + timedelta(minutes=10))
    assert seats.release(holder).id == early_b.id  # same time: the lower id first
    db.session.refresh(early_b)
    assert seats.release(early_b).id == early_a.id
    db.session.refresh(early_a)
    assert seats.release(early_a).id == late.id


def test_releasing_with_nobody_waiting_gives_the_seat_back(event):
    seats.set_capacity(event, IN_PERSON, 2)
    a, _b = fill(event, ["A", "B"])
    assert seats.release(a) is None
    assert taken(event) == 1
    assert fill(event, ["C"], start=T0 + timedelta(hours=1))[0].seat == SeatState.HELD


def test_leaving_the_queue_frees_nothing(event):
    seats.set_capacity(event, IN_PERSON, 1)
    _holder, waiting, after = fill(event, ["Holder", "Waiting", "After"])
    assert seats.release(waiting) is None
    assert waiting.seat == SeatState.NONE and waiting.waiting_since is None
    assert taken(event) == 1
    db.session.refresh(after)
    assert after.seat == SeatState.WAITING


def test_releasing_twice_is_harmless(event):
    seats.set_capacity(event, IN_PERSON, 1)
    holder, waiting = fill(event, ["Holder", "Waiting"])
    assert seats.release(holder).id == waiting.id
    assert seats.release(holder) is None
    assert taken(event) == 1


def _elsewhere(registration: Registration, **values) -> None:
    """Change a registration's row as another transaction would: the object in hand
    does not see it."""
    db.session.execute(
        update(Registration)
        .where(Registration.id == registration.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def test_a_stale_registration_is_read_again_before_its_seat_moves(event):
    """The offers sweep lapsed an offer (and passed the seat on) while the participant's
    request held the registration: their cancel or claim must not count it again."""
    seats.set_capacity(event, IN_PERSON, 1)
    holder, first, second = fill(event, ["Holder", "First", "Second"])
    seats.release(holder, T0)
    assert first.seat == SeatState.OFFERED
    _elsewhere(first, seat=SeatState.NONE, offer_expires_at=None)
    _elsewhere(second, seat=SeatState.OFFERED, offer_expires_at=T0 + timedelta(hours=48))
    assert first.seat == SeatState.OFFERED  # stale
    assert seats.claim(first, T0) is False
    assert seats.release(first, T0) is None
    assert taken(event) == 1
    db.session.refresh(second)
    assert second.seat == SeatState.OFFERED


def test_a_double_submit_takes_one_seat(event):
    """Two "join again" requests at once: the second finds the seat the first took."""
    late = person(event, "Late")
    assert late.seat == SeatState.NONE
    # The first request took a seat for it, in its own transaction.
    assert seats._take(seats.pool(event, IN_PERSON).id)
    _elsewhere(late, seat=SeatState.HELD)
    assert late.seat == SeatState.NONE  # stale
    assert seats.assign(late, T0) == SeatState.HELD
    assert taken(event) == 1


def test_claim_before_the_offer_lapses(event):
    seats.set_capacity(event, IN_PERSON, 1)
    holder, waiting = fill(event, ["Holder", "Waiting"])
    seats.release(holder, T0)
    db.session.refresh(waiting)
    assert seats.claim(waiting, T0 + timedelta(hours=47)) is True
    assert waiting.seat == SeatState.HELD and waiting.offer_expires_at is None
    assert taken(event) == 1
    # Claiming again (or without an offer) does nothing.
    assert seats.claim(waiting, T0 + timedelta(hours=47)) is False
    assert seats.claim(holder, T0) is False


def test_claim_after_the_offer_lapsed_is_refused(event):
    seats.set_capacity(event, IN_PERSON, 1)
    holder, waiting = fill(event, ["Holder", "Waiting"])
    seats.release(holder, T0)
    db.session.refresh(waiting)
    assert seats.claim(waiting, T0 + timedelta(hours=49)) is False
    assert waiting.seat == SeatState.OFFERED


def test_lapsed_offer_passes_to_the_next_person(event):
    seats.set_capacity(event, IN_PERSON, 1)
    holder, first, second = fill(event, ["Holder", "First", "Second"])
    seats.release(holder, T0)
    assert seats.lapse_offers(T0 + timedelta(hours=47)) == []  # not yet
    pairs = seats.lapse_offers(T0 + timedelta(hours=49))
    assert [(a.id, b.id) for a, b in pairs] == [(first.id, second.id)]
    db.session.refresh(first)
    db.session.refresh(second)
    assert first.seat == SeatState.NONE and first.offer_expires_at is None
    assert second.seat == SeatState.OFFERED
    assert second.offer_expires_at == T0 + timedelta(hours=49 + 48)
    assert taken(event) == 1
    # A second sweep at the same time finds nothing more to do.
    assert seats.lapse_offers(T0 + timedelta(hours=49)) == []


def test_lapse_with_nobody_waiting_returns_the_seat(event):
    seats.set_capacity(event, IN_PERSON, 1)
    holder, waiting = fill(event, ["Holder", "Waiting"])
    seats.release(holder, T0)
    pairs = seats.lapse_offers(T0 + timedelta(days=3))
    assert [(a.id, b) for a, b in pairs] == [(waiting.id, None)]
    assert taken(event) == 0


def test_releasing_an_offer_passes_it_on(event):
    seats.set_capacity(event, IN_PERSON, 1)
    holder, first, second = fill(event, ["Holder", "First", "Second"])
    seats.release(holder, T0)
    db.session.refresh(first)
    assert seats.release(first, T0).id == second.id
    assert taken(event) == 1


def test_raising_capacity_offers_the_new_seats_in_order(event):
    seats.set_capacity(event, IN_PERSON, 1)
    _holder, a, b, c = fill(event, ["Holder", "A", "B", "C"])
    offered = seats.set_capacity(event, IN_PERSON, 3)
    assert [r.id for r in offered] == [a.id, b.id]
    for registration in (a, b, c):
        db.session.refresh(registration)
    assert (a.seat, b.seat, c.seat) == (SeatState.OFFERED, SeatState.OFFERED, SeatState.WAITING)
    assert taken(event) == 3


def test_raising_capacity_without_a_queue_offers_nothing(event):
    seats.set_capacity(event, IN_PERSON, 1)
    fill(event, ["Holder"])
    assert seats.set_capacity(event, IN_PERSON, 5) == []
    assert taken(event) == 1
    assert fill(event, ["New"], start=T0 + timedelta(hours=1))[0].seat == SeatState.HELD


def test_lifting_the_limit_offers_everyone_waiting(event):
    seats.set_capacity(event, IN_PERSON, 1)
    _holder, a, b = fill(event, ["Holder", "A", "B"])
    assert [r.id for r in seats.set_capacity(event, IN_PERSON, None)] == [a.id, b.id]


def test_lowering_capacity_takes_no_seat_away(event):
    seats.set_capacity(event, IN_PERSON, 3)
    a, b, c = fill(event, ["A", "B", "C"])
    assert seats.set_capacity(event, IN_PERSON, 1) == []
    assert {r.seat for r in (a, b, c)} == {SeatState.HELD}
    assert taken(event) == 3
    # No new seat until enough are freed.
    assert fill(event, ["D"], start=T0 + timedelta(hours=1))[0].seat == SeatState.WAITING


def test_seats_freed_above_a_lowered_capacity_go_back_to_the_pool(event):
    seats.set_capacity(event, IN_PERSON, 3)
    a, _b, _c = fill(event, ["A", "B", "C"])
    seats.set_capacity(event, IN_PERSON, 1)
    waiting = fill(event, ["D"], start=T0 + timedelta(hours=1))[0]
    assert seats.release(a) is None
    assert taken(event) == 2
    db.session.refresh(waiting)
    assert waiting.seat == SeatState.WAITING


def test_counts_per_mode(event):
    seats.set_capacity(event, IN_PERSON, 1)
    fill(event, ["A", "B", "C"])
    fill(event, ["D"], mode=ONLINE)
    counts = seats.counts(event)
    assert counts[IN_PERSON] == {"capacity": 1, "taken": 1, "waiting": 2}
    assert counts[ONLINE] == {"capacity": None, "taken": 1, "waiting": 0}


def test_counts_of_an_event_without_pools(event):
    assert seats.counts(event) == {
        IN_PERSON: {"capacity": None, "taken": 0, "waiting": 0},
        ONLINE: {"capacity": None, "taken": 0, "waiting": 0},
    }
