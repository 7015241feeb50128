"""Import and export of an event's target list, as CSV (UTF-8) or XLSX.

The first row names the columns (COLUMNS, any order, any case; unknown ones are ignored
and listed in the report). `email` and `last_name` columns are required; a row may leave
the email empty, but that person cannot be invited until an address is added (the
report warns). A bad row is skipped and listed with its line number as a spreadsheet
shows it (the header is line 1; for XLSX, the sheet's row); every good row is kept.

People are matched in the directory by email (case-insensitive) with the directory
import's own rules and helpers (webapp.directory.importing): non-empty cells update the
person, empty cells keep what is stored; organizations are matched by name and country
(services.pick_organization). A row without email matches a person already on this
list without email, of the same first and last name and organization, so an exported
list imports back without doubling anyone. People already on the list are updated, not
added twice. The row's constituent group is the entry's; it fills in the organization's
group only where the organization has none.

Nothing here queries per row: people (by email, in chunks), organizations (by name),
entries, countries, groups and owners are loaded once per file.
"""

from __future__ import annotations

import csv
import io
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select

from models import EntryStatus, Event, Person, TargetEntry, User, utcnow
from webapp import audit
from webapp.auth.services import normalize_email
from webapp.directory import importing as people_import
from webapp.directory import services as directory
from webapp.directory.background import reporter
from webapp.downloads import write_csv, write_xlsx
from webapp.extensions import db
from webapp.jobs import Progress, job

from .targets import MAX_NOTES, TargetError, owner_candidates

#: (column, what goes in it) in file order; the import page shows this list.
COLUMNS: list[tuple[str, Any]] = [
    (
        "email",
        _l(
            "Email address; people are matched in the directory by it. Required column; a "
            "row may leave it empty, but that person cannot be invited without an email."
        ),
    ),
    ("honorific", _l("Mr, Ms, Dr, H.E. …")),
    ("first_name", _l("Given name(s).")),
    ("last_name", _l("Family name. Required.")),
    ("function", _l("Job title, e.g. Minister of ICT.")),
    ("organization", _l("Organization name; an unknown name creates the organization.")),
    ("country", _l("Country as ISO code (CH or CHE) or English name (Switzerland).")),
    (
        "constituent_group",
        _l(
            "Constituent group code (MS_MIN, SM, PRIV, CSO, UN, …). Empty: the group the "
            "person already has on the list, else their organization's."
        ),
    ),
    ("priority", _l("1, 2 or 3, or high, normal or low. Empty: normal (2).")),
    ("star", _l("On the star shortlist: yes or no (also 1/0, true/false, x). Empty: no.")),
    ("owner_email", _l("Email of the staff member who follows the person up.")),
    ("notes", _l("Free text, at most 5,000 characters.")),
]
HEADER = [name for name, _description in COLUMNS]
#: Exported for information (the pipeline sets it); ignored when a file is imported.
EXPORT_HEADER = [*HEADER, "status"]
REQUIRED = ("email", "last_name")
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = people_import.MAX_ROWS
#: An XLSX is a zip: refuse one that would unpack to more than this (a zip bomb).
MAX_UNPACKED = 200 * 1024 * 1024
#: Rows saved between two progress reports.
PROGRESS_EVERY = people_import.PROGRESS_EVERY
CHUNK = directory.CHUNK
IMPORT_JOB = "invitations.import_targets"

PRIORITY_WORDS = {"1": 1, "2": 2, "3": 3, "high": 1, "normal": 2, "low": 3}
STAR_WORDS = {
    "yes": True,
    "y": True,
    "1": True,
    "true": True,
    "x": True,
    "no": False,
    "n": False,
    "0": False,
    "false": False,
}
SAMPLE_ROWS = [
    [
        "amina.diallo@example.org",
        "H.E.",
        "Amina",
        "Diallo",
        "Minister of Digital Economy",
        "Ministry of Digital Economy (Senegal)",
        "SN",
        "MS_MIN",
        "high",
        "yes",
        "",
        "Met at the regional preparatory meeting.",
    ],
    [
        "li.wei@example.com",
        "Mr",
        "Wei",
        "Li",
        "Head of Public Policy",
        "Example Telecom",
        "CHN",
        "PRIV",
        "2",
        "no",
        "",
        "",
    ],
    [
        "",
        "Ms",
        "Sofía",
        "Pérez",
        "Programme Officer",
        "Community Networks Alliance",
        "Argentina",
        "CSO",
        "low",
        "",
        "",
        "Email to be found.",
    ],
]


class ImportRefused(TargetError):
    """The whole file is unusable (size, type, encoding, header); nothing was imported."""


@dataclass
class TargetImportReport(people_import.ImportReport):
    """What a target-list import did: people (as the directory import counts them) and
    entries on the list."""

    entries_added: int = 0
    entries_updated: int = 0
    entries_unchanged: int = 0
    #: (line, message) of rows kept with a caveat (no email: cannot be invited).
    warnings: list[tuple[int, str]] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TargetImportReport:
        """The report back from as_dict() (after a JSON round trip)."""
        report = super().from_dict(data)
        report.warnings = [(int(line), str(message)) for line, message in report.warnings]
        return report


@dataclass
class TargetRow:
    """One good row: the directory part (a people_import.Row) and the entry part."""

    person: people_import.Row
    #: The group the row names ("" when it leaves it to the list or the organization).
    group: str = ""
    #: Entry values the row gives: any of priority, star, owner_id, notes.
    entry: dict[str, Any] = field(default_factory=dict)

    @property
    def line(self) -> int:
        return self.person.line

    @property
    def email(self) -> str:
        return self.person.values["email"]


class RowError(Exception):
    """The row is skipped for the reason given."""


def _refused(error: Exception) -> ImportRefused:
    return ImportRefused(str(error))


# --- reading the file ---------------------------------------------------------------------


def file_kind(data: bytes, filename: str) -> str:
    """ "xlsx" or "csv" from the content and the name, or ImportRefused."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0") or suffix == "xls":
        raise ImportRefused(
            _l("This is an old Excel file (.xls). Save it as .xlsx or as CSV UTF-8.")
        )
    if suffix == "xlsx":
        raise ImportRefused(_l("The file is not a valid XLSX workbook."))
    if suffix not in ("csv", "txt", ""):
        raise ImportRefused(_l("Upload a CSV or XLSX file."))
    return "csv"


def _column(name: str) -> str:
    """Header cell as a column key: "Last name" -> last_name."""
    return "_".join(name.strip().lower().replace("-", " ").split())


def csv_rows(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(
            _l("The file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8”.")
        ) from None
    if "\x00" in text:
        raise ImportRefused(_l("The file is not a CSV text file. Upload a CSV or XLSX file."))
    if not text.strip():
        raise ImportRefused(_l("The file is empty."))
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [_column(c) for c in next(reader)]
    except csv.Error as error:
        raise ImportRefused(
            _l("The header row cannot be read: %(error)s", error=str(error))
        ) from None
    try:
        rows = people_import.filled_rows(enumerate(reader, start=2))
    except people_import.ImportRefused as error:
        raise _refused(error) from None
    return header, rows


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def xlsx_rows(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise ImportRefused(_l("The file is not a valid XLSX workbook.")) from None
    if unpacked > MAX_UNPACKED:
        raise ImportRefused(_l("The workbook is too large. Split it into smaller files."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it cannot read
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds on a broken workbook
        raise ImportRefused(_l("The file is not a valid XLSX workbook.")) from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise ImportRefused(_l("The file is empty."))
        lines = enumerate(sheet.iter_rows(values_only=True), start=1)
        header: list[str] = []
        filled: list[tuple[int, list[str]]] = []
        for line, values in lines:
            cells = [_cell_text(v) for v in values]
            if not header:
                if any(cells):
                    header = [_column(c) for c in cells]
                    while header and not header[-1]:
                        header.pop()
                    header_line = line
                continue
            if any(cells):
                filled.append((line, cells[: len(header)]))
                if len(filled) > MAX_ROWS:
                    break
    finally:
        book.close()
    if not header:
        raise ImportRefused(_l("The file is empty."))
    if header_line != 1:
        # Line numbers are the sheet's rows; the header is expected on the first one.
        raise ImportRefused(_l("The first row of the sheet must name the columns."))
    return header, filled


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
    if file_kind(data, filename) == "xlsx":
        header, rows = xlsx_rows(data)
    else:
        header, rows = csv_rows(data)
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
        raise ImportRefused(_l("The file has a header row but no people."))
    return header, rows


# --- checking rows ------------------------------------------------------------------------


@dataclass
class Lookups:
    """Everything a row is checked against, loaded once per file."""

    directory: people_import.Lookups
    owners: dict[str, User]

    @classmethod
    def load(cls) -> Lookups:
        return cls(people_import.Lookups.load(), {u.email.lower(): u for u in owner_candidates()})


def _priority(value: str) -> int | None:
    if not value:
        return None
    if value.lower() not in PRIORITY_WORDS:
        raise RowError(
            _l("Unknown priority “%(value)s”; use 1, 2, 3, high, normal or low.", value=value)
        )
    return PRIORITY_WORDS[value.lower()]


def _star(value: str) -> bool | None:
    if not value:
        return None
    if value.lower() not in STAR_WORDS:
        raise RowError(_l("Unknown star value “%(value)s”; use yes or no.", value=value))
    return STAR_WORDS[value.lower()]


def check_row(line: int, cells: dict[str, str], lookups: Lookups) -> TargetRow:
    """A checked TargetRow from the raw cells, or RowError naming the first problem."""
    group = cells.pop("constituent_group", "").upper()
    try:
        # Group aside, the person columns are the directory import's: its rules apply.
        person = people_import.check_row(line, cells, lookups.directory)
    except people_import.RowError as error:
        raise RowError(str(error)) from None
    if group and group not in lookups.directory.groups:
        raise RowError(_l("Unknown constituent group “%(value)s”.", value=group))
    entry: dict[str, Any] = {}
    priority = _priority(cells.get("priority", ""))
    if priority is not None:
        entry["priority"] = priority
    star = _star(cells.get("star", ""))
    if star is not None:
        entry["star"] = star
    owner_email = cells.get("owner_email", "")
    if owner_email:
        owner = lookups.owners.get(normalize_email(owner_email))
        if owner is None:
            raise RowError(
                _l("No staff member can own entries with the email “%(value)s”.", value=owner_email)
            )
        entry["owner_id"] = owner.id
    notes = cells.get("notes", "")
    if len(notes) > MAX_NOTES:
        raise RowError(_l("The notes are longer than %(n)s characters.", n=f"{MAX_NOTES:,}"))
    if notes:
        entry["notes"] = notes
    return TargetRow(person, group, entry)


def check_rows(
    header: list[str],
    rows: Iterable[tuple[int, list[str]]],
    lookups: Lookups,
    report: TargetImportReport,
) -> list[TargetRow]:
    """Good rows in file order; bad ones go to report.errors."""
    used = [name if name in HEADER else "" for name in header]
    good: list[TargetRow] = []
    for line, raw in rows:
        if len(raw) > len(header) and any(c.strip() for c in raw[len(header) :]):
            report.errors.append(
                (
                    line,
                    _(
                        "This row has %(cells)d cells but the header has %(columns)d;"
                        " is a value with a comma missing its quotes?",
                        cells=len(raw),
                        columns=len(header),
                    ),
                )
            )
            continue
        cells = {
            name: people_import.unquote(value.strip())
            for name, value in zip(used, raw, strict=False)
            if name
        }
        try:
            good.append(check_row(line, cells, lookups))
        except RowError as error:
            report.errors.append((line, str(error)))
    return good


def merge_rows(rows: list[TargetRow], report: TargetImportReport) -> list[TargetRow]:
    """One row per email (rows without email stay separate); later non-empty cells win."""
    by_email: dict[str, TargetRow] = {}
    merged: list[TargetRow] = []
    for row in rows:
        first = by_email.get(row.email) if row.email else None
        if first is None:
            if row.email:
                by_email[row.email] = row
            merged.append(row)
            continue
        report.merged_in_file += 1
        first.person.rows += 1
        people_import.overlay(first.person.values, row.person.values)
        if row.person.organization:
            first.person.organization = row.person.organization
        first.group = row.group or first.group
        first.entry.update(row.entry)
    return merged


# --- saving -------------------------------------------------------------------------------


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _name_key(first: str, last: str, organization: str) -> tuple[str, str, str]:
    return (directory.name_key(first), directory.name_key(last), directory.name_key(organization))


def _listed_without_email(event: Event) -> dict[tuple[str, str, str], Person]:
    """People on the event's list without an email, by (first, last, organization) name."""
    people = db.session.scalars(
        select(Person)
        .join(TargetEntry, TargetEntry.person_id == Person.id)
        .where(TargetEntry.event_id == event.id, Person.email.is_(None))
        .order_by(TargetEntry.id)
    ).unique()
    found: dict[tuple[str, str, str], Person] = {}
    for person in people:
        organization = person.organization.name if person.organization else ""
        found.setdefault(_name_key(person.first_name, person.last_name, organization), person)
    return found


def _match_people(
    event: Event, rows: list[TargetRow], by_email: dict[str, Person]
) -> dict[int, Person]:
    """Row line -> the directory person it stands for (by email; else, for a row whose
    email is not known, a person on this list without email and of the same names)."""
    listed = _listed_without_email(event)
    matched: dict[int, Person] = {}
    for row in rows:
        person = by_email.get(row.email) if row.email else None
        if person is None:
            values = row.person.values
            key = _name_key(values["first_name"], values["last_name"], row.person.organization)
            person = listed.pop(key, None)  # each person stands for one row at most
        if person is not None:
            matched[row.line] = person
    return matched


def _entries_of(event: Event, people: Iterable[Person]) -> dict[int, TargetEntry]:
    """The event's entries of `people`, by person id, CHUNK ids per query."""
    ids = sorted({p.id for p in people})
    found: dict[int, TargetEntry] = {}
    for chunk in _chunks(ids):
        for entry in db.session.scalars(
            select(TargetEntry).where(
                TargetEntry.event_id == event.id, TargetEntry.person_id.in_(chunk)
            )
        ):
            found[entry.person_id] = entry
    return found


def _groups(
    rows: list[TargetRow],
    matched: dict[int, Person],
    entries: dict[int, TargetEntry],
    report: TargetImportReport,
) -> list[TargetRow]:
    """Give every row its entry's group: the row's, else the one on the list, else the
    organization's (as the directory will match it). Rows with none are refused; a row's
    group fills in its organization's group only where that has none."""
    named = [r.person for r in rows if r.person.organization]
    by_email = {r.email: matched[r.line] for r in rows if r.email and r.line in matched}
    # Which organization each row means, without creating anything yet.
    organizations = people_import.organization_targets(named, by_email)
    kept: list[TargetRow] = []
    for row in rows:
        person = matched.get(row.line)
        entry = entries.get(person.id) if person is not None else None
        organization = organizations.get(row.line)
        if organization is None and person is not None:
            organization = person.organization
        group = row.group or (entry.constituent_group if entry is not None else "")
        group = group or (organization.constituent_group if organization is not None else "")
        if not group:
            report.errors.append(
                (
                    row.line,
                    _(
                        "No constituent group: fill in the constituent_group column (the "
                        "organization has none)."
                    ),
                )
            )
            continue
        row.group = group
        row.person.organization_values = {}
        target = organizations.get(row.line)
        if target is not None and not target.constituent_group:
            row.person.organization_values = {"constituent_group": group}
        kept.append(row)
    return kept


def _save_people(
    rows: list[TargetRow],
    matched: dict[int, Person],
    organizations: dict[int, int],
    report: TargetImportReport,
) -> None:
    """Update the matched people, create the others in one INSERT; fills `matched`."""
    new: list[tuple[TargetRow, dict[str, Any]]] = []
    for row in rows:
        values = people_import.person_values(row.person, organizations)
        person = matched.get(row.line)
        if person is None:
            new.append((row, values))
            continue
        incoming: dict[str, Any] = {}
        people_import.overlay(incoming, values)
        if directory.assign_changed(person, incoming):
            report.updated += 1
        else:
            report.unchanged += 1
    db.session.flush()
    if not new:
        return
    # The ORM would insert row by row to learn each new id (SQLite batches no RETURNING):
    # one executemany, then the new people are read back, by email or by name.
    floor = db.session.scalar(select(func.max(Person.id))) or 0
    db.session.execute(insert(Person), [values for _row, values in new])
    created = directory.people_by_emails(values["email"] for _row, values in new)
    nameless: dict[tuple[str, str, int | None], list[Person]] = {}
    if any(not values["email"] for _row, values in new):
        for person in db.session.scalars(
            select(Person).where(Person.id > floor, Person.email.is_(None)).order_by(Person.id)
        ):
            key = (person.first_name, person.last_name, person.organization_id)
            nameless.setdefault(key, []).append(person)
    for row, values in new:
        if values["email"]:
            matched[row.line] = created[values["email"]]
        else:
            key = (values["first_name"], values["last_name"], values["organization_id"])
            matched[row.line] = nameless[key].pop(0)
    report.created += len(new)


def _save_entries(
    event: Event,
    rows: list[TargetRow],
    matched: dict[int, Person],
    entries: dict[int, TargetEntry],
    report: TargetImportReport,
) -> None:
    """Update the entries already on the list, insert the others in one statement."""
    new: list[dict[str, Any]] = []
    now = utcnow()
    for row in rows:
        person = matched[row.line]
        values = {"constituent_group": row.group, **row.entry}
        entry = entries.get(person.id)
        if entry is None:
            new.append(
                {
                    "event_id": event.id,
                    "person_id": person.id,
                    "priority": 2,
                    "star": False,
                    "owner_id": None,
                    "notes": "",
                    "status": EntryStatus.IDENTIFIED,
                    "status_changed_at": now,
                    "created_at": now,
                    **values,
                }
            )
            continue
        if directory.assign_changed(entry, values):
            report.entries_updated += 1
        else:
            report.entries_unchanged += 1
    if new:
        db.session.execute(insert(TargetEntry), new)
    report.entries_added += len(new)
    report.warnings.extend(
        (row.line, _no_email(matched[row.line])) for row in rows if not matched[row.line].email
    )
    db.session.flush()


def _no_email(person: Person) -> str:
    return _("%(name)s cannot be invited without an email address.", name=person.full_name)


def save_rows(
    event: Event,
    rows: list[TargetRow],
    report: TargetImportReport,
    actor: User | None,
    progress: people_import.Progress | None = None,
) -> None:
    """Create or update the people of `rows` in the directory and their entries on the
    event's list, PROGRESS_EVERY rows at a time."""
    by_email = directory.people_by_emails(r.email for r in rows)
    matched = _match_people(event, rows, by_email)
    entries = _entries_of(event, matched.values())
    rows = _groups(rows, matched, entries, report)
    by_email = {r.email: matched[r.line] for r in rows if r.email and r.line in matched}
    organizations = people_import.resolve_organizations(
        [r.person for r in rows if r.person.organization], by_email, report, actor
    )
    for start in range(0, len(rows), PROGRESS_EVERY):
        chunk = rows[start : start + PROGRESS_EVERY]
        _save_people(chunk, matched, organizations, report)
        _save_entries(event, chunk, matched, entries, report)
        if progress is not None:
            progress.add(sum(r.person.rows for r in chunk))
    report.warnings.sort()


def import_rows(
    event: Event,
    header: list[str],
    rows: list[tuple[int, list[str]]],
    *,
    actor: User | None,
    filename: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> TargetImportReport:
    """Import checked rows (from read_upload) into the event's target list: keep every
    good row, report every bad one; progress(done, total) after each chunk."""
    report = TargetImportReport(ignored_columns=[c for c in header if c and c not in HEADER])
    if "status" in report.ignored_columns:
        report.ignored_columns.remove("status")  # our own export's, for information
    good = check_rows(header, rows, Lookups.load(), report)
    counter = people_import.Progress(progress, len(rows))
    counter.add(len(report.errors))
    save_rows(event, merge_rows(good, report), report, actor, counter)
    report.errors.sort()
    audit.record(
        "targets.imported",
        actor=actor,
        event_id=event.id,
        summary=f"{filename or 'file'}: {report.entries_added} added, "
        f"{report.entries_updated} updated, {len(report.errors)} rows refused",
        entries_added=report.entries_added,
        entries_updated=report.entries_updated,
        people_created=report.created,
        people_updated=report.updated,
        errors=[list(e) for e in report.errors[:100]],
    )
    return report


def import_targets(
    event: Event,
    data: bytes,
    filename: str = "",
    *,
    actor: User | None,
    progress: Callable[[int, int], None] | None = None,
) -> TargetImportReport:
    """Read a CSV or XLSX file and import it into the event's target list (ImportRefused
    when the whole file cannot be used: then nothing is stored)."""
    header, rows = read_upload(data, filename)
    return import_rows(event, header, rows, actor=actor, filename=filename, progress=progress)


@job(IMPORT_JOB)
def import_job(
    progress: Progress,
    list_event_id: int,
    header: list[str],
    rows: list[list[Any]],
    filename: str = "",
    actor_id: int | None = None,
) -> dict[str, Any]:
    """Import the rows read from an uploaded target list; the result page shows the
    report. The rows were checked for size and header when the file was uploaded."""
    actor = db.session.get(User, actor_id) if actor_id is not None else None
    # enqueue() keeps its own event_id (who may read the job); this one is the list's.
    event = db.session.get(Event, list_event_id)
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
            "%(kept)s kept, %(refused)s refused",
            kept=format_decimal(report.kept),
            refused=format_decimal(len(report.errors)),
        )
    return {
        "summary": summary,
        "endpoint": "invitations.targets_import_result",
        "args": {"event_id": list_event_id, "job_id": progress.run.id},
        "filename": filename,
        "report": report.as_dict(),
    }


# --- writing ------------------------------------------------------------------------------


def entry_cells(entry: TargetEntry) -> list[Any]:
    """The export columns of one entry (owner and person loaded with it)."""
    person = entry.person
    organization = person.organization
    return [
        person.email or "",
        person.honorific,
        person.first_name,
        person.last_name,
        person.function,
        organization.name if organization else "",
        person.country_iso2 or "",
        entry.constituent_group,
        entry.priority,
        "yes" if entry.star else "no",
        entry.owner.email if entry.owner is not None else "",
        entry.notes,
        entry.status.value,
    ]


def export_csv(entries: Iterable[TargetEntry]) -> str:
    """The entries as a CSV the import reads back."""
    return write_csv(EXPORT_HEADER, (entry_cells(e) for e in entries))


def export_xlsx(entries: Iterable[TargetEntry]) -> bytes:
    """The entries as an XLSX workbook the import reads back."""
    return write_xlsx(EXPORT_HEADER, (entry_cells(e) for e in entries), title="Targets")


def sample_csv() -> str:
    """A small file showing every column."""
    return write_csv(HEADER, SAMPLE_ROWS)


def sample_xlsx() -> bytes:
    """The sample file as an XLSX workbook."""
    return write_xlsx(HEADER, SAMPLE_ROWS, title="Targets")
