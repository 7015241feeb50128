"""Registering for an event: the participant's own request, a delegate registered by
their focal point, edits before the closing deadline, cancellation, and the waiting
list's offers (mail, claim, lapse).

Who decides (approval rules):

- an invitation whose wave waives approval → approved at once (`approval_waived`);
- a person representing a member (their organization is a Member State or a Sector
  Member) → pending for that member's focal points, or for the organizers when the member
  has no focal point for the event; the focal point's own registration → approved at
  once (`approval_waived`);
- a delegate registered by a focal point of their member (or an organizer) → approved;
- anyone else (observer, media, guest, academia, IO ...) → pending for the organizers.

Whatever the approval, the seat is taken (or the waiting list joined) at registration,
through `seats.assign`; cancellation, rejection and a change of mode release it through
`seats.release`, and the next person waiting is offered it by mail (`mail_offer`).

"Representing a member" needs the directory: the member is the organization of the
directory person linked to the account (or of the invited person), or the member the
account is focal point of. A participant without such a link types their organization's
name and is decided on by the organizers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from invitations import targets
from models import (
    Approval,
    AttendanceMode,
    Country,
    EntryStatus,
    Event,
    Invitation,
    MembershipCategory,
    Organization,
    Person,
    Registration,
    RegistrationCategory,
    Role,
    RoleGrant,
    RsvpAnswer,
    SeatState,
    TargetEntry,
    User,
    Wave,
    utcnow,
)
from webapp import audit, mail
from webapp.extensions import db
from webapp.jobs import periodic
from webapp.permissions import can, is_focal_point

from . import core, seats
from .core import RegistrationError

#: Longest value of each text field (the column sizes; accessibility needs are capped too).
TEXT_LIMITS = {
    "first_name": 120,
    "last_name": 120,
    "organization_name": 300,
    "function": 200,
    "delegation": 200,
    "passport_number": 40,
    "accessibility_needs": 2000,
    "dietary_needs": 500,
}
FLAG_FIELDS = ("head_of_delegation", "visa_support", "listed_publicly")
#: Every field a participant gives (the email comes from the account).
FIELDS = frozenset(
    {"category", "mode", "country_iso2", "nationality_iso2", "date_of_birth"}
    | set(TEXT_LIMITS)
    | set(FLAG_FIELDS)
)
#: Only asked for, and kept, with a visa support request.
VISA_FIELDS = ("passport_number", "nationality_iso2", "date_of_birth")
PASSPORT = re.compile(r"[A-Z0-9][A-Z0-9 -]{2,38}[A-Z0-9]")
OLDEST_BIRTH_YEAR = 1900
#: Categories that need the member behind them, and the member kind each one needs.
MEMBER_CATEGORIES = {
    RegistrationCategory.MEMBER_STATE: MembershipCategory.MEMBER_STATE,
    RegistrationCategory.SECTOR_MEMBER: MembershipCategory.SECTOR_MEMBER,
}
#: A guess of the category from the organization's membership, for the form.
CATEGORY_OF_MEMBERSHIP = {
    MembershipCategory.MEMBER_STATE: RegistrationCategory.MEMBER_STATE,
    MembershipCategory.SECTOR_MEMBER: RegistrationCategory.SECTOR_MEMBER,
    MembershipCategory.ASSOCIATE: RegistrationCategory.ASSOCIATE,
    MembershipCategory.ACADEMIA: RegistrationCategory.ACADEMIA,
}
#: Changing these on an approved registration asks for approval again (someone else's
#: name on an approved badge is exactly what accreditation prevents).
IDENTITY_FIELDS = ("first_name", "last_name", "category")
DELETED_EMAIL_DOMAIN = core.DELETED_EMAIL_DOMAIN


class RegistrationInvalid(RegistrationError):
    """Some values are wrong: `errors` maps each field to its message (400)."""

    def __init__(self, errors: dict[str, Any]):
        field, message = next(iter(errors.items()))
        super().__init__(message, field)
        self.errors = errors


# --- who registers: the directory and the invitation behind an account -----------------


@dataclass
class Context:
    """What the directory and the invitations know about the person registering."""

    person: Person | None
    organization: Organization | None
    invitation: Invitation | None

    @property
    def waives_approval(self) -> bool:
        return self.invitation is not None and bool(self.invitation.wave.waives_approval)


def linked_person(user: User) -> Person | None:
    """The directory person linked to the account."""
    return db.session.scalar(select(Person).where(Person.user_id == user.id))


def accepted_invitation(event: Event, email: str, user: User | None = None) -> Invitation | None:
    """The latest accepted invitation to this event for this address, or of the directory
    person linked to the account."""
    match = func.lower(Invitation.email) == (email or "").lower()
    if user is not None:
        match = or_(match, Person.user_id == user.id)
    return db.session.scalar(
        select(Invitation)
        .join(Wave, Wave.id == Invitation.wave_id)
        .join(TargetEntry, TargetEntry.id == Invitation.entry_id)
        .join(Person, Person.id == TargetEntry.person_id)
        .where(Wave.event_id == event.id, Invitation.answer == RsvpAnswer.ACCEPTED, match)
        .order_by(Invitation.answered_at.desc(), Invitation.id.desc())
        .limit(1)
    )


def _focal_point_member(user: User, event: Event) -> Organization | None:
    """The member the account is focal point of for this event (the first, if several)."""
    ids = core.focal_point_member_ids(user, event)
    return db.session.get(Organization, ids[0]) if ids else None


def context_for(user: User, event: Event) -> Context:
    """The person, organization and accepted invitation behind `user` for `event`."""
    invitation = accepted_invitation(event, user.email, user)
    person = invitation.entry.person if invitation is not None else linked_person(user)
    organization = person.organization if person is not None else None
    if organization is None:
        organization = _focal_point_member(user, event)
    return Context(person=person, organization=organization, invitation=invitation)


def _split(name: str) -> tuple[str, str]:
    parts = (name or "").strip().rsplit(" ", 1)
    return (parts[0], parts[1]) if len(parts) == 2 else ("", parts[0])


def prefill(user: User, context: Context) -> dict[str, Any]:
    """Form values from the account, the directory and the invitation."""
    person, organization = context.person, context.organization
    if person is not None:
        first, last = person.first_name, person.last_name
    else:
        first, last = _split(user.name)
    category = None
    if organization is not None:
        category = CATEGORY_OF_MEMBERSHIP.get(organization.membership)
    if category is None and context.invitation is not None:
        category = RegistrationCategory.INVITED_GUEST
    country = (person.country_iso2 if person else None) or (
        organization.country_iso2 if organization else None
    )
    return {
        "first_name": first[: TEXT_LIMITS["first_name"]],
        "last_name": last[: TEXT_LIMITS["last_name"]],
        "organization_name": organization.name if organization else "",
        "country_iso2": country or "",
        "function": (person.function if person else "") or "",
        "delegation": (
            organization.country.name_en
            if organization is not None
            and organization.membership == MembershipCategory.MEMBER_STATE
            and organization.country is not None
            else ""
        ),
        "category": category.value if category else "",
        "mode": AttendanceMode.IN_PERSON.value,
    }


def registration_for(user: User, event: Event) -> Registration | None:
    """The user's registration for the event. A delegate registered by their focal point
    before they had an account is theirs once they log in with that (verified) address."""
    found = db.session.scalar(
        select(Registration).where(
            Registration.event_id == event.id, Registration.user_id == user.id
        )
    )
    if found is not None or user.email_verified_at is None:
        return found
    waiting_id = db.session.scalar(
        select(Registration.id)
        .where(
            Registration.event_id == event.id,
            Registration.user_id.is_(None),
            Registration.cancelled_at.is_(None),
            func.lower(Registration.email) == user.email.lower(),
        )
        .order_by(Registration.id)
        .limit(1)
    )
    if waiting_id is None:
        return None
    try:
        with db.session.begin_nested():
            db.session.execute(
                update(Registration)
                .where(Registration.id == waiting_id, Registration.user_id.is_(None))
                .values(user_id=user.id)
                .execution_options(synchronize_session=False)
            )
    except IntegrityError:
        return None
    found = db.session.get(Registration, waiting_id)
    db.session.refresh(found)
    if found.user_id != user.id:
        return None
    audit.record(
        "registration.linked",
        actor=user,
        event_id=event.id,
        obj=found,
        summary=f"registration {found.id} linked to its participant's account",
    )
    return found


# --- reading values -------------------------------------------------------------------


def _text(value: Any, field: str, errors: dict) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[field] = _l("Enter text.")
        return ""
    value = value.replace("\x00", "").strip()
    limit = TEXT_LIMITS[field]
    if len(value) > limit:
        errors[field] = _l("At most %(n)s characters, please.", n=f"{limit:,}")
    return value


def _flag(value: Any, field: str, errors: dict) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("", "n", "no", "off", "false", "0"):
        return False
    if isinstance(value, str) and value.strip().lower() in ("y", "yes", "on", "true", "1"):
        return True
    errors[field] = _l("Answer yes or no.")
    return False


def _choice(value: Any, enum_cls, field: str, errors: dict):
    if value in (None, ""):
        errors[field] = _l("Choose one of the options.")
        return None
    try:
        return enum_cls(value)
    except (ValueError, TypeError):
        errors[field] = _l("Choose one of the options in the list.")
        return None


def _country(value: Any, field: str, errors: dict, required: bool) -> str | None:
    if value in (None, ""):
        if required:
            errors[field] = _l("Choose a country.")
        return None
    if not isinstance(value, str) or len(value) > 3:
        errors[field] = _l("Choose a country from the list.")
        return None
    code = value.strip().upper()
    if db.session.get(Country, code) is None:
        errors[field] = _l("Choose a country from the list.")
        return None
    return code


def _birth_date(value: Any, errors: dict, today: date) -> str | None:
    if value in (None, ""):
        errors["date_of_birth"] = _l("Give your date of birth for the visa letter.")
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            errors["date_of_birth"] = _l("Enter a date as YYYY-MM-DD.")
            return None
    if isinstance(value, datetime) or not isinstance(value, date):
        errors["date_of_birth"] = _l("Enter a date as YYYY-MM-DD.")
        return None
    if not date(OLDEST_BIRTH_YEAR, 1, 1) <= value < today:
        errors["date_of_birth"] = _l("Enter your real date of birth.")
        return None
    return value.isoformat()


def clean(
    values: dict[str, Any], organization: Organization | None, today: date | None = None
) -> dict[str, Any]:
    """The stored values of a registration from what was given, or RegistrationInvalid
    naming every wrong field. Unknown names are a programming error (TypeError)."""
    unknown = set(values) - FIELDS
    if unknown:
        raise TypeError(f"unknown registration fields: {', '.join(sorted(unknown))}")
    today = today or date.today()
    errors: dict[str, Any] = {}
    out: dict[str, Any] = {name: _text(values.get(name), name, errors) for name in TEXT_LIMITS}
    for name in FLAG_FIELDS:
        out[name] = _flag(values.get(name), name, errors)
    out["category"] = _choice(values.get("category"), RegistrationCategory, "category", errors)
    out["mode"] = _choice(values.get("mode"), AttendanceMode, "mode", errors)
    out["country_iso2"] = _country(values.get("country_iso2"), "country_iso2", errors, True)
    if not out["last_name"] and "last_name" not in errors:
        errors["last_name"] = _l("Give your family name.")
    if organization is not None:
        # The directory's organization is used as it is there.
        out["organization_name"] = organization.name[: TEXT_LIMITS["organization_name"]]
        errors.pop("organization_name", None)
    elif not out["organization_name"] and "organization_name" not in errors:
        errors["organization_name"] = _l(
            "Give the name of your organization (or “none” if you come in a personal capacity)."
        )
    needed = MEMBER_CATEGORIES.get(out["category"])
    if needed is not None and (organization is None or organization.membership != needed):
        errors["category"] = (
            _l(
                "Member State delegates are accredited by their administration: this account "
                "is not linked to a Member State in the directory. Ask your focal point to "
                "register you, or the secretariat to link your account, or choose another "
                "category."
            )
            if needed == MembershipCategory.MEMBER_STATE
            else _l(
                "Sector Member representatives are accredited by their Sector Member: this "
                "account is not linked to one in the directory. Ask your focal point to "
                "register you, or the secretariat to link your account, or choose another "
                "category."
            )
        )
    if out["visa_support"]:
        passport = out["passport_number"].upper()
        if "passport_number" not in errors:
            if not passport:
                errors["passport_number"] = _l("Give your passport number for the visa letter.")
            elif not PASSPORT.fullmatch(passport):
                errors["passport_number"] = _l(
                    "Enter the passport number as printed: letters and digits only."
                )
        out["passport_number"] = passport
        out["nationality_iso2"] = _country(
            values.get("nationality_iso2"), "nationality_iso2", errors, True
        )
        out["date_of_birth"] = _birth_date(values.get("date_of_birth"), errors, today)
    else:
        # Passport details are only kept for a visa letter.
        errors.pop("passport_number", None)
        out["passport_number"] = ""
        out["nationality_iso2"] = None
        out["date_of_birth"] = None
    if errors:
        raise RegistrationInvalid({k: str(v) for k, v in errors.items()})
    return out


# --- mail -----------------------------------------------------------------------------


def _base() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def page_url(event: Event) -> str:
    """The participant's page (absolute: mail is also sent by jobs, without a request)."""
    return core.participant_url(event.id)


def event_time(event: Event, moment: datetime | None) -> str:
    """A moment as the event's local date and time, with the zone's name."""
    if moment is None:
        return ""
    try:
        zone = ZoneInfo(event.timezone)
    except (ValueError, KeyError):
        zone = UTC
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} ({zone.key})"


def _mail_participant(registration: Registration, template: str, **context: Any) -> None:
    if not core.mailable(registration):
        return
    event = registration.event
    mail.send(
        registration.email,
        f"registration/{template}",
        to_name=registration.full_name,
        locale=core.mail_locale(registration),
        event_id=event.id,
        tags={"registration_id": registration.id},
        event_name=event.name,
        acronym=event.acronym,
        registration=registration,
        # Lazy: translated when the mail is rendered, in the recipient's language.
        category=core.CATEGORY_LABELS[registration.category],
        mode=core.MODE_LABELS[registration.mode],
        position=waiting_position(registration),
        url=page_url(event),
        **context,
    )


def focal_points_decide(registration: Registration) -> bool:
    """Whether the member's focal points decide (else the organizers do)."""
    return core.is_member(registration.organization) and bool(
        core.focal_point_user_ids(registration.event, registration.organization_id)
    )


def to_notify(registration: Registration) -> list[User]:
    """Who is mailed about a new request: the member's focal points; the organizers when
    the member has none for the event (they stand in). Requests of non-members are not
    mailed: they are many, and wait in the organizers' accreditation queue."""
    event = registration.event
    if not core.is_member(registration.organization):
        return []
    ids = core.focal_point_user_ids(event, registration.organization_id)
    if not ids:
        ids = list(
            db.session.scalars(
                select(RoleGrant.user_id)
                .where(RoleGrant.event_id == event.id, RoleGrant.role == Role.ORGANIZER)
                .order_by(RoleGrant.user_id)
            )
        )
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(User).where(User.id.in_(ids), User.is_active.is_(True)).order_by(User.id)
        )
    )


def _mail_deciders(registration: Registration) -> None:
    event = registration.event
    url = f"{_base()}/events/{event.id}/accreditation"
    if registration.organization_id is not None:
        url += f"?member={registration.organization_id}"
    for user in to_notify(registration):
        mail.send(
            user.email,
            "registration/new_request",
            to_name=user.name,
            locale=user.locale or "en",
            event_id=event.id,
            tags={"registration_id": registration.id},
            event_name=event.name,
            acronym=event.acronym,
            registration=registration,
            category=core.CATEGORY_LABELS[registration.category],
            mode=core.MODE_LABELS[registration.mode],
            url=url,
        )


def _mail_outcome(registration: Registration) -> None:
    """Tell the participant what happened to their request."""
    if registration.approval == Approval.APPROVED:
        template = "approved_now" if registration.seat == SeatState.HELD else "waitlisted"
    else:
        template = "received"
    _mail_participant(registration, template, focal_points=focal_points_decide(registration))


def mail_offer(registration: Registration | None) -> None:
    """Tell the person a seat is kept for them, with the claim link and the deadline.
    R2's rejection and every release call this with what `seats.release` returned."""
    if registration is None or registration.seat != SeatState.OFFERED:
        return
    _mail_participant(
        registration,
        "offer",
        expires=event_time(registration.event, registration.offer_expires_at),
        hours=registration.event.registration_offer_hours,
    )
    audit.record(
        "registration.seat_offered",
        actor=None,
        event_id=registration.event_id,
        obj=registration,
        summary=f"{registration.full_name}: seat offered until "
        f"{event_time(registration.event, registration.offer_expires_at)}",
    )


# --- the waiting list -----------------------------------------------------------------


def waiting_position(registration: Registration) -> int | None:
    """1 for the head of the waiting list of the registration's mode; None if not waiting."""
    if registration.seat != SeatState.WAITING or registration.waiting_since is None:
        return None
    ahead = db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == registration.event_id,
            Registration.mode == registration.mode,
            Registration.seat == SeatState.WAITING,
            or_(
                Registration.waiting_since < registration.waiting_since,
                and_(
                    Registration.waiting_since == registration.waiting_since,
                    Registration.id < registration.id,
                ),
            ),
        )
    )
    return (ahead or 0) + 1


def _release(registration: Registration, now: datetime | None = None) -> Registration | None:
    """Give up the seat; the next person waiting is offered it and told."""
    offered = seats.release(registration, now)
    mail_offer(offered)
    return offered


@periodic("registration.offers")
def sweep_offers(now: datetime | None = None) -> dict[str, int]:
    """Offers past their time lapse and pass on to the next person, each told by mail.
    An offer lapses once (a conditional UPDATE), so running the sweep twice — even at
    the same time — mails nothing twice."""
    pairs = seats.lapse_offers(now)
    offered = 0
    for lapsed, following in pairs:
        _mail_participant(lapsed, "offer_lapsed")
        audit.record(
            "registration.offer_lapsed",
            actor=None,
            event_id=lapsed.event_id,
            obj=lapsed,
            summary=f"{lapsed.full_name}: offered seat not claimed in time",
        )
        if following is not None:
            mail_offer(following)
            offered += 1
    db.session.commit()
    return {"lapsed": len(pairs), "offered": offered}


# --- approval at registration ------------------------------------------------------------


def _approve(
    registration: Registration,
    *,
    by: User | None,
    waived: bool,
    reason: str,
    now: datetime,
) -> None:
    registration.approval = Approval.APPROVED
    registration.approval_waived = waived
    registration.decided_by_id = by.id if by is not None else None
    registration.decided_at = now
    registration.decision_reason = reason


def _set_approval(
    registration: Registration,
    user: User | None,
    registered_by: User | None,
    invitation: Invitation | None,
    now: datetime,
) -> None:
    """Apply the approval rules (see the module's docstring)."""
    event = registration.event
    organization = registration.organization
    member = core.is_member(organization)
    registration.approval = Approval.PENDING
    registration.approval_waived = False
    registration.decided_by_id = None
    registration.decided_at = None
    registration.decision_reason = ""
    if invitation is not None and invitation.wave.waives_approval:
        _approve(registration, by=None, waived=True, reason=core.REASON_WAIVED, now=now)
    elif member and user is not None and is_focal_point(user, event, organization.id):
        _approve(registration, by=user, waived=True, reason=core.REASON_FOCAL_POINT, now=now)
    elif (
        member
        and registered_by is not None
        and can(registered_by, "member.accredit", (event, organization.id))
    ):
        _approve(
            registration,
            by=registered_by,
            waived=False,
            reason=core.REASON_REGISTERED_BY_FOCAL_POINT,
            now=now,
        )


def _move_entry(invitation: Invitation | None, status: EntryStatus, actor: User | None) -> None:
    """Registration moves the invitee's target entry (registered; declined on cancelling)."""
    if invitation is None:
        return
    entry = invitation.entry
    if entry.status == status:
        return
    if status == EntryStatus.REGISTERED and entry.status == EntryStatus.DECLINED:
        targets.set_status(entry, EntryStatus.ACCEPTED, actor=actor)
    if status in targets.TRANSITIONS[entry.status]:
        targets.set_status(entry, status, actor=actor)


# --- registering ----------------------------------------------------------------------


def _existing_error(registration: Registration) -> RegistrationError:
    error = RegistrationError(
        _l("You are already registered for this event."), field=None, status=409
    )
    error.registration = registration
    return error


def _existing(event: Event, user: User) -> Registration | None:
    """The user's registration for the event, locked for the rest of the transaction."""
    return db.session.scalar(
        select(Registration)
        .where(Registration.event_id == event.id, Registration.user_id == user.id)
        .with_for_update()
    )


def _store(
    event: Event,
    values: dict[str, Any],
    *,
    user: User | None,
    email: str,
    context: Context,
    registered_by: User | None,
    now: datetime,
) -> Registration:
    """Insert the registration (or re-open the user's cancelled one), race-safe: the
    unique (event, user) constraint turns a concurrent second request into a 409."""
    existing = _existing(event, user) if user is not None else None
    if existing is not None and existing.cancelled_at is None:
        raise _existing_error(existing)
    registration = existing or Registration(event=event, user_id=user.id if user else None)
    for name, value in values.items():
        setattr(registration, name, value)
    registration.event = event
    registration.email = email
    registration.person_id = context.person.id if context.person is not None else None
    registration.organization = context.organization
    registration.organization_id = context.organization.id if context.organization else None
    registration.invitation_id = context.invitation.id if context.invitation else None
    registration.registered_by_id = registered_by.id if registered_by is not None else None
    registration.cancelled_at = None
    # The seat is left to seats.assign (a cancelled registration's was released).
    registration.checked_in_at = None
    registration.checked_in_by_id = None
    registration.badge_nonce = None
    registration.created_at = registration.created_at or now
    try:
        with db.session.begin_nested():
            db.session.add(registration)
            db.session.flush()
    except IntegrityError:
        found = (
            db.session.scalar(
                select(Registration).where(
                    Registration.event_id == event.id, Registration.user_id == user.id
                )
            )
            if user is not None
            else None
        )
        error = RegistrationError(
            _l("You are already registered for this event."), field=None, status=409
        )
        error.registration = found
        raise error from None
    return registration


def _finish(
    registration: Registration,
    *,
    actor: User | None,
    user: User | None,
    registered_by: User | None,
    invitation: Invitation | None,
    now: datetime,
    action: str,
) -> Registration:
    _set_approval(registration, user, registered_by, invitation, now)
    seats.assign(registration, now)
    _move_entry(invitation, EntryStatus.REGISTERED, actor)
    audit.record(
        action,
        actor=actor,
        event_id=registration.event_id,
        obj=registration,
        summary=f"{registration.full_name}: {registration.category.value}, "
        f"{registration.mode.value}, {registration.approval.value}, {registration.seat.value}",
        approval=registration.approval.value,
        seat=registration.seat.value,
        waived=registration.approval_waived,
    )
    _mail_outcome(registration)
    if registration.approval == Approval.PENDING:
        _mail_deciders(registration)
    return registration


def register(
    actor: User,
    event: Event,
    *,
    today: date | None = None,
    now: datetime | None = None,
    **fields: Any,
) -> Registration:
    """The actor registers themself: values checked, approval per the rules, a seat taken
    or the waiting list joined, the invitation moved, audited, and mailed to them (and to
    whoever decides). RegistrationError: 403 outside the window, 409 when already
    registered, RegistrationInvalid (400) for wrong values."""
    now = now or utcnow()
    core.check_open(event, today)
    context = context_for(actor, event)
    values = clean(fields, context.organization, today)
    registration = _store(
        event,
        values,
        user=actor,
        email=actor.email,
        context=context,
        registered_by=None,
        now=now,
    )
    return _finish(
        registration,
        actor=actor,
        user=actor,
        registered_by=None,
        invitation=context.invitation,
        now=now,
        action="registration.created",
    )


def register_delegate(
    actor: User,
    event: Event,
    organization: Organization | int,
    *,
    email: str,
    today: date | None = None,
    now: datetime | None = None,
    **fields: Any,
) -> Registration:
    """A focal point (or an organizer) registers a delegate of their member: approved at
    once. The delegate's account, if the address has one, owns the registration; else it
    waits for an account with that address (see `registration_for`). The directory
    person with that address is linked. Organizers may register after the window."""
    now = now or utcnow()
    if isinstance(organization, int):
        organization = db.session.get(Organization, organization)
        if organization is None:
            raise RegistrationError(_l("Choose the member."), field="organization", status=404)
    if not can(actor, "member.accredit", (event, organization.id)):
        raise RegistrationError(
            _l(
                "Only the focal points of %(member)s register its delegates.",
                member=organization.name,
            ),
            status=403,
        )
    if not core.is_member(organization):
        raise RegistrationError(
            _l("Delegates are registered for Member States and Sector Members only."),
            field="organization",
        )
    if not can(actor, "registration.manage", event):
        core.check_open(event, today)
    address = (email or "").strip().lower() if isinstance(email, str) else ""
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address) or len(address) > 254:
        raise RegistrationInvalid({"email": str(_l("Enter the delegate's email address."))})
    fields.setdefault(
        "category",
        RegistrationCategory.MEMBER_STATE
        if organization.membership == MembershipCategory.MEMBER_STATE
        else RegistrationCategory.SECTOR_MEMBER,
    )
    if not fields.get("country_iso2") and organization.country_iso2:
        fields["country_iso2"] = organization.country_iso2
    # Appearing on the public list is the delegate's own consent, given on their page.
    fields["listed_publicly"] = False
    values = clean(fields, organization, today)
    user = db.session.scalar(select(User).where(User.email == address))
    taken = db.session.scalar(
        select(Registration.id)
        .where(
            Registration.event_id == event.id,
            Registration.cancelled_at.is_(None),
            func.lower(Registration.email) == address,
        )
        .limit(1)
    )
    if taken is not None:
        error = RegistrationError(
            _l("%(email)s is already registered for this event.", email=address),
            field="email",
            status=409,
        )
        error.registration = db.session.get(Registration, taken)
        raise error
    person = db.session.scalar(select(Person).where(Person.email == address))
    invitation = accepted_invitation(event, address, user)
    context = Context(person=person, organization=organization, invitation=invitation)
    registration = _store(
        event, values, user=user, email=address, context=context, registered_by=actor, now=now
    )
    return _finish(
        registration,
        actor=actor,
        user=user,
        registered_by=actor,
        invitation=invitation,
        now=now,
        action="registration.delegate_registered",
    )


# --- the participant's changes -----------------------------------------------------------


def _require_own(actor: User, registration: Registration) -> None:
    if not can(actor, "registration.own", registration):
        raise RegistrationError(_l("This is not your registration."), status=403)


def _require_active(registration: Registration) -> None:
    if registration.cancelled_at is not None:
        raise RegistrationError(_l("This registration was cancelled."), status=409)
    if registration.approval == Approval.REJECTED:
        raise RegistrationError(_l("This registration was rejected."), status=409)


def edit(
    actor: User,
    registration: Registration,
    *,
    today: date | None = None,
    now: datetime | None = None,
    **fields: Any,
) -> list[str]:
    """Change one's registration until the closing deadline; returns the changed fields.
    A new mode gives up the seat of the old mode (offered to the next person waiting) and
    takes one in the new mode, or joins its waiting list at the end. A new name or
    category on an approved registration asks for approval again (except the member's
    focal point's own)."""
    now = now or utcnow()
    _require_own(actor, registration)
    _require_active(registration)
    event = registration.event
    core.check_open(event, today)
    organization = registration.organization
    values = clean(fields, organization, today)
    changed = [name for name, value in values.items() if getattr(registration, name) != value]
    if not changed:
        return []
    old_mode = registration.mode
    identity = [name for name in IDENTITY_FIELDS if name in changed]
    for name in changed:
        if name != "mode":
            setattr(registration, name, values[name])
    if "first_name" in changed or "last_name" in changed:
        registration.badge_nonce = None  # printed badges carry the old name
    if "mode" in changed:
        _release(registration, now)
        registration.mode = values["mode"]
        seats.assign(registration, now)
    again = False
    if identity and registration.approval == Approval.APPROVED:
        own_focal_point = core.is_member(organization) and is_focal_point(
            actor, event, organization.id
        )
        if not own_focal_point:
            registration.approval = Approval.PENDING
            registration.approval_waived = False
            registration.decided_by_id = None
            registration.decided_at = None
            registration.decision_reason = ""
            again = True
    db.session.flush()
    audit.record(
        "registration.edited",
        actor=actor,
        event_id=event.id,
        obj=registration,
        summary=f"{registration.full_name}: {', '.join(changed)}",
        fields=changed,
        old_mode=old_mode.value,
        mode=registration.mode.value,
        approval_again=again,
    )
    if again:
        _mail_deciders(registration)
    return changed


def withdraw(
    registration: Registration,
    *,
    actor: User | None,
    now: datetime,
    account_deleted: bool = False,
) -> None:
    """Cancel without asking who may: the seat goes to the next person waiting (mailed),
    the invitation's entry becomes declined, the participant is told (unless their
    account is being deleted: then the audit entry does not name them either)."""
    registration.cancelled_at = now
    _release(registration, now)
    invitation = (
        db.session.get(Invitation, registration.invitation_id)
        if registration.invitation_id
        else None
    )
    _move_entry(invitation, EntryStatus.DECLINED, actor)
    audit.record(
        "registration.cancelled",
        actor=actor,
        event_id=registration.event_id,
        obj=registration,
        summary=(
            f"registration {registration.id}: cancelled, account deleted"
            if account_deleted
            else f"{registration.full_name}: cancelled"
        ),
    )
    if not account_deleted:
        _mail_participant(registration, "cancelled")


def cancel(actor: User | None, registration: Registration, now: datetime | None = None) -> None:
    """The participant cancels: their seat goes to the next person waiting (mailed), they
    are mailed, the invitation's entry becomes declined. 409 when already cancelled."""
    now = now or utcnow()
    if actor is not None:
        _require_own(actor, registration)
    if registration.cancelled_at is not None:
        raise RegistrationError(_l("This registration is already cancelled."), status=409)
    withdraw(registration, actor=actor, now=now)


def claim(actor: User, registration: Registration, now: datetime | None = None) -> None:
    """Take the seat offered to the participant, before the offer lapses."""
    now = now or utcnow()
    _require_own(actor, registration)
    _require_active(registration)
    if registration.seat != SeatState.OFFERED:
        raise RegistrationError(_l("No seat is offered to you at the moment."), status=409)
    if not seats.claim(registration, now):
        if registration.seat != SeatState.OFFERED:  # lapsed (and passed on) meanwhile
            raise RegistrationError(_l("No seat is offered to you at the moment."), status=409)
        raise RegistrationError(
            _l(
                "The seat offered to you lapsed on %(when)s.",
                when=event_time(registration.event, registration.offer_expires_at),
            ),
            status=409,
        )
    audit.record(
        "registration.offer_claimed",
        actor=actor,
        event_id=registration.event_id,
        obj=registration,
        summary=f"{registration.full_name}: took the offered seat",
    )


def rejoin(actor: User, registration: Registration, now: datetime | None = None) -> SeatState:
    """After a lapsed offer, take a free seat or join the end of the waiting list again."""
    now = now or utcnow()
    _require_own(actor, registration)
    _require_active(registration)
    if registration.seat != SeatState.NONE:
        raise RegistrationError(
            _l("You already hold a seat or a place on the waiting list."), status=409
        )
    core.check_open(registration.event)
    state = seats.assign(registration, now)
    audit.record(
        "registration.rejoined",
        actor=actor,
        event_id=registration.event_id,
        obj=registration,
        summary=f"{registration.full_name}: {state.value}",
    )
    return state
