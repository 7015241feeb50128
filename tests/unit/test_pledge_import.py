"""Pledge import called directly (no HTTP): CSV and XLSX parsing, every row refusal with
its line, duplicates flagged, organizations matched or created, public ids and USD values,
and every refusal of a whole file."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from models import AuditEntry, Event, ExchangeRate, Organization, Pledge, PledgeState, User
from pledges import importing
from pledges.core import tag_codes
from pledges.importing import HEADER, ImportRefused, import_pledges, read_upload
from webapp.extensions import db

GOOD = (
    "Example Telecom,KE,Connect schools,Fibre for schools,programmatic,private_sector,"
    "access;ADOPTION,affordable_connectivity,AFR1,SDG4;9,"
    "KE;UGA;United Republic of Tanzania,youth,250000,1000,EUR,2026-01-01,2027-12-31,published"
)


def csv_bytes(*lines: str, header: str = ",".join(HEADER)) -> bytes:
    """A CSV file from a header and lines."""
    return ("\n".join([header, *lines]) + "\n").encode("utf-8")


def row(**changes) -> str:
    """A CSV line: the GOOD row with some columns changed."""
    cells = next(csv.reader([GOOD]))
    values = dict(zip(HEADER, cells, strict=True))
    values.update(changes)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([values[c] for c in HEADER])
    return buffer.getvalue()


def xlsx_bytes(rows: list[list]) -> bytes:
    """An XLSX workbook built in memory: the header row, then `rows`."""
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def pledges(event: Event) -> list[Pledge]:
    return list(
        db.session.scalars(select(Pledge).where(Pledge.event_id == event.id).order_by(Pledge.id))
    )


@pytest.fixture
def setup(ctx, make_user, make_event):
    """An event opening in 2027 (days=300 from the test date), its organizer and a rate."""
    event = db.session.get(Event, make_event("EV-I"))
    organizer = db.session.get(User, make_user("org@x.org", "Olga", organizer_of=event.id))
    db.session.add(
        ExchangeRate(currency="EUR", usd_per_unit=Decimal("1.10"), as_of=date(2024, 1, 1))
    )
    db.session.commit()
    return event, organizer


def run(event, organizer, data, filename="pledges.csv"):
    return import_pledges(event, data, filename, actor=organizer)


def test_good_row_is_stored_with_tags_public_id_and_usd(setup):
    event, organizer = setup
    report = run(event, organizer, csv_bytes(GOOD))
    assert report.errors == [] and report.published == 1
    (pledge,) = pledges(event)
    assert pledge.state == PledgeState.PUBLISHED
    assert pledge.public_id == f"P2C-{event.opening_date.year}-0001"
    assert pledge.published_at is not None
    assert pledge.organization.name == "Example Telecom"
    assert pledge.organization.country_iso2 == "KE"
    assert pledge.usd_value == Decimal("1100.00")
    assert pledge.usd_rate_date == date(2024, 1, 1)
    assert pledge.people_to_reach == 250000
    assert tag_codes(pledge, "focus_area") == ["ACCESS", "ADOPTION"]
    assert tag_codes(pledge, "sdg") == ["SDG4", "SDG9"]
    assert tag_codes(pledge, "country") == ["KE", "TZ", "UG"]
    assert tag_codes(pledge, "regional_initiative") == ["AFR1"]
    assert tag_codes(pledge, "beneficiary_group") == ["youth"]
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.event_id == event.id)) == (
        "pledges.imported"
    )


def test_public_ids_continue_after_stored_ones(setup):
    event, organizer = setup
    run(event, organizer, csv_bytes(GOOD, row(title="Second"), row(title="Draft", state="draft")))
    run(event, organizer, csv_bytes(row(title="Third")))
    ids = [p.public_id for p in pledges(event)]
    year = event.opening_date.year
    assert ids == [f"P2C-{year}-0001", f"P2C-{year}-0002", None, f"P2C-{year}-0003"]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"organization": ""}, "organization is missing"),
        ({"title": ""}, "title is missing"),
        ({"title": "x" * 301}, "title is longer"),
        ({"country": "Atlantis"}, "Unknown country"),
        ({"target_countries": "KE;ZZ"}, "Unknown country “ZZ”"),
        ({"sdgs": "SDG4;SDG18"}, "SDG18"),
        ({"focus_areas": "ACCESS;SPACE"}, "SPACE"),
        ({"kap_priorities": "world_peace"}, "world_peace"),
        ({"regional_initiatives": "AFR9"}, "AFR9"),
        ({"beneficiary_groups": "cats"}, "cats"),
        ({"pledge_type": "gift"}, "pledge_type"),
        ({"sector": "mafia"}, "sector"),
        ({"amount": "-5"}, "negative"),
        ({"amount": "1e20"}, "too large"),
        ({"amount": "lots"}, "not a number"),
        ({"amount": "10.001"}, "two decimals"),
        ({"currency": "XYZ"}, "XYZ"),
        ({"currency": "EURO"}, "EURO"),
        ({"currency": ""}, "needs a currency"),
        ({"amount": "", "currency": "EUR"}, "needs an amount"),
        ({"start_date": "2027-01-01", "end_date": "2026-01-01"}, "end date is before"),
        ({"start_date": "01/02/2026"}, "YYYY-MM-DD"),
        ({"people_to_reach": "-1"}, "between 0"),
        ({"people_to_reach": "many"}, "whole number"),
        ({"state": "approved"}, "draft or published"),
    ],
)
def test_bad_rows_are_listed_and_good_rows_kept(setup, changes, reason):
    event, organizer = setup
    report = run(event, organizer, csv_bytes(row(title="Kept"), row(**changes)))
    assert len(report.errors) == 1
    line, message = report.errors[0]
    assert line == 3
    assert reason in message
    assert [p.title for p in pledges(event)] == ["Kept"]


def test_duplicates_in_the_file_and_stored_are_flagged(setup):
    event, organizer = setup
    run(event, organizer, csv_bytes(GOOD))
    report = run(
        event,
        organizer,
        csv_bytes(
            row(title="CONNECT  schools"),  # stored already (case and spaces differ)
            row(title="New one"),
            row(title="new ONE", organization="example telecom"),  # line 3 again
            row(title="Connect schools", organization="Another Org"),  # another pledger
        ),
    )
    assert report.kept == 2
    lines = [line for line, _reason in report.duplicates]
    assert lines == [2, 4]
    assert "already stored" in report.duplicates[0][1]
    assert "line 3" in report.duplicates[1][1]
    titles = sorted(p.title for p in pledges(event))
    assert titles == ["Connect schools", "Connect schools", "New one"]


def test_duplicates_of_another_event_are_not_flagged(setup, make_event):
    event, organizer = setup
    run(event, organizer, csv_bytes(GOOD))
    db.session.commit()
    other = db.session.get(Event, make_event("EV-J"))
    report = run(other, organizer, csv_bytes(GOOD))
    assert report.duplicates == [] and report.kept == 1


def test_organizations_are_matched_not_doubled(setup):
    event, organizer = setup
    db.session.add(Organization(name="Example Telecom", country_iso2="KE"))
    db.session.flush()
    report = run(event, organizer, csv_bytes(GOOD, row(title="Other", country="")))
    assert report.organizations_created == 0
    assert db.session.scalar(select(func.count(Organization.id))) == 1
    report = run(event, organizer, csv_bytes(row(title="In France", country="FR")))
    assert report.organizations_created == 1


def test_xlsx_in_memory(setup):
    event, organizer = setup
    cells = next(csv.reader([GOOD]))
    cells[HEADER.index("start_date")] = date(2026, 1, 1)
    cells[HEADER.index("amount")] = 1000
    bad = list(cells)
    bad[HEADER.index("title")] = "Bad"
    bad[HEADER.index("sdgs")] = "SDG99"
    report = run(event, organizer, xlsx_bytes([cells, [], bad]), "pledges.xlsx")
    assert report.kept == 1
    assert report.errors[0][0] == 4  # the sheet's row
    (pledge,) = pledges(event)
    assert pledge.start_date == date(2026, 1, 1)
    assert pledge.amount == Decimal("1000")


def test_semicolon_csv_and_extra_columns(setup):
    event, organizer = setup
    data = b"organization;title;colour\nExample Telecom;Plan;blue\n"
    report = run(event, organizer, data)
    assert report.kept == 1 and report.drafts == 1
    assert report.ignored_columns == ["colour"]


def test_row_with_too_many_cells(setup):
    event, organizer = setup
    report = run(event, organizer, csv_bytes("Org,Title,extra", header="organization,title"))
    assert report.errors[0][0] == 2 and "cells" in report.errors[0][1]


def test_import_queries_do_not_grow_with_rows(app, setup):
    event, organizer = setup

    def queries(n, start):
        lines = [
            row(title=f"Pledge {i}", organization=f"Org {i % 3}") for i in range(start, start + n)
        ]
        seen = []

        def count(*_args):
            seen.append(1)

        sa_event.listen(db.engine, "before_cursor_execute", count)
        try:
            run(event, organizer, csv_bytes(*lines))
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    few = queries(3, 0)
    many = queries(40, 100)
    assert many <= few + 5


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "a.csv", "empty"),
        (b"   \n", "a.csv", "empty"),
        (b"organization,title\n", "a.csv", "no pledges"),
        (b"title,description\nA,B\n", "a.csv", "no organization column"),
        ("organization,title\nÉcole,x\n".encode("latin-1"), "a.csv", "UTF-8"),
        (b"\xd0\xcf\x11\xe0rest", "a.xls", ".xls"),
        (b"PK\x03\x04broken", "a.xlsx", "not a valid XLSX"),
        (b"hello", "a.pdf", "CSV or XLSX"),
        (b"a\x00b\nc,d\n", "a.csv", "not a CSV"),
    ],
)
def test_whole_file_refusals(setup, data, filename, message):
    with pytest.raises(ImportRefused) as error:
        read_upload(data, filename)
    assert message in str(error.value)


def test_too_large_and_too_many_rows(setup, monkeypatch):
    with pytest.raises(ImportRefused, match="larger than"):
        read_upload(b"x" * (importing.MAX_BYTES + 1), "a.csv")
    monkeypatch.setattr(importing, "MAX_ROWS", 2)
    with pytest.raises(ImportRefused, match="more than"):
        read_upload(csv_bytes(GOOD, GOOD, GOOD), "a.csv")


def test_samples_import_cleanly(setup):
    event, organizer = setup
    report = run(event, organizer, importing.sample_csv().encode(), "sample.csv")
    assert report.errors == [] and report.kept == 2
    book = load_workbook(io.BytesIO(importing.sample_xlsx()), read_only=True)
    header = [c.value for c in next(book.worksheets[0].iter_rows())]
    assert header == HEADER
    report = run(event, organizer, importing.sample_xlsx(), "sample.xlsx")
    assert len(report.duplicates) == 2  # the same pledges again
