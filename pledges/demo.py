"""Demo data for the pledge registry: seed exchange rates, ~60 pledges of the demo
directory's organizations in every state, progress reports spread so that the traffic
lights show every colour, and ~20 coalition signatures (one revoked).

Idempotent: the pledges are made only when the event has none; signatures only for
organizations without one; rates by currency and date. The demo participant's
directory person is linked to an organization so that they can pledge and sign.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select

from models import (
    CoalitionSignature,
    Country,
    Event,
    Organization,
    Person,
    Pledge,
    PledgeComment,
    PledgerSector,
    PledgeState,
    PledgeType,
    ProgressReport,
    ReportStatus,
    User,
    utcnow,
)
from webapp.extensions import db

from . import money
from .core import BENEFICIARY_GROUPS, next_public_id, set_tags
from .rates import load_seed_rates

DOMAIN = "demo.convene.test"
PARTICIPANT = f"participant@{DOMAIN}"
PLEDGES = 60
SIGNATURES = 20
FOCUS_AREAS = ["ACCESS", "ADOPTION", "VALUE_CREATION", "ACCELERATE"]
KAP = [
    "affordable_connectivity",
    "digital_transformation",
    "enabling_environment",
    "resource_mobilization",
    "inclusive_secure_ict",
]
#: Constituent group of the organization -> pledger sector.
SECTORS = {
    "MS_MIN": PledgerSector.GOVERNMENT,
    "MS_SO": PledgerSector.GOVERNMENT,
    "SM": PledgerSector.PRIVATE,
    "PRIV": PledgerSector.PRIVATE,
    "CSO": PledgerSector.CIVIL_SOCIETY,
    "UN": PledgerSector.UN,
    "ACAD": PledgerSector.ACADEMIA,
    "IFI": PledgerSector.INTERNATIONAL,
    "RDB": PledgerSector.INTERNATIONAL,
}
TITLES = [
    "Connect {n} rural schools in {c}",
    "Digital skills for {n} women and girls in {c}",
    "Community networks for {n} villages in {c}",
    "Affordable smartphones for {n} first-time users in {c}",
    "Broadband strategy and spectrum reform in {c}",
    "Cybersecurity capacity for {n} public servants in {c}",
    "Mobile money and e-government services for {n} people in {c}",
    "Financing fund for last-mile connectivity in {c}",
    "Open data and digital public infrastructure in {c}",
    "Accessible ICT for {n} persons with disabilities in {c}",
]
CURRENCIES = ["USD", "USD", "USD", "EUR", "GBP", "CHF", "JPY", "XOF", "KES"]
#: State of each pledge by position: most published, some under review, a few drafts.
STATE_PLAN = (
    [PledgeState.PUBLISHED] * 44
    + [PledgeState.COMPLETED] * 3
    + [PledgeState.SUBMITTED] * 4
    + [PledgeState.CHANGES_REQUESTED]
    + [PledgeState.APPROVED] * 2
    + [PledgeState.WITHDRAWN]
    + [PledgeState.DRAFT] * 5
)


def _countries(rng: random.Random) -> list[Country]:
    """About 40 target countries, the least developed ones first."""
    countries = list(db.session.scalars(select(Country).order_by(Country.iso2)))
    ldcs = [c for c in countries if c.ldc]
    others = [c for c in countries if not c.ldc]
    return rng.sample(ldcs, k=min(18, len(ldcs))) + rng.sample(others, k=min(22, len(others)))


def _organizations() -> list[Organization]:
    """The demo directory's organizations (webapp/demo.py), oldest first."""
    return list(
        db.session.scalars(
            select(Organization)
            .join(Person, Person.organization_id == Organization.id)
            .where(Person.email.like(f"%@{DOMAIN}"))
            .distinct()
            .order_by(Organization.id)
        )
    )


def link_participant(organizations: list[Organization]) -> Organization | None:
    """Link the demo participant's directory person to a private-sector organization (the
    first one), so they can pledge and sign; keeps a link already made."""
    person = db.session.scalar(
        select(Person).join(User, User.id == Person.user_id).where(User.email == PARTICIPANT)
    )
    if person is None:
        return None
    if person.organization_id is None:
        candidates = [o for o in organizations if o.constituent_group == "PRIV"] or organizations
        if not candidates:
            return None
        person.organization_id = candidates[0].id
        db.session.flush()
    return db.session.get(Organization, person.organization_id)


def _value(rng: random.Random, today: date) -> dict:
    currency = rng.choice(CURRENCIES)
    amount = Decimal(rng.choice([50, 120, 250, 500, 1_000, 2_500, 10_000])) * 1000
    if currency in ("JPY", "XOF", "KES"):
        amount *= 100
    try:
        usd = money.to_usd(amount, currency, today)
    except money.MoneyError:
        currency, usd = "USD", money.to_usd(amount, "USD", today)
    return {
        "amount": amount,
        "currency": currency,
        "usd_value": usd.usd,
        "usd_rate": usd.rate,
        "usd_rate_date": usd.rate_date,
    }


def _pledges(
    event: Event,
    organizer: User | None,
    organizations: list[Organization],
    participant_org: Organization | None,
    rng: random.Random,
    today: date,
) -> list[Pledge]:
    countries = _countries(rng)
    year = event.opening_date.year
    number = int(next_public_id(year).rsplit("-", 1)[1])
    pledges: list[Pledge] = []
    now = utcnow()
    for index, state in enumerate(STATE_PLAN):
        organization = organizations[(index * 7) % len(organizations)]
        if participant_org is not None and index in (0, 50, 55):
            organization = participant_org  # the participant sees published, submitted, draft
        targets = rng.sample(countries, k=rng.randint(1, 4))
        people = rng.choice([5_000, 20_000, 100_000, 250_000, 1_000_000])
        title = rng.choice(TITLES).format(n=f"{people:,}", c=targets[0].name_en)
        pledge_type = rng.choice(list(PledgeType))
        start = today - timedelta(days=rng.randint(0, 1000))
        pledge = Pledge(
            event_id=event.id,
            organization_id=organization.id,
            created_by_id=organizer.id if organizer is not None else None,
            title=title[:300],
            description=(
                f"{organization.name} commits to: {title.lower()}. The pledge is part of the "
                "Partner2Connect Digital Coalition and is followed up every year."
            ),
            pledge_type=pledge_type,
            sector=SECTORS.get(organization.constituent_group or "", PledgerSector.PRIVATE),
            people_to_reach=people,
            start_date=start,
            end_date=start + timedelta(days=rng.choice([365, 730, 1095, 1460])),
            smart={
                k: rng.random() > 0.2
                for k in ("specific", "measurable", "achievable", "resource_based", "time_based")
            },
            state=state,
        )
        if pledge_type == PledgeType.FINANCIAL or rng.random() < 0.5:
            for name, value in _value(rng, today).items():
                setattr(pledge, name, value)
        set_tags(pledge, "focus_area", rng.sample(FOCUS_AREAS, k=rng.randint(1, 2)))
        set_tags(pledge, "kap_priority", rng.sample(KAP, k=rng.randint(1, 2)))
        set_tags(pledge, "sdg", [f"SDG{n}" for n in rng.sample(range(1, 18), k=rng.randint(1, 3))])
        set_tags(pledge, "country", [c.iso2 for c in targets])
        set_tags(
            pledge, "beneficiary_group", rng.sample(sorted(BENEFICIARY_GROUPS), k=rng.randint(0, 2))
        )
        regional = sorted({f"{c.region_code}{rng.randint(1, 4)}" for c in targets})
        set_tags(pledge, "regional_initiative", regional[:2])
        if state != PledgeState.DRAFT:
            pledge.submitted_at = now - timedelta(days=rng.randint(1, 30))
        if state in (PledgeState.APPROVED, PledgeState.PUBLISHED, PledgeState.COMPLETED):
            pledge.approved_at = pledge.submitted_at
        if state in (PledgeState.PUBLISHED, PledgeState.COMPLETED):
            # Spread over the last three years, so every traffic light shows.
            published = now - timedelta(days=30 + (index * 1060) // 47)
            pledge.published_at = published
            pledge.submitted_at = pledge.approved_at = published - timedelta(days=7)
            pledge.public_id = f"P2C-{year}-{number:04d}"
            number += 1
            if index % 5 == 0:
                pledge.announced_at = published
                pledge.announced_session = "Plenary pledging session"
        pledges.append(pledge)
    db.session.add_all(pledges)
    db.session.flush()
    return pledges


def _reports(pledges: list[Pledge], rng: random.Random) -> None:
    """Progress reports: recent for some (green), a year old for others (yellow), none
    or two years old for the rest (red, inactive)."""
    now = utcnow()
    reports: list[ProgressReport] = []
    for index, pledge in enumerate(pledges):
        if pledge.published_at is None or index % 3 == 2:
            continue
        age = (now - pledge.published_at).days
        if age < 200:
            continue
        ago = rng.choice([30, 120, 300, 400, 800])
        if ago >= age:
            ago = age // 2
        done = 100 if pledge.state == PledgeState.COMPLETED else rng.randint(10, 90)
        status = (
            ReportStatus.COMPLETED
            if done == 100
            else rng.choice(
                [
                    ReportStatus.ON_TRACK,
                    ReportStatus.ON_TRACK,
                    ReportStatus.OFF_TRACK,
                    ReportStatus.FINANCIAL_ISSUES,
                ]
            )
        )
        disbursed = None
        disbursed_usd = None
        if pledge.amount is not None:
            share = Decimal(done) / 100
            disbursed = (pledge.amount * share).quantize(Decimal("0.01"))
            disbursed_usd = (disbursed * (pledge.usd_rate or 1)).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP
            )
        reports.append(
            ProgressReport(
                pledge_id=pledge.id,
                submitted_at=now - timedelta(days=ago),
                status=status,
                percent_complete=done,
                amount_disbursed=disbursed,
                disbursed_usd=disbursed_usd,
                people_reached=int((pledge.people_to_reach or 0) * done / 100),
                narrative="Work is progressing with local partners; see the evidence linked.",
                evidence_links=["https://example.org/p2c/report"],
            )
        )
    db.session.add_all(reports)


def _moderation_comments(pledges: list[Pledge], organizer: User | None) -> None:
    for pledge in pledges:
        if pledge.state == PledgeState.CHANGES_REQUESTED:
            db.session.add(
                PledgeComment(
                    pledge_id=pledge.id,
                    author_id=organizer.id if organizer is not None else None,
                    step="changes_requested",
                    body="Please state the number of people reached and an end date.",
                )
            )


def _signatures(
    event: Event,
    organizations: list[Organization],
    organizer: User | None,
    today: date,
    keep_unsigned: int | None,
) -> int:
    """About 20 signatures of organizations that have none yet, one of them revoked; the
    participant's organization is left for them to sign."""
    signed = set(
        db.session.scalars(
            select(CoalitionSignature.organization_id).where(
                CoalitionSignature.event_id == event.id
            )
        )
    )
    if len(signed) >= SIGNATURES:
        return 0
    added = 0
    for index, organization in enumerate(organizations[1::3][:SIGNATURES]):
        if organization.id in signed or organization.id == keep_unsigned:
            continue
        signature = CoalitionSignature(
            event_id=event.id,
            organization_id=organization.id,
            signer_name=f"Representative of {organization.name}"[:200],
            signer_function="Chief Executive Officer" if index % 2 else "Minister",
            signed_on=today - timedelta(days=5 + index * 9),
            confirmed=True,
        )
        if index == 3:
            signature.revoked_at = utcnow()
            signature.revoked_by_id = organizer.id if organizer is not None else None
            signature.revoke_reason = "Signed by a person without authority to sign."
        db.session.add(signature)
        added += 1
    db.session.flush()
    return added


def load_pledges_demo(event: Event, organizer: User | None, today: date | None = None) -> str:
    """Load the pledge demo for the event; returns a line for the demo's summary."""
    today = today or date.today()
    load_seed_rates()
    rng = random.Random(2026)
    organizations = _organizations()
    if not organizations:
        return "Pledges: no demo organizations."
    participant_org = link_participant(organizations)
    count = db.session.scalar(select(func.count(Pledge.id)).where(Pledge.event_id == event.id))
    if not count:
        pledges = _pledges(event, organizer, organizations, participant_org, rng, today)
        _reports(pledges, rng)
        _moderation_comments(pledges, organizer)
        count = len(pledges)
    signatures = _signatures(
        event, organizations, organizer, today, participant_org.id if participant_org else None
    )
    db.session.flush()
    return f"Pledges: {count} pledges, {signatures} new coalition signatures."
