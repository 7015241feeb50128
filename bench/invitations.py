"""Invitation wave of 10,000: from "send" to every message accepted by a local
SendGrid-compatible capture server, in a fresh SQLite database. Then the dashboard's SQL
query count for an event of 1,000 invitees and one of 10,000. The last line is JSON.

    .venv/bin/python bench/invitations.py [INVITEES]
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production")
for name in ("DATABASE_URL", "REDIS_URL"):
    os.environ.pop(name, None)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event as sa_event  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from invitations import sending, waves  # noqa: E402
from models import (  # noqa: E402
    Base,
    Event,
    Invitation,
    JobRun,
    Organization,
    OutboxMessage,
    OutboxState,
    Person,
    Role,
    RoleGrant,
    TargetEntry,
    User,
    Wave,
    utcnow,
)
from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.mail import deliver_pending  # noqa: E402
from webapp.reference import load_reference_data  # noqa: E402
from webapp.security import hash_password  # noqa: E402

GROUPS = ["MS_MIN", "SM", "PRIV", "CSO", "UN", "ACAD"]
PASSWORD = "bench-password-123"
LETTER = {
    "subject": "Invitation to {event} ({event_acronym})",
    "body": "Dear {name},\n\nOn behalf of the Secretary-General, I have the honour to invite you,"
    " as {function} of {organization}, to {event}, which opens on {opening_date}.\n\n"
    "Please answer by {deadline}: {rsvp_link}\n\nYours sincerely,\nThe secretariat",
}


class CaptureServer:
    """POST /v3/mail/send: counts requests and personalizations, answers 202."""

    def __init__(self):
        self.calls = 0
        self.personalizations = 0
        capture = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                capture.calls += 1
                capture.personalizations += len(body.get("personalizations", []))
                self.send_response(202)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def make_event(acronym: str, organizer: User) -> Event:
    opening = date.today() + timedelta(days=500)
    event = Event(
        name=f"Bench Conference {acronym}",
        acronym=acronym,
        opening_date=opening,
        closing_date=opening + timedelta(days=9),
        languages=["en", "fr"],
        timezone="UTC",
    )
    db.session.add(event)
    db.session.flush()
    db.session.add(RoleGrant(user_id=organizer.id, event_id=event.id, role=Role.ORGANIZER))
    return event


def add_people(event: Event, count: int, offset: int) -> None:
    """`count` people and their target entries, inserted in bulk."""
    orgs = [
        Organization(name=f"Org {offset + i}", constituent_group=GROUPS[i % len(GROUPS)])
        for i in range(50)
    ]
    db.session.add_all(orgs)
    db.session.flush()
    now = utcnow()
    people = [
        {
            "first_name": f"First{i}",
            "last_name": f"Last{i}",
            "honorific": "Dr",
            "function": "Director",
            "email": f"person{i}@example.org",
            "organization_id": orgs[i % 50].id,
            "country_iso2": "KE",
            "languages": ["fr", "en"] if i % 3 == 0 else ["en"],
            "created_at": now,
            "updated_at": now,
        }
        for i in range(offset, offset + count)
    ]
    db.session.execute(insert(Person), people)
    ids = db.session.scalars(
        select(Person.id).where(Person.email.like("person%")).order_by(Person.id).offset(offset)
    ).all()
    db.session.execute(
        insert(TargetEntry),
        [
            {
                "event_id": event.id,
                "person_id": pid,
                "constituent_group": GROUPS[n % len(GROUPS)],
                "star": n % 50 == 0,
                "priority": 2,
                "notes": "",
                "created_at": now,
                "status_changed_at": now,
            }
            for n, pid in enumerate(ids)
        ],
    )
    db.session.commit()


def make_wave(organizer: User, event: Event):
    return waves.create_wave(
        organizer,
        event,
        name="Everyone",
        audience={},
        letters={"en": LETTER, "fr": {"subject": "Invitation : {event}", "body": LETTER["body"]}},
        send_by_days=-400,
        rsvp_by_days=-300,
        reminder_days=[30, 14, 3],
        escalation_days=7,
    )


def count_queries(app, client, url: str) -> int:
    seen = []

    def counter(*_args):
        seen.append(1)

    engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", counter)
    try:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    finally:
        sa_event.remove(engine, "before_cursor_execute", counter)
    return len(seen)


def main() -> None:
    invitees = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    small = max(1, invitees // 10)
    capture = CaptureServer()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3",
                "SENDGRID_API_KEY": "SG.bench",
                "SENDGRID_API_HOST": capture.url,
                "JOBS_MODE": "sync",
                "BASE_URL": "https://convene.example.org",
                "WTF_CSRF_ENABLED": False,
                "ARGON2_TIME_COST": 1,
                "ARGON2_MEMORY_COST": 64,
                "RATELIMIT_LOGIN": "1000 per minute",
            }
        )
        with app.app_context():
            Base.metadata.create_all(db.engine)
            load_reference_data()
            organizer = User(
                email="organizer@example.org",
                name="Organizer",
                password_hash=hash_password(PASSWORD),
                email_verified_at=utcnow(),
            )
            db.session.add(organizer)
            db.session.flush()
            small_event = make_event("SMALL", organizer)
            big_event = make_event("BIG", organizer)
            small_id, big_id = small_event.id, big_event.id
            add_people(small_event, small, 0)
            add_people(big_event, invitees, small)
            small_wave = make_wave(organizer, db.session.get(Event, small_id))
            big_wave = make_wave(organizer, db.session.get(Event, big_id))
            db.session.commit()
            small_wave_id, big_wave_id = small_wave.id, big_wave.id
            organizer_id = organizer.id

        # The small event: sent outside the measurement, for the 1k dashboard.
        with app.test_request_context():
            sending.start_sending(
                db.session.get(User, organizer_id), db.session.get(Wave, small_wave_id)
            )
            db.session.commit()
        calls_before = capture.calls

        # The measured send: the job invites in chunks of 1,000; each committed chunk
        # starts a mail delivery of its messages.
        start = time.perf_counter()
        with app.test_request_context():
            run = sending.start_sending(
                db.session.get(User, organizer_id), db.session.get(Wave, big_wave_id)
            )
            db.session.commit()
            run_id = run.id
            # Whatever a delivery left (none expected), as the periodic sweep would.
            while deliver_pending()["sent"]:
                pass
        wall = time.perf_counter() - start
        api_calls = capture.calls - calls_before

        with app.app_context():
            invited = db.session.scalar(
                select(func.count())
                .select_from(Invitation)
                .where(Invitation.wave_id == big_wave_id)
            )
            unsent = db.session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.state != OutboxState.SENT)
            )
            run_state = db.session.get(JobRun, run_id).state.value

        client = app.test_client()
        response = client.post(
            "/account/login", data={"email": "organizer@example.org", "password": PASSWORD}
        )
        assert response.status_code == 302, response.status_code
        with app.app_context():
            # One request first: caches filled on first use (reference lists) count once.
            client.get(f"/events/{small_id}/invitations")
            q_1k = count_queries(app, client, f"/events/{small_id}/invitations")
            q_10k = count_queries(app, client, f"/events/{big_id}/invitations")
            waves_1k = count_queries(app, client, f"/events/{small_id}/waves")
            waves_10k = count_queries(app, client, f"/events/{big_id}/waves")
            wave_1k = count_queries(app, client, f"/events/{small_id}/waves/{small_wave_id}")
            wave_10k = count_queries(app, client, f"/events/{big_id}/waves/{big_wave_id}")
    capture.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"job {run_state}; invitations {invited:,}; messages not sent {unsent}")
    print(
        f"{invitees:,} invitees: {api_calls} API calls, {capture.personalizations:,} "
        f"personalizations in all (with the small event's), {wall:.2f} s, "
        f"{invitees / wall:,.0f} invitations/s, "
        f"peak RSS {peak_mb:.0f} MB"
    )
    print(f"dashboard queries: {q_1k} ({small:,} invitees), {q_10k} ({invitees:,})")
    print(f"waves list queries: {waves_1k} / {waves_10k}; wave page: {wave_1k} / {wave_10k}")
    print(
        json.dumps(
            {
                "invitees": invited,
                "api_calls": api_calls,
                "wall_s": round(wall, 2),
                "peak_mb": round(peak_mb, 1),
                "dashboard_queries_1k": q_1k,
                "dashboard_queries_10k": q_10k,
                "waves_list_queries_1k": waves_1k,
                "waves_list_queries_10k": waves_10k,
                "wave_page_queries_1k": wave_1k,
                "wave_page_queries_10k": wave_10k,
            }
        )
    )


if __name__ == "__main__":
    main()
