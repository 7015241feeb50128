"""The directory: organizations and people other features refer to.

Plain functions on the session, taking plain values and an explicit `actor`. They check
the rules, flush and write the audit log; the caller commits. A broken rule raises
DirectoryError with a message for the user and, where it belongs to one, the field name.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import contains_eager

from models import Country, MembershipCategory, Organization, Person, ReferenceItem, RoleGrant, User

from .. import audit
from ..auth.services import normalize_email
from ..config import LANGUAGES
from ..extensions import db
from ..pagination import Page, clamp_page

#: Column sizes of models.directory, checked here so a too-long value is a message, not a 500.
MAX_LENGTH = {
    "honorific": 40,
    "first_name": 120,
    "last_name": 120,
    "function": 200,
    "email": 254,
    "organization": 300,
    "name": 300,
}
GENDERS = ("f", "m", "x")
PERSON_FIELDS = (
    "honorific",
    "first_name",
    "last_name",
    "function",
    "email",
    "organization_id",
    "country_iso2",
    "languages",
    "gender",
)
ORGANIZATION_FIELDS = ("name", "constituent_group", "country_iso2", "membership")
PER_PAGE = 50
#: Bound parameters per IN (...) list; well under SQLite's and PostgreSQL's limits.
CHUNK = 500


class DirectoryError(Exception):
    """A directory rule was not met; the message is for the user."""

    def __init__(self, message: Any, field: str | None = None):
        super().__init__(str(message))
        self.field = field


# --- values -------------------------------------------------------------------------------


def check_email(email: str | None) -> str | None:
    """The normalized address (None when empty), or DirectoryError when it is not valid."""
    email = normalize_email(email or "") or None
    if email is None:
        return None
    if len(email) > MAX_LENGTH["email"]:
        raise DirectoryError(_l("Use at most %(n)d characters.", n=MAX_LENGTH["email"]), "email")
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise DirectoryError(
            _l("“%(value)s” is not a valid email address.", value=email), "email"
        ) from None
    return email


def name_key(name: str | None) -> str:
    """Matching key for organization names: case and spacing never make a new organization."""
    return " ".join((name or "").casefold().split())


def parse_membership(value: str | None) -> MembershipCategory | None:
    """The membership category for a code or label ("sector_member", "Sector Member")."""
    key = "_".join((value or "").strip().lower().replace("-", " ").split())
    if not key:
        return None
    try:
        return MembershipCategory(key)
    except ValueError:
        return None


def _check_length(name: str, value: str) -> None:
    limit = MAX_LENGTH.get(name)
    if limit and len(value) > limit:
        raise DirectoryError(_l("Use at most %(n)d characters.", n=limit), name)


def _text(values: dict[str, Any], name: str) -> str:
    value = (values.get(name) or "").strip()
    _check_length(name, value)
    return value


def group_codes() -> set[str]:
    """Codes of the constituent groups."""
    return set(
        db.session.scalars(
            select(ReferenceItem.code).where(ReferenceItem.kind == "constituent_group")
        )
    )


def _check_country(iso2: str | None) -> str | None:
    iso2 = (iso2 or "").strip().upper() or None
    if iso2 is not None and db.session.get(Country, iso2) is None:
        raise DirectoryError(_l("Unknown country “%(value)s”.", value=iso2), "country_iso2")
    return iso2


def _check_group(code: str | None) -> str | None:
    code = (code or "").strip().upper() or None
    if code is not None and code not in group_codes():
        raise DirectoryError(
            _l("Unknown constituent group “%(value)s”.", value=code), "constituent_group"
        )
    return code


def _check_languages(languages: Iterable[str] | None) -> list[str]:
    result: list[str] = []
    for code in languages or ():
        code = code.strip().lower()
        if code not in LANGUAGES:
            raise DirectoryError(_l("Unknown language “%(value)s”.", value=code), "languages")
        if code not in result:
            result.append(code)
    return result


def _check_gender(gender: str | None) -> str:
    gender = (gender or "").strip().lower()
    if gender and gender not in GENDERS:
        raise DirectoryError(_l("Gender must be f, m, x or empty."), "gender")
    return gender


# --- people -------------------------------------------------------------------------------


def person_values(values: dict[str, Any]) -> dict[str, Any]:
    """Checked, normalized person fields from `values` (only the keys present)."""
    clean: dict[str, Any] = {}
    for name in ("honorific", "first_name", "last_name", "function"):
        if name in values:
            clean[name] = _text(values, name)
    if "last_name" in clean and not clean["last_name"]:
        raise DirectoryError(_l("A last name is required."), "last_name")
    if "email" in values:
        clean["email"] = check_email(values["email"])
    if "country_iso2" in values:
        clean["country_iso2"] = _check_country(values["country_iso2"])
    if "languages" in values:
        clean["languages"] = _check_languages(values["languages"])
    if "gender" in values:
        clean["gender"] = _check_gender(values["gender"])
    if "organization_id" in values:
        org_id = values["organization_id"]
        if org_id is not None and db.session.get(Organization, org_id) is None:
            raise DirectoryError(_l("Unknown organization."), "organization")
        clean["organization_id"] = org_id
    return clean


def _check_email_free(email: str | None, person_id: int | None = None) -> None:
    if email is None:
        return
    taken = db.session.scalar(select(Person.id).where(Person.email == email))
    if taken is not None and taken != person_id:
        raise DirectoryError(_l("%(email)s is already in the directory.", email=email), "email")


def create_person(*, actor: User | None, last_name: str, **values: Any) -> Person:
    """Add a person; `values` are any of PERSON_FIELDS."""
    unknown = set(values) - set(PERSON_FIELDS)
    if unknown:
        raise TypeError(f"unknown person fields: {sorted(unknown)}")
    clean = person_values({**values, "last_name": last_name})
    _check_email_free(clean.get("email"))
    person = Person(**clean)
    db.session.add(person)
    db.session.flush()
    audit.record("person.created", actor=actor, obj=person, summary=person.full_name)
    return person


def update_person(person: Person, *, actor: User | None, **values: Any) -> Person:
    """Change the given fields of `person`; the audit entry lists what changed."""
    unknown = set(values) - set(PERSON_FIELDS)
    if unknown:
        raise TypeError(f"unknown person fields: {sorted(unknown)}")
    clean = person_values(values)
    if "email" in clean:
        _check_email_free(clean["email"], person.id)
    changed = assign_changed(person, clean)
    db.session.flush()
    if changed:
        audit.record(
            "person.updated",
            actor=actor,
            obj=person,
            summary=person.full_name,
            changed=sorted(changed),
        )
    return person


def delete_person(person: Person, *, actor: User | None) -> None:
    """Remove a person from the directory."""
    audit.record(
        "person.deleted", actor=actor, obj=person, summary=person.full_name, email=person.email
    )
    db.session.delete(person)
    db.session.flush()


def assign_changed(obj: Any, values: dict[str, Any]) -> set[str]:
    """Set attributes that differ; the names of those changed."""
    changed = set()
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.add(name)
    return changed


# --- organizations ------------------------------------------------------------------------


def _organization_values(values: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    if "name" in values:
        clean["name"] = " ".join((values["name"] or "").split())
        if not clean["name"]:
            raise DirectoryError(_l("A name is required."), "name")
        _check_length("name", clean["name"])
    if "constituent_group" in values:
        clean["constituent_group"] = _check_group(values["constituent_group"])
    if "country_iso2" in values:
        clean["country_iso2"] = _check_country(values["country_iso2"])
    if "membership" in values:
        membership = values["membership"]
        if not isinstance(membership, MembershipCategory):
            membership = parse_membership(membership or "non_member")
        if membership is None:
            raise DirectoryError(
                _l("Unknown membership category “%(value)s”.", value=values["membership"]),
                "membership",
            )
        clean["membership"] = membership
    return clean


def _check_name_free(
    name: str, country_iso2: str | None, organization_id: int | None = None
) -> None:
    """Names are unique per country, regardless of case and spacing; one without a country
    must be unique everywhere (only a country tells two organizations of one name apart)."""
    existing = organizations_by_names([name]).get(name_key(name), [])
    if any(
        o.id != organization_id and (country_iso2 is None or o.country_iso2 == country_iso2)
        for o in existing
    ):
        raise DirectoryError(
            _l("An organization named “%(name)s” is already in the directory.", name=name), "name"
        )


def create_organization(*, actor: User | None, name: str, **values: Any) -> Organization:
    """Add an organization; names are unique per country regardless of case and spacing."""
    unknown = set(values) - set(ORGANIZATION_FIELDS)
    if unknown:
        raise TypeError(f"unknown organization fields: {sorted(unknown)}")
    clean = _organization_values({"membership": None, **values, "name": name})
    _check_name_free(clean["name"], clean.get("country_iso2"))
    organization = Organization(**clean)
    db.session.add(organization)
    db.session.flush()
    audit.record("organization.created", actor=actor, obj=organization, summary=organization.name)
    return organization


def update_organization(
    organization: Organization, *, actor: User | None, **values: Any
) -> Organization:
    """Change the given fields of `organization`."""
    unknown = set(values) - set(ORGANIZATION_FIELDS)
    if unknown:
        raise TypeError(f"unknown organization fields: {sorted(unknown)}")
    clean = _organization_values(values)
    if "name" in clean or "country_iso2" in clean:
        _check_name_free(
            clean.get("name", organization.name),
            clean.get("country_iso2", organization.country_iso2),
            organization.id,
        )
    changed = assign_changed(organization, clean)
    db.session.flush()
    if changed:
        audit.record(
            "organization.updated",
            actor=actor,
            obj=organization,
            summary=organization.name,
            changed=sorted(changed),
        )
    return organization


def delete_organization(organization: Organization, *, actor: User | None) -> None:
    """Remove an organization nobody refers to any more."""
    people = db.session.scalar(
        select(func.count(Person.id)).where(Person.organization_id == organization.id)
    )
    if people:
        raise DirectoryError(
            _l(
                "%(name)s still has %(n)d people in the directory; move or delete them first.",
                name=organization.name,
                n=people,
            )
        )
    # Focal-point grants would silently cascade away with it.
    grants = db.session.scalar(
        select(func.count(RoleGrant.id)).where(RoleGrant.organization_id == organization.id)
    )
    if grants:
        raise DirectoryError(
            _l("%(name)s has focal points; remove their roles first.", name=organization.name)
        )
    audit.record("organization.deleted", actor=actor, obj=organization, summary=organization.name)
    db.session.delete(organization)
    db.session.flush()


def organizations_by_names(names: Iterable[str]) -> dict[str, list[Organization]]:
    """Organizations whose name matches one of `names`, by name_key, oldest first.

    Matching happens in Python on all (id, name) pairs: SQLite's lower() folds ASCII only,
    so a database-side comparison would miss "ÉCOLE" = "école" there.
    """
    keys = {name_key(n) for n in names} - {""}
    if not keys:
        return {}
    ids = [
        id_
        for id_, name in db.session.execute(select(Organization.id, Organization.name))
        if name_key(name) in keys
    ]
    result: dict[str, list[Organization]] = {}
    for chunk in _chunks(sorted(ids)):
        for organization in db.session.scalars(
            select(Organization).where(Organization.id.in_(chunk)).order_by(Organization.id)
        ):
            result.setdefault(name_key(organization.name), []).append(organization)
    return result


def organization_names() -> list[str]:
    """Every organization name, sorted (the person form's suggestions)."""
    return list(
        db.session.scalars(select(Organization.name).order_by(func.lower(Organization.name)))
    )


def pick_organization(
    candidates: Sequence[Any], country_iso2: str | None = None, current_id: int | None = None
) -> Any | None:
    """The organization a name means, among those of that name (oldest first), or None.

    The one matching rule, for the import and the person form: the person's current
    organization if it has that name; else, with a country, the one in that country
    (None: a new one is due there); without a country, the oldest.
    """
    for organization in candidates:
        if current_id is not None and organization.id == current_id:
            return organization
    if country_iso2:
        return next((o for o in candidates if o.country_iso2 == country_iso2), None)
    return candidates[0] if candidates else None


def find_or_create_organization(
    name: str,
    *,
    actor: User | None,
    country_iso2: str | None = None,
    current_id: int | None = None,
) -> tuple[Organization, bool]:
    """The organization `name` means (see pick_organization), or a new one; and whether it
    was created."""
    existing = pick_organization(
        organizations_by_names([name]).get(name_key(name), []), country_iso2, current_id
    )
    if existing is not None:
        return existing, False
    return create_organization(actor=actor, name=name, country_iso2=country_iso2), True


# --- search -------------------------------------------------------------------------------


@dataclass
class Filters:
    """What a directory list is narrowed to (the list page's query arguments)."""

    q: str = ""
    constituent_group: str | None = None
    region: str | None = None
    country: str | None = None
    organization_id: int | None = None
    #: Whether the text also matches parts of email addresses; off for readers who may
    #: not see the directory's addresses (a co-chair picking a speaker), or the search
    #: would reveal them letter by letter. Off, a whole address still matches.
    match_email: bool = True


def _words(q: str | None) -> list[str]:
    # Bounded: a pasted paragraph must not turn into a hundred LIKE clauses.
    return (q or "").lower().split()[:8]


def _matches(columns: Sequence[Any], word: str):
    """Any of `columns` contains `word`, case-insensitively, with % and _ taken literally."""
    return or_(*(func.lower(c).contains(word, autoescape=True) for c in columns))


def _people_filtered(stmt: Select, filters: Filters) -> Select:
    """`stmt` (over Person joined to Organization and Country) narrowed by `filters`."""
    columns = (Person.first_name, Person.last_name, Person.function, Organization.name)
    if filters.match_email:
        columns += (Person.email,)
    for word in _words(filters.q):
        condition = _matches(columns, word)
        if not filters.match_email and "@" in word:
            # A whole address finds its owner (as adding a speaker by address does);
            # a part of one finds nothing.
            condition = or_(condition, Person.email == word)
        stmt = stmt.where(condition)
    if filters.constituent_group:
        stmt = stmt.where(Organization.constituent_group == filters.constituent_group)
    if filters.region:
        stmt = stmt.where(Country.region_code == filters.region)
    if filters.country:
        stmt = stmt.where(Person.country_iso2 == filters.country)
    if filters.organization_id is not None:
        stmt = stmt.where(Person.organization_id == filters.organization_id)
    return stmt


def _people_joined(stmt: Select) -> Select:
    return stmt.outerjoin(Person.organization).outerjoin(Person.country)


def people_query(filters: Filters) -> Select:
    """Matching people with organization and country loaded in the same query, by name."""
    stmt = _people_joined(select(Person)).options(
        contains_eager(Person.organization), contains_eager(Person.country)
    )
    return _people_filtered(stmt, filters).order_by(
        func.lower(Person.last_name), func.lower(Person.first_name), Person.id
    )


def search_people(
    q: str | None = "",
    constituent_group: str | None = None,
    region: str | None = None,
    country: str | None = None,
    organization_id: int | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
    *,
    match_email: bool = True,
) -> Page:
    """One page of people matching the text and filters: a count query and one items query.
    `match_email=False` leaves addresses out of the text match (see Filters)."""
    filters = Filters(q or "", constituent_group, region, country, organization_id, match_email)
    count = _people_filtered(_people_joined(select(func.count(Person.id))), filters)
    total = db.session.scalar(count) or 0
    number = clamp_page(page, total, per_page)
    items = list(
        db.session.scalars(
            people_query(filters).limit(per_page).offset((number - 1) * per_page)
        ).unique()
    )
    return Page(items, total, number, per_page)


def iter_people(filters: Filters) -> Iterator[Person]:
    """Every person matching `filters`, in one query (the CSV export)."""
    return iter(db.session.scalars(people_query(filters)).unique())


def _organizations_filtered(stmt: Select, filters: Filters) -> Select:
    for word in _words(filters.q):
        stmt = stmt.where(_matches((Organization.name,), word))
    if filters.constituent_group:
        stmt = stmt.where(Organization.constituent_group == filters.constituent_group)
    if filters.region:
        stmt = stmt.where(Country.region_code == filters.region)
    if filters.country:
        stmt = stmt.where(Organization.country_iso2 == filters.country)
    return stmt


def _people_counts():
    return (
        select(Person.organization_id, func.count(Person.id).label("people"))
        .group_by(Person.organization_id)
        .subquery()
    )


def organizations_query(filters: Filters) -> Select:
    """Matching (organization, people count) rows, by name."""
    counts = _people_counts()
    stmt = (
        select(Organization, func.coalesce(counts.c.people, 0))
        .outerjoin(Organization.country)
        .outerjoin(counts, counts.c.organization_id == Organization.id)
        .options(contains_eager(Organization.country))
    )
    return _organizations_filtered(stmt, filters).order_by(
        func.lower(Organization.name), Organization.id
    )


def search_organizations(
    q: str | None = "",
    constituent_group: str | None = None,
    region: str | None = None,
    country: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page:
    """One page of (organization, people count) rows: a count query and one items query."""
    filters = Filters(q or "", constituent_group, region, country)
    count = _organizations_filtered(
        select(func.count(Organization.id)).outerjoin(Organization.country), filters
    )
    total = db.session.scalar(count) or 0
    number = clamp_page(page, total, per_page)
    rows = db.session.execute(
        organizations_query(filters).limit(per_page).offset((number - 1) * per_page)
    ).unique()
    return Page([(o, n) for o, n in rows], total, number, per_page)


def iter_organizations(filters: Filters) -> Iterator[tuple[Organization, int]]:
    """Every (organization, people count) matching `filters`, in one query."""
    return iter([(o, n) for o, n in db.session.execute(organizations_query(filters)).unique()])


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def people_by_emails(emails: Iterable[str]) -> dict[str, Person]:
    """Existing people by lower-cased email, loaded CHUNK addresses per query."""
    wanted = sorted({e for e in emails if e})
    found: dict[str, Person] = {}
    for chunk in _chunks(wanted):
        for person in db.session.scalars(select(Person).where(Person.email.in_(chunk))):
            found[person.email] = person
    return found
