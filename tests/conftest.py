"""Fixtures shared by unit, integration and browser tests.

The database is SQLite in a temporary folder by default, or TEST_DATABASE_URL
(PostgreSQL in CI). Tables are created once per run; after each test every table except
the reference data is emptied, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, text

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ["CONVENE_ENV"] = "test"
for name in (
    "DATABASE_URL",
    "REDIS_URL",
    "SENDGRID_API_KEY",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
):
    os.environ.pop(name, None)

from models import (  # noqa: E402
    Base,
    Country,
    Event,
    OutboxMessage,
    ReferenceItem,
    Region,
    Role,
    RoleGrant,
    User,
    utcnow,
)
from webapp import create_app  # noqa: E402
from webapp.extensions import db, limiter  # noqa: E402

REFERENCE_TABLES = {Region.__tablename__, Country.__tablename__, ReferenceItem.__tablename__}
PASSWORD = "correct-horse-battery"


def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def make_test_config(url: str, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 64,
        "JOBS_MODE": "sync",
        "BASE_URL": "http://localhost",
        "RATELIMIT_LOGIN": "1000 per minute",
        "SERVER_NAME": None,
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The app on a fresh test database with reference data loaded."""
    app = create_app(make_test_config(database_url(tmp_path_factory)))
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        # Tables from an earlier migration test run (alembic_version) would confuse it.
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        Base.metadata.create_all(db.engine)
        from webapp.reference import load_reference_data

        load_reference_data()
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()  # close pooled connections before the interpreter does


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Empty every non-reference table after each test that used the database."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                if table.name not in REFERENCE_TABLES:
                    connection.execute(delete(table))
    limiter.reset()


@pytest.fixture
def ctx(app):
    """An app context with a request, for calling services directly."""
    with app.test_request_context():
        yield
        db.session.rollback()


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Create a verified user: make_user("a@x.org", organizer_of=event, admin=True)."""
    from webapp.security import hash_password

    with app.app_context():
        cheap = hash_password(PASSWORD)

    def make(
        email="user@example.org",
        name="Test User",
        *,
        admin=False,
        verified=True,
        organizer_of=None,
        cochair_of=None,
        focal_point_of=None,
        locale="en",
    ):
        with app.app_context():
            user = User(
                email=email,
                name=name,
                password_hash=cheap,
                is_admin=admin,
                locale=locale,
                email_verified_at=utcnow() if verified else None,
            )
            db.session.add(user)
            db.session.flush()
            if organizer_of is not None:
                db.session.add(
                    RoleGrant(user_id=user.id, event_id=organizer_of, role=Role.ORGANIZER)
                )
            if cochair_of is not None:
                event_id, code = cochair_of
                db.session.add(
                    RoleGrant(
                        user_id=user.id, event_id=event_id, role=Role.COCHAIR, focus_area_code=code
                    )
                )
            if focal_point_of is not None:
                event_id, organization_id = focal_point_of
                db.session.add(
                    RoleGrant(
                        user_id=user.id,
                        event_id=event_id,
                        role=Role.FOCAL_POINT,
                        organization_id=organization_id,
                    )
                )
            db.session.commit()
            return user.id

    return make


@pytest.fixture
def make_event(app):
    """Create an event opening `days` from today; returns its id."""

    def make(acronym="WTDC-T", days=300, **fields):
        with app.app_context():
            opening = date.today() + timedelta(days=days)
            event = Event(
                name=fields.pop("name", "Test Conference"),
                acronym=acronym,
                city="Geneva",
                country_iso2="CH",
                timezone="Europe/Zurich",
                opening_date=opening,
                closing_date=opening + timedelta(days=9),
                languages=["en", "zh"],
                **fields,
            )
            db.session.add(event)
            db.session.commit()
            return event.id

    return make


@pytest.fixture
def login(client):
    """Log the test client in: login("a@x.org")."""

    def do(email, password=PASSWORD):
        response = client.post("/account/login", data={"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return response

    return do


def outbox(app, to: str | None = None) -> list[OutboxMessage]:
    """Messages in the outbox, oldest first."""
    from sqlalchemy import select

    with app.app_context():
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if to:
            query = query.where(OutboxMessage.to_email == to)
        messages = list(db.session.scalars(query))
        for m in messages:
            db.session.expunge(m)
        return messages


def link_in(message: OutboxMessage) -> str:
    """The first link in a message's text, as a path."""
    match = re.search(r"https?://[^/\s]+(/\S+)", message.body_text)
    assert match, message.body_text
    return match.group(1)
