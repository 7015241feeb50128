"""The sessions blueprint; the view modules add their routes to it.

Programme times are naive and event-local, so they are shown as they are: Flask-Babel's
`datetime` filter would treat them as UTC and shift them to the reader's zone.
"""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date, format_skeleton
from flask import Blueprint
from flask_babel import get_locale

bp = Blueprint("sessions", __name__)


@bp.app_template_filter("clock")
def clock(value: datetime | None) -> str:
    """Event-local wall-clock time, e.g. 14:00 (24-hour in every locale)."""
    return format_skeleton("Hm", value, locale=get_locale()) if value else ""


@bp.app_template_filter("day")
def day(value: date | datetime | None, fmt: str = "full") -> str:
    """An event day, e.g. Tuesday 9 November 2027."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, fmt, locale=get_locale())


@bp.app_template_filter("localdatetime")
def localdatetime(value: datetime | None) -> str:
    """An event-local date and time, e.g. 9 Nov 2027, 14:00."""
    if value is None:
        return ""
    return f"{format_date(value.date(), 'medium', locale=get_locale())}, {clock(value)}"
