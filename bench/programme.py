"""The P2C programme at 40 and at 400 published sessions (150 and 1,500 speakers, 20
rooms, three agenda items a session): SQL query counts of the public programme page,
the organizers' schedule view of one day and the Frab schedule.xml export (they must not
grow with the programme); median and p95 times of each at 400 sessions (REQUESTS GETs
each through the test client). The last line is JSON.

Each size gets a fresh temporary SQLite database; with DATABASE_URL (e.g. PostgreSQL)
both run in that database instead, which must be an empty scratch database: the script
creates the tables and drops them again.

    .venv/bin/python bench/programme.py [REQUESTS]
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production")
DATABASE_URL = os.environ.pop("DATABASE_URL", "")
for name in ("REDIS_URL", "SENDGRID_API_KEY"):
    os.environ.pop(name, None)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event as sa_event  # noqa: E402
from sqlalchemy import insert, inspect  # noqa: E402

from models import (  # noqa: E402
    AgendaItem,
    Base,
    Event,
    Organization,
    Person,
    ProgrammeSession,
    Role,
    RoleGrant,
    Room,
    SessionFormat,
    SessionMode,
    SessionPart,
    SessionPerson,
    SessionStatus,
    SpeakerState,
    User,
    Visibility,
    utcnow,
)
from sessions.core import ensure_focus_areas  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.reference import load_reference_data  # noqa: E402
from webapp.security import hash_password  # noqa: E402

ROOMS = 20
OPENING = date(2027, 11, 8)
PASSWORD = "bench-password-123"
ORGANIZER = "organizer@bench.example.org"
#: Hour slots of the P2C segment (day 2 from 14:00, days 3 and 4 from 09:00, to 18:00).
SLOTS = [(2, h) for h in range(14, 18)] + [(d, h) for d in (3, 4) for h in range(9, 18)]
#: The schedule view shows one day: day 3, the segment's first full day.
SCHEDULE_DAY = OPENING + timedelta(days=2)
PAGES = {
    "programme": "/events/{event}/programme",
    "schedule": "/events/{event}/p2c/schedule?day=" + SCHEDULE_DAY.isoformat(),
    "frab_xml": "/events/{event}/programme/schedule.xml",
}


def populate(sessions: int, speakers: int) -> int:
    """One event with `sessions` published sessions placed in 20 rooms over the segment,
    `speakers` directory people from 300 organizations spread over them (a moderator
    and speakers each, a few asked or declined), agenda items, some sessions under the
    Chatham House rule or by invitation; an organizer account. Returns the event id."""
    rng = random.Random(42)
    event = Event(
        name="Bench Conference",
        acronym=f"BENCH-{sessions}",
        city="Geneva",
        venue="CICG",
        timezone="Europe/Zurich",
        opening_date=OPENING,
        closing_date=OPENING + timedelta(days=9),
        languages=["en", "fr", "zh"],
    )
    db.session.add(event)
    db.session.flush()
    areas = ensure_focus_areas(event)
    rooms = [
        Room(event_id=event.id, name=f"Room {i + 1:02d}", position=i, capacity=300)
        for i in range(ROOMS)
    ]
    organizations = [Organization(name=f"Organization {i}") for i in range(300)]
    db.session.add_all(rooms + organizations)
    db.session.flush()
    people = [
        {
            "first_name": f"Given{i}",
            "last_name": f"Family{i}",
            "function": rng.choice(["Minister", "Director", "CEO", "Professor"]),
            "email": f"speaker{i}@bench.example.org",
            "organization_id": organizations[i % len(organizations)].id,
            "gender": rng.choice("fmx"),
            "languages": ["en"],
        }
        for i in range(speakers)
    ]
    person_ids = list(
        db.session.scalars(
            insert(Person.__table__).returning(Person.__table__.c.id, sort_by_parameter_order=True),
            people,
        )
    )
    assert len(SLOTS) * ROOMS >= sessions, "more sessions than the segment holds"
    published = datetime.now(UTC)
    rows = []
    for i in range(sessions):
        day, hour = SLOTS[i // ROOMS]
        starts = datetime.combine(OPENING + timedelta(days=day - 1), datetime.min.time())
        starts += timedelta(hours=hour)
        rows.append(
            {
                "event_id": event.id,
                "focus_area_id": areas[i % len(areas)].id,
                "title": f"Session {i}: financing connectivity for schools",
                "format": rng.choice(list(SessionFormat)).value,
                "description": "Problem owners, solution providers and funders meet. " * 4,
                "room_id": rooms[i % ROOMS].id,
                "starts_at": starts,
                "ends_at": starts + timedelta(minutes=50),
                "mode": rng.choice(list(SessionMode)).value,
                "stream_url": "https://stream.example.org/live",
                "visibility": (
                    Visibility.INVITATION_ONLY if i % 20 == 7 else Visibility.PUBLIC
                ).value,
                "chatham_house": i % 20 == 3,
                "languages": ["en"],
                "interpretation": ["fr", "zh"] if i % 3 == 0 else [],
                "status": SessionStatus.PUBLISHED.value,
                "published_at": published,
                "created_at": published,
                "updated_at": published,
            }
        )
    session_ids = list(
        db.session.scalars(
            insert(ProgrammeSession.__table__).returning(
                ProgrammeSession.__table__.c.id, sort_by_parameter_order=True
            ),
            rows,
        )
    )
    links, positions = [], {}
    for k, person_id in enumerate(person_ids):
        session_id = session_ids[k % len(session_ids)]
        position = positions.get(session_id, 0)
        positions[session_id] = position + 1
        links.append(
            {
                "session_id": session_id,
                "person_id": person_id,
                "part": (SessionPart.MODERATOR if position == 0 else SessionPart.SPEAKER).value,
                "stakeholder_role": rng.choice(
                    ["problem_owner", "solution_provider", "funder", "beneficiary"]
                ),
                "position": position,
                "state": rng.choice(
                    [SpeakerState.CONFIRMED] * 8 + [SpeakerState.ASKED, SpeakerState.DECLINED]
                ).value,
            }
        )
    db.session.execute(insert(SessionPerson.__table__), links)
    db.session.execute(
        insert(AgendaItem.__table__),
        [
            {"session_id": s, "position": p, "title": title, "minutes": minutes, "notes": ""}
            for s in session_ids
            for p, (title, minutes) in enumerate(
                [("Opening", 5), ("Discussion", 35), ("Commitments", 10)]
            )
        ],
    )
    organizer = User(
        email=ORGANIZER,
        name="Bench Organizer",
        password_hash=hash_password(PASSWORD),
        email_verified_at=utcnow(),
    )
    db.session.add(organizer)
    db.session.flush()
    db.session.add(RoleGrant(user_id=organizer.id, event_id=event.id, role=Role.ORGANIZER))
    db.session.commit()
    return event.id


def count_queries(engine, client, url: str) -> int:
    """SQL statements run by one GET of `url`."""
    seen = []

    def count(*_args):
        seen.append(1)

    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def timings(client, url: str, requests: int) -> tuple[float, float]:
    """Median and p95 in milliseconds of `requests` GETs of `url`."""
    client.get(url)  # warm caches
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        assert client.get(url).status_code == 200
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95


def _database(tmp: str, sessions: int) -> str:
    if not DATABASE_URL:
        return f"sqlite:///{tmp}/programme-{sessions}.sqlite3"
    url = DATABASE_URL
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            url = "postgresql+psycopg://" + url[len(scheme) :]
    return url


def run(sessions: int, speakers: int, requests: int, tmp: str) -> dict:
    """Build a programme of `sessions` sessions and measure its pages."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": _database(tmp, sessions),
            "JOBS_MODE": "sync",
            "BASE_URL": "http://localhost",
            "WTF_CSRF_ENABLED": False,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 64,
            "RATELIMIT_LOGIN": "1000 per minute",
        }
    )
    out: dict = {"sessions": sessions, "queries": {}, "median_ms": {}, "p95_ms": {}}
    with app.app_context():
        engine = db.engine
        if inspect(engine).has_table(Event.__tablename__):
            raise SystemExit(
                "The database already has Convene tables: give an empty scratch database."
            )
        Base.metadata.create_all(engine)
    try:
        with app.app_context():
            load_reference_data()
            db.session.commit()
            start = time.perf_counter()
            event_id = populate(sessions, speakers)
            print(
                f"{sessions:>4} sessions, {speakers} speakers in {ROOMS} rooms inserted"
                f" in {time.perf_counter() - start:.1f} s"
            )
        # Requests run outside that app context, so each starts with an empty session,
        # as in production.
        measure(app, engine, event_id, sessions, requests, out)
    finally:
        with app.app_context():
            if DATABASE_URL:
                Base.metadata.drop_all(engine)
            engine.dispose()
    return out


def measure(app, engine, event_id: int, sessions: int, requests: int, out: dict) -> None:
    """Query counts of each page, and times when `requests`."""
    public = app.test_client()
    organizer = app.test_client()
    login = organizer.post("/account/login", data={"email": ORGANIZER, "password": PASSWORD})
    assert login.status_code == 302, login.status_code
    pages = {name: url.format(event=event_id) for name, url in PAGES.items()}
    if "sessions.schedule" not in app.view_functions:
        print("the schedule view (sessions.schedule) is not there yet: left out")
        pages.pop("schedule")
    for name, url in pages.items():
        client = organizer if name == "schedule" else public
        out["queries"][name] = count_queries(engine, client, url)
        line = f"{sessions:>4} sessions: {name:<9} {out['queries'][name]:>3} queries"
        if requests:
            median, p95 = timings(client, url, requests)
            out["median_ms"][name], out["p95_ms"][name] = round(median, 1), round(p95, 1)
            line += f"  median {median:7.1f} ms  p95 {p95:7.1f} ms"
        print(line)


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    with tempfile.TemporaryDirectory() as tmp:
        small = run(40, 150, 0, tmp)
        large = run(400, 1_500, requests, tmp)
    print(
        json.dumps(
            {
                "queries_40": small["queries"],
                "queries_400": large["queries"],
                "median_ms": large["median_ms"],
                "p95_ms": large["p95_ms"],
                "sessions": [40, 400],
                "speakers": [150, 1_500],
                "rooms": ROOMS,
                "requests": requests,
                "database": "postgresql" if DATABASE_URL else "sqlite",
            }
        )
    )


if __name__ == "__main__":
    main()
