"""Accreditation: who decides on a registration, the decision itself (one or in bulk),
organizers' overrides and cancellations on a participant's behalf, and the queue a
focal point or organizer works through.

Who decides:
- the focal points of the member the registration represents (and nobody else's);
- the event's organizers, for every registration: those of members without a focal
  point and of people representing no member wait for them; they may also *override* a
  decision already taken.

A decision is taken once: deciding a decided registration again is a conflict (409)
unless an organizer overrides it. Rejecting releases the seat (it goes to the next
person waiting, who is mailed); approving a rejected registration again takes a seat or
a place on the waiting list anew. Every decision is audited and mailed to the
participant in their language.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, false, func, or_, select

from models import (
    Approval,
    AttendanceMode,
    EntryStatus,
    Event,
    Invitation,
    Organization,
    Registration,
    Role,
    RoleGrant,
    SeatState,
    User,
    utcnow,
)
from webapp import audit, mail
from webapp.extensions import db
from webapp.pagination import Page, clamp_page
from webapp.permissions import can

from . import core, seats
from .core import RegistrationError

#: Longest reason kept with a decision (it is mailed to the participant).
MAX_REASON = 2000
#: Most registrations decided in one bulk action (one page of the queue is 50).
MAX_BULK = 500


class Rights(enum.IntEnum):
    """What an actor may do with one registration, from least to most."""

    NONE = 0  # may not even know it exists: 404
    READ = 1  # sees it (the participant themself) but decides nothing: 403
    DECIDE = 2  # focal point of its member: decides while it is pending
    OVERRIDE = 3  # organizer: decides, and overrides a decision taken


def rights(actor: User | None, registration: Registration) -> Rights:
    """The actor's rights on the registration (permission rules of webapp.permissions)."""
    event = registration.event
    if can(actor, "registration.manage", event):
        return Rights.OVERRIDE
    if registration.organization_id is not None and can(
        actor, "member.accredit", (event, registration.organization_id)
    ):
        return Rights.DECIDE
    if can(actor, "registration.read", registration):
        return Rights.READ
    return Rights.NONE


def clean_reason(reason: object) -> str:
    return reason.replace("\x00", "").strip() if isinstance(reason, str) else ""


def check_decision(
    level: Rights,
    registration: Registration,
    approve: bool,
    reason: str,
    *,
    override: bool = False,
) -> None:
    """Refuse a decision the rules do not allow (RegistrationError with its status):
    404 unknown to the actor, 403 not theirs to decide, 409 cancelled or already decided
    (without an organizer's override), 400 a rejection without a reason or too long a
    reason. Nothing is read from the database: the rules alone."""
    if level <= Rights.NONE:
        raise RegistrationError(_l("There is no such registration."), status=404)
    if level < Rights.DECIDE:
        raise RegistrationError(
            _l("Only the focal points of its member or the organizers decide on this request."),
            status=403,
        )
    if registration.cancelled_at is not None:
        raise RegistrationError(
            _l("%(name)s cancelled this registration.", name=registration.full_name), status=409
        )
    target = Approval.APPROVED if approve else Approval.REJECTED
    if registration.approval != Approval.PENDING:
        if not override:
            raise RegistrationError(
                _l(
                    "The registration of %(name)s was already %(decision)s.",
                    name=registration.full_name,
                    decision=str(core.APPROVAL_LABELS[registration.approval]).lower(),
                ),
                status=409,
            )
        if level < Rights.OVERRIDE:
            raise RegistrationError(
                _l("Only the organizers may change a decision already taken."), status=403
            )
        if registration.approval == target:
            raise RegistrationError(
                _l(
                    "The registration of %(name)s is already %(decision)s.",
                    name=registration.full_name,
                    decision=str(core.APPROVAL_LABELS[target]).lower(),
                ),
                status=409,
            )
    if not approve and not reason:
        raise RegistrationError(
            _l("Give a reason for the rejection: the participant reads it."), "reason"
        )
    if len(reason) > MAX_REASON:
        raise RegistrationError(
            _l("At most %(n)s characters, please.", n=f"{MAX_REASON:,}"), "reason"
        )


# ----------------------------------------------------------------------------- mail


def _mail(registration: Registration, template: str, **context) -> None:
    if not core.mailable(registration):
        return  # the account was deleted: nobody to tell
    mail.send(
        registration.email,
        template,
        to_name=registration.full_name,
        locale=core.mail_locale(registration),
        event_id=registration.event_id,
        tags={"registration_id": registration.id},
        registration=registration,
        event_name=registration.event.name,
        url=core.participant_url(registration.event_id),
        **core.labels(),
        **context,
    )


def _mail_offer(offered: Registration | None) -> None:
    """Tell the next person on the waiting list that a seat is theirs to claim (the
    registration form's module writes that mail)."""
    if offered is None:
        return
    from . import registering

    registering.mail_offer(offered)


# ------------------------------------------------------------------------ decisions


def decide(
    actor: User,
    registration: Registration,
    approve: bool,
    reason: str = "",
    *,
    override: bool = False,
) -> Registration:
    """Approve or reject the registration (see the module's rules). Flushes; the caller
    commits."""
    reason = clean_reason(reason)
    check_decision(rights(actor, registration), registration, approve, reason, override=override)
    _apply(actor, registration, approve, reason, override=override)
    return registration


def _apply(
    actor: User, registration: Registration, approve: bool, reason: str, *, override: bool
) -> None:
    old = registration.approval
    registration.approval = Approval.APPROVED if approve else Approval.REJECTED
    registration.decided_by_id = actor.id
    registration.decided_at = utcnow()
    registration.decision_reason = reason
    offered = None
    if approve and old == Approval.REJECTED and registration.seat == SeatState.NONE:
        # Approved again after a rejection: a seat or the end of the waiting list.
        seats.assign(registration)
    elif not approve:
        offered = seats.release(registration)
    db.session.flush()
    overridden = old != Approval.PENDING
    audit.record(
        "registration.approved" if approve else "registration.rejected",
        actor=actor,
        event_id=registration.event_id,
        obj=registration,
        summary=f"{registration.full_name[:200]}: {old.value} → {registration.approval.value}",
        old=old.value,
        new=registration.approval.value,
        reason=reason,
        override=overridden,
        seat=registration.seat.value,
    )
    _mail(
        registration,
        "registration/override" if overridden else "registration/decision",
        approved=approve,
        reason=reason,
        change="decision",
    )
    _mail_offer(offered)


def bulk_decide(
    actor: User,
    event: Event,
    registration_ids: Iterable[object],
    approve: bool,
    reason: str = "",
) -> list[Registration]:
    """Decide several pending registrations at once: all or none. Any id the actor may
    not see (another event's, another member's) is a 404, any they may not decide a 403,
    any already decided a 409 naming them — and nothing changes."""
    ids = _ids(registration_ids)
    reason = clean_reason(reason)
    found = {
        r.id: r
        for r in db.session.scalars(
            select(Registration)
            .where(Registration.id.in_(ids), Registration.event_id == event.id)
            .order_by(Registration.id)
        )
    }
    registrations = [found.get(i) for i in ids]
    if any(r is None for r in registrations):
        raise RegistrationError(_l("There is no such registration."), status=404)
    levels = [(r, rights(actor, r)) for r in registrations]
    # The worst refusal wins: unknown (404) before not yours (403) before conflicts.
    for status in (404, 403, 409):
        refused = []
        for registration, level in levels:
            try:
                check_decision(level, registration, approve, reason or "-")
            except RegistrationError as error:
                if error.status == status:
                    refused.append((registration, error))
        if refused and status in (404, 403):
            raise refused[0][1]
        if refused:
            names = ", ".join(r.full_name for r, _ in refused[:10])
            raise RegistrationError(
                _l(
                    "Nothing was changed: already decided or cancelled: %(names)s.",
                    names=names + (" …" if len(refused) > 10 else ""),
                ),
                status=409,
            )
    for registration, level in levels:
        check_decision(level, registration, approve, reason)
    for registration in registrations:
        _apply(actor, registration, approve, reason, override=False)
    return registrations


def _ids(values: Iterable[object]) -> list[int]:
    """Distinct registration ids from form values, in order; anything else is a 400."""
    ids: list[int] = []
    for value in values:
        text = str(value).strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 18:
            raise RegistrationError(_l("Unknown registration: %(id)s.", id=text[:20]), "ids")
        number = int(text)
        if number not in ids:
            ids.append(number)
    if not ids:
        raise RegistrationError(_l("Tick at least one registration."), "ids")
    if len(ids) > MAX_BULK:
        raise RegistrationError(
            _l("At most %(n)s registrations at once, please.", n=MAX_BULK), "ids"
        )
    return ids


def cancel_on_behalf(actor: User, registration: Registration, reason: str = "") -> Registration:
    """An organizer cancels a registration for the participant: the seat (or offer, or
    place on the waiting list) is released, the next person offered is mailed, the
    participant is told."""
    reason = clean_reason(reason)
    if rights(actor, registration) < Rights.OVERRIDE:
        raise RegistrationError(
            _l("Only the organizers cancel on a participant's behalf."), status=403
        )
    if registration.cancelled_at is not None:
        raise RegistrationError(_l("This registration is already cancelled."), status=409)
    if len(reason) > MAX_REASON:
        raise RegistrationError(
            _l("At most %(n)s characters, please.", n=f"{MAX_REASON:,}"), "reason"
        )
    registration.cancelled_at = utcnow()
    offered = seats.release(registration)
    _decline_invitation(actor, registration)
    db.session.flush()
    audit.record(
        "registration.cancelled",
        actor=actor,
        event_id=registration.event_id,
        obj=registration,
        summary=f"{registration.full_name[:200]}: cancelled by the organizers",
        reason=reason,
        on_behalf=True,
    )
    _mail(registration, "registration/override", approved=None, reason=reason, change="cancelled")
    _mail_offer(offered)
    return registration


def _decline_invitation(actor: User, registration: Registration) -> None:
    """A cancelled registration moves the invitee's target entry to declined, as the
    participant's own cancellation does."""
    if registration.invitation_id is None:
        return
    from invitations import targets

    invitation = db.session.get(Invitation, registration.invitation_id)
    entry = invitation.entry if invitation is not None else None
    if entry is not None and EntryStatus.DECLINED in targets.TRANSITIONS[entry.status]:
        targets.set_status(entry, EntryStatus.DECLINED, actor=actor)


# ---------------------------------------------------------------------------- queue


@dataclass
class QueueFilters:
    """The queue's filters (validated); empty ones filter nothing."""

    approval: Approval | None = None
    mode: AttendanceMode | None = None
    member: int | None = None
    #: Organizers: "mine" (waiting for the organizers) or "all".
    scope: str = "mine"


SCOPES = {"mine": _l("Waiting for the organizers"), "all": _l("Every registration")}


member_ids_of = core.focal_point_member_ids


def parse_queue_filters(
    args, *, members: Sequence[int] | None
) -> tuple[QueueFilters, dict[str, str]]:
    """Filters from the query string and {name: why refused} for ignored ones. `members`:
    the members the actor may pick (None: any, for organizers)."""
    filters, errors = QueueFilters(), {}
    value = (args.get("approval") or "").strip()
    if value and value != "all":
        try:
            filters.approval = Approval(value)
        except ValueError:
            errors["approval"] = str(_l("Unknown state."))
    value = (args.get("mode") or "").strip()
    if value:
        try:
            filters.mode = AttendanceMode(value)
        except ValueError:
            errors["mode"] = str(_l("Unknown attendance mode."))
    value = (args.get("member") or "").strip()
    if value:
        if (
            value.isascii()
            and value.isdigit()
            and len(value) < 18
            and (members is None or int(value) in members)
        ):
            filters.member = int(value)
        else:
            errors["member"] = str(_l("Not a member whose registrations you see."))
    value = (args.get("scope") or "").strip()
    if value in SCOPES:
        filters.scope = value
    elif value:
        errors["scope"] = str(_l("Unknown choice."))
    return filters, errors


def organizers_queue_condition(event: Event):
    """Registrations that wait for the organizers: no member, a non-member organization,
    or a member without a focal point for the event."""
    with_focal_points = select(RoleGrant.organization_id).where(
        RoleGrant.event_id == event.id,
        RoleGrant.role == Role.FOCAL_POINT,
        RoleGrant.organization_id.is_not(None),
    )
    members = select(Organization.id).where(Organization.membership.in_(core.MEMBER_KINDS))
    return or_(
        Registration.organization_id.is_(None),
        Registration.organization_id.not_in(members),
        Registration.organization_id.not_in(with_focal_points),
    )


def queue_scope(actor: User, event: Event, filters: QueueFilters) -> list:
    """WHERE clauses of the registrations the actor's queue holds (without the approval
    and mode filters)."""
    where = [Registration.event_id == event.id, Registration.cancelled_at.is_(None)]
    if can(actor, "registration.manage", event):
        if filters.member is not None:
            where.append(Registration.organization_id == filters.member)
        elif filters.scope == "mine":
            where.append(organizers_queue_condition(event))
        return where
    mine = member_ids_of(actor, event)
    if filters.member is not None and filters.member in mine:
        where.append(Registration.organization_id == filters.member)
    elif mine:
        where.append(Registration.organization_id.in_(mine))
    else:
        where.append(false())
    return where


def _queue_order() -> list:
    pending_first = case((Registration.approval == Approval.PENDING, 0), else_=1)
    return [pending_first, Registration.created_at, Registration.id]


def queue_query(actor: User, event: Event, filters: QueueFilters) -> Select:
    """The queue: pending first, then oldest first."""
    where = queue_scope(actor, event, filters)
    if filters.approval is not None:
        where.append(Registration.approval == filters.approval)
    if filters.mode is not None:
        where.append(Registration.mode == filters.mode)
    return select(Registration).where(*where).order_by(*_queue_order())


def queue_counts(actor: User, event: Event, filters: QueueFilters) -> dict[Approval, int]:
    """How many registrations of the queue's scope (and mode filter) are in each
    approval state (one GROUP BY query)."""
    counts = dict.fromkeys(Approval, 0)
    where = queue_scope(actor, event, filters)
    if filters.mode is not None:
        where.append(Registration.mode == filters.mode)
    rows = db.session.execute(
        select(Registration.approval, func.count()).where(*where).group_by(Registration.approval)
    )
    for approval, n in rows:
        counts[approval] = n
    return counts


def queue_page(
    actor: User, event: Event, filters: QueueFilters, number: int, per_page: int
) -> tuple[Page, dict[Approval, int]]:
    """One page of the queue and its counts per approval: three queries whatever its
    size (the counts give the total; the page sorts ids, then loads those rows)."""
    from .lists import load_page

    counts = queue_counts(actor, event, filters)
    total = counts[filters.approval] if filters.approval is not None else sum(counts.values())
    number = clamp_page(number, total, per_page)
    ids = (
        queue_query(actor, event, filters)
        .with_only_columns(Registration.id)
        .limit(per_page)
        .offset((number - 1) * per_page)
    )
    return Page(load_page(ids), total, number, per_page), counts


def member_choices(actor: User, event: Event) -> list[tuple[int, str]]:
    """Members to filter by: the actor's own (focal points), or every member with a
    registration for the event (organizers). One query."""
    if can(actor, "registration.manage", event):
        ids = select(Registration.organization_id).where(
            Registration.event_id == event.id, Registration.organization_id.is_not(None)
        )
    else:
        ids = member_ids_of(actor, event)
        if not ids:
            return []
    rows = db.session.execute(
        select(Organization.id, Organization.name)
        .where(Organization.id.in_(ids))
        .order_by(Organization.name, Organization.id)
    )
    return [(i, name) for i, name in rows]
