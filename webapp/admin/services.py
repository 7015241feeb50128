"""Administration rules: role grants, and the queries behind the outbox, audit and job pages.

Functions take plain values and an explicit `actor`; they flush, the request commits.
Rule violations raise `AdminError` with a message for the user.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from models import (
    AuditEntry,
    Event,
    JobRun,
    JobState,
    MembershipCategory,
    Organization,
    OutboxMessage,
    OutboxState,
    ReferenceItem,
    Role,
    RoleGrant,
    User,
)

from .. import audit
from ..downloads import write_csv
from ..extensions import db
from ..pagination import Page, paginate

PER_PAGE = 50
MEMBER_CATEGORIES = (MembershipCategory.MEMBER_STATE, MembershipCategory.SECTOR_MEMBER)

ROLE_LABELS = {
    Role.ORGANIZER: _l("Organizer"),
    Role.COCHAIR: _l("Co-chair"),
    Role.FOCAL_POINT: _l("Focal point"),
}

OUTBOX_STATE_LABELS = {
    OutboxState.QUEUED: _l("Queued"),
    OutboxState.SENDING: _l("Sending"),
    OutboxState.KEPT: _l("Kept (no mail provider)"),
    OutboxState.SENT: _l("Sent"),
    OutboxState.DELIVERED: _l("Delivered"),
    OutboxState.FAILED: _l("Failed"),
    OutboxState.BOUNCED: _l("Bounced"),
}

JOB_STATE_LABELS = {
    JobState.QUEUED: _l("Queued"),
    JobState.RUNNING: _l("Running"),
    JobState.DONE: _l("Done"),
    JobState.FAILED: _l("Failed"),
}

#: state -> badge class of convene.css; "kept" is neither good nor bad news.
BADGES = {
    OutboxState.QUEUED: "badge-warn",
    OutboxState.SENDING: "badge-warn",
    OutboxState.KEPT: "badge-muted",
    OutboxState.SENT: "badge-ok",
    OutboxState.DELIVERED: "badge-ok",
    OutboxState.FAILED: "badge-bad",
    OutboxState.BOUNCED: "badge-bad",
    JobState.RUNNING: "badge-warn",
    JobState.DONE: "badge-ok",
}


class AdminError(Exception):
    """A rule of administration was not met; the message is for the user.

    `field` names the form field the message belongs beside.
    """

    def __init__(self, message: Any, field: str = "email"):
        super().__init__(str(message))
        self.field = field


# --- roles --------------------------------------------------------------------------------


def focus_area_names() -> dict[str, str]:
    """Focus area code -> English name, in one query."""
    rows = db.session.execute(
        select(ReferenceItem.code, ReferenceItem.name_en)
        .where(ReferenceItem.kind == "focus_area")
        .order_by(ReferenceItem.number, ReferenceItem.code)
    )
    return {code: name for code, name in rows}


def member_organizations() -> list[Organization]:
    """Organizations that can have a focal point: Member States and Sector Members."""
    return list(
        db.session.scalars(
            select(Organization)
            .where(Organization.membership.in_(MEMBER_CATEGORIES))
            .order_by(Organization.name)
        )
    )


def grants_of(event: Event) -> list[RoleGrant]:
    """The event's grants with their users and organizations, in one query."""
    return list(
        db.session.scalars(
            select(RoleGrant)
            .join(RoleGrant.user)
            .where(RoleGrant.event_id == event.id)
            .options(joinedload(RoleGrant.user), joinedload(RoleGrant.organization))
            .order_by(RoleGrant.role, User.name, RoleGrant.id)
        )
    )


def grant_in_event(event: Event, grant_id: int) -> RoleGrant | None:
    """The grant, only if it belongs to this event."""
    return db.session.scalar(
        select(RoleGrant).where(RoleGrant.id == grant_id, RoleGrant.event_id == event.id)
    )


def _scope_label(grant: RoleGrant, areas: dict[str, str] | None = None) -> str:
    if grant.focus_area_code:
        names = areas if areas is not None else focus_area_names()
        return names.get(grant.focus_area_code, grant.focus_area_code)
    if grant.organization is not None:
        return grant.organization.name
    return ""


def _parse_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise AdminError(_l("Choose one of the listed roles."), "role") from None


def _check_scope(
    role: Role, focus_area_code: str | None, organization_id: int | None
) -> tuple[str | None, Organization | None]:
    """The scope the role needs, checked; scopes a role does not use are dropped."""
    if role == Role.COCHAIR:
        code = (focus_area_code or "").strip().upper()
        if not code:
            raise AdminError(_l("A co-chair needs a focus area."), "focus_area")
        if code not in focus_area_names():
            raise AdminError(_l("Unknown focus area."), "focus_area")
        return code, None
    if role == Role.FOCAL_POINT:
        if not organization_id:
            raise AdminError(_l("A focal point needs a member organization."), "organization")
        organization = db.session.get(Organization, organization_id)
        if organization is None:
            raise AdminError(_l("Unknown organization."), "organization")
        if organization.membership not in MEMBER_CATEGORIES:
            raise AdminError(
                _l("Focal points are for Member States and Sector Members only."),
                "organization",
            )
        return None, organization
    return None, None


def grant_role(
    actor: User,
    event: Event,
    user_email: str,
    role: Role | str,
    focus_area_code: str | None = None,
    organization_id: int | None = None,
) -> RoleGrant:
    """Give the account with `user_email` a role in `event`, scoped as the role needs."""
    role = _parse_role(role)
    email = (user_email or "").strip().lower()
    if not email:
        raise AdminError(_l("Enter the email address of the person."))
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        # Organizers invite people to sign up first; we never create accounts for them.
        raise AdminError(
            _l("No account with this email. Ask the person to sign up first, then grant the role.")
        )
    code, organization = _check_scope(role, focus_area_code, organization_id)
    organization_id = organization.id if organization else None
    duplicate = db.session.scalar(
        select(RoleGrant.id).where(
            RoleGrant.user_id == user.id,
            RoleGrant.event_id == event.id,
            RoleGrant.role == role,
            RoleGrant.focus_area_code.is_(None)
            if code is None
            else RoleGrant.focus_area_code == code,
            RoleGrant.organization_id.is_(None)
            if organization_id is None
            else RoleGrant.organization_id == organization_id,
        )
    )
    if duplicate is not None:
        raise AdminError(_l("%(email)s already has this role.", email=email))
    grant = RoleGrant(
        user=user,
        event_id=event.id,
        role=role,
        focus_area_code=code,
        organization_id=organization_id,
        granted_by_id=actor.id if actor else None,
    )
    grant.organization = organization
    db.session.add(grant)
    db.session.flush()
    audit.record(
        "role.granted",
        actor=actor,
        event_id=event.id,
        obj=grant,
        summary=_summary(grant, email),
        user_id=user.id,
        role=role.value,
        focus_area_code=code,
        organization_id=organization_id,
    )
    return grant


def _summary(grant: RoleGrant, email: str) -> str:
    scope = _scope_label(grant)
    return f"{grant.role.value} {email}" + (f" ({scope})" if scope else "")


def revoke_role(actor: User, grant: RoleGrant) -> None:
    """Take a grant away; an event always keeps at least one organizer."""
    if grant.role == Role.ORGANIZER:
        organizers = db.session.scalar(
            select(func.count(RoleGrant.id)).where(
                RoleGrant.event_id == grant.event_id, RoleGrant.role == Role.ORGANIZER
            )
        )
        if organizers <= 1:
            raise AdminError(
                _l(
                    "This is the last organizer of the event. Grant the role to someone else first."
                ),
                "grant",
            )
    email = grant.user.email
    audit.record(
        "role.revoked",
        actor=actor,
        event_id=grant.event_id,
        obj=grant,
        summary=_summary(grant, email),
        user_id=grant.user_id,
        role=grant.role.value,
        focus_area_code=grant.focus_area_code,
        organization_id=grant.organization_id,
    )
    db.session.delete(grant)
    db.session.flush()


# --- outbox -------------------------------------------------------------------------------


@dataclass
class OutboxFilters:
    """What the outbox page may be narrowed to."""

    state: str = ""
    template: str = ""
    q: str = ""


def outbox_query(event: Event | None, filters: OutboxFilters) -> Select:
    """Messages of one event (or all, for admins), newest first, filtered."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if event is not None:
        query = query.where(OutboxMessage.event_id == event.id)
    if filters.state:
        query = query.where(OutboxMessage.state == filters.state)
    if filters.template:
        query = query.where(OutboxMessage.template.icontains(filters.template, autoescape=True))
    if filters.q:
        query = query.where(
            or_(
                OutboxMessage.to_email.icontains(filters.q, autoescape=True),
                OutboxMessage.to_name.icontains(filters.q, autoescape=True),
                OutboxMessage.subject.icontains(filters.q, autoescape=True),
            )
        )
    return query


def outbox_page(event: Event | None, filters: OutboxFilters, number: int = 1) -> Page:
    """One page of the outbox."""
    return paginate(outbox_query(event, filters), number, PER_PAGE)


def outbox_message(event: Event | None, message_id: int) -> OutboxMessage | None:
    """The message, only if it belongs to `event` (any message when event is None)."""
    query = select(OutboxMessage).where(OutboxMessage.id == message_id)
    if event is not None:
        query = query.where(OutboxMessage.event_id == event.id)
    return db.session.scalar(query)


# --- audit log ----------------------------------------------------------------------------


@dataclass
class AuditFilters:
    """What the audit page may be narrowed to."""

    action: str = ""
    actor: str = ""
    object_type: str = ""
    date_from: date | None = None
    date_to: date | None = None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def audit_query(event: Event | None, filters: AuditFilters) -> Select:
    """Entries of one event (or all, for admins), newest first, filtered."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if event is not None:
        query = query.where(AuditEntry.event_id == event.id)
    if filters.action:
        query = query.where(AuditEntry.action.startswith(filters.action, autoescape=True))
    if filters.actor:
        actors = select(User.id).where(User.email.icontains(filters.actor, autoescape=True))
        query = query.where(AuditEntry.actor_id.in_(actors))
    if filters.object_type:
        query = query.where(AuditEntry.object_type == filters.object_type.lower())
    if filters.date_from:
        query = query.where(AuditEntry.at >= _start_of(filters.date_from))
    if filters.date_to:
        # The "to" day is included: everything before the next midnight (UTC).
        query = query.where(AuditEntry.at < _start_of(filters.date_to + timedelta(days=1)))
    return query


def audit_page(event: Event | None, filters: AuditFilters, number: int = 1) -> Page:
    """One page of the audit log; actors come joined, so no query per row."""
    return paginate(audit_query(event, filters), number, PER_PAGE)


AUDIT_CSV_HEADER = [
    "at",
    "actor_email",
    "action",
    "object_type",
    "object_id",
    "event_id",
    "summary",
]


def audit_csv(event: Event | None, filters: AuditFilters) -> str:
    """The filtered log as CSV text, newest first."""
    query = audit_query(event, filters).execution_options(yield_per=1000)
    return write_csv(
        AUDIT_CSV_HEADER,
        (
            (
                entry.at.isoformat(),
                entry.actor.email if entry.actor else "",
                entry.action,
                entry.object_type,
                entry.object_id,
                entry.event_id,
                entry.summary,
            )
            for entry in db.session.scalars(query)
        ),
    )


# --- dashboard and jobs -------------------------------------------------------------------


def dashboard() -> dict[str, Any]:
    """Counts for the site admin's front page: a fixed number of queries."""
    by_state = dict(
        db.session.execute(
            select(OutboxMessage.state, func.count(OutboxMessage.id)).group_by(OutboxMessage.state)
        ).all()
    )
    return {
        "users": db.session.scalar(select(func.count(User.id))) or 0,
        "events": db.session.scalar(select(func.count(Event.id))) or 0,
        "mail_queued": by_state.get(OutboxState.QUEUED, 0) + by_state.get(OutboxState.SENDING, 0),
        "mail_failed": by_state.get(OutboxState.FAILED, 0) + by_state.get(OutboxState.BOUNCED, 0),
        "mail_by_state": by_state,
    }


def job_as_dict(run: JobRun) -> dict[str, Any]:
    """What a progress bar polls for."""
    return {
        "id": run.id,
        "name": run.name,
        "state": run.state.value,
        "done": run.done,
        "total": run.total,
        "percent": run.percent,
        "message": run.message,
        "summary": run.result.get("summary", ""),
        "url": result_url(run),
    }


def result_url(run: JobRun) -> str | None:
    """The page showing a finished job's outcome: the job names an endpoint and its
    arguments in its result (jobs run without a request, so they cannot build URLs)."""
    endpoint = run.result.get("endpoint")
    if run.state != JobState.DONE or not endpoint:
        return None
    return url_for(endpoint, **run.result.get("args", {}))


def labelled(pairs: Iterable[tuple[Any, Any]]) -> list[tuple[str, str]]:
    """(value, label) pairs with enum values and lazy labels turned into text."""
    return [(str(getattr(value, "value", value)), str(label)) for value, label in pairs]
