"""The organizers' list of registrations (filters, sorting, paging, counts, exports) and
the public list of participants.

Every page runs a fixed number of queries whatever the event's size: the filters are
plain conditions on `registration` (region and constituent group as IN subqueries on
the small country and organization tables), the page is one LIMIT/OFFSET query with its
member organization joined, the total one COUNT with the same conditions, the counts per
approval, seat and mode one GROUP BY query. Exports stream rows of plain columns in
batches instead of loading registrations as objects.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from models import (
    Approval,
    AttendanceMode,
    AuditEntry,
    Country,
    Event,
    Order,
    Organization,
    ReferenceItem,
    Region,
    Registration,
    RegistrationCategory,
    SeatState,
)
from webapp.downloads import guard
from webapp.extensions import db
from webapp.pagination import Page, clamp_page

from . import core

MAX_QUERY = 200
MAX_WORDS = 10
#: Exports stream in batches of this many rows.
BATCH = 1000
#: An XLSX workbook is built in memory: beyond this, the CSV (streamed) is the way.
XLSX_MAX_ROWS = 100_000

SORTS = {
    "newest": _l("Newest first"),
    "oldest": _l("Oldest first"),
    "name": _l("Name"),
    "organization": _l("Organization"),
    "country": _l("Country"),
    "category": _l("Category"),
    "mode": _l("Attendance mode"),
    "approval": _l("Approval"),
    "seat": _l("Seat"),
}
STATES = {
    "active": _l("Not cancelled"),
    "cancelled": _l("Cancelled"),
    "checked_in": _l("Checked in"),
}


@dataclass
class ListFilters:
    """What the organizers filter the registrations by; empty fields filter nothing."""

    q: str = ""
    category: str = ""
    mode: str = ""
    region: str = ""
    country: str = ""
    approval: str = ""
    seat: str = ""
    group: str = ""
    member: int | None = None
    state: str = ""

    def args(self) -> dict[str, str]:
        """The filters as query arguments (links to exports, pages, counts)."""
        return {
            f.name: str(getattr(self, f.name))
            for f in fields(self)
            if getattr(self, f.name) not in ("", None)
        }


@dataclass
class ListReference:
    """The coded lists the filter form offers (four small queries)."""

    regions: dict[str, str]
    countries: dict[str, str]
    country_regions: dict[str, str]
    groups: dict[str, str]
    members: dict[int, str]


def load_reference() -> ListReference:
    regions = dict(
        db.session.execute(select(Region.code, Region.name_en).order_by(Region.code)).all()
    )
    countries, country_regions = {}, {}
    for iso2, name, region in db.session.execute(
        select(Country.iso2, Country.name_en, Country.region_code).order_by(Country.name_en)
    ):
        countries[iso2] = name
        country_regions[iso2] = region
    groups = dict(
        db.session.execute(
            select(ReferenceItem.code, ReferenceItem.name_en)
            .where(ReferenceItem.kind == "constituent_group")
            .order_by(ReferenceItem.number, ReferenceItem.code)
        ).all()
    )
    members = dict(
        db.session.execute(
            select(Organization.id, Organization.name)
            .where(Organization.membership.in_(core.MEMBER_KINDS))
            .order_by(Organization.name, Organization.id)
        ).all()
    )
    return ListReference(regions, countries, country_regions, groups, members)


def _choice(value: str, allowed, errors: dict, name: str, message) -> str:
    if value and value not in allowed:
        errors[name] = str(message)
        return ""
    return value


def parse_filters(
    args: Mapping[str, str], reference: ListReference
) -> tuple[ListFilters, dict[str, str]]:
    """Filters from the query string, and {parameter: why it was ignored} for bad ones."""
    filters, errors = ListFilters(), {}

    def text(name: str) -> str:
        value = args.get(name) or ""
        return value.replace("\x00", "").strip() if isinstance(value, str) else ""

    q = text("q")
    if len(q) > MAX_QUERY:
        errors["q"] = str(_l("The search is too long (at most %(n)s characters).", n=MAX_QUERY))
    else:
        filters.q = q
    unknown = _l("Unknown choice.")
    filters.category = _choice(
        text("category"), {c.value for c in RegistrationCategory}, errors, "category", unknown
    )
    filters.mode = _choice(text("mode"), {m.value for m in AttendanceMode}, errors, "mode", unknown)
    filters.approval = _choice(
        text("approval"), {a.value for a in Approval}, errors, "approval", unknown
    )
    filters.seat = _choice(text("seat"), {s.value for s in SeatState}, errors, "seat", unknown)
    filters.state = _choice(text("state"), STATES, errors, "state", unknown)
    filters.region = _choice(
        text("region").upper(), reference.regions, errors, "region", _l("Unknown region.")
    )
    filters.country = _choice(
        text("country").upper(), reference.countries, errors, "country", _l("Unknown country.")
    )
    filters.group = _choice(
        text("group"), reference.groups, errors, "group", _l("Unknown constituent group.")
    )
    member = text("member")
    if member:
        if (
            member.isascii()
            and member.isdigit()
            and len(member) < 18
            and int(member) in reference.members
        ):
            filters.member = int(member)
        else:
            errors["member"] = str(_l("Unknown member."))
    return filters, errors


def parse_sort(value: str | None) -> str | None:
    """A known sort key, the default for none, None for an unknown one."""
    value = (value or "").strip().lower()
    if not value:
        return "newest"
    return value if value in SORTS else None


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def conditions(event: Event, filters: ListFilters) -> list:
    """WHERE clauses of the filters, on the registration table alone."""
    where: list = [Registration.event_id == event.id]
    for word in filters.q.split()[:MAX_WORDS]:
        pattern = f"%{_escape(word)}%"
        where.append(
            or_(
                Registration.first_name.ilike(pattern, escape="\\"),
                Registration.last_name.ilike(pattern, escape="\\"),
                Registration.email.ilike(pattern, escape="\\"),
                Registration.organization_name.ilike(pattern, escape="\\"),
            )
        )
    if filters.category:
        where.append(Registration.category == RegistrationCategory(filters.category))
    if filters.mode:
        where.append(Registration.mode == AttendanceMode(filters.mode))
    if filters.approval:
        where.append(Registration.approval == Approval(filters.approval))
    if filters.seat:
        where.append(Registration.seat == SeatState(filters.seat))
    if filters.state == "active":
        where.append(Registration.cancelled_at.is_(None))
    elif filters.state == "cancelled":
        where.append(Registration.cancelled_at.is_not(None))
    elif filters.state == "checked_in":
        where.append(Registration.checked_in_at.is_not(None))
    if filters.country:
        where.append(Registration.country_iso2 == filters.country)
    if filters.region:
        where.append(
            Registration.country_iso2.in_(
                select(Country.iso2).where(Country.region_code == filters.region)
            )
        )
    if filters.group:
        where.append(
            Registration.organization_id.in_(
                select(Organization.id).where(Organization.constituent_group == filters.group)
            )
        )
    if filters.member is not None:
        where.append(Registration.organization_id == filters.member)
    return where


def _order(sort: str) -> list:
    r = Registration
    return {
        "newest": [r.created_at.desc(), r.id.desc()],
        "oldest": [r.created_at, r.id],
        "name": [func.lower(r.last_name), func.lower(r.first_name), r.id],
        "organization": [func.lower(r.organization_name), r.id],
        "country": [r.country_iso2, r.id],
        "category": [r.category, r.id],
        "mode": [r.mode, r.id],
        "approval": [r.approval, r.id],
        "seat": [r.seat, r.id],
    }[sort]


def list_query(event: Event, filters: ListFilters, sort: str = "newest") -> Select:
    """The event's registrations matching the filters, sorted, their member joined."""
    return (
        select(Registration)
        .options(joinedload(Registration.organization))
        .where(*conditions(event, filters))
        .order_by(*_order(sort))
    )


def page_of(
    event: Event,
    filters: ListFilters,
    sort: str,
    number: int,
    per_page: int,
    total: int | None = None,
) -> Page:
    """One page, whatever the number of rows: the total (a COUNT, unless the caller
    knows it from `counts`), the page's ids sorted (a narrow LIMIT/OFFSET query), then
    those registrations with their member."""
    if total is None:
        total = export_count(event, filters)
    number = clamp_page(number, total, per_page)
    return Page(
        items=load_page(
            select(Registration.id)
            .where(*conditions(event, filters))
            .order_by(*_order(sort))
            .limit(per_page)
            .offset((number - 1) * per_page)
        ),
        total=total,
        number=number,
        per_page=per_page,
    )


def load_page(ids_query: Select) -> list[Registration]:
    """The registrations whose ids the query gives, in its order, their member joined
    (a deferred join: the sort runs on narrow rows, only one page is loaded whole)."""
    ids = list(db.session.scalars(ids_query))
    if not ids:
        return []
    found = {
        r.id: r
        for r in db.session.scalars(
            select(Registration)
            .options(joinedload(Registration.organization))
            .where(Registration.id.in_(ids))
        )
    }
    return [found[i] for i in ids if i in found]


@dataclass
class Counts:
    approval: dict[Approval, int]
    seat: dict[SeatState, int]
    mode: dict[AttendanceMode, int]
    total: int


def counts(event: Event, filters: ListFilters | None = None) -> Counts:
    """Registrations per approval, seat and mode among those matching the filters (one
    GROUP BY query)."""
    result = Counts(
        dict.fromkeys(Approval, 0), dict.fromkeys(SeatState, 0), dict.fromkeys(AttendanceMode, 0), 0
    )
    rows = db.session.execute(
        select(Registration.approval, Registration.seat, Registration.mode, func.count())
        .where(*conditions(event, filters or ListFilters()))
        .group_by(Registration.approval, Registration.seat, Registration.mode)
    )
    for approval, seat, mode, n in rows:
        result.approval[approval] += n
        result.seat[seat] += n
        result.mode[mode] += n
        result.total += n
    return result


# -------------------------------------------------------------------------- exports


def export_header() -> list[str]:
    return [
        str(h)
        for h in (
            _l("Id"),
            _l("First name"),
            _l("Last name"),
            _l("Email"),
            _l("Organization"),
            _l("Member represented"),
            _l("Constituent group"),
            _l("Country"),
            _l("Region"),
            _l("Category"),
            _l("Attendance mode"),
            _l("Approval"),
            _l("Seat"),
            _l("Function"),
            _l("Delegation"),
            _l("Head of delegation"),
            _l("Visa support"),
            _l("Accessibility needs"),
            _l("Dietary needs"),
            _l("Listed publicly"),
            _l("Registered"),
            _l("Decided"),
            _l("Decision reason"),
            _l("Cancelled"),
            _l("Checked in"),
        )
    ]


def export_query(event: Event, filters: ListFilters, sort: str) -> Select:
    """Plain columns (no objects) of the filtered registrations, sorted."""
    r = Registration
    return (
        select(
            r.id,
            r.first_name,
            r.last_name,
            r.email,
            r.organization_name,
            Organization.name,
            Organization.constituent_group,
            r.country_iso2,
            Country.region_code,
            r.category,
            r.mode,
            r.approval,
            r.seat,
            r.function,
            r.delegation,
            r.head_of_delegation,
            r.visa_support,
            r.accessibility_needs,
            r.dietary_needs,
            r.listed_publicly,
            r.created_at,
            r.decided_at,
            r.decision_reason,
            r.cancelled_at,
            r.checked_in_at,
        )
        .outerjoin(Organization, Organization.id == r.organization_id)
        .outerjoin(Country, Country.iso2 == r.country_iso2)
        .where(*conditions(event, filters))
        .order_by(*_order(sort))
    )


def _when(value) -> str:
    return value.isoformat(sep=" ", timespec="minutes") if value else ""


def export_rows(event: Event, filters: ListFilters, sort: str) -> Iterator[list[Any]]:
    """The export's rows, fetched in batches, labels in the reader's language."""
    # Labels translated once, not once per row (a lazy string translates on each use).
    labels = {
        name: {key: str(label) for key, label in values.items()}
        for name, values in core.labels().items()
        if name in ("category_labels", "mode_labels", "approval_labels", "seat_labels")
    }
    reasons = {key: str(label) for key, label in core.REASON_LABELS.items()}
    yes, no = str(_l("yes")), str(_l("no"))
    result = db.session.execute(
        export_query(event, filters, sort).execution_options(yield_per=BATCH)
    )
    for row in result:
        (rid, first, last, email, org_text, member, group, country, region, category, mode,
         approval, seat, function, delegation, head, visa, access, diet, listed, created,
         decided, reason, cancelled, checked_in) = row  # fmt: skip
        yield [
            rid,
            first,
            last,
            email,
            org_text or member or "",
            member or "",
            group or "",
            country or "",
            region or "",
            labels["category_labels"][category],
            labels["mode_labels"][mode],
            labels["approval_labels"][approval],
            labels["seat_labels"][seat],
            function,
            delegation,
            yes if head else no,
            yes if visa else no,
            access,
            diet,
            yes if listed else no,
            _when(created),
            _when(decided),
            reasons.get(reason, reason),
            _when(cancelled),
            _when(checked_in),
        ]


def stream_csv(header: list[str], rows: Iterator[list[Any]]) -> Iterator[str]:
    """CSV text in chunks (BOM first, so spreadsheets read UTF-8), cells formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([guard(c) for c in row])
        count += 1
        if count % BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def export_count(event: Event, filters: ListFilters) -> int:
    return (
        db.session.scalar(select(func.count(Registration.id)).where(*conditions(event, filters)))
        or 0
    )


# -------------------------------------------------------------------------- detail


def history(registration: Registration) -> list[AuditEntry]:
    """The registration's audit entries, oldest first, actors loaded (one query)."""
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.object_type == "registration",
                AuditEntry.object_id == registration.id,
                AuditEntry.event_id == registration.event_id,
            )
            .order_by(AuditEntry.at, AuditEntry.id)
        )
    )


def orders_of(registration: Registration) -> list[Order]:
    return list(
        db.session.scalars(
            select(Order)
            .options(joinedload(Order.item))
            .where(Order.registration_id == registration.id)
            .order_by(Order.created_at, Order.id)
        )
    )


# ------------------------------------------------------------------- public list


@dataclass
class Participant:
    """What the public list shows of a participant, and nothing more."""

    name: str
    organization: str
    country: str
    category: RegistrationCategory


def public_conditions(event: Event, q: str) -> list:
    where = [
        Registration.event_id == event.id,
        Registration.approval == Approval.APPROVED,
        Registration.listed_publicly.is_(True),
        Registration.cancelled_at.is_(None),
    ]
    for word in q.split()[:MAX_WORDS]:
        pattern = f"%{_escape(word)}%"
        where.append(
            or_(
                Registration.first_name.ilike(pattern, escape="\\"),
                Registration.last_name.ilike(pattern, escape="\\"),
                Registration.organization_name.ilike(pattern, escape="\\"),
                Organization.name.ilike(pattern, escape="\\"),
            )
        )
    return where


def participants_page(event: Event, q: str, number: int, per_page: int) -> Page:
    """One page of the public list: approved, not cancelled, agreed to be listed; only
    the public fields leave this function (two queries)."""
    where = public_conditions(event, q)
    total = (
        db.session.scalar(
            select(func.count(Registration.id))
            .outerjoin(Organization, Organization.id == Registration.organization_id)
            .where(*where)
        )
        or 0
    )
    number = clamp_page(number, total, per_page)
    rows = db.session.execute(
        select(
            Registration.first_name,
            Registration.last_name,
            Registration.organization_name,
            Organization.name,
            Country.name_en,
            Registration.category,
        )
        .outerjoin(Organization, Organization.id == Registration.organization_id)
        .outerjoin(Country, Country.iso2 == Registration.country_iso2)
        .where(*where)
        .order_by(func.lower(Registration.last_name), func.lower(Registration.first_name))
        .order_by(Registration.id)
        .limit(per_page)
        .offset((number - 1) * per_page)
    )
    items = [
        Participant(
            name=" ".join(p for p in (first, last) if p),
            organization=org_text or org_name or "",
            country=country or "",
            category=category,
        )
        for first, last, org_text, org_name, country, category in rows
    ]
    return Page(items=items, total=total, number=number, per_page=per_page)
