"""Convene: the application factory."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from .config import ConfigError, from_environment

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app from the environment, with optional overrides (tests)."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_relative_config=True,
    )
    try:
        app.config.from_mapping(from_environment(Path(app.instance_path)))
    except ConfigError as error:
        # One clear sentence, no traceback: the operator fixes the environment and retries.
        print(f"Convene cannot start: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    if config:
        app.config.update(config)
    if app.config["TRUSTED_PROXIES"]:
        # Behind a router, the client's address and scheme come from X-Forwarded-* headers;
        # rate limits and the audit log need the real client.
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    import email_validator

    from . import i18n, jobs, mail  # noqa: F401 - their job registrations and session hooks
    from .auth.services import load_user_from_id
    from .errors import unauthorized
    from .extensions import babel, csrf, db, limiter, login_manager, migrate

    engine_options = {}
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Job threads and the web request share the SQLite file; wait for locks.
        engine_options["connect_args"] = {"timeout": 30}
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.unauthorized_handler(unauthorized)
    login_manager.user_loader(load_user_from_id)
    # The demo accounts live under the reserved .test domain; accept it outside production.
    email_validator.TEST_ENVIRONMENT = app.config["CONVENE_ENV"] != "production"
    i18n.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from sqlalchemy import event

        with app.app_context():

            @event.listens_for(db.engine, "connect")
            def _sqlite_pragmas(dbapi_connection, _record):
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.close()


class BoundedIntegerConverter(IntegerConverter):
    """<int:...> that fits the database's INTEGER ids (PostgreSQL's int4): a larger id is
    a 404, not an "integer out of range" error (a 500)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def register_blueprints(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntegerConverter
    # Feature packages, imported here only: they depend on webapp, never the reverse.
    # They may add routes to the API blueprint, so it is registered after their import.
    from invitations import bp as invitations_bp
    from pledges import bp as pledges_bp
    from registration import bp as registration_bp
    from sessions import bp as sessions_bp

    from . import api, health, home
    from .admin.views import bp as admin_bp
    from .auth.views import bp as auth_bp
    from .directory.views import bp as directory_bp
    from .events.views import bp as events_bp

    for bp in (home.bp, health.bp, auth_bp, events_bp, directory_bp, admin_bp):
        app.register_blueprint(bp)
    app.register_blueprint(invitations_bp)
    app.register_blueprint(pledges_bp)
    app.register_blueprint(sessions_bp)
    app.register_blueprint(registration_bp)
    app.register_blueprint(api.bp)


def register_errorhandlers(app: Flask) -> None:
    from .errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from .templating import register

    register(app)


def register_commands(app: Flask) -> None:
    from .cli import convene

    app.cli.add_command(convene)
