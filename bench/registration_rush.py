"""Registration rush and the organizers' list at 100,000 registrations, on PostgreSQL.

1. The rush: the app served by gunicorn (4 workers of 8 threads), an event with 300
   in-person seats and 1,000 user accounts. Each user logs in and opens the registration
   form (its own session and CSRF token); then 100 threads, released together by a
   barrier, POST the 1,000 forms (in person) as fast as the server answers. It must end
   with exactly 300 registrations holding a seat, 700 on the waiting list, the pool's
   `taken` at 300 (no oversell) and no error answer. "Confirmed" in the figures means
   holding a seat: the rush registers observers, whose approval waits for the organizers
   whatever their seat (the approval does not change the seat accounting).
   Prints the throughput (registrations per second) and the p95 latency of the POSTs.
2. The list: two more events with 1,000 and 100,000 registrations spread over
   categories, modes, countries (regions), members, approval and seat states (bulk
   inserts). The organizers' list (registration.list), unfiltered and filtered, on its
   first, a middle and its last page, through the test client: the SQL query count of
   each view at 1k and at 100k (they must be equal), median and p95 times at 100k.

The database: DATABASE_URL must be a PostgreSQL URL. The script makes a scratch database
on that server (convene_bench_<pid>) and drops it at the end; a role without CREATEDB
falls back to the database of the URL itself, which must then be empty (no Convene
tables): the tables are created and dropped again.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/registration_rush.py [REQUESTS]

REQUESTS (default 15): GETs of each list view timed at 100k. The last line is JSON.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = os.environ.get("SECRET_KEY") or "bench-secret-key-not-for-production"
os.environ["SECRET_KEY"] = SECRET_KEY
RAW_DATABASE_URL = os.environ.pop("DATABASE_URL", "")
for name in ("REDIS_URL", "SENDGRID_API_KEY", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"):
    os.environ.pop(name, None)
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, insert, inspect, select, text  # noqa: E402
from sqlalchemy import event as sa_event  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from models import (  # noqa: E402
    Approval,
    AttendanceMode,
    Base,
    Country,
    Event,
    MembershipCategory,
    Organization,
    Registration,
    RegistrationCategory,
    Role,
    RoleGrant,
    SeatPool,
    SeatState,
    User,
    utcnow,
)
from registration import seats  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.reference import load_reference_data  # noqa: E402
from webapp.security import hash_password  # noqa: E402

ATTEMPTS = 1_000
SEATS = 300
THREADS = 100
LIST_SMALL = 1_000
LIST_LARGE = 100_000
WORKERS, WORKER_THREADS = 4, 8
PASSWORD = "bench-password-123"
ORGANIZER = "organizer@bench.example.org"
USER_EMAIL = "rush{:04d}@bench.example.org"
PROBE_EMAIL = "probe@bench.example.org"
HIGH_LIMIT = "1000000 per minute"

REGISTER = "/events/{event}/register"
LIST = "/events/{event}/registrations"
#: Views of the organizers' list: (name, query arguments, page). Filter values are read
#: from the list's own form when it has the field, so a renamed filter is left out
#: rather than measured wrong.
LIST_VIEWS = [
    ("all, first page", {}, "first"),
    ("all, middle page", {}, "middle"),
    ("all, last page", {}, "last"),
    ("in person, Member States", {"mode": "in_person", "category": "member_state"}, "first"),
    ("pending, one region", {"approval": "pending", "region": "{region}"}, "first"),
    ("waiting list, last page", {"seat": "waiting"}, "last"),
    ("search a name", {"q": "Family7"}, "first"),
]
#: List views left out because the page has no such filter.
SKIPPED: set[str] = set()


def say(line: str) -> None:
    print(line, flush=True)


# --------------------------------------------------------------------------- database


def postgres_url() -> str:
    url = RAW_DATABASE_URL
    for scheme in ("postgres://", "postgresql://", "postgresql+psycopg://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    raise SystemExit(
        "bench/registration_rush.py needs PostgreSQL: set DATABASE_URL=postgresql://"
        "user@host:5432/dbname (a server where the script may create a scratch database)."
    )


@contextlib.contextmanager
def scratch_database(url: str):
    """A fresh database on the server of `url`, dropped afterwards; without the right to
    create one, the database of `url` itself when it has no Convene tables."""
    base = make_url(url)
    name = f"convene_bench_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    created = False
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        created = True
    except Exception as error:  # noqa: BLE001 - no CREATEDB right: use the given one
        say(f"could not create a scratch database ({type(error).__name__}); using the URL's")
    if created:
        target = base.set(database=name)
    else:
        target = base
        engine = create_engine(target)
        try:
            if inspect(engine).has_table(Event.__tablename__):
                raise SystemExit(
                    "The database already has Convene tables: give an empty scratch database"
                    " or a role that may CREATE DATABASE."
                )
        finally:
            engine.dispose()
    try:
        yield target.render_as_string(hide_password=False)
    finally:
        if created:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        else:
            engine = create_engine(target)
            Base.metadata.drop_all(engine)
            engine.dispose()
        admin.dispose()


def bench_app(url: str):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "JOBS_MODE": "sync",
            "BASE_URL": "http://localhost",
            "WTF_CSRF_ENABLED": False,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 64,
            "RATELIMIT_LOGIN": HIGH_LIMIT,
        }
    )


def make_event(acronym: str, organizer_id: int, opening: date) -> Event:
    event = Event(
        name=f"Bench Conference {acronym}",
        acronym=acronym,
        city="Geneva",
        country_iso2="CH",
        venue="CICG",
        timezone="Europe/Zurich",
        opening_date=opening,
        closing_date=opening + timedelta(days=9),
        languages=["en", "fr"],
    )
    db.session.add(event)
    db.session.flush()
    db.session.add(RoleGrant(user_id=organizer_id, event_id=event.id, role=Role.ORGANIZER))
    return event


def seed(app) -> dict:
    """The organizer, 1,000 users (+ a probe user), the rush event with 300 in-person
    seats and a probe event without limits."""
    with app.app_context():
        Base.metadata.create_all(db.engine)
        load_reference_data()
        db.session.commit()
        cheap = hash_password(PASSWORD)  # argon2 reads its parameters from the hash
        now = utcnow()
        users = [
            {
                "email": USER_EMAIL.format(i),
                "name": f"Given{i} Family{i}",
                "password_hash": cheap,
                "email_verified_at": now,
            }
            for i in range(ATTEMPTS)
        ]
        users.append(
            {
                "email": PROBE_EMAIL,
                "name": "Probe User",
                "password_hash": cheap,
                "email_verified_at": now,
            }
        )
        db.session.execute(insert(User), users)
        organizer = User(
            email=ORGANIZER, name="Bench Organizer", password_hash=cheap, email_verified_at=now
        )
        db.session.add(organizer)
        db.session.flush()
        # Registration is open: the window runs from 180 days before the opening to 7.
        opening = date.today() + timedelta(days=120)
        rush = make_event("RUSH", organizer.id, opening)
        probe = make_event("PROBE", organizer.id, opening)
        seats.set_capacity(rush, AttendanceMode.IN_PERSON, SEATS)
        seats.set_capacity(rush, AttendanceMode.ONLINE, None)
        db.session.commit()
        return {"rush": rush.id, "probe": probe.id, "organizer": organizer.id}


# ------------------------------------------------------------------------ HTTP client


class Form(HTMLParser):
    """The fields of every <form> of a page, as a browser would submit them untouched."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select: dict | None = None
        self._textarea: list | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(
                {"action": attrs.get("action") or "", "method": attrs.get("method", "get"),
                 "fields": [], "options": {}}
            )  # fmt: skip
            return
        if not self.forms:
            return
        form = self.forms[-1]
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                form["options"].setdefault(name, []).append(attrs.get("value", "on"))
                if "checked" in attrs:
                    form["fields"].append([name, attrs.get("value", "on")])
                return
            form["fields"].append([name, attrs.get("value") or ""])
        elif tag == "select" and name:
            self._select = {"name": name, "first": None, "chosen": []}
            form["options"][name] = []
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            form["options"][self._select["name"]].append(value)
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in attrs:
                self._select["chosen"].append(value)
        elif tag == "textarea" and name:
            self._textarea = [name, ""]
            form["fields"].append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None and self.forms:
            chosen = self._select["chosen"] or [self._select["first"] or ""]
            for value in chosen:
                self.forms[-1]["fields"].append([self._select["name"], value])
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def with_field(self, name: str) -> dict | None:
        """The POST form having field `name`."""
        for form in self.forms:
            if form["method"].lower() == "post" and (
                name in form["options"] or any(f[0] == name for f in form["fields"])
            ):
                return form
        return None


class Browser:
    """One user's cookies over plain HTTP/1.1 (a connection per request)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form=None) -> tuple[int, dict, str, float]:
        body = urlencode(form, doseq=True) if form is not None else None
        headers = {"User-Agent": "convene-bench/1", "Accept-Language": "en"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        start = time.perf_counter()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read().decode("utf-8", "replace")
            elapsed = (time.perf_counter() - start) * 1000
            for header in response.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie()
                cookie.load(header)
                for key, morsel in cookie.items():
                    if morsel["max-age"] == "0" or "1970" in (morsel["expires"] or ""):
                        self.cookies.pop(key, None)
                    else:
                        self.cookies[key] = morsel.value
            return response.status, dict(response.headers), content, elapsed
        finally:
            connection.close()

    def login(self, email: str) -> None:
        status, _, page, _ = self.request("GET", "/account/login")
        assert status == 200, f"GET /account/login: {status}"
        form = Form(page).with_field("password")
        data = dict((k, v) for k, v in form["fields"]) if form else {}
        data.update(email=email, password=PASSWORD)
        status, headers, page, _ = self.request("POST", "/account/login", data)
        if status != 302:
            raise SystemExit(f"Logging in {email} answered {status}: {errors_in(page)}")


def errors_in(page: str) -> str:
    """The error messages shown on a page (to say why a form was refused)."""
    found = re.findall(r'class="[^"]*(?:error|invalid)[^"]*"[^>]*>([^<]{3,200})<', page)
    return "; ".join(m.strip() for m in found[:8]) or page[:300].replace("\n", " ")


def registration_form(browser: Browser, event_id: int, name: str) -> list[tuple[str, str]]:
    """Open the event's registration form and fill it in as the user would: in person,
    as an observer (no member to represent), the fields the form leaves empty filled."""
    path = REGISTER.format(event=event_id)
    status, _, page, _ = browser.request("GET", path)
    if status != 200:
        raise SystemExit(f"GET {path} answered {status}: {errors_in(page)}")
    form = Form(page).with_field("mode")
    if form is None:
        raise SystemExit(f"GET {path}: no form with a 'mode' field in the page.")
    first, _, last = name.partition(" ")
    fields = [list(f) for f in form["fields"]]
    values = dict((k, v) for k, v in fields)
    wanted = {"mode": AttendanceMode.IN_PERSON.value}
    options = form["options"]
    if RegistrationCategory.OBSERVER.value in options.get("category", []):
        wanted["category"] = RegistrationCategory.OBSERVER.value
    defaults = {
        "first_name": first,
        "last_name": last,
        "function": "Observer",
        "organization_name": f"Observatory of {last}",
    }
    for key, value in defaults.items():
        if key in values and not values[key]:
            wanted[key] = value
    countries = [c for c in options.get("country_iso2", []) if c]
    if countries and not values.get("country_iso2"):
        wanted["country_iso2"] = countries[sum(map(ord, name)) % len(countries)]
    # Required agreements (privacy notice, code of conduct) are ticked, nothing else.
    for key in options:
        if re.search(r"consent|agree|accept|privacy|conduct|terms", key) and key not in values:
            fields.append([key, options[key][0]])
    fields = [[k, wanted.get(k, v)] for k, v in fields]
    for key, value in wanted.items():
        if key not in values:
            fields.append([key, value])
    return [(k, v) for k, v in fields]


# --------------------------------------------------------------------------- gunicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(url: str, log_path: Path):
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "SENDGRID_API_KEY", "STRIPE_SECRET_KEY")
    }
    env.update(
        DATABASE_URL=url.replace("postgresql+psycopg://", "postgresql://", 1),
        SECRET_KEY=SECRET_KEY,
        CONVENE_ENV="development",
        BASE_URL=f"http://127.0.0.1:{port}",
        RATELIMIT_LOGIN=HIGH_LIMIT,
        RATELIMIT_RSVP=HIGH_LIMIT,
        RATELIMIT_REGISTER=HIGH_LIMIT,
        PYTHONPATH=str(ROOT),
    )
    command = [
        sys.executable, "-m", "gunicorn",
        "--workers", str(WORKERS), "--worker-class", "gthread", "--threads", str(WORKER_THREADS),
        "--bind", f"127.0.0.1:{port}", "--timeout", "120", "--graceful-timeout", "10",
        "--backlog", "2048", "webapp:create_app()",
    ]  # fmt: skip
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"gunicorn stopped at start:\n{log_path.read_text()[-3000:]}")
            try:
                status, *_ = Browser("127.0.0.1", port).request("GET", "/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(
                    f"gunicorn did not answer in 60 s:\n{log_path.read_text()[-3000:]}"
                )
            time.sleep(0.2)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ------------------------------------------------------------------------------ rush


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def prepare(port: int, event_id: int) -> list[tuple[str, Browser, list]]:
    """Every user logged in with the form open (their session and CSRF token)."""

    def one(i: int):
        browser = Browser("127.0.0.1", port)
        email = USER_EMAIL.format(i)
        browser.login(email)
        return email, browser, registration_form(browser, event_id, f"Given{i} Family{i}")

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(one, range(ATTEMPTS)))


def probe(port: int, event_id: int) -> None:
    """One registration for the probe event, to stop early (with the form's messages)
    when the form as filled in here is refused."""
    browser = Browser("127.0.0.1", port)
    browser.login(PROBE_EMAIL)
    data = registration_form(browser, event_id, "Probe User")
    status, _, page, _ = browser.request("POST", REGISTER.format(event=event_id), data)
    if status not in (302, 303):
        raise SystemExit(
            f"The registration form as filled in here is refused ({status}): {errors_in(page)}"
            f"\nfields sent: {sorted({k for k, _ in data})}"
        )


def rush(port: int, event_id: int, prepared: list) -> dict:
    """All POSTs: THREADS threads released together, each sending its share in turn."""
    barrier = threading.Barrier(THREADS + 1)
    results: list[tuple[str, int, float, str]] = []
    lock = threading.Lock()
    path = REGISTER.format(event=event_id)

    def worker(share):
        barrier.wait()
        mine = []
        for email, browser, data in share:
            try:
                status, _headers, page, ms = browser.request("POST", path, data)
                note = "" if status in (302, 303) else errors_in(page)[:200]
            except OSError as error:
                status, ms, note = 0, 0.0, f"{type(error).__name__}: {error}"
            mine.append((email, status, ms, note))
        with lock:
            results.extend(mine)

    threads = [
        threading.Thread(target=worker, args=(prepared[k::THREADS],)) for k in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    statuses = Counter(status for _, status, _, _ in results)
    errors = [(status, note) for _, status, _, note in results if status not in (302, 303)]
    latencies = [ms for _, status, ms, _ in results if status]
    return {
        "latency_by_email": {email: ms for email, status, ms, _ in results if status},
        "wall_s": wall,
        "statuses": dict(statuses),
        "errors": len(errors),
        "error_examples": errors[:5],
        "per_s": len(results) / wall,
        "median_ms": statistics.median(latencies) if latencies else 0.0,
        "p95_ms": percentile(latencies, 0.95) if latencies else 0.0,
    }


def seat_check(app, event_id: int) -> dict:
    with app.app_context():
        by_seat = dict(
            db.session.execute(
                select(Registration.seat, func.count())
                .where(
                    Registration.event_id == event_id,
                    Registration.mode == AttendanceMode.IN_PERSON,
                )
                .group_by(Registration.seat)
            ).all()
        )
        seat_of = dict(
            db.session.execute(
                select(User.email, Registration.seat)
                .join(User, User.id == Registration.user_id)
                .where(Registration.event_id == event_id)
            ).all()
        )
        total = db.session.scalar(
            select(func.count(Registration.id)).where(Registration.event_id == event_id)
        )
        people = db.session.scalar(
            select(func.count(func.distinct(Registration.user_id))).where(
                Registration.event_id == event_id
            )
        )
        pool = db.session.scalar(
            select(SeatPool).where(
                SeatPool.event_id == event_id, SeatPool.mode == AttendanceMode.IN_PERSON
            )
        )
        waiting_order = db.session.scalar(
            select(func.count(func.distinct(Registration.waiting_since))).where(
                Registration.event_id == event_id, Registration.seat == SeatState.WAITING
            )
        )
        return {
            "registrations": total,
            "seat_of": seat_of,
            "people": people,
            "held": by_seat.get(SeatState.HELD, 0),
            "waiting": by_seat.get(SeatState.WAITING, 0),
            "offered": by_seat.get(SeatState.OFFERED, 0),
            "taken": pool.taken,
            "capacity": pool.capacity,
            "distinct_waiting_times": waiting_order,
        }


# ------------------------------------------------------------------------------ list


CATEGORY_WEIGHTS = [
    (RegistrationCategory.MEMBER_STATE, 45),
    (RegistrationCategory.SECTOR_MEMBER, 15),
    (RegistrationCategory.ASSOCIATE, 4),
    (RegistrationCategory.ACADEMIA, 6),
    (RegistrationCategory.INTERNATIONAL_ORGANIZATION, 10),
    (RegistrationCategory.INVITED_GUEST, 8),
    (RegistrationCategory.OBSERVER, 9),
    (RegistrationCategory.MEDIA, 3),
]


def fill_list_event(acronym: str, organizer_id: int, count: int, rng: random.Random) -> int:
    """An event with `count` registrations inserted in bulk; its pools as the seat
    states say (in person full, with a waiting list; online without limit)."""
    countries = list(db.session.scalars(select(Country).order_by(Country.iso2)))
    members = list(
        db.session.scalars(
            select(Organization)
            .where(Organization.name.like("Bench member %"))
            .order_by(Organization.id)
        )
    )
    if not members:
        orgs = []
        for n, country in enumerate(countries):
            orgs.append(
                Organization(
                    name=f"Bench member {country.name_en}",
                    country_iso2=country.iso2,
                    constituent_group="MS_MIN",
                    membership=MembershipCategory.MEMBER_STATE,
                )
            )
            if n % 3 == 0:
                orgs.append(
                    Organization(
                        name=f"Bench member {country.name_en} Telecom",
                        country_iso2=country.iso2,
                        constituent_group="SM",
                        membership=MembershipCategory.SECTOR_MEMBER,
                    )
                )
        db.session.add_all(orgs)
        db.session.flush()
        members = orgs
    ministries = [o for o in members if o.membership == MembershipCategory.MEMBER_STATE]
    companies = [o for o in members if o.membership == MembershipCategory.SECTOR_MEMBER]
    event = make_event(acronym, organizer_id, date.today() + timedelta(days=120))
    categories = [c for c, _ in CATEGORY_WEIGHTS]
    weights = [w for _, w in CATEGORY_WEIGHTS]
    in_person_seats = int(count * 0.45)
    held = {AttendanceMode.IN_PERSON: 0, AttendanceMode.ONLINE: 0}
    now = utcnow()
    rows = []
    for i in range(count):
        category = rng.choices(categories, weights)[0]
        organization = None
        if category == RegistrationCategory.MEMBER_STATE:
            organization = rng.choice(ministries)
        elif category == RegistrationCategory.SECTOR_MEMBER:
            organization = rng.choice(companies)
        country = organization.country_iso2 if organization else rng.choice(countries).iso2
        mode = AttendanceMode.IN_PERSON if rng.random() < 0.6 else AttendanceMode.ONLINE
        approval = rng.choices(
            [Approval.APPROVED, Approval.PENDING, Approval.REJECTED], [70, 22, 8]
        )[0]
        cancelled = approval != Approval.REJECTED and rng.random() < 0.03
        seat, waiting_since = SeatState.NONE, None
        if approval != Approval.REJECTED and not cancelled:
            if mode == AttendanceMode.ONLINE or held[mode] < in_person_seats:
                seat = SeatState.HELD
                held[mode] += 1
            else:
                seat = SeatState.WAITING
                waiting_since = now - timedelta(seconds=count - i)
        created = now - timedelta(minutes=count - i)
        rows.append(
            {
                "event_id": event.id,
                "user_id": None,
                "person_id": None,
                "organization_id": organization.id if organization else None,
                "category": category.value,
                "mode": mode.value,
                "first_name": f"Given{i}",
                "last_name": f"Family{i}",
                "email": f"delegate{i}@{acronym.lower()}.example.org",
                "organization_name": organization.name if organization else f"Org {i % 500}",
                "country_iso2": country,
                "function": "Delegate",
                "delegation": "",
                "head_of_delegation": i % 40 == 0,
                "visa_support": i % 11 == 0,
                "listed_publicly": i % 3 != 0,
                "approval": approval.value,
                "approval_waived": False,
                "decision_reason": "Not on the delegation list."
                if approval == Approval.REJECTED
                else "",
                "seat": seat.value,
                "waiting_since": waiting_since,
                "cancelled_at": now if cancelled else None,
                "created_at": created,
                "updated_at": created,
            }
        )
    for start in range(0, len(rows), 10_000):
        db.session.execute(insert(Registration.__table__), rows[start : start + 10_000])
    for mode in AttendanceMode:
        pool = seats.pool(event, mode)
        pool.capacity = in_person_seats if mode == AttendanceMode.IN_PERSON else None
        pool.taken = held[mode]
    db.session.commit()
    return event.id


def count_queries(client, url: str) -> int:
    seen = []

    def count(*_args):
        seen.append(1)

    engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def list_urls(client, event_id: int, region: str) -> dict[str, tuple[str, str]]:
    """The URL of each list view for the event with what it shows ("page 3 of 5, 213
    matches"); filters the page has no field for are left out (said once)."""
    base = LIST.format(event=event_id)
    response = client.get(base)
    assert response.status_code == 200, (base, response.status_code)
    page = response.get_data(as_text=True)
    parsed = Form(page)
    names = {f[0] for form in parsed.forms for f in form["fields"]}
    names |= {k for form in parsed.forms for k in form["options"]}
    urls = {}
    for name, args, where in LIST_VIEWS:
        args = {k: v.format(region=region) for k, v in args.items()}
        missing = [k for k in args if k not in names]
        if missing:
            SKIPPED.add(f"{name} (no filter {', '.join(missing)})")
            continue
        query = urlencode(args)
        url = f"{base}?{query}" if query else base
        first = client.get(url).get_data(as_text=True)
        pages = re.search(r"Page \d+ of (\d+)", first)
        last = int(pages.group(1)) if pages else 1
        matches = re.search(r'id="list-count"[^>]*>([^<]*)<', first)
        shown = re.sub(r"\D", "", matches.group(1)) if matches else "?"
        number = {"first": 1, "middle": max(1, (last + 1) // 2), "last": last}[where]
        url = f"{url}{'&' if query else '?'}page={number}" if number > 1 else url
        urls[name] = (url, f"page {number} of {last}, {int(shown or 0):,} matches")
    return urls


def measure_list(app, event_id: int, region: str, requests: int) -> tuple[dict, dict, dict]:
    """Query count of each view, what it shows; with `requests`, its times (ms)."""
    client = app.test_client()
    login = client.post("/account/login", data={"email": ORGANIZER, "password": PASSWORD})
    assert login.status_code == 302, login.status_code
    with app.app_context():
        views = list_urls(client, event_id, region)
        queries = {name: count_queries(client, url) for name, (url, _) in views.items()}
    times: dict[str, list[float]] = {}
    for name, (url, _) in views.items():
        times[name] = []
        for _ in range(requests):
            start = time.perf_counter()
            assert client.get(url).status_code == 200
            times[name].append((time.perf_counter() - start) * 1000)
    return queries, times, {name: shown for name, (_, shown) in views.items()}


# ------------------------------------------------------------------------------ main


def run_rush(app, ids: dict, log_path: Path) -> tuple[dict, dict, bool]:
    """The rush against gunicorn; its figures, the seat check, and whether all is right."""
    with gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], log_path) as port:
        say(f"gunicorn: {WORKERS} workers x {WORKER_THREADS} threads on port {port}")
        probe(port, ids["probe"])
        start = time.perf_counter()
        prepared = prepare(port, ids["rush"])
        say(
            f"{ATTEMPTS:,} users logged in with the form open in"
            f" {time.perf_counter() - start:.1f} s"
        )
        result = rush(port, ids["rush"], prepared)
        if result["errors"]:
            say("gunicorn's log ends with:\n" + log_path.read_text()[-4000:])
    check = seat_check(app, ids["rush"])
    say(
        f"rush: {ATTEMPTS:,} attempts by {THREADS} threads in {result['wall_s']:.2f} s:"
        f" {result['per_s']:.0f} registrations/s, median {result['median_ms']:.0f} ms,"
        f" p95 {result['p95_ms']:.0f} ms; answers {result['statuses']}"
    )
    by_outcome = {
        seat: [
            ms
            for email, ms in result["latency_by_email"].items()
            if check["seat_of"].get(email) == seat
        ]
        for seat in (SeatState.HELD, SeatState.WAITING)
    }
    say(
        "rush latency by outcome: "
        + "; ".join(
            f"{seat.value} median {statistics.median(t):.0f} ms p95 {percentile(t, 0.95):.0f} ms"
            for seat, t in by_outcome.items()
            if t
        )
    )
    for status, note in result["error_examples"]:
        say(f"  error answer {status}: {note}")
    say(
        f"seats: {check['held']} held (confirmed = holding a seat), {check['waiting']}"
        f" waiting ({check['distinct_waiting_times']} distinct queue times),"
        f" {check['offered']} offered; pool taken {check['taken']} of {check['capacity']};"
        f" {check['registrations']} registrations of {check['people']} people"
    )
    ok = (
        check["held"] == SEATS
        and check["waiting"] == ATTEMPTS - SEATS
        and check["taken"] == SEATS
        and check["registrations"] == ATTEMPTS == check["people"]
        and result["errors"] == 0
    )
    say("rush: OK" if ok else "rush: FAILED (see the figures above)")
    return result, check, ok


def run_list(app, organizer_id: int, requests: int) -> tuple[dict, dict, dict]:
    """The list at 1k and 100k: query counts of each view at both, times at 100k."""
    rng = random.Random(6)
    with app.app_context():
        start = time.perf_counter()
        small = fill_list_event("LIST-1K", organizer_id, LIST_SMALL, rng)
        large = fill_list_event("LIST-100K", organizer_id, LIST_LARGE, rng)
        region = db.session.scalar(
            select(Country.region_code).order_by(Country.region_code).limit(1)
        )
        # The planner's statistics, as autovacuum would gather them after such a load.
        with db.engine.begin() as connection:
            connection.execute(text("ANALYZE"))
        say(
            f"{LIST_SMALL + LIST_LARGE:,} list registrations inserted in"
            f" {time.perf_counter() - start:.1f} s"
        )
    q_small, _, _ = measure_list(app, small, region, 0)
    q_large, times, shown = measure_list(app, large, region, requests)
    for name in q_large:
        t = times[name]
        say(
            f"list {name:<26} queries {q_small.get(name)!s:>3} (1k) {q_large[name]:>3}"
            f" (100k); 100k median {statistics.median(t):6.1f} ms"
            f" p95 {percentile(t, 0.95):6.1f} ms ({shown[name]})"
        )
    for skipped in sorted(SKIPPED):
        say(f"list view left out: {skipped}")
    say("list queries constant: " + ("yes" if q_small == q_large else "NO"))
    return q_small, q_large, times


def main() -> None:
    try:
        requests = max(1, int(sys.argv[1])) if len(sys.argv) > 1 else 15
    except ValueError:
        raise SystemExit("usage: bench/registration_rush.py [REQUESTS]") from None
    url = postgres_url()
    started = time.perf_counter()
    with scratch_database(url) as scratch, tempfile.TemporaryDirectory() as tmp:
        app = bench_app(scratch)
        try:
            ids = seed(app)
            if "registration.register" not in app.view_functions:
                raise SystemExit("The registration form (registration.register) is not there.")
            say(f"seeded {ATTEMPTS:,} users and an event with {SEATS} in-person seats")
            result, check, ok = run_rush(app, ids, Path(tmp) / "gunicorn.log")
            q_small, q_large, times = run_list(app, ids["organizer"], requests)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    every = [ms for t in times.values() for ms in t]
    constant = q_small == q_large
    print(
        json.dumps(
            {
                "attempts": ATTEMPTS,
                "seats": SEATS,
                "confirmed": check["held"],
                "waitlisted": check["waiting"],
                "errors": result["errors"],
                "oversold": max(0, check["taken"] - SEATS, check["held"] - SEATS),
                "pool_taken": check["taken"],
                "per_s": round(result["per_s"], 1),
                "p95_ms": round(result["p95_ms"], 1),
                "median_ms": round(result["median_ms"], 1),
                "list_queries_1k": max(q_small.values()),
                "list_queries_100k": max(q_large.values()),
                "list_queries": {k: [q_small.get(k), v] for k, v in q_large.items()},
                "list_median_ms": round(statistics.median(every), 1),
                "list_p95_ms": round(percentile(every, 0.95), 1),
                "list_rows": [LIST_SMALL, LIST_LARGE],
                "list_requests": requests,
                "gunicorn": f"{WORKERS}x{WORKER_THREADS} gthread",
                "rush_ok": ok,
                "list_constant": constant,
                "total_s": round(time.perf_counter() - started, 1),
            }
        )
    )
    if not (ok and constant):
        sys.exit(1)


if __name__ == "__main__":
    main()
