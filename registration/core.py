"""What every part of registration shares: labels, errors, the opening and closing
deadlines on the event timeline, the members a person can represent, and whom and in
which language the participant's mail goes to.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import abort, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from models import (
    Approval,
    AttendanceMode,
    Event,
    MembershipCategory,
    OrderStatus,
    Organization,
    PaymentMethod,
    Registration,
    RegistrationCategory,
    Role,
    RoleGrant,
    SeatState,
)
from webapp.config import LANGUAGES
from webapp.events.services import deadline_by_key, event_today
from webapp.extensions import db

#: Timeline keys of the registration window (deadlines, source "registration").
OPENS_KEY = "registration.opens"
CLOSES_KEY = "registration.closes"
#: Default window: opens 180 days before the opening, closes 7 days before it.
DEFAULT_OPENS_DAYS = -180
DEFAULT_CLOSES_DAYS = -7
#: A deleted account's registrations keep an address at this (reserved) domain: no mail.
DELETED_EMAIL_DOMAIN = "@invalid"
#: Members whose focal points accredit their delegates.
MEMBER_KINDS = (MembershipCategory.MEMBER_STATE, MembershipCategory.SECTOR_MEMBER)


class RegistrationError(Exception):
    """A value to correct (`field` names the form field): 400 by default; `status` 409 for
    a clash with what is stored, 403 for a rule about who may do it."""

    def __init__(self, message: Any, field: str | None = None, status: int = 400):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.status = status


CATEGORY_LABELS = {
    RegistrationCategory.MEMBER_STATE: _l("Member State delegate"),
    RegistrationCategory.SECTOR_MEMBER: _l("Sector Member"),
    RegistrationCategory.ASSOCIATE: _l("Associate"),
    RegistrationCategory.ACADEMIA: _l("Academia"),
    RegistrationCategory.INTERNATIONAL_ORGANIZATION: _l("International organization"),
    RegistrationCategory.INVITED_GUEST: _l("Invited guest"),
    RegistrationCategory.OBSERVER: _l("Observer"),
    RegistrationCategory.MEDIA: _l("Media"),
}
#: Badge colour per category (hex, printed; the category is also written on the badge).
CATEGORY_COLOURS = {
    RegistrationCategory.MEMBER_STATE: "#0b4f8a",
    RegistrationCategory.SECTOR_MEMBER: "#1b7f3b",
    RegistrationCategory.ASSOCIATE: "#5b8c00",
    RegistrationCategory.ACADEMIA: "#6a3d9a",
    RegistrationCategory.INTERNATIONAL_ORGANIZATION: "#00838f",
    RegistrationCategory.INVITED_GUEST: "#b8860b",
    RegistrationCategory.OBSERVER: "#616161",
    RegistrationCategory.MEDIA: "#c62828",
}
MODE_LABELS = {
    AttendanceMode.IN_PERSON: _l("In person"),
    AttendanceMode.ONLINE: _l("Online"),
}
APPROVAL_LABELS = {
    Approval.PENDING: _l("Awaiting approval"),
    Approval.APPROVED: _l("Approved"),
    Approval.REJECTED: _l("Rejected"),
}
SEAT_LABELS = {
    SeatState.HELD: _l("Seat confirmed"),
    SeatState.WAITING: _l("On the waiting list"),
    SeatState.OFFERED: _l("Seat offered"),
    SeatState.NONE: _l("No seat"),
}
ORDER_STATUS_LABELS = {
    OrderStatus.OPEN: _l("Awaiting payment"),
    OrderStatus.PAID: _l("Paid"),
    OrderStatus.PARTLY_REFUNDED: _l("Partly refunded"),
    OrderStatus.REFUNDED: _l("Refunded"),
    OrderStatus.FAILED: _l("Payment failed"),
    OrderStatus.CANCELLED: _l("Cancelled"),
}
METHOD_LABELS = {
    PaymentMethod.STRIPE: _l("Card (Stripe)"),
    PaymentMethod.BANK_TRANSFER: _l("Bank transfer"),
    PaymentMethod.CASH: _l("Cash"),
}


#: Reasons the approval rules store with an approval nobody decided by hand. The stored
#: text is English (the same for every reader); pages show it translated.
REASON_WAIVED = "Approval waived by the invitation"
REASON_FOCAL_POINT = "The member's focal point"
REASON_REGISTERED_BY_FOCAL_POINT = "Registered by the focal point"
REASON_LABELS = {
    REASON_WAIVED: _l("Approval waived by the invitation"),
    REASON_FOCAL_POINT: _l("The member's focal point"),
    REASON_REGISTERED_BY_FOCAL_POINT: _l("Registered by the focal point"),
}


def labels() -> dict[str, dict]:
    """Every label the registration templates use."""
    return {
        "reason_labels": REASON_LABELS,
        "category_labels": CATEGORY_LABELS,
        "category_colours": CATEGORY_COLOURS,
        "mode_labels": MODE_LABELS,
        "approval_labels": APPROVAL_LABELS,
        "seat_labels": SEAT_LABELS,
        "order_status_labels": ORDER_STATUS_LABELS,
        "method_labels": METHOD_LABELS,
    }


def event_or_404(event_id: int) -> Event:
    return db.get_or_404(Event, event_id)


def registration_of(event: Event, registration_id: int) -> Registration:
    """The event's registration; another event's id is as unknown as a missing one."""
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        abort(404)
    return registration


def window(event: Event) -> tuple[date, date]:
    """The first and last day registrations are taken (event-local dates), from the
    timeline's deadlines, else the defaults."""
    opens = deadline_by_key(event, OPENS_KEY)
    closes = deadline_by_key(event, CLOSES_KEY)
    first = opens.due_on() if opens else event.opening_date + timedelta(days=DEFAULT_OPENS_DAYS)
    last = closes.due_on() if closes else event.opening_date + timedelta(days=DEFAULT_CLOSES_DAYS)
    return first, last


def is_open(event: Event, today: date | None = None) -> bool:
    first, last = window(event)
    today = today or event_today(event)
    return first <= today <= last


def check_open(event: Event, today: date | None = None) -> None:
    """Refuse registering or editing outside the window (403 with the dates)."""
    first, last = window(event)
    today = today or event_today(event)
    if today < first:
        raise RegistrationError(
            _l("Registration opens on %(date)s.", date=first.isoformat()), status=403
        )
    if today > last:
        raise RegistrationError(
            _l("Registration closed on %(date)s.", date=last.isoformat()), status=403
        )


def focal_point_user_ids(event: Event, organization_id: int) -> list[int]:
    """The accounts designated as focal points of a member for this event."""
    return list(
        db.session.scalars(
            select(RoleGrant.user_id)
            .where(
                RoleGrant.event_id == event.id,
                RoleGrant.role == Role.FOCAL_POINT,
                RoleGrant.organization_id == organization_id,
            )
            .order_by(RoleGrant.user_id)
        )
    )


def focal_point_member_ids(user, event: Event) -> list[int]:
    """The members the account is a focal point of for this event, by id (from its
    loaded grants: no query)."""
    return sorted(
        {
            g.organization_id
            for g in user.grants
            if g.role == Role.FOCAL_POINT and g.event_id == event.id and g.organization_id
        }
    )


def is_member(organization: Organization | None) -> bool:
    """Whether the organization is a member whose focal points accredit its delegates."""
    return organization is not None and organization.membership in MEMBER_KINDS


# --- the participant's mail -------------------------------------------------------------


def participant_url(event_id: int) -> str:
    """The participant's own page (absolute: mail is also sent by jobs and webhooks,
    without a request)."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}/events/{event_id}/registration"


def mailable(registration: Registration) -> bool:
    """Whether the participant can be written to (not after their account's deletion)."""
    return bool(registration.email) and not registration.email.endswith(DELETED_EMAIL_DOMAIN)


def mail_locale(registration: Registration) -> str:
    """The one language rule of the participant's mail: their account's language, else
    (a delegate without an account yet) the directory person's first UN language, else
    the event's first, else English."""
    user = registration.user
    if user is not None and user.locale in LANGUAGES:
        return user.locale
    person = registration.person
    for code in (person.languages or []) if person is not None else []:
        if code in LANGUAGES:
            return code
    return next((c for c in registration.event.languages or [] if c in LANGUAGES), "en")
