"""The Digital Coalition statement: organizations sign it, organizers may revoke a signature.

One active (not revoked) signature per organization and event. Signing needs an account
linked to the organization (a directory person of it, core.organization_ids_of) and the
signer's explicit confirmation of authority and endorsement; revoking needs the event's
organizers and a reason. Both are in the audit log; the signer gets a confirmation mail.
"""

from __future__ import annotations

from datetime import date

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from models import CoalitionSignature, Country, Event, Organization, User, utcnow
from webapp import audit, mail
from webapp.extensions import db
from webapp.permissions import can

from .core import organization_ids_of

#: The statement organizations sign (shown on the public page and the signing form).
STATEMENT = _l(
    "The Partner2Connect Digital Coalition brings together governments, companies, "
    "international organizations, civil society and academia to connect the hardest to "
    "connect communities and to use digital technology for sustainable development. By "
    "signing, our organization endorses the Coalition's goals, commits to register "
    "concrete pledges towards them and to report on their progress every year."
)
#: The explicit confirmation the signer ticks.
CONFIRMATION = _l(
    "I am authorized to sign for this organization and it endorses the Digital Coalition statement."
)
MAX_TEXT = 200
MAX_REASON = 2000
#: Orders of the public list: query value -> columns.
SORTS = {
    "date": (CoalitionSignature.signed_on.desc(), CoalitionSignature.id.desc()),
    "organization": (Organization.name, CoalitionSignature.id),
    "country": (Country.name_en, Organization.name),
}


class CoalitionError(Exception):
    """A coalition rule was not met; the message is for the user, `field` says where."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.field = field


class CoalitionForbidden(CoalitionError):
    """The actor may not do this (views answer 403)."""


def _text(value: str | None, field: str, missing) -> str:
    text = " ".join((value or "").split())
    if not text:
        raise CoalitionError(missing, field)
    if len(text) > MAX_TEXT:
        raise CoalitionError(
            _l("Use at most %(n)d characters.", n=MAX_TEXT),
            field,
        )
    return text


def active_signature(event: Event, organization_id: int) -> CoalitionSignature | None:
    """The organization's signature for the event that is not revoked, if any."""
    return db.session.scalar(
        select(CoalitionSignature).where(
            CoalitionSignature.event_id == event.id,
            CoalitionSignature.organization_id == organization_id,
            CoalitionSignature.revoked_at.is_(None),
        )
    )


def organizations_of(actor: User) -> list[Organization]:
    """The organizations the actor may sign for, by name."""
    ids = organization_ids_of(actor)
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Organization).where(Organization.id.in_(ids)).order_by(Organization.name)
        )
    )


def sign(
    actor: User,
    event: Event,
    organization: Organization | None,
    signer_name: str,
    signer_function: str,
    signed_on: date | None = None,
    confirmed: bool = False,
) -> CoalitionSignature:
    """Sign the statement for `organization`, of which the actor must be a member."""
    if organization is None:
        raise CoalitionError(_l("Choose the organization you sign for."), "organization")
    if organization.id not in organization_ids_of(actor):
        raise CoalitionForbidden(
            # No name in the message: the directory is not public.
            _l("You can sign only for an organization you belong to."),
            "organization",
        )
    name = _text(signer_name, "signer_name", _l("Enter the name of the person who signs."))
    function = _text(
        signer_function, "signer_function", _l("Enter the function of the person who signs.")
    )
    today = date.today()
    signed_on = signed_on or today
    if signed_on > today:
        raise CoalitionError(_l("The date of signature cannot be in the future."), "signed_on")
    if signed_on.year < 2000:
        raise CoalitionError(_l("Check the year of the date of signature."), "signed_on")
    if confirmed is not True:
        raise CoalitionError(
            _l("Confirm that you are authorized to sign and that the organization endorses it."),
            "confirmed",
        )
    revoked = db.session.scalar(
        select(CoalitionSignature.id).where(
            CoalitionSignature.event_id == event.id,
            CoalitionSignature.organization_id == organization.id,
            CoalitionSignature.revoked_at.is_not(None),
        )
    )
    if revoked is not None:
        # A revocation is the secretariat's decision; signing again would undo it.
        raise CoalitionError(
            _l("The signature of this organization was revoked; contact the secretariat."),
            "organization",
        )
    existing = active_signature(event, organization.id)
    if existing is not None:
        raise CoalitionError(
            _l(
                "%(name)s already signed the statement on %(date)s.",
                name=organization.name,
                date=format_date(existing.signed_on),
            ),
            "organization",
        )
    signature = CoalitionSignature(
        event_id=event.id,
        organization_id=organization.id,
        organization=organization,
        signed_by_id=actor.id,
        signer_name=name,
        signer_function=function,
        signed_on=signed_on,
        confirmed=True,
    )
    db.session.add(signature)
    db.session.flush()
    audit.record(
        "coalition.signed",
        actor=actor,
        event_id=event.id,
        obj=signature,
        summary=f"{organization.name}: {name}, {function}",
        organization_id=organization.id,
        signed_on=signed_on.isoformat(),
    )
    mail.send(
        actor.email,
        "pledges/coalition_signed",
        to_name=actor.name,
        locale=actor.locale or "en",
        event_id=event.id,
        tags={"coalition_signature_id": signature.id},
        event_name=event.name,
        organization=organization.name,
        signer_name=name,
        signer_function=function,
        signed_on=signed_on,
        statement=STATEMENT,
    )
    return signature


def revoke(actor: User, signature: CoalitionSignature, reason: str) -> CoalitionSignature:
    """Revoke a signature (organizers of its event), with the reason."""
    if not can(actor, "pledges.moderate", signature.event):
        raise CoalitionForbidden(_l("Only the event's organizers can revoke a signature."))
    reason = (reason or "").strip()
    if not reason:
        raise CoalitionError(_l("Give the reason for revoking the signature."), "reason")
    if len(reason) > MAX_REASON:
        raise CoalitionError(_l("Use at most %(n)d characters.", n=MAX_REASON), "reason")
    if signature.revoked_at is not None:
        raise CoalitionError(_l("This signature is already revoked."), "reason")
    signature.revoked_at = utcnow()
    signature.revoked_by_id = actor.id
    signature.revoke_reason = reason
    db.session.flush()
    audit.record(
        "coalition.revoked",
        actor=actor,
        event_id=signature.event_id,
        obj=signature,
        summary=f"{signature.organization.name}: {reason}"[:500],
        organization_id=signature.organization_id,
    )
    return signature


def public_signatories(event: Event, sort: str = "date") -> list[CoalitionSignature]:
    """Active signatures of the event, with organization and country, in one query."""
    order = SORTS.get(sort, SORTS["date"])
    return list(
        db.session.scalars(
            select(CoalitionSignature)
            .join(Organization, Organization.id == CoalitionSignature.organization_id)
            .outerjoin(Country, Country.iso2 == Organization.country_iso2)
            .where(CoalitionSignature.event_id == event.id, CoalitionSignature.revoked_at.is_(None))
            .order_by(*order)
        ).unique()
    )


def all_signatures(event: Event) -> tuple[list[CoalitionSignature], dict[int, User]]:
    """Every signature of the event, revoked ones too, newest first (the organizers'
    list), and the accounts that signed or revoked them, by id: two queries in all."""
    signatures = list(
        db.session.scalars(
            select(CoalitionSignature)
            .where(CoalitionSignature.event_id == event.id)
            .order_by(CoalitionSignature.signed_on.desc(), CoalitionSignature.id.desc())
        ).unique()
    )
    ids = {s.signed_by_id for s in signatures} | {s.revoked_by_id for s in signatures}
    ids.discard(None)
    users = (
        {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    )
    return signatures, users
