"""What every part of the pledge registry shares: public states, coded tags, membership."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select

from models import Person, Pledge, PledgeState, PledgeTag, User
from webapp.extensions import db

#: States the public registry, open data and the API show.
PUBLIC_STATES = (PledgeState.PUBLISHED, PledgeState.COMPLETED)

#: PledgeTag kinds and the reference list each one's codes come from (None: countries or
#: the beneficiary groups below).
TAG_KINDS = {
    "focus_area": "focus_area",
    "kap_priority": "kap_priority",
    "regional_initiative": "regional_initiative",
    "sdg": "sdg",
    "country": None,
    "beneficiary_group": None,
}

#: Beneficiary groups a pledge may target (code -> English label; translated in forms).
BENEFICIARY_GROUPS = {
    "women_girls": "Women and girls",
    "youth": "Youth",
    "persons_disabilities": "Persons with disabilities",
    "indigenous_peoples": "Indigenous peoples",
    "rural_communities": "Rural communities",
    "older_persons": "Older persons",
    "refugees_migrants": "Refugees and migrants",
    "smes": "Small and medium enterprises",
}


def tag_codes(pledge: Pledge, kind: str) -> list[str]:
    """The codes of one kind on a pledge (tags loaded with the pledge)."""
    return sorted(t.code for t in pledge.tags if t.kind == kind)


def set_tags(pledge: Pledge, kind: str, codes: Iterable[str]) -> None:
    """Replace the pledge's codes of one kind."""
    if kind not in TAG_KINDS:
        raise KeyError(kind)
    wanted = {c for c in codes if c}
    pledge.tags = [t for t in pledge.tags if t.kind != kind or t.code in wanted]
    present = {t.code for t in pledge.tags if t.kind == kind}
    pledge.tags.extend(PledgeTag(kind=kind, code=c) for c in sorted(wanted - present))


def organization_ids_of(user: User) -> set[int]:
    """The organizations a user belongs to: those of the directory people linked to them."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(
        db.session.scalars(
            select(Person.organization_id).where(
                Person.user_id == user.id, Person.organization_id.is_not(None)
            )
        )
    )


S = PledgeState

#: The moderation moves: draft → submitted → changes requested → approved → published;
#: withdrawn from any open state; completed (closed to edits) once published.
TRANSITIONS: dict[PledgeState, set[PledgeState]] = {
    S.DRAFT: {S.SUBMITTED, S.WITHDRAWN},
    S.SUBMITTED: {S.CHANGES_REQUESTED, S.APPROVED, S.WITHDRAWN},
    S.CHANGES_REQUESTED: {S.SUBMITTED, S.WITHDRAWN},
    S.APPROVED: {S.PUBLISHED, S.CHANGES_REQUESTED, S.WITHDRAWN},
    S.PUBLISHED: {S.COMPLETED, S.WITHDRAWN},
    S.WITHDRAWN: set(),
    S.COMPLETED: set(),
}

#: States in which the pledger may still edit the pledge.
EDITABLE_STATES = (S.DRAFT, S.CHANGES_REQUESTED)


def next_public_id(year: int) -> str:
    """The next stable public id of a year: P2C-2026-0042. The unique column guards races;
    callers retry on IntegrityError."""
    prefix = f"P2C-{year}-"
    # Longest first, then highest: "P2C-2026-10000" sorts after "P2C-2026-9999".
    last = db.session.scalar(
        select(Pledge.public_id)
        .where(Pledge.public_id.like(prefix + "%"))
        .order_by(func.length(Pledge.public_id).desc(), Pledge.public_id.desc())
        .limit(1)
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"
