"""The public registry: filters, the query, public fields of a pledge, and statistics.

Only pledges in `PUBLIC_STATES` and only public fields ever leave this module: never the
creator, moderation comments or internal ids. A page runs a fixed number of queries
whatever the data size: tag filters are EXISTS subqueries on the indexed (kind, code) of
pledge_tag, statistics are GROUP BY queries, and the tags of a page load in one query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, exists, func, or_, select, true
from sqlalchemy.orm import selectinload

from models import (
    Country,
    Organization,
    Pledge,
    PledgerSector,
    PledgeState,
    PledgeTag,
    PledgeType,
    ReferenceItem,
    Region,
)
from webapp.extensions import db

from .core import BENEFICIARY_GROUPS, PUBLIC_STATES

#: Query words beyond this are ignored; longer queries are cut (no one types 200 letters).
MAX_WORDS = 10
MAX_QUERY = 200

#: Sort keys of the registry (key -> label); the first is the default.
SORTS = {
    "newest": _l("Newest first"),
    "oldest": _l("Oldest first"),
    "title": _l("Title"),
    "value": _l("Largest USD value"),
    "organization": _l("Organization"),
}

SECTOR_LABELS = {
    PledgerSector.GOVERNMENT: _l("Government"),
    PledgerSector.PRIVATE: _l("Private sector"),
    PledgerSector.INTERNATIONAL: _l("International or regional organization"),
    PledgerSector.UN: _l("UN agency"),
    PledgerSector.CIVIL_SOCIETY: _l("Civil society"),
    PledgerSector.ACADEMIA: _l("Academia"),
}
TYPE_LABELS = {
    PledgeType.FINANCIAL: _l("Financial"),
    PledgeType.POLICY: _l("Policy"),
    PledgeType.PROGRAMMATIC: _l("Programmatic"),
    PledgeType.ADVOCACY: _l("Advocacy"),
}
STATUS_LABELS = {PledgeState.PUBLISHED: _l("Published"), PledgeState.COMPLETED: _l("Completed")}

#: Filters naming a coded list: parameter -> reference kind (codes checked against it).
CODE_FILTERS = {
    "focus_area": "focus_area",
    "kap_priority": "kap_priority",
    "regional_initiative": "regional_initiative",
    "sdg": "sdg",
}
FLAG_FILTERS = ("ldc", "lldc", "sids")
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"", "0", "false", "no", "off"}


@dataclass
class RegistryFilters:
    """What the public filters the registry by; empty fields filter nothing."""

    q: str = ""
    focus_area: str = ""
    sector: str = ""
    region: str = ""
    country: str = ""
    ldc: bool = False
    lldc: bool = False
    sids: bool = False
    sdg: str = ""
    kap_priority: str = ""
    regional_initiative: str = ""
    pledge_type: str = ""
    status: str = ""
    event: int | None = None

    def args(self) -> dict[str, str]:
        """The filters as query arguments (for links to exports, pages and statistics)."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is True:
                out[f.name] = "1"
            elif value not in ("", None, False):
                out[f.name] = str(value)
        return out

    @property
    def active(self) -> bool:
        return bool(self.args())


@dataclass
class Reference:
    """The coded lists the filters check against and the pages label with."""

    items: dict[str, dict[str, str]]  # kind -> code -> English name
    countries: dict[str, Country]
    regions: dict[str, str]

    def name(self, kind: str, code: str) -> str:
        return self.items.get(kind, {}).get(code, code)


def load_reference() -> Reference:
    """Coded lists, countries and regions: three queries whatever the registry holds."""
    items: dict[str, dict[str, str]] = defaultdict(dict)
    rows = db.session.execute(
        select(ReferenceItem.kind, ReferenceItem.code, ReferenceItem.name_en)
        .where(ReferenceItem.kind.in_(CODE_FILTERS.values()))
        .order_by(ReferenceItem.kind, ReferenceItem.number, ReferenceItem.code)
    )
    for kind, code, name in rows:
        items[kind][code] = name
    items["beneficiary_group"] = dict(BENEFICIARY_GROUPS)
    countries = {c.iso2: c for c in db.session.scalars(select(Country).order_by(Country.name_en))}
    regions = {
        code: name
        for code, name in db.session.execute(
            select(Region.code, Region.name_en).order_by(Region.code)
        )
    }
    return Reference(items=dict(items), countries=countries, regions=regions)


def parse_filters(
    args: Mapping[str, str], reference: Reference
) -> tuple[RegistryFilters, dict[str, str]]:
    """Filters from query arguments, and {parameter: why it was refused} for the bad ones
    (the API answers those with a 400, the pages ignore them with a notice)."""
    filters = RegistryFilters()
    errors: dict[str, str] = {}

    def text(name: str) -> str:
        return (args.get(name) or "").strip()

    q = text("q")
    if len(q) > MAX_QUERY:
        errors["q"] = str(_l("The search is too long (at most %(n)s characters).", n=MAX_QUERY))
    else:
        filters.q = q
    for name, kind in CODE_FILTERS.items():
        code = text(name)
        if kind == "focus_area":
            code = code.upper()
        elif kind == "sdg" and code.isdigit():
            code = f"SDG{int(code)}" if len(code) < 4 else code
        if code and code not in reference.items.get(kind, {}):
            errors[name] = str(_l("Unknown code: %(code)s.", code=code[:40]))
        else:
            setattr(filters, name, code)
    country = text("country").upper()
    if country and country not in reference.countries:
        errors["country"] = str(_l("Unknown country code: %(code)s.", code=country[:40]))
    else:
        filters.country = country
    region = text("region").upper()
    if region and region not in reference.regions:
        errors["region"] = str(_l("Unknown region code: %(code)s.", code=region[:40]))
    else:
        filters.region = region
    for name, values in (
        ("sector", {s.value for s in PledgerSector}),
        ("pledge_type", {t.value for t in PledgeType}),
        ("status", {s.value for s in PUBLIC_STATES}),
    ):
        value = text(name).lower()
        if value and value not in values:
            errors[name] = str(_l("Choose one of: %(values)s.", values=", ".join(sorted(values))))
        else:
            setattr(filters, name, value)
    for name in FLAG_FILTERS:
        value = text(name).lower()
        if value in TRUE_WORDS:
            setattr(filters, name, True)
        elif value not in FALSE_WORDS:
            errors[name] = str(_l("Use 1 (yes) or 0 (no)."))
    event = text("event")
    if event:
        if event.isdigit() and len(event) < 18:
            filters.event = int(event)
        else:
            errors["event"] = str(_l("The event must be a number."))
    return filters, errors


def parse_sort(value: str | None) -> str | None:
    """A known sort key, the default for none, or None for an unknown one."""
    value = (value or "").strip().lower()
    if not value:
        return next(iter(SORTS))
    return value if value in SORTS else None


def _tag(kind: str, code: str):
    return exists().where(
        PledgeTag.pledge_id == Pledge.id, PledgeTag.kind == kind, PledgeTag.code == code
    )


def _country_tag(condition):
    """EXISTS a target country of the pledge meeting `condition`."""
    return (
        exists()
        .where(PledgeTag.pledge_id == Pledge.id, PledgeTag.kind == "country")
        .where(Country.iso2 == PledgeTag.code)
        .where(condition)
    )


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def conditions(filters: RegistryFilters) -> list:
    """WHERE clauses of the filters (the query joins Organization for the text search)."""
    where: list = []
    if filters.status:
        where.append(Pledge.state == PledgeState(filters.status))
    else:
        where.append(Pledge.state.in_(PUBLIC_STATES))
    where.append(Pledge.public_id.is_not(None))
    for word in filters.q.split()[:MAX_WORDS]:
        pattern = f"%{_escape(word)}%"
        where.append(
            or_(
                Pledge.title.ilike(pattern, escape="\\"),
                Pledge.description.ilike(pattern, escape="\\"),
                Organization.name.ilike(pattern, escape="\\"),
            )
        )
    for name, kind in CODE_FILTERS.items():
        if code := getattr(filters, name):
            where.append(_tag(kind, code))
    if filters.country:
        where.append(_tag("country", filters.country))
    if filters.region:
        where.append(_country_tag(Country.region_code == filters.region))
    for flag in FLAG_FILTERS:
        if getattr(filters, flag):
            where.append(_country_tag(getattr(Country, flag) == true()))
    if filters.sector:
        where.append(Pledge.sector == PledgerSector(filters.sector))
    if filters.pledge_type:
        where.append(Pledge.pledge_type == PledgeType(filters.pledge_type))
    if filters.event is not None:
        where.append(Pledge.event_id == filters.event)
    return where


def _order(sort: str) -> list:
    published = Pledge.published_at
    return {
        "newest": [published.desc(), Pledge.id.desc()],
        "oldest": [published.asc(), Pledge.id.asc()],
        "title": [func.lower(Pledge.title), Pledge.id],
        "value": [Pledge.usd_value.desc().nulls_last(), Pledge.id],
        "organization": [func.lower(Organization.name), Pledge.id],
    }[sort]


def registry_query(filters: RegistryFilters, sort: str = "newest", with_tags=True) -> Select:
    """The public pledges matching the filters, sorted, with their tags (one query)."""
    query = (
        select(Pledge)
        .join(Organization, Organization.id == Pledge.organization_id)
        .where(*conditions(filters))
        .order_by(*_order(sort))
    )
    return query.options(selectinload(Pledge.tags)) if with_tags else query


def matching_ids(filters: RegistryFilters) -> Select:
    """The ids of the public pledges matching the filters, for subqueries."""
    return (
        select(Pledge.id)
        .join(Organization, Organization.id == Pledge.organization_id)
        .where(*conditions(filters))
    )


def public_pledge(public_id: str) -> Pledge | None:
    """A published or completed pledge by its public id, with its tags; None otherwise."""
    if not public_id or len(public_id) > 20:
        return None
    return db.session.scalar(
        select(Pledge)
        .where(Pledge.public_id == public_id, Pledge.state.in_(PUBLIC_STATES))
        .options(selectinload(Pledge.tags))
    )


# --- public fields ------------------------------------------------------------------------


def _number(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def public_fields(
    pledge: Pledge,
    countries: Mapping[str, Country],
    tags: Iterable[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """The fields of a pledge meant to be public, as plain JSON values.

    `tags` are (kind, code) pairs when loaded apart (exports); else the pledge's own."""
    by_kind: dict[str, list[str]] = defaultdict(list)
    for kind, code in tags if tags is not None else ((t.kind, t.code) for t in pledge.tags):
        by_kind[kind].append(code)
    for codes in by_kind.values():
        codes.sort()
    targets = [countries[c] for c in by_kind["country"] if c in countries]
    organization = pledge.organization
    return {
        "public_id": pledge.public_id,
        "title": pledge.title,
        "description": pledge.description,
        "type": pledge.pledge_type.value if pledge.pledge_type else None,
        "sector": pledge.sector.value if pledge.sector else None,
        "organization": {
            "name": organization.name if organization else "",
            "country": organization.country_iso2 if organization else None,
        },
        "focus_areas": by_kind["focus_area"],
        "pillars": list(pledge.pillars or []),
        "kap_priorities": by_kind["kap_priority"],
        "regional_initiatives": by_kind["regional_initiative"],
        "sdgs": sorted(by_kind["sdg"], key=lambda c: (len(c), c)),
        "countries": by_kind["country"],
        "regions": sorted({c.region_code for c in targets}),
        "ldc": any(c.ldc for c in targets),
        "lldc": any(c.lldc for c in targets),
        "sids": any(c.sids for c in targets),
        "beneficiary_groups": by_kind["beneficiary_group"],
        "people_to_reach": pledge.people_to_reach,
        "amount": _number(pledge.amount),
        "currency": pledge.currency,
        "usd_value": _number(pledge.usd_value),
        "usd_rate_date": pledge.usd_rate_date.isoformat() if pledge.usd_rate_date else None,
        "start_date": pledge.start_date.isoformat() if pledge.start_date else None,
        "end_date": pledge.end_date.isoformat() if pledge.end_date else None,
        "published_at": pledge.published_at.isoformat() if pledge.published_at else None,
        "status": pledge.state.value,
        "announced": pledge.announced_at is not None,
        "announced_at": pledge.announced_at.isoformat() if pledge.announced_at else None,
        "announced_session": pledge.announced_session or "",
    }


def lights(pledges: list[Pledge]) -> dict[int, str | None]:
    """Traffic lights of the follow-up reporting, when that part is there ({} otherwise)."""
    try:
        from . import reporting
    except ImportError:
        return {}
    lights_for = getattr(reporting, "lights_for", None)
    return lights_for(pledges, date.today()) if lights_for else {}


# --- statistics ---------------------------------------------------------------------------


@dataclass
class Bar:
    """One bar of a chart: a code, its label, the pledge count and their USD value."""

    code: str
    label: str
    count: int
    usd: float


@dataclass
class Statistics:
    total: int
    usd: float
    ldc_count: int
    by_focus_area: list[Bar]
    by_sector: list[Bar]
    by_region: list[Bar]
    by_sdg: list[Bar]

    @property
    def ldc_share(self) -> float:
        """Share (0–1) of the pledges targeting at least one LDC."""
        return self.ldc_count / self.total if self.total else 0.0


def _bars(rows, label) -> list[Bar]:
    return [Bar(str(code), str(label(code)), int(n), float(usd or 0)) for code, n, usd in rows]


def statistics(filters: RegistryFilters, reference: Reference) -> Statistics:
    """Counts and USD values of the matching pledges by focus area, sector, region (of
    their target countries, each pledge once per region) and SDG, and how many target
    at least one LDC: six GROUP BY queries whatever the data size."""
    ids = matching_ids(filters).scalar_subquery()
    total, usd = db.session.execute(
        select(func.count(Pledge.id), func.sum(Pledge.usd_value)).where(Pledge.id.in_(ids))
    ).one()

    def by_tag(kind: str):
        return db.session.execute(
            select(PledgeTag.code, func.count(Pledge.id), func.sum(Pledge.usd_value))
            .join(Pledge, Pledge.id == PledgeTag.pledge_id)
            .where(PledgeTag.kind == kind, PledgeTag.pledge_id.in_(ids))
            .group_by(PledgeTag.code)
        ).all()

    focus = by_tag("focus_area")
    order = list(reference.items.get("focus_area", {}))
    focus.sort(key=lambda r: order.index(r[0]) if r[0] in order else len(order))
    sdgs = by_tag("sdg")
    sdgs.sort(key=lambda r: (len(r[0]), r[0]))
    sectors = db.session.execute(
        select(Pledge.sector, func.count(Pledge.id), func.sum(Pledge.usd_value))
        .where(Pledge.id.in_(ids), Pledge.sector.is_not(None))
        .group_by(Pledge.sector)
        .order_by(func.count(Pledge.id).desc())
    ).all()
    pairs = (
        select(PledgeTag.pledge_id, Country.region_code)
        .join(Country, Country.iso2 == PledgeTag.code)
        .where(PledgeTag.kind == "country", PledgeTag.pledge_id.in_(ids))
        .distinct()
        .subquery()
    )
    regions = db.session.execute(
        select(pairs.c.region_code, func.count(Pledge.id), func.sum(Pledge.usd_value))
        .join(Pledge, Pledge.id == pairs.c.pledge_id)
        .group_by(pairs.c.region_code)
        .order_by(pairs.c.region_code)
    ).all()
    ldc_count = db.session.scalar(
        select(func.count(Pledge.id)).where(
            Pledge.id.in_(ids), _country_tag(and_(Country.ldc == true()))
        )
    )
    return Statistics(
        total=int(total or 0),
        usd=float(usd or 0),
        ldc_count=int(ldc_count or 0),
        by_focus_area=_bars(focus, lambda c: reference.name("focus_area", c)),
        by_sector=_bars(
            [(s.value, n, v) for s, n, v in sectors],
            lambda c: SECTOR_LABELS.get(PledgerSector(c), c),
        ),
        by_region=_bars(regions, lambda c: reference.regions.get(c, c)),
        by_sdg=_bars(sdgs, lambda c: f"{c} · {reference.name('sdg', c)}"),
    )
