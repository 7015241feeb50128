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
    def url_with(**changes) -> str:
        """The current URL with some query arguments changed (pagination, sorting)."""
        args = request.args.to_dict()
        args.update({k: v for k, v in changes.items() if v is not None})
        for key in [k for k, v in changes.items() if v is None]:
            args.pop(key, None)
        return url_for(request.endpoint, **(request.view_args or {}), **args)
