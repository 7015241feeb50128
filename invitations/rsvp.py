"""RSVP: the invitee opens the link in their letter (no account needed) and accepts,
declines or names a delegate.

The link is single-use for answering and stops working at the RSVP deadline. Every answer
records when it was given, moves the target entry along the pipeline, writes the audit log
and mails a confirmation in the invitee's language.

Delegation (a choice worth stating): the invitation's answer becomes DELEGATED and the
delegating person's entry moves to DECLINED, with an audit note naming the delegate — they
will not come themselves, so the dashboard must not count them as awaited. The delegate is
found or added in the directory by email, put on the event's target list in the same
constituent group, and receives an invitation of their own in the same wave.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from models import (
    EntryStatus,
    Event,
    Invitation,
    OutboxMessage,
    Person,
    Role,
    RoleGrant,
    RsvpAnswer,
    TargetEntry,
    User,
    Wave,
    utcnow,
)
from webapp import audit, mail
from webapp.auth.services import AuthError, check_password_rules, normalize_email
from webapp.config import LANGUAGES
from webapp.directory import services as directory
from webapp.extensions import db
from webapp.security import hash_password, hash_token

from . import targets
from .letters import choose_language, link_expiry

#: Longest decline reason kept (characters).
MAX_REASON = 2000
#: Longest token we bother hashing; real ones are 43 characters.
MAX_TOKEN = 200
_TOKEN_CHARS = re.compile(r"^[A-Za-z0-9_-]+$")
#: Field lengths of a named delegate (the directory's columns).
MAX_NAME = 240


class RsvpError(Exception):
    """An RSVP could not be taken. `kind` is "invalid", "expired" or "used" for a link that
    cannot be used, "input" for a value to correct (then `field` names it), "account_exists"
    when the invitee already has an account."""

    def __init__(
        self,
        message,
        *,
        kind: str = "input",
        field: str | None = None,
        invitation: Invitation | None = None,
    ):
        super().__init__(str(message))
        self.message = message
        self.kind = kind
        self.field = field
        self.invitation = invitation


@dataclass
class Contact:
    """Someone the invitee can write to about their invitation."""

    name: str
    email: str


# --- finding the invitation ---------------------------------------------------------------


def rsvp_day(wave: Wave, event: Event | None = None) -> date:
    """The last day to answer (the date the letter gives)."""
    return (event or wave.event).opening_date + timedelta(days=wave.rsvp_by_days)


def rsvp_deadline(wave: Wave) -> datetime:
    """When the wave's links stop working: the end of the RSVP day anywhere on earth."""
    return link_expiry(wave)


def is_expired(invitation: Invitation, now: datetime | None = None) -> bool:
    """Past the wave's RSVP deadline as it stands now: a deadline moved later (or a moved
    opening) keeps links alive that were sent with the earlier date."""
    return (now or utcnow()) > rsvp_deadline(invitation.wave)


def find_invitation(raw_token: object, *, answered_ok: bool = False) -> Invitation:
    """The invitation a link token opens, or RsvpError: invalid (unknown, forged, malformed),
    used (already answered; unless `answered_ok`) or expired."""
    if (
        not isinstance(raw_token, str)
        or not raw_token
        or len(raw_token) > MAX_TOKEN
        or not _TOKEN_CHARS.match(raw_token)
    ):
        raise RsvpError(_l("This link is not valid."), kind="invalid")
    invitation = db.session.scalar(
        select(Invitation)
        .where(Invitation.token_hash == hash_token(raw_token))
        .options(
            joinedload(Invitation.wave).joinedload(Wave.event),
            joinedload(Invitation.entry),
        )
    )
    if invitation is None:
        raise RsvpError(_l("This link is not valid."), kind="invalid")
    if invitation.answer != RsvpAnswer.PENDING and not answered_ok:
        raise RsvpError(
            _l("This invitation has already been answered."), kind="used", invitation=invitation
        )
    if is_expired(invitation):
        raise RsvpError(
            _l("The deadline to answer this invitation has passed."),
            kind="expired",
            invitation=invitation,
        )
    return invitation


def contacts(event: Event | None) -> list[Contact]:
    """The event's organizers, or the platform's sender address when it has none."""
    people: list[Contact] = []
    if event is not None:
        rows = db.session.execute(
            select(User.name, User.email)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(
                RoleGrant.event_id == event.id,
                RoleGrant.role == Role.ORGANIZER,
                User.is_active.is_(True),
            )
            .order_by(User.name)
        )
        people = [Contact(name, email) for name, email in rows]
    if not people:
        cfg = current_app.config
        people = [Contact(cfg["MAIL_FROM_NAME"], cfg["MAIL_FROM"])]
    return people


def invitee_locale(invitation: Invitation) -> str:
    """The language the letter went out in, else the person's first UN language, else
    English."""
    if invitation.outbox_message_id is not None:
        message = db.session.get(OutboxMessage, invitation.outbox_message_id)
        if message is not None and message.locale in LANGUAGES:
            return message.locale
    languages = invitation.entry.person.languages or []
    if invitation.wave.letters:
        return choose_language(invitation.wave, languages)
    return next((code for code in languages if code in LANGUAGES), "en")


# --- answers ------------------------------------------------------------------------------


def _check_open(invitation: Invitation) -> None:
    if invitation.answer != RsvpAnswer.PENDING:
        raise RsvpError(
            _l("This invitation has already been answered."), kind="used", invitation=invitation
        )
    if is_expired(invitation):
        raise RsvpError(
            _l("The deadline to answer this invitation has passed."),
            kind="expired",
            invitation=invitation,
        )


def _take(invitation: Invitation, answer: RsvpAnswer, reason: str = "") -> None:
    """Record the answer; only one of two simultaneous answers wins (single use)."""
    now = utcnow()
    taken = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.answer == RsvpAnswer.PENDING)
        .values(answer=answer, answered_at=now, decline_reason=reason)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        db.session.refresh(invitation)
        raise RsvpError(
            _l("This invitation has already been answered."), kind="used", invitation=invitation
        )
    db.session.refresh(invitation)


def _move(entry: TargetEntry, status: EntryStatus, actor: User | None) -> None:
    """Move the entry as far as the pipeline allows: an entry never marked invited goes
    through "invited"; one already further along (registered, attended) stays."""
    if entry.status == status:
        return
    if status in targets.ACCEPTED_OR_LATER and entry.status in targets.ACCEPTED_OR_LATER:
        return
    if entry.status == EntryStatus.IDENTIFIED:
        targets.set_status(entry, EntryStatus.INVITED, actor=actor)
    if status in targets.TRANSITIONS[entry.status]:
        targets.set_status(entry, status, actor=actor)


def _confirm(invitation: Invitation, template: str, **context) -> None:
    person = invitation.entry.person
    event = invitation.wave.event
    mail.send(
        invitation.email,
        template,
        to_name=person.full_name,
        locale=invitee_locale(invitation),
        event_id=event.id,
        tags={"invitation_id": invitation.id},
        event_name=event.name,
        acronym=event.acronym,
        opening=event.opening_date,
        contacts=contacts(event),
        **context,
    )


def accept(invitation: Invitation, *, actor: User | None = None) -> Invitation:
    """The invitee accepts: answer, entry status, audit entry, confirmation mail."""
    _check_open(invitation)
    _take(invitation, RsvpAnswer.ACCEPTED)
    _move(invitation.entry, EntryStatus.ACCEPTED, actor)
    audit.record(
        "invitation.accepted",
        actor=actor,
        event_id=invitation.wave.event_id,
        obj=invitation,
        summary=f"{invitation.entry.person.full_name} accepted ({invitation.wave.name})",
    )
    _confirm(invitation, "invitations/rsvp_confirmation", answer="accepted")
    return invitation


def decline(invitation: Invitation, reason: str = "", *, actor: User | None = None) -> Invitation:
    """The invitee declines, with an optional reason of at most MAX_REASON characters."""
    _check_open(invitation)
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise RsvpError(_l("Use at most %(n)d characters.", n=MAX_REASON), field="reason")
    _take(invitation, RsvpAnswer.DECLINED, reason)
    _move(invitation.entry, EntryStatus.DECLINED, actor)
    audit.record(
        "invitation.declined",
        actor=actor,
        event_id=invitation.wave.event_id,
        obj=invitation,
        summary=f"{invitation.entry.person.full_name} declined ({invitation.wave.name})",
        reason=reason,
    )
    _confirm(invitation, "invitations/rsvp_confirmation", answer="declined", reason=reason)
    return invitation


def _split_name(name: str) -> tuple[str, str]:
    """("Jane Q.", "Doe") from "Jane Q. Doe"; a single word is the last name."""
    words = name.split()
    return " ".join(words[:-1]), words[-1]


def _clean_delegate(name: str, email: str, function: str, organization: str) -> dict:
    name = " ".join((name or "").split())
    if not name:
        raise RsvpError(_l("Give the delegate's name."), field="name")
    if len(name) > MAX_NAME:
        raise RsvpError(_l("Use at most %(n)d characters.", n=MAX_NAME), field="name")
    first, last = _split_name(name)
    if (
        len(first) > directory.MAX_LENGTH["first_name"]
        or len(last) > (directory.MAX_LENGTH["last_name"])
    ):
        raise RsvpError(_l("This name is too long."), field="name")
    if not (email or "").strip():
        raise RsvpError(_l("Give the delegate's email address."), field="email")
    try:
        clean_email = directory.check_email(email)
    except directory.DirectoryError as error:
        raise RsvpError(error, field="email") from None
    function = " ".join((function or "").split())
    if len(function) > directory.MAX_LENGTH["function"]:
        raise RsvpError(
            _l("Use at most %(n)d characters.", n=directory.MAX_LENGTH["function"]),
            field="function",
        )
    organization = " ".join((organization or "").split())
    if len(organization) > directory.MAX_LENGTH["organization"]:
        raise RsvpError(
            _l("Use at most %(n)d characters.", n=directory.MAX_LENGTH["organization"]),
            field="organization",
        )
    return {
        "first_name": first,
        "last_name": last,
        "email": clean_email,
        "function": function,
        "organization": organization,
    }


def _delegate_person(values: dict, entry: TargetEntry) -> Person:
    """The directory person with the delegate's email, or a new one."""
    person = directory.people_by_emails([values["email"]]).get(values["email"])
    if person is not None:
        return person
    organization_id = None
    if values["organization"]:
        organization, _created = directory.find_or_create_organization(
            values["organization"], actor=None, country_iso2=entry.person.country_iso2
        )
        organization_id = organization.id
    elif entry.person.organization_id is not None:
        organization_id = entry.person.organization_id  # same delegation, most often
    try:
        return directory.create_person(
            actor=None,
            last_name=values["last_name"],
            first_name=values["first_name"],
            email=values["email"],
            function=values["function"],
            organization_id=organization_id,
            country_iso2=entry.person.country_iso2,
            languages=list(entry.person.languages or []),
        )
    except directory.DirectoryError as error:
        raise RsvpError(error, field=error.field or "email") from None


def _delegate_entry(person: Person, entry: TargetEntry) -> TargetEntry:
    """The delegate's entry on the event's list: their own, or a new one in the delegating
    entry's constituent group, followed up by the same owner."""
    existing = db.session.scalar(
        select(TargetEntry).where(
            TargetEntry.event_id == entry.event_id, TargetEntry.person_id == person.id
        )
    )
    if existing is not None:
        return existing
    delegate = TargetEntry(
        event_id=entry.event_id,
        person_id=person.id,
        constituent_group=entry.constituent_group,
        priority=entry.priority,
        owner_id=entry.owner_id,
        notes=f"Delegate of {entry.person.full_name}",
    )
    db.session.add(delegate)
    db.session.flush()
    audit.record(
        "target.added",
        actor=None,
        event_id=entry.event_id,
        obj=delegate,
        summary=f"{person.full_name} (delegate of {entry.person.full_name})",
    )
    return delegate


def delegate(
    invitation: Invitation,
    name: str,
    email: str,
    function: str = "",
    organization: str = "",
    *,
    actor: User | None = None,
) -> Invitation:
    """The invitee names a delegate, who gets an invitation of their own in the same wave.

    Returns the delegate's invitation. Naming oneself, or someone already invited in this
    wave, is refused with a message on the email field.
    """
    _check_open(invitation)
    values = _clean_delegate(name, email, function, organization)
    entry = invitation.entry
    if values["email"] in {normalize_email(invitation.email), entry.person.email}:
        raise RsvpError(_l("Name someone else: you cannot delegate to yourself."), field="email")
    person = _delegate_person(values, entry)
    if person.id == entry.person_id:
        raise RsvpError(_l("Name someone else: you cannot delegate to yourself."), field="email")
    already = db.session.scalar(
        select(Invitation.id)
        .join(TargetEntry, TargetEntry.id == Invitation.entry_id)
        .where(Invitation.wave_id == invitation.wave_id, TargetEntry.person_id == person.id)
    )
    if already is not None:
        raise RsvpError(
            _l(
                "%(name)s has already been invited to this event; name someone else.",
                name=person.full_name,
            ),
            field="email",
        )
    new_entry = _delegate_entry(person, entry)
    _take(invitation, RsvpAnswer.DELEGATED)
    from .sending import invite_one  # sending builds on targets; imported when needed

    delegate_invitation = invite_one(
        invitation.wave, new_entry, actor=actor, delegate_of=invitation
    )
    _move(entry, EntryStatus.DECLINED, actor)
    audit.record(
        "invitation.delegated",
        actor=actor,
        event_id=invitation.wave.event_id,
        obj=invitation,
        summary=f"{entry.person.full_name} delegated to {person.full_name} ({person.email})",
        delegate_person_id=person.id,
        delegate_invitation_id=delegate_invitation.id,
    )
    _confirm(
        invitation,
        "invitations/delegated",
        delegate_name=person.full_name,
        delegate_email=person.email,
    )
    return delegate_invitation


# --- the account after accepting ----------------------------------------------------------


def account_for(invitation: Invitation) -> User | None:
    """The account that already uses the invitation's address, if any."""
    return db.session.scalar(select(User).where(User.email == normalize_email(invitation.email)))


def create_account(invitation: Invitation, password: str, locale: str = "en") -> User:
    """A verified account for an invitee who accepted: the link proved the address.

    RsvpError(kind="account_exists") when the address already has an account.
    """
    if invitation.answer != RsvpAnswer.ACCEPTED:
        raise RsvpError(_l("Accept the invitation first."), kind="input")
    email = normalize_email(invitation.email)
    if account_for(invitation) is not None:
        raise RsvpError(
            _l("An account with %(email)s already exists: log in with it.", email=email),
            kind="account_exists",
        )
    try:
        check_password_rules(password or "", email)
    except AuthError as error:
        raise RsvpError(str(error), field="password") from None
    person = invitation.entry.person
    name = " ".join(p for p in (person.first_name, person.last_name) if p) or email
    user = User(
        email=email,
        name=name[:200],
        password_hash=hash_password(password),
        locale=locale if locale in LANGUAGES else "en",
        email_verified_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    if person.user_id is None:
        person.user_id = user.id
    audit.record(
        "user.signed_up",
        actor=user,
        event_id=invitation.wave.event_id,
        obj=user,
        summary=f"{email} (from invitation {invitation.id})",
    )
    db.session.flush()
    return user
