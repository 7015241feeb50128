"""A participant's own data: everything stored about them as one JSON document, and the
deletion of their account.

Deleting an account keeps what belongs to others and removes what identifies the
person: registrations stay (counts, seats and orders must add up) but are cancelled —
their seats go to the waiting list — and anonymized; unpaid orders are cancelled (their
units go back on sale); pledges, signatures and reports belong to organizations and
stay, only their links to the account are cleared; the directory person (the
secretariat's record) stays, unlinked; role grants go; the audit log keeps its entries,
with the address, the registration names and the network addresses of the person's
requests taken out.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, func, or_, select, update

from models import (
    AgendaSave,
    AuditEntry,
    CoalitionSignature,
    CochairAppointment,
    Event,
    Invitation,
    Order,
    OrderStatus,
    Person,
    Pledge,
    PledgeComment,
    ProgrammeSession,
    ProgressReport,
    Refund,
    Registration,
    RoleGrant,
    TargetEntry,
    User,
    VideoMessage,
    Wave,
    utcnow,
)
from webapp import audit
from webapp.extensions import db
from webapp.security import verify_password

from . import payments, registering
from .core import RegistrationError
from .stripe_gateway import GatewayError

#: Columns never exported: secrets and bookkeeping that say nothing about the person.
SECRET_COLUMNS = frozenset(
    {"password_hash", "session_version", "token_hash", "token_salt", "claim", "badge_nonce"}
)
#: The most audit entries the export lists (newest first).
AUDIT_LIMIT = 5000
ANONYMOUS_NAME = "Deleted participant"
DELETED_ACCOUNT = "[deleted account]"


def _value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def plain(obj: Any, *, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """A row's columns as JSON values, without secrets."""
    mapper = obj.__mapper__
    return {
        attr.key: _value(getattr(obj, attr.key))
        for attr in mapper.column_attrs
        if attr.key not in SECRET_COLUMNS and attr.key not in drop
    }


def _all(query) -> list:
    return list(db.session.scalars(query))


def _registrations_of(user: User):
    """The user's registrations: their own, and those made for their address by a focal
    point that their account has not picked up yet (see registering.registration_for)."""
    return or_(
        Registration.user_id == user.id,
        and_(
            Registration.user_id.is_(None),
            func.lower(Registration.email) == user.email.lower(),
        ),
    )


def personal_data(user: User) -> dict[str, Any]:
    """Everything about the user, for the download: the account, the directory entry,
    roles, registrations, orders, invitations, what they wrote or signed, their agenda,
    and the audit entries about them."""
    events = {e.id: e for e in _all(select(Event))}

    def event_of(event_id: int | None) -> dict[str, Any] | None:
        event = events.get(event_id)
        return {"id": event.id, "acronym": event.acronym, "name": event.name} if event else None

    person = db.session.scalar(select(Person).where(Person.user_id == user.id))
    registrations = _all(
        select(Registration).where(_registrations_of(user)).order_by(Registration.id)
    )
    registration_ids = [r.id for r in registrations]
    mine = Order.user_id == user.id
    if registration_ids:
        mine = or_(mine, Order.registration_id.in_(registration_ids))
    orders = _all(select(Order).where(mine).order_by(Order.id))
    refunds: dict[int, list[Refund]] = {}
    if orders:
        for refund in _all(
            select(Refund).where(Refund.order_id.in_([o.id for o in orders])).order_by(Refund.id)
        ):
            refunds.setdefault(refund.order_id, []).append(refund)
    invitation_match = func.lower(Invitation.email) == user.email.lower()
    if person is not None:
        invitation_match = or_(invitation_match, TargetEntry.person_id == person.id)
    invitations = db.session.execute(
        select(Invitation, Wave)
        .join(Wave, Wave.id == Invitation.wave_id)
        .join(TargetEntry, TargetEntry.id == Invitation.entry_id)
        .where(invitation_match)
        .order_by(Invitation.id)
    ).all()
    about_me = or_(
        AuditEntry.actor_id == user.id,
        and_(AuditEntry.object_type == "user", AuditEntry.object_id == user.id),
    )
    if registration_ids:
        about_me = or_(
            about_me,
            and_(
                AuditEntry.object_type == "registration",
                AuditEntry.object_id.in_(registration_ids),
            ),
        )
    if orders:
        about_me = or_(
            about_me,
            and_(
                AuditEntry.object_type == "order", AuditEntry.object_id.in_([o.id for o in orders])
            ),
        )
    audit_entries = _all(
        select(AuditEntry).where(about_me).order_by(AuditEntry.id.desc()).limit(AUDIT_LIMIT)
    )
    own = {("user", user.id)}
    own |= {("registration", i) for i in registration_ids}
    own |= {("order", o.id) for o in orders}
    saves = db.session.execute(
        select(AgendaSave, ProgrammeSession)
        .join(ProgrammeSession, ProgrammeSession.id == AgendaSave.session_id)
        .where(AgendaSave.user_id == user.id)
        .order_by(AgendaSave.id)
    ).all()
    return {
        "generated_at": utcnow().isoformat(),
        "account": plain(user),
        "directory_person": (
            plain(person)
            | {"organization": person.organization.name if person.organization else None}
            if person is not None
            else None
        ),
        "roles": [
            plain(grant) | {"event": event_of(grant.event_id)}
            for grant in _all(
                select(RoleGrant).where(RoleGrant.user_id == user.id).order_by(RoleGrant.id)
            )
        ],
        "registrations": [
            plain(r) | {"event": event_of(r.event_id), "organization": r.organization_name}
            for r in registrations
        ],
        "orders": [
            plain(o)
            | {
                "event": event_of(o.event_id),
                "item": o.item.name,
                "refunds": [plain(r) for r in refunds.get(o.id, [])],
            }
            for o in orders
        ],
        "invitations": [
            plain(invitation, drop=("outbox_message_id",))
            | {"event": event_of(wave.event_id), "wave": wave.name}
            for invitation, wave in invitations
        ],
        "pledges_created": [
            {
                "id": p.id,
                "event": event_of(p.event_id),
                "organization": p.organization.name,
                "public_id": p.public_id,
                "title": p.title,
                "state": _value(p.state),
                "created_at": _value(p.created_at),
            }
            for p in _all(select(Pledge).where(Pledge.created_by_id == user.id).order_by(Pledge.id))
        ],
        "pledge_comments": [
            plain(c)
            for c in _all(
                select(PledgeComment)
                .where(PledgeComment.author_id == user.id)
                .order_by(PledgeComment.id)
            )
        ],
        "progress_reports_submitted": [
            plain(r)
            for r in _all(
                select(ProgressReport)
                .where(ProgressReport.submitted_by_id == user.id)
                .order_by(ProgressReport.id)
            )
        ],
        "coalition_signatures": [
            plain(s) | {"organization": s.organization.name}
            for s in _all(
                select(CoalitionSignature)
                .where(CoalitionSignature.signed_by_id == user.id)
                .order_by(CoalitionSignature.id)
            )
        ],
        "cochair_appointments": [
            plain(a)
            for a in _all(
                select(CochairAppointment)
                .where(CochairAppointment.user_id == user.id)
                .order_by(CochairAppointment.id)
            )
        ],
        "video_messages_submitted": [
            plain(v)
            for v in _all(
                select(VideoMessage)
                .where(VideoMessage.submitted_by_id == user.id)
                .order_by(VideoMessage.id)
            )
        ],
        "agenda": [
            {
                "session_id": session.id,
                "title": session.title,
                "event": event_of(session.event_id),
                "saved_at": _value(save.created_at),
            }
            for save, session in saves
        ],
        "audit": [_audit_entry(e, user, own) for e in audit_entries],
    }


def _audit_entry(entry: AuditEntry, user: User, own: set[tuple[str, int]]) -> dict[str, Any]:
    """An audit entry of the export. What the user did to others (a focal point's
    decisions, an organizer's work) names other people: only the action, its time and
    object are given. What others did to the user's own records comes without their
    address (the `ip` of the request)."""
    about_me = (entry.object_type, entry.object_id) in own
    item: dict[str, Any] = {
        "at": _value(entry.at),
        "action": entry.action,
        "event_id": entry.event_id,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "by_me": entry.actor_id == user.id,
    }
    if about_me:
        data = dict(entry.data or {})
        if entry.actor_id != user.id:
            data.pop("ip", None)
        item["summary"] = entry.summary
        item["data"] = data
    return item


# --- deleting the account ----------------------------------------------------------------


def anonymize(registration: Registration) -> None:
    """Take everything that identifies the person out of a registration; what counts
    (event, category, mode, organization, country, seat, orders) stays."""
    registration.first_name = ""
    registration.last_name = ANONYMOUS_NAME
    registration.email = f"deleted-{registration.id}{registering.DELETED_EMAIL_DOMAIN}"
    registration.function = ""
    registration.head_of_delegation = False
    registration.visa_support = False
    registration.passport_number = ""
    registration.nationality_iso2 = None
    registration.date_of_birth = None
    registration.accessibility_needs = ""
    registration.dietary_needs = ""
    registration.listed_publicly = False
    registration.decision_reason = ""
    registration.badge_nonce = None
    registration.user_id = None
    registration.person_id = None


def _other_admins(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count(User.id)).where(
                User.is_admin.is_(True), User.is_active.is_(True), User.id != user.id
            )
        )
        or 0
    )


def _scrub_audit(text: str, placeholder: str, *conditions) -> None:
    """Replace `text` in the summaries of audit entries (matching `conditions`)."""
    if not text:
        return
    db.session.execute(
        update(AuditEntry)
        .where(AuditEntry.summary.contains(text, autoescape=True), *conditions)
        .values(summary=func.replace(AuditEntry.summary, text, placeholder))
        .execution_options(synchronize_session=False)
    )


def delete_account(user: User, password: str, now: datetime | None = None) -> dict[str, int]:
    """Delete the account after checking its password (RegistrationError 400 when wrong:
    nothing changes). The site's last administrator cannot leave (409)."""
    if not isinstance(password, str) or not verify_password(user.password_hash, password):
        raise RegistrationError(_l("Your password is not correct."), field="password", status=400)
    if user.is_admin and not _other_admins(user):
        raise RegistrationError(
            _l("You are the site's only administrator: name another one before leaving."),
            status=409,
        )
    now = now or utcnow()
    user_id, email = user.id, user.email
    registrations = _all(
        select(Registration).where(_registrations_of(user)).order_by(Registration.id)
    )
    names = set()
    for registration in registrations:
        names.add(registration.full_name)
        if registration.cancelled_at is None:
            registering.withdraw(registration, actor=None, now=now, account_deleted=True)
        anonymize(registration)
    db.session.flush()
    registration_ids = [r.id for r in registrations]
    # Unpaid orders nobody can pay any more: cancelled, their units back on sale (unless
    # a card payment is already under way: its webhook settles the order).
    for order in _all(
        select(Order)
        .where(Order.user_id == user_id, Order.status == OrderStatus.OPEN)
        .order_by(Order.id)
    ):
        try:
            with db.session.begin_nested():
                payments.cancel(None, order, payments.ACCOUNT_DELETED_NOTE)
        except (RegistrationError, GatewayError):
            pass
    # Pledges and what goes with them belong to organizations: only the links go.
    for column in (
        Pledge.created_by_id,
        PledgeComment.author_id,
        ProgressReport.submitted_by_id,
        CoalitionSignature.signed_by_id,
        CoalitionSignature.revoked_by_id,
        VideoMessage.submitted_by_id,
        CochairAppointment.user_id,
        Order.user_id,
    ):
        db.session.execute(
            update(column.class_)
            .where(column == user_id)
            .values({column.key: None})
            .execution_options(synchronize_session=False)
        )
    db.session.execute(
        update(Person)
        .where(Person.user_id == user_id)
        .values(user_id=None)
        .execution_options(synchronize_session=False)
    )
    granted = db.session.execute(
        delete(RoleGrant)
        .where(RoleGrant.user_id == user_id)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(
        delete(AgendaSave)
        .where(AgendaSave.user_id == user_id)
        .execution_options(synchronize_session=False)
    )
    _scrub_audit(email, DELETED_ACCOUNT)
    # The network addresses the log kept of the person's own requests identify them too.
    for entry in _all(
        select(AuditEntry).where(
            or_(
                AuditEntry.actor_id == user_id,
                and_(AuditEntry.object_type == "user", AuditEntry.object_id == user_id),
            )
        )
    ):
        if isinstance(entry.data, dict) and "ip" in entry.data:
            entry.data = {k: v for k, v in entry.data.items() if k != "ip"}
    if registration_ids:
        on_registrations = (
            AuditEntry.object_type == "registration",
            AuditEntry.object_id.in_(registration_ids),
        )
        for name in sorted(names, key=len, reverse=True):
            _scrub_audit(name, ANONYMOUS_NAME, *on_registrations)
    # The grants were deleted above; the session must not flush them again.
    db.session.expire(user, ["grants"])
    db.session.delete(user)
    db.session.flush()
    db.session.expire_all()
    counts = {"registrations": len(registrations), "roles": granted or 0}
    audit.record(
        "account.deleted",
        actor=None,
        summary=f"account {user_id} deleted: {len(registrations)} registration(s) anonymized",
        ip=None,
        **counts,
    )
    return counts
