"""Concurrency on PostgreSQL: many requests, each with its own session, race for the last
seats. Exactly the capacity end up holding a seat, the rest wait; nothing is oversold,
no seat is offered twice, and one user cannot register twice.

SQLite runs one writer at a time, so it cannot show a race: these tests need
TEST_DATABASE_URL pointing at PostgreSQL.
"""

from __future__ import annotations

import os
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import AttendanceMode, Event, Registration, SeatPool, SeatState, User
from registration import registering, seats
from registration.core import RegistrationError
from webapp.extensions import db

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="needs PostgreSQL (TEST_DATABASE_URL): SQLite serializes writers, so there is no "
    "race to test",
)

VALUES = {
    "category": "observer",
    "mode": "in_person",
    "last_name": "Racer",
    "organization_name": "Racing Club",
    "country_iso2": "CH",
}


def race(app, jobs) -> list[tuple[str, object]]:
    """Run each job(user_id) in its own thread with its own app context and session, all
    released at once; returns ("ok", registration id) or ("error", exception) per job."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(index, job):
        barrier.wait(timeout=30)
        with app.test_request_context():
            try:
                results[index] = ("ok", job())
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported to the test
                db.session.rollback()
                results[index] = ("error", error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def register_job(user_id: int, event_id: int):
    def job():
        user = db.session.get(User, user_id)
        event = db.session.get(Event, event_id)
        return registering.register(user, event, **VALUES).id

    return job


@pytest.fixture
def event_id(app, make_event):
    event_id = make_event("RACE-1", days=100)
    return event_id


def capacity(app, event_id, value):
    with app.app_context():
        seats.set_capacity(db.session.get(Event, event_id), AttendanceMode.IN_PERSON, value)
        db.session.commit()


def users(make_user, n, prefix="racer"):
    return [make_user(f"{prefix}{i}@x.org", f"Racer {i}") for i in range(n)]


def states(app, event_id):
    with app.app_context():
        rows = db.session.execute(
            select(Registration.seat, func.count())
            .where(Registration.event_id == event_id)
            .group_by(Registration.seat)
        ).all()
        taken = db.session.scalar(
            select(SeatPool.taken).where(
                SeatPool.event_id == event_id, SeatPool.mode == AttendanceMode.IN_PERSON
            )
        )
        return dict(rows), taken


def test_many_requests_for_few_seats_never_oversell(app, make_user, event_id):
    capacity(app, event_id, 5)
    ids = users(make_user, 20)
    results = race(app, [register_job(uid, event_id) for uid in ids])
    assert [r[0] for r in results] == ["ok"] * 20, results
    counts, taken = states(app, event_id)
    assert counts == {SeatState.HELD: 5, SeatState.WAITING: 15}
    assert taken == 5
    with app.app_context():
        waiting = list(
            db.session.scalars(
                select(Registration)
                .where(Registration.event_id == event_id, Registration.seat == SeatState.WAITING)
                .order_by(Registration.id)
            )
        )
        positions = sorted(registering.waiting_position(r) for r in waiting)
    assert positions == list(range(1, 16))


def test_the_last_seat_goes_to_exactly_one(app, make_user, event_id):
    capacity(app, event_id, 3)
    with app.app_context():
        event = db.session.get(Event, event_id)
        for uid in users(make_user, 2, prefix="early"):
            registering.register(db.session.get(User, uid), event, **VALUES)
        db.session.commit()
    ids = users(make_user, 12)
    results = race(app, [register_job(uid, event_id) for uid in ids])
    assert all(r[0] == "ok" for r in results), results
    counts, taken = states(app, event_id)
    assert counts == {SeatState.HELD: 3, SeatState.WAITING: 11} and taken == 3


def test_one_user_racing_themself_registers_once(app, make_user, event_id):
    [uid] = users(make_user, 1)
    results = race(app, [register_job(uid, event_id) for _ in range(6)])
    oks = [r for r in results if r[0] == "ok"]
    errors = [r[1] for r in results if r[0] == "error"]
    assert len(oks) == 1
    assert all(isinstance(e, RegistrationError) and e.status == 409 for e in errors), errors
    counts, taken = states(app, event_id)
    assert counts == {SeatState.HELD: 1} and taken == 1


def test_concurrent_cancellations_offer_each_seat_once(app, make_user, event_id):
    capacity(app, event_id, 4)
    ids = users(make_user, 8)
    with app.app_context():
        event = db.session.get(Event, event_id)
        registration_ids = [
            registering.register(db.session.get(User, uid), event, **VALUES).id for uid in ids
        ]
        db.session.commit()
    holders = registration_ids[:4]

    def cancel_job(registration_id):
        def job():
            registration = db.session.get(Registration, registration_id)
            registering.cancel(None, registration)
            return registration_id

        return job

    results = race(app, [cancel_job(rid) for rid in holders])
    assert all(r[0] == "ok" for r in results), results
    counts, taken = states(app, event_id)
    assert counts == {SeatState.NONE: 4, SeatState.OFFERED: 4} and taken == 4


def test_concurrent_sweeps_lapse_each_offer_once(app, make_user, event_id):
    capacity(app, event_id, 2)
    ids = users(make_user, 6)
    with app.app_context():
        event = db.session.get(Event, event_id)
        registrations = [
            registering.register(db.session.get(User, uid), event, **VALUES) for uid in ids
        ]
        for registration in registrations[:2]:
            registering.cancel(None, registration)
        db.session.commit()
        later = max(r.offer_expires_at for r in registrations if r.offer_expires_at) + timedelta(
            minutes=1
        )
    results = race(app, [lambda: registering.sweep_offers(later) for _ in range(4)])
    assert all(r[0] == "ok" for r in results), results
    assert sum(r[1]["lapsed"] for r in results) == 2
    counts, taken = states(app, event_id)
    assert counts == {SeatState.NONE: 4, SeatState.OFFERED: 2} and taken == 2
