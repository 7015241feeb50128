"""Directory services and the CSV import, called directly (no HTTP)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import event, func, select

from models import AuditEntry, MembershipCategory, Organization, Person
from webapp.directory import importing, services
from webapp.directory.importing import ImportRefused, import_people
from webapp.directory.services import DirectoryError
from webapp.extensions import db

HEADER = (
    "email,honorific,first_name,last_name,function,organization,constituent_group,"
    "membership,country,languages,gender"
)


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    """A CSV file from a header and lines."""
    return ("\n".join([header, *lines]) + "\n").encode("utf-8")


def people() -> dict[str | None, Person]:
    """Everyone in the directory by email."""
    return {p.email: p for p in db.session.scalars(select(Person))}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def statements(app):
    """SQL statements run while the test body runs."""
    seen: list[str] = []

    def listen(_conn, _cursor, statement, *_args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    yield seen
    event.remove(engine, "before_cursor_execute", listen)


def test_good_rows_kept_and_bad_rows_reported_with_line_and_reason(ctx):
    report = import_people(
        csv_bytes(
            "a@x.org,Ms,Ana,Silva,Director,Anatel,MS_SO,member_state,BR,pt,f",  # 2: pt
            "b@x.org,Mr,Bo,,Engineer,,,,,,",  # 3: no last name
            "c@x.org,,Cy,Chen,,,,,CN,zh en,",  # 4: good
            "not-an-email,,Di,Diaz,,,,,,,",  # 5: bad email
            "e@x.org,,Ed,Eze,,,,,NG,,m",  # 6: good
        ),
        actor=None,
    )
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    assert [line for line, _ in report.errors] == [2, 3, 5]
    reasons = dict(report.errors)
    assert "“pt”" in reasons[2] and "language" in reasons[2]
    assert "last name" in reasons[3]
    assert "not-an-email" in reasons[5]
    assert set(people()) == {"c@x.org", "e@x.org"}
    assert people()["c@x.org"].languages == ["zh", "en"]


def test_line_numbers_count_blank_rows_but_not_quoted_line_breaks(ctx):
    report = import_people(
        csv_bytes(
            'a@x.org,,,Ames,"Head of\nUnit",,,,,,',  # row 2 spans two text lines
            "",  # row 3, blank: skipped silently
            "b@x.org,,,,,,,,,,",  # row 4: no last name
        ),
        actor=None,
    )
    assert report.created == 1
    assert report.errors == [(4, "The last name is missing.")]
    assert people()["a@x.org"].function == "Head of\nUnit"


def test_duplicate_emails_in_one_file_merge_later_values_win(ctx):
    report = import_people(
        csv_bytes(
            "dup@x.org,Dr,Dana,Dupont,Adviser,,,,FR,fr,f",
            "x@x.org,,,Other,,,,,,,",
            "DUP@x.org,,,Dupont,Senior Adviser,,,,,en,",
        ),
        actor=None,
    )
    assert (report.created, report.merged_in_file) == (2, 1)
    person = people()["dup@x.org"]
    assert person.function == "Senior Adviser"  # later non-empty value wins
    assert person.first_name == "Dana"  # later empty value keeps the earlier one
    assert person.country_iso2 == "FR"
    assert person.languages == ["en"]


def test_existing_person_matched_by_email_case_insensitive(ctx):
    existing = services.create_person(
        actor=None,
        last_name="Ngugi",
        first_name="Wanjiru",
        email="W.Ngugi@example.org",
        function="Analyst",
        country_iso2="KE",
        languages=["en"],
    )
    assert existing.email == "w.ngugi@example.org"
    report = import_people(
        csv_bytes(
            "W.NGUGI@EXAMPLE.ORG,,,Ngugi,Director,,,,,,",
        ),
        actor=None,
    )
    assert (report.created, report.updated) == (0, 1)
    person = people()["w.ngugi@example.org"]
    assert person.id == existing.id
    assert person.function == "Director"  # non-empty overwrites
    assert person.first_name == "Wanjiru"  # empty keeps
    assert person.country_iso2 == "KE" and person.languages == ["en"]
    assert count(Person) == 1
    again = import_people(csv_bytes("w.ngugi@example.org,,,Ngugi,Director,,,,,,"), actor=None)
    assert (again.updated, again.unchanged) == (0, 1)


def test_rows_without_email_are_created_not_merged(ctx):
    report = import_people(csv_bytes(",,Sam,Same,,,,,,,", ",,Sam,Same,,,,,,,"), actor=None)
    assert report.created == 2


def test_bom_and_semicolon_files(ctx):
    data = (
        "\ufeff" + HEADER.replace(",", ";") + "\n"
        "s@x.org;;Sé;Séverin;;Union Postale;UN;non_member;Suisse;fr,en;\n"
    )
    report = import_people(data.replace("Suisse", "CH").encode("utf-8"), actor=None)
    assert report.created == 1 and not report.errors
    person = people()["s@x.org"]
    assert (person.first_name, person.languages) == ("Sé", ["fr", "en"])
    assert person.organization.constituent_group == "UN"


@pytest.mark.parametrize("country", ["CH", "che", "Switzerland", " switzerland "])
def test_country_as_iso2_iso3_or_name(ctx, country):
    report = import_people(csv_bytes(f"c@x.org,,,Keller,,,,,{country},,"), actor=None)
    assert not report.errors
    assert people()["c@x.org"].country_iso2 == "CH"


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ("u@x.org,,,Doe,,,,,Atlantis,,", "Unknown country “Atlantis”"),
        ("u@x.org,,,Doe,,Org,GOVT,,,,", "Unknown constituent group “GOVT”"),
        ("u@x.org,,,Doe,,,,,,en klingon,", "Unknown language “klingon”"),
        ("u@x.org,,,Doe,,Org,,platinum,,,", "Unknown membership category “platinum”"),
        ("u@x.org,,,Doe,,,PRIV,,,,", "needs an organization"),
        ("u@x.org,,,Doe,,,,,,,q", "Unknown gender “q”"),
        ("u@x.org,,," + "D" * 121 + ",,,,,,,", "last_name is longer than 120"),
        ("u@x.org,,,Doe,,,,,,,,extra", "12 cells but the header has 11"),
    ],
)
def test_bad_values_refuse_the_row_naming_the_value(ctx, cells, reason):
    report = import_people(csv_bytes("ok@x.org,,,Fine,,,,,,,", cells), actor=None)
    assert report.created == 1
    assert len(report.errors) == 1
    line, message = report.errors[0]
    assert line == 3
    assert reason in message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"email,first_name\na@x.org,Ann\n", "no last_name column"),
        ("last_name\nM\xfcller\n".encode("latin-1"), "not UTF-8"),
        (b"", "empty"),
        (b"last_name\n" + b"x\n" * (importing.MAX_ROWS + 1), "more than 20,000 rows"),
        (b"last_name\n" + b"x" * importing.MAX_BYTES, "larger than 5 MB"),
    ],
)
def test_unusable_files_are_refused_and_nothing_is_imported(ctx, data, message):
    with pytest.raises(ImportRefused, match=message):
        import_people(data, actor=None)
    assert count(Person) == 0


def test_organizations_matched_by_name_case_insensitive_or_created(ctx):
    itu = services.create_organization(
        actor=None, name="International Telecommunication Union", constituent_group="UN"
    )
    report = import_people(
        csv_bytes(
            "a@x.org,,,Ames,,INTERNATIONAL  telecommunication union,,,,,",
            "b@x.org,,,Bell,,New Org,PRIV,sector_member,KE,,",
            "c@x.org,,,Cole,,new org,,,,,",
        ),
        actor=None,
    )
    assert report.organizations_created == 1
    found = people()
    assert found["a@x.org"].organization_id == itu.id
    assert found["b@x.org"].organization_id == found["c@x.org"].organization_id
    new = found["b@x.org"].organization
    assert (new.name, new.constituent_group, new.membership, new.country_iso2) == (
        "New Org",
        "PRIV",
        MembershipCategory.SECTOR_MEMBER,
        "KE",
    )
    assert count(Organization) == 2


def test_import_is_audited(ctx):
    import_people(csv_bytes("a@x.org,,,Ames,,,,,,,", ",,,,,,,,,,x"), actor=None)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "directory.imported"))
    assert entry.data["created"] == 1 and entry.data["errors"][0][0] == 3


def test_five_thousand_rows_import(ctx):
    lines = [f"p{i}@x.org,,F{i},L{i},,Org {i % 50},PRIV,,CH,en," for i in range(5000)]
    report = import_people(csv_bytes(*lines), actor=None)
    assert report.created == 5000 and not report.errors
    assert count(Person) == 5000


def test_query_count_does_not_grow_with_rows(ctx, statements):
    def run(n: int, prefix: str) -> int:
        statements.clear()
        lines = [f"{prefix}{i}@x.org,,,L{i},,Org {prefix}{i},PRIV,,KE,," for i in range(n)]
        import_people(csv_bytes(*lines), actor=None)
        db.session.flush()  # the audit entry, so it counts in this run
        return len(statements)

    assert run(20, "a") == run(200, "b")


def test_export_round_trips_and_guards_formulas(ctx):
    org = services.create_organization(
        actor=None, name='=HYPERLINK("x")', constituent_group="CSO", country_iso2="KE"
    )
    services.create_person(
        actor=None,
        last_name="Otieno",
        first_name="-Ann",
        email="o@x.org",
        organization_id=org.id,
        country_iso2="KE",
        languages=["en", "fr"],
        gender="f",
        function="+1 voice",
    )
    text = importing.people_csv(services.iter_people(services.Filters()))
    assert text.startswith("\ufeff" + HEADER)
    assert "'=HYPERLINK" in text and "'-Ann" in text and "'+1 voice" in text
    report = import_people(text.encode("utf-8"), actor=None)
    assert (report.created, report.updated, report.unchanged, report.errors) == (0, 0, 1, [])
    person = people()["o@x.org"]
    assert (person.first_name, person.function) == ("-Ann", "+1 voice")


def test_sample_file_imports_cleanly(ctx):
    report = import_people(importing.sample_csv().encode("utf-8"), actor=None)
    assert report.created == len(importing.SAMPLE_ROWS) and not report.errors


# --- services -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"last_name": " "}, "last_name"),
        ({"email": "nope"}, "email"),
        ({"country_iso2": "XX"}, "country_iso2"),
        ({"languages": ["de"]}, "languages"),
        ({"gender": "q"}, "gender"),
        ({"function": "f" * 201}, "function"),
        ({"organization_id": 999999}, "organization"),
    ],
)
def test_create_person_rules(ctx, values, field):
    with pytest.raises(DirectoryError) as raised:
        services.create_person(actor=None, **({"last_name": "Doe"} | values))
    assert raised.value.field == field
    assert count(Person) == 0


def test_duplicate_email_is_refused(ctx):
    services.create_person(actor=None, last_name="One", email="same@x.org")
    with pytest.raises(DirectoryError, match="already in the directory"):
        services.create_person(actor=None, last_name="Two", email="SAME@x.org ")
    other = services.create_person(actor=None, last_name="Three", email="three@x.org")
    with pytest.raises(DirectoryError, match="already in the directory"):
        services.update_person(other, actor=None, email="same@x.org")
    services.update_person(other, actor=None, email="Three@X.org")  # its own address is fine


def test_organization_names_unique_and_lookup(ctx):
    first = services.create_organization(actor=None, name="École Polytechnique")
    with pytest.raises(DirectoryError, match="already in the directory"):
        services.create_organization(actor=None, name="ÉCOLE  polytechnique")
    found, created = services.find_or_create_organization("école polytechnique", actor=None)
    assert (found.id, created) == (first.id, False)
    _new, created = services.find_or_create_organization("Another", actor=None)
    assert created


def test_delete_organization_with_people_is_refused(ctx):
    org = services.create_organization(actor=None, name="Busy")
    services.create_person(actor=None, last_name="Worker", organization_id=org.id)
    with pytest.raises(DirectoryError, match="move or delete them first"):
        services.delete_organization(org, actor=None)


def test_search_people_text_filters_and_one_items_query(ctx, statements):
    un = services.create_organization(actor=None, name="UNICEF", constituent_group="UN")
    priv = services.create_organization(actor=None, name="Acme 100%", constituent_group="PRIV")
    for i in range(30):
        services.create_person(
            actor=None,
            last_name=f"Kim{i:02}",
            email=f"k{i}@x.org",
            country_iso2="KR" if i % 2 else "FR",
            organization_id=un.id if i % 3 else priv.id,
        )
    db.session.flush()
    statements.clear()
    page = services.search_people("KIM", page=2, per_page=10)
    assert len(statements) == 2  # a count and the items, joined: no query per row
    for person in page.items:
        assert person.organization.name and person.country.region.name_en
    assert len(statements) == 2
    assert (page.total, page.number, page.pages, len(page.items)) == (30, 2, 3, 10)
    assert page.items[0].last_name == "Kim10"
    assert services.search_people("unicef").total == 20
    assert services.search_people("100%").total == 10  # % is a character, not a wildcard
    assert services.search_people("", region="ASP").total == 15
    assert services.search_people("", country="FR", constituent_group="UN").total == 10
    assert services.search_people("", organization_id=priv.id).total == 10
    assert services.search_people("kim 29").items[0].email == "k29@x.org"
    assert services.search_people("", page=99, per_page=10).number == 3


def test_search_organizations_with_people_counts(ctx):
    org = services.create_organization(
        actor=None, name="Digital Org", country_iso2="KE", constituent_group="CSO"
    )
    services.create_organization(actor=None, name="Empty Org")
    for i in range(3):
        services.create_person(actor=None, last_name=f"P{i}", organization_id=org.id)
    page = services.search_organizations("org")
    assert [(o.name, n) for o, n in page.items] == [("Digital Org", 3), ("Empty Org", 0)]
    assert services.search_organizations("", region="AFR").total == 1
    assert services.search_organizations("", constituent_group="CSO").items[0][0].id == org.id


# --- organizations by name and country ----------------------------------------------------


def test_organizations_matched_by_name_and_country(ctx):
    senegal = services.create_organization(actor=None, name="Ministry of ICT", country_iso2="SN")
    report = import_people(
        csv_bytes(
            "a@x.org,,,Ames,,Ministry of ICT,,,SN,,",
            "b@x.org,,,Bell,,ministry of ict,,,KE,,",
            "c@x.org,,,Cole,,Ministry of  ICT,,,Kenya,,",
            "d@x.org,,,Diaz,,Ministry of ICT,,,,,",
        ),
        actor=None,
    )
    assert report.organizations_created == 1
    found = people()
    assert found["a@x.org"].organization_id == senegal.id
    kenya = found["b@x.org"].organization
    assert (kenya.name, kenya.country_iso2) == ("ministry of ict", "KE")
    assert found["c@x.org"].organization_id == kenya.id
    assert found["d@x.org"].organization_id == senegal.id  # no country: the oldest
    assert count(Organization) == 2


def test_row_without_country_means_the_one_the_file_creates_whatever_the_order(ctx):
    report = import_people(
        csv_bytes("a@x.org,,,Ames,,New Org,,,,,", "b@x.org,,,Bell,,New Org,,,KE,,"), actor=None
    )
    assert report.organizations_created == 1
    found = people()
    assert found["a@x.org"].organization_id == found["b@x.org"].organization_id
    assert found["a@x.org"].organization.country_iso2 == "KE"


def test_person_keeps_their_organization_of_that_name(ctx):
    unicef = services.create_organization(actor=None, name="UNICEF", country_iso2="US")
    services.create_person(
        actor=None,
        last_name="Otieno",
        email="o@x.org",
        country_iso2="KE",
        organization_id=unicef.id,
    )
    report = import_people(csv_bytes("o@x.org,,,Otieno,,UNICEF,,,KE,,"), actor=None)
    assert (report.unchanged, report.organizations_created) == (1, 0)
    assert count(Organization) == 1


def test_organization_updates_are_counted_and_audited(ctx):
    itu = services.create_organization(
        actor=None, name="ITU", constituent_group="UN", country_iso2="CH"
    )
    services.create_organization(actor=None, name="Same", constituent_group="CSO")
    report = import_people(
        csv_bytes(
            "a@x.org,,,Ames,,ITU,SM,sector_member,CH,,",
            "b@x.org,,,Bell,,ITU,SM,,CH,,",
            "c@x.org,,,Cole,,Same,CSO,,,,",
            "d@x.org,,,Diaz,,Brand New,PRIV,,KE,,",
        ),
        actor=None,
    )
    assert (report.organizations_updated, report.organizations_created) == (1, 1)
    assert (itu.constituent_group, itu.membership) == ("SM", MembershipCategory.SECTOR_MEMBER)
    entries = list(
        db.session.scalars(select(AuditEntry).where(AuditEntry.action == "organization.updated"))
    )
    assert [(e.object_id, e.data["changed"]) for e in entries] == [
        (itu.id, ["constituent_group", "membership"])
    ]
    imported = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "directory.imported")
    )
    assert imported.data["organizations_updated"] == 1


def test_person_form_lookup_by_name_and_country(ctx):
    senegal = services.create_organization(actor=None, name="Ministry of ICT", country_iso2="SN")
    found, created = services.find_or_create_organization(
        "ministry of ict", actor=None, country_iso2="SN"
    )
    assert (found.id, created) == (senegal.id, False)
    kenya, created = services.find_or_create_organization(
        "Ministry of ICT", actor=None, country_iso2="KE"
    )
    assert created and kenya.country_iso2 == "KE"
    found, created = services.find_or_create_organization("Ministry of ICT", actor=None)
    assert (found.id, created) == (senegal.id, False)  # no country: the oldest
    found, _created = services.find_or_create_organization(
        "Ministry of ICT", actor=None, country_iso2="FR", current_id=kenya.id
    )
    assert found.id == kenya.id  # the person's own organization of that name
    with pytest.raises(DirectoryError, match="already in the directory"):
        services.create_organization(actor=None, name="MINISTRY of ICT", country_iso2="KE")
    with pytest.raises(DirectoryError, match="already in the directory"):
        services.create_organization(actor=None, name="Ministry of ICT")


# --- unreadable files and progress --------------------------------------------------------


def test_cell_over_the_csv_limit_refuses_the_file_naming_the_row(ctx):
    data = csv_bytes("a@x.org,,,Ames,,,,,,,", "b@x.org,,,Bell," + "x" * 131_073 + ",,,,,,")
    for call in (importing.check_file, lambda d: import_people(d, actor=None)):
        with pytest.raises(ImportRefused, match="Row 3 has a cell longer than 131,072"):
            call(data)
    assert count(Person) == 0


def test_unclosed_quote_refuses_the_file(ctx):
    data = csv_bytes('a@x.org,,,"Ames', *(["b@x.org,,,Bell," + "x" * 1000] * 200))
    with pytest.raises(ImportRefused, match="Row 2 .*quote that is never closed"):
        importing.check_file(data)


def test_check_file_returns_the_text_without_importing(ctx):
    assert importing.check_file("\ufefflast_name\nAmes\n".encode()) == "last_name\nAmes\n"
    assert count(Person) == 0


def test_progress_is_reported_every_chunk(ctx):
    calls: list[tuple[int, int]] = []
    lines = [f"p{i}@x.org,,,L{i},,,,,,," for i in range(1200)] + [",,,,,,,,,,x"]
    import_people(csv_bytes(*lines), actor=None, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(1, 1201), (501, 1201), (1001, 1201), (1201, 1201)]


def test_report_survives_a_json_round_trip():
    report = importing.ImportReport(created=2, organizations_updated=1, errors=[(3, "Bad")])
    data = json.loads(json.dumps(report.as_dict()))
    assert importing.ImportReport.from_dict(data) == report
