"""Template globals and filters: navigation by role, dates, sorting helpers."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, request, url_for
from flask_babel import format_date, format_datetime
from flask_login import current_user

from . import permissions


def register(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")

    @app.context_processor
    def _globals():
        # Outside a request (mail rendered by a job or the CLI) there is no current user.
        user = current_user if current_user and current_user.is_authenticated else None
        return {
            "can": lambda action, obj=None: permissions.can(user, action, obj),
            "my_events": (lambda: permissions.events_for(user)) if user else (lambda: []),
        }

    @app.template_filter("date")
    def _date(value: date | None, fmt: str = "medium") -> str:
        return format_date(value, fmt) if value else ""

    @app.template_filter("datetime")
    def _datetime(value: datetime | None, fmt: str = "medium") -> str:
        return format_datetime(value, fmt) if value else ""

    @app.template_global()
    def url_with(endpoint: str | None = None, **changes) -> str:
        """The current query string with some arguments changed (pagination, sorting), on
        the current page or on `endpoint` with the same view arguments (an export)."""
        view_args = request.view_args or {}
        # Query keys that clash with view arguments or url_for's own (_external, ...)
        # would break url_for: they are never ours, so they are dropped.
        args = {
            k: v
            for k, v in request.args.to_dict().items()
            if k not in view_args and not k.startswith("_")
        }
        args.update({k: v for k, v in changes.items() if v is not None})
        for key in [k for k, v in changes.items() if v is None]:
            args.pop(key, None)
        return url_for(endpoint or request.endpoint, **view_args, **args)
