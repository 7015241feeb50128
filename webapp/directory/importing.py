"""CSV import and export of the people directory.

The file has one header row naming the columns below (any order, any case; unknown
columns are ignored and listed in the report). A bad row is skipped and reported with
its row number as a spreadsheet shows it (the header is row 1); every good row is kept.
Rows with the same email, in the file or in the directory, are merged into one person:
non-empty values overwrite, empty ones keep what is there.

An organization is matched by name and the row's country (services.pick_organization):
a row with a country means the organization of that name in that country, or a new one
there; a row without one means the oldest organization of that name. A person already
in an organization of that name stays in it, so an exported file imports unchanged.

Nothing here queries per row: countries, groups, the file's existing people (by email,
in chunks) and organizations (by name) are loaded once.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select

from models import Country, MembershipCategory, Organization, Person, User

from .. import audit
from ..auth.services import normalize_email
from ..config import LANGUAGES
from ..downloads import FORMULA_START, write_csv
from ..extensions import db
from . import services
from .services import MAX_LENGTH, DirectoryError, name_key

#: (column, what goes in it) in file order; the import page shows this list.
COLUMNS: list[tuple[str, Any]] = [
    (
        "email",
        _l(
            "Email address; the key rows are merged on. Optional, but rows without "
            "one are always added as new people."
        ),
    ),
    ("honorific", _l("Mr, Ms, Dr, H.E. …")),
    ("first_name", _l("Given name(s).")),
    ("last_name", _l("Family name. Required.")),
    ("function", _l("Job title, e.g. Minister of ICT.")),
    ("organization", _l("Organization name; an unknown name creates the organization.")),
    (
        "constituent_group",
        _l("Constituent group code of the organization (MS_MIN, SM, PRIV, CSO, UN, …)."),
    ),
    ("membership", _l("member_state, sector_member, associate, academia or non_member.")),
    ("country", _l("Country as ISO code (CH or CHE) or English name (Switzerland).")),
    (
        "languages",
        _l("UN language codes separated by spaces, commas or semicolons: ar zh en fr ru es."),
    ),
    ("gender", _l("f, m, x or empty.")),
]
HEADER = [name for name, _ in COLUMNS]
REQUIRED = ("last_name",)
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
#: Rows saved between two progress reports (each report commits).
PROGRESS_EVERY = 500
#: Cells a spreadsheet would run as a formula; exported with a leading quote.
SAMPLE_ROWS = [
    [
        "amina.diallo@example.org",
        "H.E.",
        "Amina",
        "Diallo",
        "Minister of Digital Economy",
        "Ministry of Digital Economy (Senegal)",
        "MS_MIN",
        "member_state",
        "SN",
        "fr en",
        "f",
    ],
    [
        "li.wei@example.com",
        "Mr",
        "Wei",
        "Li",
        "Head of Public Policy",
        "Example Telecom",
        "PRIV",
        "sector_member",
        "CHN",
        "zh en",
        "m",
    ],
    [
        "",
        "Ms",
        "Sofía",
        "Pérez",
        "Programme Officer",
        "Community Networks Alliance",
        "CSO",
        "non_member",
        "Argentina",
        "es",
        "",
    ],
]
PERSON_TEXT = ("honorific", "first_name", "last_name", "function")
ORGANIZATION_VALUES = ("constituent_group", "membership")


class ImportRefused(DirectoryError):
    """The whole file is unusable (size, encoding, header); nothing was imported."""


@dataclass
class ImportReport:
    """What an import did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: Rows folded into an earlier row of the same file (same email).
    merged_in_file: int = 0
    organizations_created: int = 0
    #: Existing organizations whose constituent group or membership the file changed.
    organizations_updated: int = 0
    #: (row number, reason) of each skipped row; the header is row 1.
    errors: list[tuple[int, str]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def kept(self) -> int:
        """Rows kept: people created, updated or found unchanged."""
        return self.created + self.updated + self.unchanged

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON values (a job's stored result)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportReport:
        """The report back from as_dict() (after a JSON round trip)."""
        names = {f.name for f in dataclasses.fields(cls)}
        report = cls(**{k: v for k, v in data.items() if k in names})
        report.errors = [(int(line), str(reason)) for line, reason in report.errors]
        return report


@dataclass
class Row:
    """One good row, checked and normalized; empty strings mean "not given"."""

    line: int
    values: dict[str, Any]
    organization: str = ""
    organization_values: dict[str, Any] = field(default_factory=dict)
    #: Rows of the file this one stands for (later rows with its email merge into it).
    rows: int = 1


class RowError(Exception):
    """The row is skipped for the reason given."""


# --- reading the file ---------------------------------------------------------------------


def decode(data: bytes) -> str:
    """The file's text: UTF-8 with or without BOM, or ImportRefused."""
    if len(data) > MAX_BYTES:
        raise ImportRefused(
            _l(
                "The file is larger than %(mb)d MB. Split it into smaller files.",
                mb=MAX_BYTES // (1024 * 1024),
            )
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(
            _l("The file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8”.")
        ) from None
    if not text.strip():
        raise ImportRefused(_l("The file is empty."))
    return text


def _delimiter(first_line: str) -> str:
    """',' unless the header clearly uses ';' or tabs (spreadsheets in many locales)."""
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _column(name: str) -> str:
    """Header cell as a column key: "Last name" -> last_name."""
    return "_".join(name.strip().lower().replace("-", " ").split())


def read_rows(text: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header's column keys and (row number, cells) for the rows after it."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.split("\n", 1)[0]))
    try:
        header = [_column(c) for c in next(reader)]
    except csv.Error as error:
        raise ImportRefused(
            _l("The header row cannot be read: %(error)s", error=str(error))
        ) from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportRefused(
            _l(
                "The header row has no %(columns)s column. The first row must name the columns: "
                "%(expected)s.",
                columns=", ".join(missing),
                expected=", ".join(HEADER),
            )
        )
    # Spreadsheet row numbers: a blank line is a row, a line break inside quotes is not.
    return header, enumerate(reader, start=2)


def _unreadable(line: int, error: csv.Error) -> ImportRefused:
    """The refusal for a row the csv module cannot parse."""
    if "field larger than field limit" in str(error):
        return ImportRefused(
            _l(
                "Row %(line)s has a cell longer than %(n)s characters, or a quote that is never "
                "closed. Nothing was imported.",
                line=line,
                n=f"{csv.field_size_limit():,}",
            )
        )
    return ImportRefused(
        _l("Row %(line)s cannot be read: %(error)s. Nothing was imported.", line=line, error=error)
    )


def filled_rows(rows: Iterator[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    """The rows that are not blank, or ImportRefused for an unreadable or too long file."""
    filled: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for line, raw in rows:
            # Spreadsheets leave blank rows at the end; they mean nothing.
            if any(c.strip() for c in raw):
                filled.append((line, raw))
    except csv.Error as error:
        raise _unreadable(line + 1, error) from None
    if len(filled) > MAX_ROWS:
        raise ImportRefused(
            _l("The file has more than %(n)s rows. Split it into smaller files.", n=f"{MAX_ROWS:,}")
        )
    return filled


def check_file(data: bytes) -> str:
    """The file's text if nothing refuses the whole file (size, encoding, header, an
    unreadable row, too many rows), else ImportRefused; the rows are not checked yet."""
    text = decode(data)
    _header, rows = read_rows(text)
    filled_rows(rows)
    return text


# --- checking one row ---------------------------------------------------------------------


@dataclass
class Lookups:
    """Everything a row is checked against, loaded once per file."""

    countries: dict[str, str]
    groups: set[str]

    @classmethod
    def load(cls) -> Lookups:
        countries: dict[str, str] = {}
        for iso2, iso3, name in db.session.execute(
            select(Country.iso2, Country.iso3, Country.name_en)
        ):
            countries[iso2.upper()] = iso2
            countries[iso3.upper()] = iso2
            countries[name.casefold()] = iso2
        return cls(countries, services.group_codes())

    def country(self, value: str) -> str:
        if not value:
            return ""
        iso2 = self.countries.get(value.upper()) or self.countries.get(
            " ".join(value.casefold().split())
        )
        if iso2 is None:
            raise RowError(_l("Unknown country “%(value)s”.", value=value))
        return iso2


def unquote(value: str) -> str:
    """Undo the export's formula guard, so an exported file imports unchanged."""
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_START:
        return value[1:]
    return value


def _check_text(name: str, value: str) -> str:
    if len(value) > MAX_LENGTH[name]:
        raise RowError(
            _l("%(column)s is longer than %(n)d characters.", column=name, n=MAX_LENGTH[name])
        )
    return value


def _email(value: str) -> str:
    if not value:
        return ""
    _check_text("email", value)
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise RowError(_l("“%(value)s” is not a valid email address.", value=value)) from None
    return normalize_email(value)


def _languages(value: str) -> list[str]:
    codes = [c.lower() for c in re.split(r"[\s,;]+", value) if c]
    bad = [c for c in codes if c not in LANGUAGES]
    if bad:
        raise RowError(
            _l(
                "Unknown language “%(value)s”; use %(codes)s.",
                value=", ".join(bad),
                codes=" ".join(LANGUAGES),
            )
        )
    return list(dict.fromkeys(codes))


GENDER_WORDS = {"f": "f", "female": "f", "m": "m", "male": "m", "x": "x"}


def _gender(value: str) -> str:
    if not value:
        return ""
    if value.lower() not in GENDER_WORDS:
        raise RowError(
            _l("Unknown gender “%(value)s”; use f, m, x or leave it empty.", value=value)
        )
    return GENDER_WORDS[value.lower()]


def check_row(line: int, cells: dict[str, str], lookups: Lookups) -> Row:
    """A checked Row from the raw cells, or RowError naming the first problem."""
    values: dict[str, Any] = {}
    for name in PERSON_TEXT:
        values[name] = _check_text(name, cells.get(name, ""))
    if not values["last_name"]:
        raise RowError(_l("The last name is missing."))
    values["email"] = _email(cells.get("email", ""))
    values["country_iso2"] = lookups.country(cells.get("country", ""))
    values["languages"] = _languages(cells.get("languages", ""))
    values["gender"] = _gender(cells.get("gender", ""))
    organization = _check_text("organization", " ".join(cells.get("organization", "").split()))
    org_values: dict[str, Any] = {}
    group = cells.get("constituent_group", "").upper()
    if group:
        if group not in lookups.groups:
            raise RowError(_l("Unknown constituent group “%(value)s”.", value=group))
        org_values["constituent_group"] = group
    membership = cells.get("membership", "")
    if membership:
        category = services.parse_membership(membership)
        if category is None:
            raise RowError(
                _l(
                    "Unknown membership category “%(value)s”; use %(codes)s.",
                    value=membership,
                    codes=", ".join(m.value for m in MembershipCategory),
                )
            )
        org_values["membership"] = category
    if org_values and not organization:
        raise RowError(_l("A constituent group or membership needs an organization name."))
    return Row(line, values, organization, org_values)


def check_rows(
    header: list[str], rows: Iterable[tuple[int, list[str]]], lookups: Lookups, report: ImportReport
) -> list[Row]:
    """Good rows in file order; bad ones go to report.errors."""
    good: list[Row] = []
    for line, raw in rows:
        if len(raw) > len(header) and any(c.strip() for c in raw[len(header) :]):
            report.errors.append(
                (
                    line,
                    str(
                        _l(
                            "This row has %(cells)d cells but the header has %(columns)d;"
                            " is a value with a comma missing its quotes?",
                            cells=len(raw),
                            columns=len(header),
                        )
                    ),
                )
            )
            continue
        cells = {name: unquote(value.strip()) for name, value in zip(header, raw, strict=False)}
        try:
            good.append(check_row(line, cells, lookups))
        except RowError as error:
            report.errors.append((line, str(error)))
    return good


# --- merging and saving -------------------------------------------------------------------


def overlay(target: dict[str, Any], values: dict[str, Any]) -> None:
    """Later non-empty values win; empty ones keep what is there."""
    for name, value in values.items():
        if value not in ("", None, []):
            target[name] = value


def merge_rows(rows: list[Row], report: ImportReport) -> list[Row]:
    """One Row per email (rows without email stay separate), in order of first appearance."""
    by_email: dict[str, Row] = {}
    merged: list[Row] = []
    for row in rows:
        email = row.values["email"]
        first = by_email.get(email) if email else None
        if first is None:
            if email:
                by_email[email] = row
            merged.append(row)
            continue
        report.merged_in_file += 1
        first.rows += 1
        overlay(first.values, row.values)
        if row.organization:
            first.organization = row.organization
        overlay(first.organization_values, row.organization_values)
    return merged


def organization_targets(rows: list[Row], existing: dict[str, Person]) -> dict[int, Organization]:
    """Row line -> the organization the row means; new ones are pending, not added yet."""
    found = services.organizations_by_names(r.organization for r in rows)
    targets: dict[int, Organization] = {}
    # Rows with a country first, so a row without one may mean an organization the file
    # creates in some country, whatever the order of the rows.
    for row in sorted(rows, key=lambda r: not r.values["country_iso2"]):
        candidates = found.setdefault(name_key(row.organization), [])
        person = existing.get(row.values["email"])
        country = row.values["country_iso2"] or None
        target = services.pick_organization(
            candidates, country, person.organization_id if person else None
        )
        if target is None:
            target = Organization(
                name=row.organization,
                country_iso2=country,
                constituent_group=None,
                membership=MembershipCategory.NON_MEMBER,
            )
            candidates.append(target)
        targets[row.line] = target
    return targets


def _audit_updated(changes: dict[int, tuple[Organization, set[str]]], actor: User | None) -> None:
    """One audit entry per existing organization the file changed."""
    for organization, changed in changes.values():
        audit.record(
            "organization.updated",
            actor=actor,
            obj=organization,
            summary=organization.name,
            changed=sorted(changed),
            source="import",
        )


def _insert(new: list[Organization]) -> dict[tuple[str, str | None], int]:
    """Insert pending organizations in one executemany; their ids by (name_key, country)."""
    if not new:
        return {}
    # The ORM would insert row by row to learn each new id (SQLite batches no RETURNING).
    columns = ("name", "country_iso2", "constituent_group", "membership")
    db.session.execute(insert(Organization), [{c: getattr(o, c) for c in columns} for o in new])
    stored = services.organizations_by_names(o.name for o in new)
    # Oldest first, so the new one (the newest) wins; a pair never had one before.
    return {(key, o.country_iso2): o.id for key, found in stored.items() for o in found}


def resolve_organizations(
    rows: list[Row], existing: dict[str, Person], report: ImportReport, actor: User | None
) -> dict[int, int]:
    """Row line -> organization id for rows naming one, creating and updating organizations."""
    named = [r for r in rows if r.organization]
    targets = organization_targets(named, existing)
    new = list({id(t): t for t in targets.values() if t.id is None}.values())
    changes: dict[int, tuple[Organization, set[str]]] = {}
    for row in named:  # in file order: later rows' values win
        target = targets[row.line]
        changed = services.assign_changed(target, row.organization_values)
        if changed and target.id is not None:
            changes.setdefault(target.id, (target, set()))[1].update(changed)
    created = _insert(new)
    _audit_updated(changes, actor)
    report.organizations_created = len(new)
    report.organizations_updated = len(changes)
    return {
        line: t.id if t.id is not None else created[(name_key(t.name), t.country_iso2)]
        for line, t in targets.items()
    }


def person_values(row: Row, organizations: dict[int, int]) -> dict[str, Any]:
    """The person columns of a row, with None for what it leaves empty."""
    values = dict(row.values)
    values["email"] = values["email"] or None
    values["country_iso2"] = values["country_iso2"] or None
    values["organization_id"] = organizations.get(row.line)
    return values


def _save_people(
    rows: list[Row],
    existing: dict[str, Person],
    organizations: dict[int, int],
    report: ImportReport,
) -> None:
    """Create or update the people of `rows`: one INSERT for the new ones."""
    new: list[dict[str, Any]] = []
    for row in rows:
        values = person_values(row, organizations)
        person = existing.get(values["email"]) if values["email"] else None
        if person is None:
            new.append(values)
            continue
        incoming: dict[str, Any] = {}
        overlay(incoming, values)
        if services.assign_changed(person, incoming):
            report.updated += 1
        else:
            report.unchanged += 1
    if new:
        # Every dict has the same keys, so this is one executemany, not an INSERT per row.
        db.session.execute(insert(Person), new)
    report.created += len(new)
    db.session.flush()


@dataclass
class Progress:
    """Rows of the file handled so far, passed on to an optional callback(done, total)."""

    callback: Callable[[int, int], None] | None
    total: int
    done: int = 0

    def add(self, rows: int) -> None:
        """Count `rows` more rows as handled and tell the callback."""
        self.done += rows
        if self.callback is not None:
            self.callback(self.done, self.total)


def save_rows(
    rows: list[Row],
    report: ImportReport,
    actor: User | None = None,
    progress: Progress | None = None,
) -> None:
    """Create or update one person per merged row, PROGRESS_EVERY rows at a time."""
    existing = services.people_by_emails(r.values["email"] for r in rows)
    organizations = resolve_organizations(rows, existing, report, actor)
    for start in range(0, len(rows), PROGRESS_EVERY):
        chunk = rows[start : start + PROGRESS_EVERY]
        _save_people(chunk, existing, organizations, report)
        if progress is not None:
            progress.add(sum(r.rows for r in chunk))


def _audit_import(report: ImportReport, actor: User | None, filename: str) -> None:
    """The one audit entry of an import, with its counts and first refused rows."""
    audit.record(
        "directory.imported",
        actor=actor,
        obj=None,
        summary=f"{filename or 'CSV'}: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len(report.errors)} rows refused",
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        organizations_created=report.organizations_created,
        organizations_updated=report.organizations_updated,
        errors=[list(e) for e in report.errors[:100]],
    )


def import_people(
    data: bytes | str,
    *,
    actor: User | None,
    filename: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import a people CSV (bytes, or text from check_file): keep every good row, report
    every bad one with its reason; progress(done, total) is called after each chunk."""
    text = decode(data) if isinstance(data, bytes) else data
    header, rows = read_rows(text)
    report = ImportReport(ignored_columns=[c for c in header if c and c not in HEADER])
    filled = filled_rows(rows)
    good = check_rows(header, filled, Lookups.load(), report)
    counter = Progress(progress, len(filled))
    counter.add(len(report.errors))  # refused rows are done once checked
    save_rows(merge_rows(good, report), report, actor, counter)
    _audit_import(report, actor, filename)
    return report


# --- writing ------------------------------------------------------------------------------


def person_cells(person: Person) -> list[str]:
    """The import columns for one person."""
    organization = person.organization
    return [
        person.email or "",
        person.honorific,
        person.first_name,
        person.last_name,
        person.function,
        organization.name if organization else "",
        (organization.constituent_group or "") if organization else "",
        organization.membership.value if organization else "",
        person.country_iso2 or "",
        " ".join(person.languages or []),
        person.gender,
    ]


def people_csv(people: Iterable[Person]) -> str:
    """The people as an importable CSV."""
    return write_csv(HEADER, (person_cells(p) for p in people))


ORGANIZATION_HEADER = ["name", "constituent_group", "membership", "country", "region", "people"]


def organizations_csv(rows: Iterable[tuple[Organization, int]]) -> str:
    """Organizations with their people counts."""
    return write_csv(
        ORGANIZATION_HEADER,
        (
            [
                o.name,
                o.constituent_group or "",
                o.membership.value,
                o.country_iso2 or "",
                o.country.region_code if o.country else "",
                n,
            ]
            for o, n in rows
        ),
    )


def sample_csv() -> str:
    """A small file showing every column."""
    return write_csv(HEADER, SAMPLE_ROWS)
