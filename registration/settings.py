"""Registration settings of an event: seats per attendance mode, how long a freed seat
is kept for the next person waiting, and the registration window on the timeline.

The window is stored as deadlines relative to the opening ("T−180 days"), so that a
rescheduled event moves it too; the form speaks of days before the opening.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from models import AttendanceMode, DeadlineKind, Event, Registration, User
from webapp import audit
from webapp.events.services import MAX_OFFSET_DAYS, deadline_by_key, upsert_deadline
from webapp.extensions import db

from . import core, seats
from .core import RegistrationError

SOURCE = "registration"
MAX_CAPACITY = 1_000_000
MIN_OFFER_HOURS, MAX_OFFER_HOURS = 1, 720
OPENS_LABEL = "Registration opens"
CLOSES_LABEL = "Registration closes"


@dataclass
class Settings:
    """The values the settings form shows and takes. Days are days *before* the
    opening (negative: after it)."""

    capacity: dict[AttendanceMode, int | None]
    offer_hours: int
    opens_days: int
    closes_days: int


def _days_before(event: Event, key: str, default_offset: int) -> int:
    deadline = deadline_by_key(event, key)
    if deadline is None:
        return -default_offset
    if deadline.kind == DeadlineKind.RELATIVE:
        return -(deadline.offset_days or 0)
    return (event.opening_date - deadline.due_on()).days


def current(event: Event) -> Settings:
    pools = seats.counts(event)
    return Settings(
        capacity={mode: pools[mode]["capacity"] for mode in AttendanceMode},
        offer_hours=event.registration_offer_hours,
        opens_days=_days_before(event, core.OPENS_KEY, core.DEFAULT_OPENS_DAYS),
        closes_days=_days_before(event, core.CLOSES_KEY, core.DEFAULT_CLOSES_DAYS),
    )


def dates_of(event: Event, opens_days: int, closes_days: int) -> tuple[date, date]:
    return (
        event.opening_date - timedelta(days=opens_days),
        event.opening_date - timedelta(days=closes_days),
    )


def check(event: Event, values: Settings) -> None:
    """Refuse values that make no sense (RegistrationError naming the field)."""
    for mode, capacity in values.capacity.items():
        if capacity is not None and not 0 <= capacity <= MAX_CAPACITY:
            raise RegistrationError(
                _l("Between 0 and %(n)s seats, or blank for no limit.", n=f"{MAX_CAPACITY:,}"),
                f"capacity_{mode.value}",
            )
    if not MIN_OFFER_HOURS <= values.offer_hours <= MAX_OFFER_HOURS:
        raise RegistrationError(
            _l("Between %(a)s and %(b)s hours.", a=MIN_OFFER_HOURS, b=MAX_OFFER_HOURS),
            "offer_hours",
        )
    for name in ("opens_days", "closes_days"):
        if abs(getattr(values, name)) > MAX_OFFSET_DAYS:
            raise RegistrationError(
                _l("Use at most %(n)d days from the opening.", n=MAX_OFFSET_DAYS), name
            )
    opens, closes = dates_of(event, values.opens_days, values.closes_days)
    if opens >= closes:
        raise RegistrationError(_l("Registration must open before it closes."), "closes_days")
    if closes > event.closing_date:
        raise RegistrationError(
            _l(
                "Registration cannot close after the event (it ends on %(date)s).",
                date=event.closing_date.isoformat(),
            ),
            "closes_days",
        )


def save(actor: User, event: Event, values: Settings) -> list[Registration]:
    """Store the settings; returns the registrations newly offered a seat because a
    capacity grew (the caller mails them). Audited; the caller commits."""
    check(event, values)
    before = current(event)
    # First: seats offered below (more capacity) are kept for the new number of hours.
    event.registration_offer_hours = values.offer_hours
    offered: list[Registration] = []
    for mode, capacity in values.capacity.items():
        if capacity != before.capacity[mode]:
            offered.extend(seats.set_capacity(event, mode, capacity))
    upsert_deadline(event, core.OPENS_KEY, OPENS_LABEL, SOURCE, offset_days=-values.opens_days)
    upsert_deadline(event, core.CLOSES_KEY, CLOSES_LABEL, SOURCE, offset_days=-values.closes_days)
    db.session.flush()
    opens, closes = dates_of(event, values.opens_days, values.closes_days)
    audit.record(
        "registration.settings",
        actor=actor,
        event_id=event.id,
        obj=event,
        summary=(
            "capacity "
            + ", ".join(f"{m.value}={'∞' if c is None else c}" for m, c in values.capacity.items())
            + f"; offers {values.offer_hours} h; window {opens} – {closes}"
        ),
        capacity={m.value: c for m, c in values.capacity.items()},
        offer_hours=values.offer_hours,
        opens_days=values.opens_days,
        closes_days=values.closes_days,
        offered=[r.id for r in offered],
    )
    if offered:
        from . import registering

        for registration in offered:
            registering.mail_offer(registration)
    return offered
