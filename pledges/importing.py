"""Bulk import of an event's pledges by organizers, from CSV (UTF-8) or XLSX.

The first row names the columns (COLUMNS, any order, any case; unknown ones are ignored
and listed in the report); `organization` and `title` are required. Coded lists take
";"-separated codes. A bad row is skipped and listed with its line as a spreadsheet
shows it (the header is line 1) and why; every good row is kept. A row naming the same
organization and title (case-insensitive) as an earlier row of the file, or as a pledge
already stored for the event, is flagged in the report and not stored twice.

Files are read with the target-list import's readers (invitations.importing) and
organizations matched or created with the directory import's rules (by name and
country, webapp.directory.importing). Nothing queries per row: reference codes,
countries, rates, organizations and the event's pledges are loaded once per file.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select

from invitations import importing as sheets
from models import (
    Event,
    Pledge,
    PledgerSector,
    PledgeState,
    PledgeTag,
    PledgeType,
    ReferenceItem,
    User,
    utcnow,
)
from webapp import audit
from webapp.directory import importing as people_import
from webapp.directory.background import reporter
from webapp.directory.services import name_key
from webapp.downloads import write_csv, write_xlsx
from webapp.extensions import db
from webapp.jobs import Progress, job

from . import money
from .core import BENEFICIARY_GROUPS, next_public_id

#: (column, what goes in it) in file order; the import page shows this list.
COLUMNS: list[tuple[str, Any]] = [
    ("organization", _l("Name of the pledging organization. Required.")),
    (
        "country",
        _l(
            "Country of the organization, as ISO code (CH or CHE) or English name. An "
            "unknown organization is added to the directory."
        ),
    ),
    ("title", _l("Title of the pledge, at most 300 characters. Required.")),
    ("description", _l("What the pledge commits to.")),
    ("pledge_type", _l("financial, policy, programmatic or advocacy.")),
    (
        "sector",
        _l(
            "government, private_sector, international_organization, un_agency, "
            "civil_society or academia."
        ),
    ),
    ("focus_areas", _l("Focus area codes: ACCESS; ADOPTION; VALUE_CREATION; ACCELERATE.")),
    ("kap_priorities", _l("Kigali Action Plan priority codes, e.g. affordable_connectivity.")),
    ("regional_initiatives", _l("Regional initiative codes, e.g. AFR1; ASP3.")),
    ("sdgs", _l("Sustainable Development Goals: SDG1 to SDG17 (or 1 to 17).")),
    ("target_countries", _l("Countries the pledge targets, as ISO codes or English names.")),
    ("beneficiary_groups", _l("Beneficiary group codes, e.g. women_girls; youth.")),
    ("people_to_reach", _l("Number of people the pledge will reach.")),
    ("amount", _l("Value of the pledge, e.g. 2500000 or 2500000.50.")),
    ("currency", _l("ISO 4217 code of the amount, e.g. USD or EUR; needed with an amount.")),
    ("start_date", _l("Start date, as YYYY-MM-DD.")),
    ("end_date", _l("End date, as YYYY-MM-DD; not before the start date.")),
    ("state", _l("draft or published. Empty: draft.")),
]
HEADER = [name for name, _description in COLUMNS]
REQUIRED = ("organization", "title")
MAX_BYTES = sheets.MAX_BYTES
MAX_ROWS = sheets.MAX_ROWS
MAX_TITLE = 300
MAX_DESCRIPTION = 20_000
MAX_ORGANIZATION = 300
#: More people than live on earth is a typo.
MAX_PEOPLE = 2_000_000_000  # the column is a 32-bit integer
#: Rows saved between two progress reports.
PROGRESS_EVERY = 500
IMPORT_JOB = "pledges.import"
#: Coded columns -> PledgeTag kind.
CODED = {
    "focus_areas": "focus_area",
    "kap_priorities": "kap_priority",
    "regional_initiatives": "regional_initiative",
    "sdgs": "sdg",
    "target_countries": "country",
    "beneficiary_groups": "beneficiary_group",
}
STATES = {"": PledgeState.DRAFT, "draft": PledgeState.DRAFT, "published": PledgeState.PUBLISHED}

SAMPLE_ROWS = [
    [
        "Example Telecom",
        "KE",
        "Connect 500 rural schools",
        "Fibre and satellite links for 500 rural schools in East Africa by 2028.",
        "programmatic",
        "private_sector",
        "ACCESS",
        "affordable_connectivity",
        "AFR1",
        "SDG4; SDG9",
        "KE; UG; TZ",
        "youth; rural_communities",
        "250000",
        "25000000",
        "USD",
        "2026-01-01",
        "2028-12-31",
        "published",
    ],
    [
        "Ministry of Digital Economy (Senegal)",
        "SEN",
        "National digital skills plan for women",
        "Training one million women in basic digital skills.",
        "policy",
        "government",
        "ADOPTION",
        "digital_transformation",
        "",
        "5; 8",
        "Senegal",
        "women_girls",
        "1000000",
        "",
        "",
        "2026-03-01",
        "2030-12-31",
        "draft",
    ],
]


class ImportRefused(Exception):
    """The whole file is unusable (size, type, encoding, header); nothing was imported."""

    def __init__(self, message, field: str = "file"):
        super().__init__(str(message))
        self.field = field


class RowError(Exception):
    """The row is skipped for the reason given."""


@dataclass
class PledgeImportReport:
    """What a pledge import did."""

    drafts: int = 0
    published: int = 0
    organizations_created: int = 0
    organizations_updated: int = 0
    #: (line, reason) of each refused row; the header is line 1.
    errors: list[tuple[int, str]] = field(default_factory=list)
    #: (line, reason) of each row not stored because it doubles a pledge.
    duplicates: list[tuple[int, str]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    #: Public ids given to the published rows.
    public_ids: list[str] = field(default_factory=list)

    @property
    def kept(self) -> int:
        """Rows stored as pledges."""
        return self.drafts + self.published

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON values (a job's stored result)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PledgeImportReport:
        """The report back from as_dict() (after a JSON round trip)."""
        names = {f.name for f in dataclasses.fields(cls)}
        report = cls(**{k: v for k, v in data.items() if k in names})
        report.errors = [(int(line), str(reason)) for line, reason in report.errors]
        report.duplicates = [(int(line), str(reason)) for line, reason in report.duplicates]
        return report


@dataclass
class PledgeRow:
    """One good row, checked and normalized."""

    line: int
    organization: str
    country_iso2: str
    values: dict[str, Any]
    tags: dict[str, list[str]]
    state: PledgeState

    @property
    def key(self) -> tuple[str, str]:
        """What makes two rows the same pledge: organization and title, any case."""
        return name_key(self.organization), name_key(self.values["title"])


# --- reading the file ---------------------------------------------------------------------


def read_upload(data: bytes, filename: str = "") -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header's column keys and the non-blank rows (line, cells) of a CSV or XLSX
    file, or ImportRefused for a file that cannot be used at all."""
    if len(data) > MAX_BYTES:
        raise ImportRefused(
            _l(
                "The file is larger than %(mb)d MB. Split it into smaller files.",
                mb=MAX_BYTES // (1024 * 1024),
            )
        )
    if not data.strip():
        raise ImportRefused(_l("The file is empty."))
    try:
        if sheets.file_kind(data, filename) == "xlsx":
            header, rows = sheets.xlsx_rows(data)
        else:
            header, rows = sheets.csv_rows(data)
    except sheets.ImportRefused as error:
        raise ImportRefused(str(error)) from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportRefused(
            _l(
                "The header row has no %(columns)s column. The first row must name the "
                "columns: %(expected)s.",
                columns=", ".join(missing),
                expected=", ".join(HEADER),
            )
        )
    if len(rows) > MAX_ROWS:
        raise ImportRefused(
            _l("The file has more than %(n)s rows. Split it into smaller files.", n=f"{MAX_ROWS:,}")
        )
    if not rows:
        raise ImportRefused(_l("The file has a header row but no pledges."))
    return header, rows


# --- checking rows ------------------------------------------------------------------------


@dataclass
class Lookups:
    """Everything a row is checked against, loaded once per file."""

    countries: people_import.Lookups
    #: kind -> {folded code: code as stored}
    codes: dict[str, dict[str, str]]
    today: date
    #: currency -> (USD per unit, date of the rate) at the import's date, as money.to_usd
    #: finds them: one query per currency of the file, not per row.
    rates: dict[str, tuple[Decimal, date] | str] = field(default_factory=dict)

    @classmethod
    def load(cls, today: date | None = None) -> Lookups:
        today = today or date.today()
        codes: dict[str, dict[str, str]] = {kind: {} for kind in CODED.values()}
        kinds = ("focus_area", "kap_priority", "regional_initiative", "sdg")
        for kind, code in db.session.execute(
            select(ReferenceItem.kind, ReferenceItem.code).where(ReferenceItem.kind.in_(kinds))
        ):
            codes[kind][code.casefold()] = code
            if kind == "sdg" and code.upper().startswith("SDG"):
                codes[kind][code[3:]] = code  # "5" means SDG5
        codes["beneficiary_group"] = {c: c for c in BENEFICIARY_GROUPS}
        return cls(people_import.Lookups.load(), codes, today)

    def rate(self, currency: str) -> tuple[Decimal, date]:
        """USD per unit of `currency` and the rate's date, or RowError."""
        if currency not in self.rates:
            try:
                found = money.to_usd(Decimal(1), currency, self.today)
                self.rates[currency] = (found.rate, found.rate_date)
            except money.MoneyError as error:
                self.rates[currency] = str(error)
        found = self.rates[currency]
        if isinstance(found, str):
            raise RowError(found)
        return found

    def country(self, value: str) -> str:
        try:
            return self.countries.country(value)
        except people_import.RowError as error:
            raise RowError(str(error)) from None


def _split(value: str) -> list[str]:
    return [c.strip() for c in re.split(r"[;\n]", value) if c.strip()]


def _codes(column: str, value: str, lookups: Lookups) -> list[str]:
    kind = CODED[column]
    if kind == "country":
        return sorted({lookups.country(c) for c in _split(value)})
    known = lookups.codes[kind]
    found, unknown = [], []
    for raw in _split(value):
        code = known.get(raw.casefold()) or known.get(raw.casefold().replace(" ", "_"))
        (found if code else unknown).append(code or raw)
    if unknown:
        raise RowError(
            _l(
                "Unknown %(column)s code(s): %(codes)s.",
                column=column,
                codes=", ".join(unknown),
            )
        )
    return sorted(set(found))


def _enum(enum_cls, column: str, value: str):
    if not value:
        return None
    folded = value.strip().lower().replace(" ", "_").replace("-", "_")
    for member in enum_cls:
        if member.value == folded:
            return member
    raise RowError(
        _l(
            "Unknown %(column)s “%(value)s”; use %(codes)s.",
            column=column,
            value=value,
            codes=", ".join(m.value for m in enum_cls),
        )
    )


def _date(column: str, value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise RowError(
            _l("%(column)s “%(value)s” is not a date as YYYY-MM-DD.", column=column, value=value)
        ) from None


def _people(value: str) -> int | None:
    if not value:
        return None
    try:
        number = int(value.replace(",", "").replace(" ", ""))
    except ValueError:
        raise RowError(
            _l("people_to_reach “%(value)s” is not a whole number.", value=value)
        ) from None
    if number < 0 or number > MAX_PEOPLE:
        raise RowError(_l("people_to_reach must be between 0 and 10 billion."))
    return number


def _money(amount_text: str, currency_text: str, lookups: Lookups) -> dict[str, Any]:
    currency = currency_text.strip().upper()
    if not amount_text:
        if currency:
            raise RowError(_l("A currency needs an amount."))
        return {}
    try:
        amount = Decimal(amount_text.replace(",", "").replace(" ", ""))
    except InvalidOperation:
        raise RowError(_l("The amount “%(value)s” is not a number.", value=amount_text)) from None
    if not amount.is_finite():
        raise RowError(_l("The amount “%(value)s” is not a number.", value=amount_text))
    if amount < 0:
        raise RowError(_l("The amount cannot be negative."))
    if amount > money.MAX_AMOUNT:
        raise RowError(_l("The amount is too large to be a real pledge; check the digits."))
    if amount != amount.quantize(Decimal("0.01")):
        raise RowError(_l("The amount has more than two decimals."))
    if not currency:
        raise RowError(_l("An amount needs a currency."))
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise RowError(
            _l("Unknown currency “%(currency)s”; use an ISO 4217 code.", currency=currency_text)
        )
    rate, as_of = lookups.rate(currency)
    usd = (amount * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return {
        "amount": amount,
        "currency": currency,
        "usd_value": usd,
        "usd_rate": rate,
        "usd_rate_date": as_of,
    }


def _text(column: str, value: str, limit: int) -> str:
    if len(value) > limit:
        raise RowError(
            _l("%(column)s is longer than %(n)s characters.", column=column, n=f"{limit:,}")
        )
    return value


def check_row(line: int, cells: dict[str, str], lookups: Lookups) -> PledgeRow:
    """A checked PledgeRow from the raw cells, or RowError naming the first problem."""
    organization = _text(
        "organization", " ".join(cells.get("organization", "").split()), MAX_ORGANIZATION
    )
    if not organization:
        raise RowError(_l("The organization is missing."))
    title = _text("title", " ".join(cells.get("title", "").split()), MAX_TITLE)
    if not title:
        raise RowError(_l("The title is missing."))
    state_text = cells.get("state", "").strip().lower()
    if state_text not in STATES:
        raise RowError(
            _l("Unknown state “%(value)s”; use draft or published.", value=cells["state"])
        )
    values: dict[str, Any] = {
        "title": title,
        "description": _text("description", cells.get("description", ""), MAX_DESCRIPTION),
        "pledge_type": _enum(PledgeType, "pledge_type", cells.get("pledge_type", "")),
        "sector": _enum(PledgerSector, "sector", cells.get("sector", "")),
        "people_to_reach": _people(cells.get("people_to_reach", "")),
        "start_date": _date("start_date", cells.get("start_date", "")),
        "end_date": _date("end_date", cells.get("end_date", "")),
    }
    if values["start_date"] and values["end_date"] and values["end_date"] < values["start_date"]:
        raise RowError(_l("The end date is before the start date."))
    values.update(_money(cells.get("amount", ""), cells.get("currency", ""), lookups))
    tags = {kind: _codes(column, cells.get(column, ""), lookups) for column, kind in CODED.items()}
    return PledgeRow(
        line,
        organization,
        lookups.country(cells.get("country", "")),
        values,
        tags,
        STATES[state_text],
    )


def check_rows(
    header: list[str],
    rows: Iterable[tuple[int, list[str]]],
    lookups: Lookups,
    report: PledgeImportReport,
) -> list[PledgeRow]:
    """Good rows in file order; bad ones go to report.errors."""
    good: list[PledgeRow] = []
    for line, raw in rows:
        if len(raw) > len(header) and any(c.strip() for c in raw[len(header) :]):
            report.errors.append(
                (
                    line,
                    _(
                        "This row has %(cells)d cells but the header has %(columns)d; is a "
                        "value with a comma missing its quotes?",
                        cells=len(raw),
                        columns=len(header),
                    ),
                )
            )
            continue
        cells = {
            name: people_import.unquote(value.strip())
            for name, value in zip(header, raw, strict=False)
            if name
        }
        try:
            good.append(check_row(line, cells, lookups))
        except RowError as error:
            report.errors.append((line, str(error)))
    return good


# --- duplicates and saving ----------------------------------------------------------------


def _duplicate(row: PledgeRow, where: str) -> tuple[int, str]:
    return (
        row.line,
        _(
            "“%(title)s” of %(organization)s %(where)s; the row was not imported.",
            title=row.values["title"],
            organization=row.organization,
            where=where,
        ),
    )


def _org_rows(rows: list[PledgeRow]) -> list[people_import.Row]:
    """The rows as the directory import's rows, for its organization matching."""
    return [
        people_import.Row(r.line, {"email": "", "country_iso2": r.country_iso2}, r.organization)
        for r in rows
    ]


def drop_duplicates(
    event: Event, rows: list[PledgeRow], report: PledgeImportReport
) -> list[PledgeRow]:
    """The rows that double neither an earlier row nor a stored pledge of the event; the
    others are flagged in report.duplicates."""
    first: dict[tuple[str, str], int] = {}
    unique: list[PledgeRow] = []
    for row in rows:
        if row.key in first:
            report.duplicates.append(
                _duplicate(row, _("is already on line %(line)s", line=first[row.key]))
            )
            continue
        first[row.key] = row.line
        unique.append(row)
    # Which existing organization each row means (new ones are not created yet).
    targets = people_import.organization_targets(_org_rows(unique), {})
    stored = {
        (organization_id, name_key(title))
        for organization_id, title in db.session.execute(
            select(Pledge.organization_id, Pledge.title).where(Pledge.event_id == event.id)
        )
    }
    kept: list[PledgeRow] = []
    for row in unique:
        target = targets.get(row.line)
        if target is not None and target.id is not None and (target.id, row.key[1]) in stored:
            report.duplicates.append(_duplicate(row, _("is already stored for this event")))
            continue
        kept.append(row)
    return kept


class _PublicIds:
    """Public ids for the published rows: one query for the first, then counting on."""

    def __init__(self, year: int):
        self.year = year
        self.next: int | None = None

    def take(self) -> str:
        if self.next is None:
            self.next = int(next_public_id(self.year).rsplit("-", 1)[1])
        public_id = f"P2C-{self.year}-{self.next:04d}"
        self.next += 1
        return public_id


def _insert_chunk(
    event: Event,
    chunk: list[PledgeRow],
    organizations: dict[int, int],
    ids: _PublicIds,
    actor: User | None,
    report: PledgeImportReport,
) -> None:
    """Insert a chunk's pledges in one executemany, then their tags in another.

    The ORM would insert row by row to learn each new id (SQLite batches no RETURNING);
    the new pledges are read back by organization and title, unique among kept rows."""
    now = utcnow()
    values: list[dict[str, Any]] = []
    for row in chunk:
        published = row.state == PledgeState.PUBLISHED
        values.append(
            {
                "amount": None,
                "currency": None,
                "usd_value": None,
                "usd_rate": None,
                "usd_rate_date": None,
                **row.values,
                "event_id": event.id,
                "organization_id": organizations[row.line],
                "created_by_id": actor.id if actor is not None else None,
                "state": row.state,
                "public_id": ids.take() if published else None,
                "submitted_at": now if published else None,
                "approved_at": now if published else None,
                "published_at": now if published else None,
                "created_at": now,
                "updated_at": now,
            }
        )
        if published:
            report.published += 1
            report.public_ids.append(values[-1]["public_id"])
        else:
            report.drafts += 1
    floor = db.session.scalar(select(func.max(Pledge.id))) or 0
    db.session.execute(insert(Pledge), values)
    new_ids = {
        (organization_id, name_key(title)): pledge_id
        for pledge_id, organization_id, title in db.session.execute(
            select(Pledge.id, Pledge.organization_id, Pledge.title).where(
                Pledge.event_id == event.id, Pledge.id > floor
            )
        )
    }
    tags = [
        {"pledge_id": new_ids[(organizations[row.line], row.key[1])], "kind": kind, "code": code}
        for row in chunk
        for kind, codes in row.tags.items()
        for code in codes
    ]
    if tags:
        db.session.execute(insert(PledgeTag), tags)


def save_rows(
    event: Event,
    rows: list[PledgeRow],
    report: PledgeImportReport,
    actor: User | None,
    progress: people_import.Progress | None = None,
) -> None:
    """Create the organizations the rows name and are missing, then one pledge per row,
    PROGRESS_EVERY rows at a time."""
    organizations = people_import.resolve_organizations(_org_rows(rows), {}, report, actor)
    ids = _PublicIds(event.opening_date.year)
    for start in range(0, len(rows), PROGRESS_EVERY):
        chunk = rows[start : start + PROGRESS_EVERY]
        _insert_chunk(event, chunk, organizations, ids, actor, report)
        db.session.flush()
        if progress is not None:
            progress.add(len(chunk))


def import_rows(
    event: Event,
    header: list[str],
    rows: list[tuple[int, list[str]]],
    *,
    actor: User | None,
    filename: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> PledgeImportReport:
    """Import rows (from read_upload) as pledges of the event: keep every good row,
    report every bad one and flag duplicates; progress(done, total) after each chunk."""
    report = PledgeImportReport(ignored_columns=[c for c in header if c and c not in HEADER])
    good = check_rows(header, rows, Lookups.load(), report)
    counter = people_import.Progress(progress, len(rows))
    counter.add(len(report.errors))
    kept = drop_duplicates(event, good, report)
    counter.add(len(good) - len(kept))
    save_rows(event, kept, report, actor, counter)
    report.errors.sort()
    report.duplicates.sort()
    audit.record(
        "pledges.imported",
        actor=actor,
        event_id=event.id,
        summary=f"{filename or 'file'}: {report.published} published, {report.drafts} drafts, "
        f"{len(report.duplicates)} duplicates, {len(report.errors)} rows refused",
        published=report.published,
        drafts=report.drafts,
        organizations_created=report.organizations_created,
        duplicates=[list(d) for d in report.duplicates[:100]],
        errors=[list(e) for e in report.errors[:100]],
    )
    return report


def import_pledges(
    event: Event,
    data: bytes,
    filename: str = "",
    *,
    actor: User | None,
    progress: Callable[[int, int], None] | None = None,
) -> PledgeImportReport:
    """Read a CSV or XLSX file and import its pledges into the event (ImportRefused when
    the whole file cannot be used: then nothing is stored)."""
    header, rows = read_upload(data, filename)
    return import_rows(event, header, rows, actor=actor, filename=filename, progress=progress)


@job(IMPORT_JOB)
def import_job(
    progress: Progress,
    pledge_event_id: int,
    header: list[str],
    rows: list[list[Any]],
    filename: str = "",
    actor_id: int | None = None,
) -> dict[str, Any]:
    """Import the rows read from an uploaded pledge file; the result page shows the
    report. The rows were checked for size and header when the file was uploaded."""
    actor = db.session.get(User, actor_id) if actor_id is not None else None
    event = db.session.get(Event, pledge_event_id)
    if event is None:
        return {"summary": "The event no longer exists; nothing was imported."}
    # Row reasons are stored as text: in the language of whoever uploaded the file.
    with force_locale(actor.locale) if actor is not None else nullcontext():
        report = import_rows(
            event,
            header,
            [(int(line), list(cells)) for line, cells in rows],
            actor=actor,
            filename=filename,
            progress=reporter(progress),
        )
        summary = _(
            "%(kept)s kept, %(duplicates)s duplicates, %(refused)s refused",
            kept=format_decimal(report.kept),
            duplicates=format_decimal(len(report.duplicates)),
            refused=format_decimal(len(report.errors)),
        )
    return {
        "summary": summary,
        "endpoint": "pledges.import_result",
        "args": {"event_id": pledge_event_id, "job_id": progress.run.id},
        "filename": filename,
        "report": report.as_dict(),
    }


# --- samples ------------------------------------------------------------------------------


def sample_csv() -> str:
    """A small file showing every column."""
    return write_csv(HEADER, SAMPLE_ROWS)


def sample_xlsx() -> bytes:
    """The sample file as an XLSX workbook."""
    return write_xlsx(HEADER, SAMPLE_ROWS, title="Pledges")
