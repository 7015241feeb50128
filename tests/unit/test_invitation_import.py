"""Target-list import and export called directly (no HTTP): CSV and XLSX parsing, bad
rows with their line numbers, matching the directory by email, refusals, round trips."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from invitations import importing
from invitations.importing import ImportRefused, import_targets, read_upload
from invitations.targets import add_entry
from models import AuditEntry, EntryStatus, Event, Organization, Person, TargetEntry, User
from webapp.extensions import db

HEADER = (
    "email,honorific,first_name,last_name,function,organization,country,constituent_group,"
    "priority,star,owner_email,notes"
)


def csv_bytes(*lines: str, header: str = HEADER, sep: str = ",", bom: bool = False) -> bytes:
    """A CSV file from a header and lines (commas replaced by `sep`)."""
    text = "\n".join([header, *lines]).replace(",", sep) + "\n"
    return ("\ufeff" if bom else "").encode() + text.encode("utf-8")


def xlsx_bytes(rows: list[list], header: str = HEADER) -> bytes:
    """An XLSX workbook built in memory: the header row, then `rows`."""
    book = Workbook()
    sheet = book.active
    sheet.append(header.split(","))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def entries(event: Event) -> dict[str | None, TargetEntry]:
    """The event's entries by their person's email."""
    return {
        e.person.email: e
        for e in db.session.scalars(select(TargetEntry).where(TargetEntry.event_id == event.id))
    }


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def setup(ctx, make_user, make_event):
    """An event, its organizer and a staff member who may own entries."""
    event = db.session.get(Event, make_event("EV-A"))
    organizer = db.session.get(User, make_user("org@x.org", "Olga", organizer_of=event.id))
    return {"event": event, "organizer": organizer}


def run(setup, data: bytes, filename="list.csv"):
    return import_targets(setup["event"], data, filename, actor=setup["organizer"])


# --- good files ---------------------------------------------------------------------------


@pytest.mark.parametrize(("sep", "bom"), [(",", False), (";", True), (";", False), (",", True)])
def test_csv_with_commas_or_semicolons_and_bom(setup, sep, bom):
    report = run(
        setup,
        csv_bytes(
            "a@x.org,H.E.,Amina,Diallo,Minister,Ministry of ICT,SN,MS_MIN,high,yes,org@x.org,VIP",
            "B@X.org,Mr,Bo,Berg,CEO,Example Telecom,SE,PRIV,,,,",
            sep=sep,
            bom=bom,
        ),
    )
    assert report.errors == [] and report.entries_added == 2 and report.created == 2
    found = entries(setup["event"])
    amina = found["a@x.org"]
    assert (amina.constituent_group, amina.priority, amina.star, amina.notes) == (
        "MS_MIN",
        1,
        True,
        "VIP",
    )
    assert amina.owner_id == setup["organizer"].id and amina.status == EntryStatus.IDENTIFIED
    bo = found["b@x.org"]  # emails are matched and stored lower-cased
    assert (bo.priority, bo.star, bo.owner_id, bo.person.country_iso2) == (2, False, None, "SE")
    # The row's group fills in a new organization's group.
    telecom = db.session.scalar(select(Organization).where(Organization.name == "Example Telecom"))
    assert telecom.constituent_group == "PRIV"
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "targets.imported"))
    assert audit.event_id == setup["event"].id and audit.data["entries_added"] == 2


def test_xlsx_with_typed_cells(setup):
    data = xlsx_bytes(
        [
            ["a@x.org", "Ms", "Ana", "Silva", "Director", "Anatel", "BR", "MS_SO", 1, True, None],
            [None] * 12,  # a blank row in the middle is skipped, numbering goes on
            ["c@x.org", None, "Cy", "Chen", None, "Uni", "CN", "ACAD", 3.0, "x", None, "n"],
            ["bad", None, "Di", "Diaz", None, None, None, "CSO", None, None, None, None],
        ]
    )
    report = run(setup, data, "list.xlsx")
    assert report.errors == [(5, "“bad” is not a valid email address.")]
    found = entries(setup["event"])
    assert (found["a@x.org"].priority, found["a@x.org"].star) == (1, True)
    assert (found["c@x.org"].priority, found["c@x.org"].star, found["c@x.org"].notes) == (
        3,
        True,
        "n",
    )


def test_header_in_any_order_and_case_unknown_columns_listed(setup):
    report = run(
        setup,
        csv_bytes(
            "Berg,b@x.org,CSO,whatever", header="Last Name,EMAIL,constituent-group,Shoe size"
        ),
    )
    assert report.entries_added == 1 and report.ignored_columns == ["shoe_size"]


# --- bad rows -----------------------------------------------------------------------------


def test_bad_rows_listed_with_line_numbers_and_good_rows_kept(setup):
    report = run(
        setup,
        csv_bytes(
            "a@x.org,,Ann,Able,,Org A,,CSO,,,,",  # 2 good
            "b@x.org,,Bob,,,Org A,,CSO,,,,",  # 3 no last name
            "c@x.org,,Cy,Chen,,Org A,,NOPE,,,,",  # 4 unknown group
            "d@x.org,,Di,Diaz,,Org A,,CSO,urgent,,,",  # 5 bad priority
            "e@x.org,,Ed,Eze,,Org A,,CSO,,maybe,,",  # 6 bad star
            "f@x.org,,Fa,Fox,,Org A,,CSO,,,boss@x.org,",  # 7 unknown owner
            "g@x.org,,Gu,Gil,,Org Z,,,,,,",  # 8 no group at all
            "h@x.org,,Hu,Ho,,Org A,Atlantis,CSO,,,,",  # 9 unknown country
            "",  # 10 blank: nothing
            "i@x.org,,Ida,Ibsen,,Org A,,CSO,low,no,,",  # 11 good
            "j@x.org,,Jo,Jin,,Org A,,CSO,,,," + "x" * 5001,  # 12 notes too long
        ),
    )
    assert [line for line, _reason in report.errors] == [3, 4, 5, 6, 7, 8, 9, 12]
    reasons = dict(report.errors)
    assert "last name" in reasons[3]
    assert "NOPE" in reasons[4]
    assert "urgent" in reasons[5]
    assert "maybe" in reasons[6]
    assert "boss@x.org" in reasons[7]
    assert "constituent_group" in reasons[8]
    assert "Atlantis" in reasons[9]
    assert "5,000" in reasons[12]
    assert set(entries(setup["event"])) == {"a@x.org", "i@x.org"}
    # Refused rows leave nothing behind: no person, no organization.
    assert count(Person) == 2
    assert db.session.scalar(select(Organization).where(Organization.name == "Org Z")) is None


def test_a_row_with_too_many_cells_is_refused(setup):
    report = run(setup, csv_bytes("a@x.org,,A,Able,,Org, Inc,,CSO,,,,x"))
    assert report.errors[0][0] == 2 and "cells" in report.errors[0][1]


def test_rows_without_email_are_kept_with_a_warning(setup):
    report = run(setup, csv_bytes(",,Sofía,Pérez,,Community Net,AR,CN,,,,"))
    assert report.entries_added == 1
    assert report.warnings == [(2, "Sofía Pérez cannot be invited without an email address.")]


# --- matching the directory and the list --------------------------------------------------


def test_people_are_matched_by_email_and_never_doubled(setup):
    existing = Person(first_name="Ana", last_name="Silva", email="ana@x.org", function="Old")
    db.session.add(existing)
    db.session.commit()
    report = run(
        setup,
        csv_bytes(
            "ANA@x.org,,,Silva,New function,,,CSO,,,,first",
            "ana@x.org,,,Silva,,,,,1,,,second",  # same email later in the file: merged
        ),
    )
    assert (report.created, report.updated, report.merged_in_file) == (0, 1, 1)
    assert count(Person) == 1 and existing.function == "New function"
    entry = entries(setup["event"])["ana@x.org"]
    assert (entry.person_id, entry.priority, entry.notes) == (existing.id, 1, "second")

    # Imported again with changes: the entry is updated, not added twice.
    again = run(setup, csv_bytes("ana@x.org,,,Silva,,,,UN,,yes,,"))
    assert (again.entries_added, again.entries_updated) == (0, 1)
    entry = entries(setup["event"])["ana@x.org"]
    # Empty cells keep what is there; filled ones replace it.
    assert (entry.constituent_group, entry.star, entry.priority, entry.notes) == (
        "UN",
        True,
        1,
        "second",
    )
    assert count(TargetEntry) == 1 and count(Person) == 1


def test_status_and_manual_data_survive_a_reimport(setup):
    run(setup, csv_bytes("a@x.org,,Ann,Able,,Org A,,CSO,,,,"))
    entry = entries(setup["event"])["a@x.org"]
    entry.status = EntryStatus.ACCEPTED
    db.session.commit()
    report = run(setup, csv_bytes("a@x.org,,Ann,Able,,Org A,,CSO,,,,"))
    assert (report.entries_unchanged, report.unchanged) == (1, 1)
    assert entries(setup["event"])["a@x.org"].status == EntryStatus.ACCEPTED


def test_group_of_an_existing_organization_is_not_overwritten(setup):
    ministry = Organization(name="Ministry", constituent_group="MS_MIN")
    db.session.add(ministry)
    db.session.commit()
    run(setup, csv_bytes("a@x.org,,A,Able,,Ministry,,MS_SO,,,,", "b@x.org,,B,Berg,,Ministry,,,,,,"))
    found = entries(setup["event"])
    assert found["a@x.org"].constituent_group == "MS_SO"
    assert found["b@x.org"].constituent_group == "MS_MIN"  # the organization's
    assert ministry.constituent_group == "MS_MIN"


def test_person_already_on_list_keeps_group_when_row_has_none(setup):
    person = Person(last_name="Lone", email="l@x.org")
    db.session.add(person)
    db.session.flush()
    add_entry(setup["organizer"], setup["event"], person, constituent_group="YOUTH")
    db.session.commit()
    report = run(setup, csv_bytes("l@x.org,,,Lone,,,,,2,,,"))
    assert report.errors == [] and entries(setup["event"])["l@x.org"].constituent_group == "YOUTH"


def test_people_without_email_match_the_list_by_name_and_organization(setup):
    line = ",,Sofía,Pérez,,Community Net,AR,CN,,,,"
    run(setup, csv_bytes(line))
    report = run(setup, csv_bytes(",,Sofía,Pérez,,Community Net,AR,CN,,yes,,"))
    assert (report.entries_added, report.entries_updated, report.created) == (0, 1, 0)
    assert count(Person) == 1 and count(TargetEntry) == 1
    # The email arrives later: the same person gets it.
    report = run(setup, csv_bytes("sofia@x.org" + line))
    assert report.created == 0 and count(Person) == 1
    assert entries(setup["event"])["sofia@x.org"].star is True


def test_export_imports_back_unchanged(setup):
    run(
        setup,
        csv_bytes(
            "a@x.org,H.E.,Amina,Diallo,Minister,Ministry,SN,MS_MIN,high,yes,org@x.org,=1+1",
            ",,Sofía,Pérez,,Community Net,AR,CN,low,,,",
        ),
    )
    listed = list(db.session.scalars(select(TargetEntry).order_by(TargetEntry.id)))
    text = importing.export_csv(listed)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == importing.EXPORT_HEADER
    assert rows[1][-2:] == ["'=1+1", "identified"]  # a formula is never a formula
    for data, name in ((text.encode(), "t.csv"), (importing.export_xlsx(listed), "t.xlsx")):
        report = run(setup, data, name)
        assert report.errors == [] and report.ignored_columns == []
        assert (report.entries_added, report.entries_updated) == (0, 0)
        assert report.entries_unchanged == 2 and report.unchanged == 2
    assert entries(setup["event"])["a@x.org"].notes == "=1+1"


def test_xlsx_export_guards_formulas(setup):
    run(setup, csv_bytes("a@x.org,,Ann,Able,,Org A,,CSO,,,,@SUM(A1)"))
    data = importing.export_xlsx(db.session.scalars(select(TargetEntry)))
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == importing.EXPORT_HEADER
    assert rows[1][11] == "'@SUM(A1)" and rows[1][8] == 2


def test_samples_import_cleanly(setup):
    for data, name in (
        (importing.sample_csv().encode(), "s.csv"),
        (importing.sample_xlsx(), "s.xlsx"),
    ):
        report = run(setup, data, name)
        assert report.errors == [] and report.kept == 3
    assert count(TargetEntry) == 3


# --- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "a.csv", "empty"),
        (b"   \n\n", "a.csv", "empty"),
        (b"\xef\xbb\xbf", "a.csv", "empty"),
        (HEADER.encode() + b"\n", "a.csv", "no people"),
        (b"email,first_name\na@x.org,Ann\n", "a.csv", "no last_name column"),
        (b"last_name,organization\nAble,Org\n", "a.csv", "no email column"),
        ("email,last_name\na@x.org,Müller\n".encode("latin-1"), "a.csv", "not UTF-8"),
        ("email,last_name\na@x.org,Li\n".encode("utf-16"), "a.csv", "not UTF-8"),
        (b"%PDF-1.4 binary", "a.pdf", "CSV or XLSX"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "a.xls", ".xls"),
        (b"PK\x03\x04 not really a zip", "a.xlsx", "not a valid XLSX"),
        (b"hello", "a.xlsx", "not a valid XLSX"),
        (b"email,last_name\x00\n", "a.csv", "not a CSV"),
    ],
)
def test_unusable_files_are_refused_and_nothing_is_stored(setup, data, filename, message):
    with pytest.raises(ImportRefused, match=message):
        run(setup, data, filename)
    assert count(Person) == 0 and count(TargetEntry) == 0


def test_empty_xlsx_is_refused(setup):
    buffer = io.BytesIO()
    Workbook().save(buffer)
    with pytest.raises(ImportRefused, match="empty"):
        run(setup, buffer.getvalue(), "a.xlsx")


def test_xlsx_without_required_columns_is_refused(setup):
    with pytest.raises(ImportRefused, match="no email column"):
        run(setup, xlsx_bytes([["Able"]], header="last_name"), "a.xlsx")


def test_too_many_rows_is_refused(setup):
    lines = [f"p{i}@x.org,,,P{i},,,,CSO,,,," for i in range(importing.MAX_ROWS + 1)]
    with pytest.raises(ImportRefused, match="more than 20,000 rows"):
        read_upload(csv_bytes(*lines), "big.csv")
    rows = [[f"p{i}@x.org", None, None, f"P{i}"] for i in range(importing.MAX_ROWS + 1)]
    with pytest.raises(ImportRefused, match="more than 20,000 rows"):
        read_upload(xlsx_bytes(rows, header="email,honorific,first_name,last_name"), "big.xlsx")


def test_too_large_file_is_refused(setup):
    data = csv_bytes("a@x.org,,,Able,,,,CSO,,,," + " " * importing.MAX_BYTES)
    with pytest.raises(ImportRefused, match="larger than 10 MB"):
        run(setup, data)


# --- performance --------------------------------------------------------------------------


def test_no_query_per_row(app, setup):
    def statements(n: int, start: int) -> int:
        lines = [
            f"p{i}@x.org,,P,Person{i},,Org {i % 3},,CSO,{1 + i % 3},{'yes' if i % 2 else ''},,"
            for i in range(start, start + n)
        ]
        seen = []
        engine = db.engine

        def listen(*_args):
            seen.append(1)

        sa_event.listen(engine, "before_cursor_execute", listen)
        try:
            report = run(setup, csv_bytes(*lines))
        finally:
            sa_event.remove(engine, "before_cursor_execute", listen)
        assert report.entries_added == n
        return len(seen)

    assert statements(5, 0) == statements(60, 100)
