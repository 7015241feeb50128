"""Migrations build the same schema as the models, on SQLite and on PostgreSQL,
and go down and up again."""

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from models import Base
from tests.conftest import make_test_config
from webapp import create_app
from webapp.extensions import db


@pytest.fixture
def empty_database_url(tmp_path):
    """A new empty database of the kind the suite runs on."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    base = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{base.database}_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def test_upgrade_matches_models_and_downgrades(empty_database_url):
    app = create_app(make_test_config(empty_database_url))
    with app.app_context():
        try:
            upgrade()
            with db.engine.connect() as connection:
                diff = compare_metadata(
                    MigrationContext.configure(connection, opts={"compare_type": True}),
                    Base.metadata,
                )
            assert diff == [], f"models and migrations differ; run `flask db migrate`: {diff}"
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            assert "event" in inspect(db.engine).get_table_names()
        finally:
            db.engine.dispose()
