"""Check-in at the venue: staff scan or type a badge code; a valid badge marks the
participant as attended (once: a second scan warns who checked them in and when), moves
their invitation's target entry to ATTENDED, and is written to the audit log. Refused
codes are logged too, so a forged or revoked badge presented at the door leaves a trace.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select, update

from models import (
    Approval,
    AttendanceMode,
    EntryStatus,
    Event,
    Invitation,
    Registration,
    RegistrationCategory,
    SeatState,
    User,
    utcnow,
)
from webapp import audit
from webapp.extensions import db

from . import badges
from .badges import Verdict
from .core import CATEGORY_COLOURS, CATEGORY_LABELS


class Outcome(enum.StrEnum):
    """What the staff member sees after a scan."""

    CHECKED_IN = "checked_in"
    DUPLICATE = "duplicate"
    MALFORMED = "malformed"
    FORGED = "forged"
    UNKNOWN = "unknown"
    OTHER_EVENT = "other_event"
    REVOKED = "revoked"
    CANCELLED = "cancelled"
    NOT_APPROVED = "not_approved"
    ONLINE = "online"
    NO_SEAT = "no_seat"


#: ok: let them in; warn: already in (look at the person); refused: do not.
LEVELS = {Outcome.CHECKED_IN: "ok", Outcome.DUPLICATE: "warn"}
#: HTTP status of each outcome (the page and the JSON answer alike).
STATUS = {
    Outcome.CHECKED_IN: 200,
    Outcome.DUPLICATE: 409,
    Outcome.MALFORMED: 400,
    Outcome.FORGED: 400,
    Outcome.UNKNOWN: 404,
    Outcome.OTHER_EVENT: 404,
    Outcome.REVOKED: 410,
    Outcome.CANCELLED: 409,
    Outcome.NOT_APPROVED: 409,
    Outcome.ONLINE: 409,
    Outcome.NO_SEAT: 409,
}
TITLES = {
    Outcome.CHECKED_IN: _l("Checked in"),
    Outcome.DUPLICATE: _l("Already checked in"),
    Outcome.MALFORMED: _l("Not a badge code"),
    Outcome.FORGED: _l("Unknown or forged code"),
    Outcome.UNKNOWN: _l("Unknown or forged code"),
    Outcome.OTHER_EVENT: _l("Badge of another event"),
    Outcome.REVOKED: _l("Revoked badge"),
    Outcome.CANCELLED: _l("Registration cancelled"),
    Outcome.NOT_APPROVED: _l("Registration not approved"),
    Outcome.ONLINE: _l("Online participant"),
    Outcome.NO_SEAT: _l("No seat confirmed"),
}
_FORGED = _l(
    "No badge has this code: it was mistyped, altered or made up. Do not let the person in on it."
)
MESSAGES = {
    Outcome.CHECKED_IN: _l("Check the photo ID before handing over the badge."),
    Outcome.MALFORMED: _l(
        "This is not a badge code. Scan the QR code or type the code printed under it."
    ),
    Outcome.FORGED: _FORGED,
    Outcome.UNKNOWN: _FORGED,
    Outcome.OTHER_EVENT: _l("This badge is for another event."),
    Outcome.REVOKED: _l(
        "This badge was replaced by a newer one and is no longer valid. Send the person to "
        "the registration desk."
    ),
    Outcome.CANCELLED: _l(
        "This registration was cancelled. Send the person to the registration desk."
    ),
    Outcome.NOT_APPROVED: _l(
        "This registration is not approved. Send the person to the registration desk."
    ),
    Outcome.ONLINE: _l(
        "This person registered to follow online, not in person. Send them to the "
        "registration desk."
    ),
    Outcome.NO_SEAT: _l("This person has no confirmed seat. Send them to the registration desk."),
}
_FROM_VERDICT = {
    Verdict.MALFORMED: Outcome.MALFORMED,
    Verdict.FORGED: Outcome.FORGED,
    Verdict.UNKNOWN: Outcome.UNKNOWN,
    Verdict.OTHER_EVENT: Outcome.OTHER_EVENT,
    Verdict.REVOKED: Outcome.REVOKED,
    Verdict.CANCELLED: Outcome.CANCELLED,
    Verdict.NOT_APPROVED: Outcome.NOT_APPROVED,
    Verdict.ONLINE: Outcome.ONLINE,
    Verdict.NO_SEAT: Outcome.NO_SEAT,
}
#: Refused outcomes that name the person (the badge is genuine, so saying whose it is helps).
_NAMED = {
    Outcome.CHECKED_IN,
    Outcome.DUPLICATE,
    Outcome.REVOKED,
    Outcome.CANCELLED,
    Outcome.NOT_APPROVED,
    Outcome.ONLINE,
    Outcome.NO_SEAT,
}


@dataclass
class Result:
    outcome: Outcome
    registration: Registration | None = None
    #: For a duplicate: when and by whom the first check-in was.
    checked_in_at: datetime | None = None
    checked_in_by: str = ""
    event: Event | None = None

    @property
    def level(self) -> str:
        return LEVELS.get(self.outcome, "refused")

    @property
    def status(self) -> int:
        return STATUS[self.outcome]

    @property
    def title(self) -> str:
        return str(TITLES[self.outcome])

    @property
    def message(self) -> str:
        if self.outcome == Outcome.DUPLICATE:
            return str(
                _l(
                    "Already checked in at %(time)s by %(name)s. Check the photo ID: "
                    "someone may be using a copy of this badge.",
                    time=self.local_time,
                    name=self.checked_in_by or _l("an unknown account"),
                )
            )
        return str(MESSAGES[self.outcome])

    @property
    def local_time(self) -> str:
        """HH:MM of the first check-in, in the event's time zone."""
        if self.checked_in_at is None:
            return ""
        when = self.checked_in_at
        zone = ZoneInfo(self.event.timezone) if self.event is not None else None
        if zone is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=ZoneInfo("UTC"))
            when = when.astimezone(zone)
        return when.strftime("%H:%M")

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "outcome": self.outcome.value,
            "level": self.level,
            "title": self.title,
            "message": self.message,
        }
        r = self.registration
        if r is not None and self.outcome in _NAMED:
            data["participant"] = {
                "name": r.full_name,
                "organization": r.organization_name,
                "category": str(CATEGORY_LABELS.get(r.category, r.category)),
                "colour": CATEGORY_COLOURS.get(r.category, "#616161"),
            }
        if self.outcome == Outcome.DUPLICATE:
            data["checked_in_at"] = self.local_time
            data["checked_in_by"] = self.checked_in_by
        return data


def _first_check_in(registration: Registration) -> tuple[datetime | None, str]:
    db.session.refresh(registration, ["checked_in_at", "checked_in_by_id"])
    by = (
        db.session.get(User, registration.checked_in_by_id)
        if registration.checked_in_by_id
        else None
    )
    return registration.checked_in_at, by.name if by is not None else ""


def _mark_attended(actor: User, registration: Registration) -> None:
    """The invitation's target entry moves to ATTENDED (through REGISTERED when the
    registration did not move it; other states are overridden: the person is here)."""
    if registration.invitation_id is None:
        return
    invitation = db.session.get(Invitation, registration.invitation_id)
    if invitation is None or invitation.entry is None:
        return
    from invitations.targets import set_status

    entry = invitation.entry
    if entry.status == EntryStatus.ATTENDED:
        return
    if entry.status == EntryStatus.ACCEPTED:
        set_status(entry, EntryStatus.REGISTERED, actor=actor)
    set_status(
        entry,
        EntryStatus.ATTENDED,
        actor=actor,
        manual=entry.status != EntryStatus.REGISTERED,
    )


def check_in(actor: User, event: Event, code: Any) -> Result:
    """Check a badge code in for the event (the caller commits)."""
    verification = badges.verify_for_event(event, code)
    registration = verification.registration
    if not verification.valid:
        outcome = _FROM_VERDICT[verification.verdict]
        audit.record(
            "registration.checkin_refused",
            actor=actor,
            event_id=event.id,
            obj=registration,
            summary=f"Check-in refused ({outcome.value})"
            + (f": {registration.full_name}" if registration is not None else ""),
            outcome=outcome.value,
            code=(code if isinstance(code, str) else "")[:80],
        )
        return Result(outcome, registration, event=event)
    # Only the first of two simultaneous scans of one badge marks it.
    now = utcnow()
    marked = db.session.execute(
        update(Registration)
        .where(Registration.id == registration.id, Registration.checked_in_at.is_(None))
        .values(checked_in_at=now, checked_in_by_id=actor.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not marked:
        when, by = _first_check_in(registration)
        audit.record(
            "registration.checkin_duplicate",
            actor=actor,
            event_id=event.id,
            obj=registration,
            summary=f"Badge of {registration.full_name} scanned again",
            first_at=when.isoformat() if when else None,
        )
        return Result(Outcome.DUPLICATE, registration, when, by, event=event)
    db.session.refresh(registration, ["checked_in_at", "checked_in_by_id"])
    _mark_attended(actor, registration)
    audit.record(
        "registration.checked_in",
        actor=actor,
        event_id=event.id,
        obj=registration,
        summary=f"{registration.full_name} checked in",
    )
    return Result(Outcome.CHECKED_IN, registration, now, actor.name, event=event)


def counts(event: Event) -> dict[str, Any]:
    """Checked in / expected in person, in total and per category (one query). Expected:
    approved in-person participants holding a seat; checked in counts those of them who
    came (a later cancellation takes them out of both)."""
    expected_rows = (
        Registration.approval == Approval.APPROVED,
        Registration.mode == AttendanceMode.IN_PERSON,
        Registration.seat == SeatState.HELD,
        Registration.cancelled_at.is_(None),
    )
    rows = db.session.execute(
        select(
            Registration.category,
            func.count(Registration.id),
            func.sum(case((Registration.checked_in_at.is_not(None), 1), else_=0)),
        )
        .where(Registration.event_id == event.id, *expected_rows)
        .group_by(Registration.category)
    ).all()
    per = {category: (int(total), int(done or 0)) for category, total, done in rows}
    categories = [
        {
            "category": category.value,
            "label": str(CATEGORY_LABELS[category]),
            "colour": CATEGORY_COLOURS[category],
            "expected": per[category][0],
            "checked_in": per[category][1],
        }
        for category in RegistrationCategory
        if category in per
    ]
    return {
        "checked_in": sum(c["checked_in"] for c in categories),
        "expected": sum(c["expected"] for c in categories),
        "categories": categories,
    }
