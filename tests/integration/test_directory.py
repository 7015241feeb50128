"""Directory pages through the HTTP client."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import event, func, select

from models import AuditEntry, JobRun, JobState, Organization, Person, User
from webapp.extensions import db


@pytest.fixture
def organizer(make_event, make_user, login):
    """Log the client in as an organizer of an event (who may manage the directory)."""
    eid = make_event()
    make_user("o@x.org", organizer_of=eid)
    login("o@x.org")


def add_organization(app, name="UNICEF", group="UN", country="US", **fields) -> int:
    """An organization straight in the database; its id."""
    with app.app_context():
        organization = Organization(
            name=name, constituent_group=group, country_iso2=country, **fields
        )
        db.session.add(organization)
        db.session.commit()
        return organization.id


def add_person(app, last_name="Doe", **fields) -> int:
    """A person straight in the database; their id."""
    with app.app_context():
        person = Person(last_name=last_name, **fields)
        db.session.add(person)
        db.session.commit()
        return person.id


def people_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Person.id)))


def get_person(app, person_id: int) -> Person | None:
    with app.app_context():
        person = db.session.get(Person, person_id)
        if person is not None:
            db.session.expunge(person)
        return person


def upload(client, content: bytes, name="people.csv"):
    return client.post(
        "/directory/import",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def import_result(client, content: bytes, name="people.csv") -> str:
    """Upload a file, follow the redirect to the job page and its result link; the result
    page's HTML (jobs run synchronously in tests, so the job is done)."""
    response = upload(client, content, name)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    job_page = response.headers["Location"]
    assert job_page.startswith("/jobs/")
    job_id = int(job_page.rsplit("/", 1)[1])
    body = client.get(job_page).get_data(as_text=True)
    assert "See the result" in body and f'href="/directory/import/{job_id}"' in body
    result = client.get(f"/directory/import/{job_id}")
    assert result.status_code == 200
    return result.get_data(as_text=True)


def add_import_run(app, user_email: str | None, name="directory.import", **fields) -> int:
    """A finished import run straight in the database, created by `user_email`; its id."""
    with app.app_context():
        user_id = (
            db.session.scalar(select(User.id).where(User.email == user_email))
            if user_email
            else None
        )
        report = {"created": 1, "errors": [[3, "The last name is missing."]]}
        run = JobRun(
            name=name,
            created_by_id=user_id,
            result={"report": report, "endpoint": "directory.import_result"},
            **({"state": JobState.DONE} | fields),
        )
        db.session.add(run)
        db.session.commit()
        return run.id


def csv_rows(response) -> list[dict[str, str]]:
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text)))


PERSON = {
    "honorific": "Dr",
    "first_name": "Amina",
    "last_name": "Diallo",
    "function": "Director",
    "email": "amina@example.org",
    "organization": "",
    "country_iso2": "SN",
    "languages": ["fr", "en"],
    "gender": "f",
}


# --- access -------------------------------------------------------------------------------

ROUTES = [
    ("get", "/directory/people"),
    ("get", "/directory/people.csv"),
    ("get", "/directory/people/new"),
    ("post", "/directory/people/new"),
    ("get", "/directory/people/{person}/edit"),
    ("post", "/directory/people/{person}/edit"),
    ("post", "/directory/people/{person}/delete"),
    ("get", "/directory/organizations"),
    ("get", "/directory/organizations.csv"),
    ("get", "/directory/organizations/new"),
    ("post", "/directory/organizations/new"),
    ("get", "/directory/organizations/{organization}/edit"),
    ("post", "/directory/organizations/{organization}/edit"),
    ("post", "/directory/organizations/{organization}/delete"),
    ("get", "/directory/import"),
    ("post", "/directory/import"),
    ("get", "/directory/import/sample.csv"),
    ("get", "/directory/import/{job}"),
]


def _url(app, path: str) -> str:
    organization = add_organization(app)
    person = add_person(app, organization_id=organization)
    job = add_import_run(app, None)
    return path.format(person=person, organization=organization, job=job)


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_participant_is_refused(app, client, make_user, login, method, path):
    make_user("p@x.org")
    login("p@x.org")
    url = _url(app, path)
    assert getattr(client, method)(url).status_code == 403
    assert people_count(app) == 1


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_anonymous_goes_to_login(app, client, method, path):
    response = getattr(client, method)(_url(app, path))
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_site_admin_may_manage(client, make_user, login):
    make_user("admin@x.org", admin=True)
    login("admin@x.org")
    assert client.get("/directory/people/new").status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/directory/people/999999/edit"),
        ("post", "/directory/people/999999/edit"),
        ("post", "/directory/people/999999/delete"),
        ("get", "/directory/organizations/999999/edit"),
        ("post", "/directory/organizations/999999/delete"),
    ],
)
def test_unknown_ids_are_404(client, organizer, method, path):
    assert getattr(client, method)(path).status_code == 404


# --- list, search, filters ----------------------------------------------------------------


def test_list_search_filter_and_paginate(app, client, organizer):
    un = add_organization(app, "UNICEF", "UN", "US")
    priv = add_organization(app, "Acme Telecom", "PRIV", "KE")
    for i in range(55):
        add_person(
            app,
            f"Person{i:02}",
            first_name="Pat",
            email=f"p{i}@example.org",
            organization_id=un if i % 5 else priv,
            country_iso2="KE" if i % 5 else "FR",
        )
    response = client.get("/directory/people")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "55 people" in body
    assert 'class="sortable"' in body and "<caption>" in body
    assert "Person00" in body and "Person49" in body and "Person50" not in body
    assert "Page 1 of 2" in body
    body = client.get("/directory/people?page=2").get_data(as_text=True)
    assert "Person50" in body and "Person49" not in body

    body = client.get("/directory/people?q=acme").get_data(as_text=True)
    assert "11 people" in body
    body = client.get("/directory/people?group=UN&region=AFR").get_data(as_text=True)
    assert "44 people" in body
    body = client.get("/directory/people?country=FR").get_data(as_text=True)
    assert "11 people" in body
    body = client.get("/directory/people?q=person07").get_data(as_text=True)
    assert "1 person<" in body and "p7@example.org" in body
    # Unknown filter values are ignored rather than failing.
    assert "55 people" in client.get("/directory/people?group=NOPE&page=x").get_data(as_text=True)
    # The export link keeps the filters and drops the page.
    body = client.get("/directory/people?country=FR&page=1").get_data(as_text=True)
    assert "/directory/people.csv?country=FR" in body


def test_thousands_separator_in_count(app, client, organizer):
    with app.app_context():
        db.session.add_all(Person(last_name=f"N{i}") for i in range(1234))
        db.session.commit()
    assert "1,234 people" in client.get("/directory/people").get_data(as_text=True)


def test_list_query_count_does_not_grow_with_rows(app, client, organizer):
    seen: list[str] = []

    def listen(*args):
        seen.append(args[2])

    def queries_for_list() -> int:
        seen.clear()
        assert client.get("/directory/people").status_code == 200
        return len(seen)

    org = add_organization(app)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        add_person(app, "First", organization_id=org, country_iso2="KE")
        few = queries_for_list()
        with app.app_context():
            db.session.add_all(
                Person(last_name=f"N{i}", organization_id=org, country_iso2="FR") for i in range(40)
            )
            db.session.commit()
        assert queries_for_list() == few
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def test_people_of_one_organization(app, client, organizer):
    org = add_organization(app, "ITU", "UN", "CH")
    add_person(app, "Member", organization_id=org)
    add_person(app, "Outsider")
    body = client.get(f"/directory/people?organization={org}").get_data(as_text=True)
    assert "1 person<" in body and "Member" in body and "Outsider" not in body


# --- create, edit, delete -----------------------------------------------------------------


def test_create_person_with_new_organization(app, client, organizer):
    response = client.post("/directory/people/new", data=PERSON | {"organization": "Sonatel"})
    assert response.status_code == 302
    with app.app_context():
        person = db.session.scalar(select(Person))
        assert (person.email, person.languages, person.organization.name) == (
            "amina@example.org",
            ["fr", "en"],
            "Sonatel",
        )
        actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"person.created", "organization.created"} <= actions
    assert "Sonatel was added" in client.get("/directory/people").get_data(as_text=True)


def test_create_person_uses_existing_organization(app, client, organizer):
    org = add_organization(app, "Sonatel", "PRIV", "SN")
    client.post("/directory/people/new", data=PERSON | {"organization": "SONATEL"})
    with app.app_context():
        assert db.session.scalar(select(Person.organization_id)) == org
        assert db.session.scalar(select(func.count(Organization.id))) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"last_name": ""}, "This field is required"),
        ({"last_name": "   "}, "This field is required"),
        ({"email": "not-an-email"}, "Enter a valid email address"),
        ({"email": "TAKEN@example.org"}, "taken@example.org is already in the directory"),
        ({"country_iso2": "XX"}, "Not a valid choice"),
        ({"languages": ["de"]}, "not a valid choice"),
        ({"gender": "q"}, "Not a valid choice"),
        ({"last_name": "x" * 121}, "longer than 120"),
        ({"function": "x" * 5000}, "longer than 200"),
        ({"email": "a" * 250 + "@x.org"}, "longer than 254"),
        ({"organization": "x" * 301, "email": "z@example.org"}, "longer than 300"),
    ],
)
def test_create_person_bad_input(app, client, organizer, changes, message):
    add_person(app, "Taken", email="taken@example.org")
    response = client.post("/directory/people/new", data=PERSON | changes)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message.lower() in body.lower()
    assert people_count(app) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(Organization.id))) == 0
    # What was typed is still there.
    assert 'value="Amina"' in body


def test_duplicate_email_does_not_leave_a_new_organization(app, client, organizer):
    add_person(app, "Taken", email="taken@example.org")
    response = client.post(
        "/directory/people/new",
        data=PERSON | {"email": "taken@example.org", "organization": "Brand New Org"},
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(Organization.id))) == 0


def test_edit_person(app, client, organizer):
    org = add_organization(app, "ITU", "UN", "CH")
    person_id = add_person(app, "Old", email="old@example.org", organization_id=org)
    page = client.get(f"/directory/people/{person_id}/edit").get_data(as_text=True)
    assert 'value="ITU"' in page and 'value="old@example.org"' in page
    response = client.post(
        f"/directory/people/{person_id}/edit",
        data=PERSON | {"last_name": "New", "organization": "itu"},
    )
    assert response.status_code == 302
    person = get_person(app, person_id)
    assert (person.last_name, person.email, person.organization_id) == (
        "New",
        "amina@example.org",
        org,
    )


def test_edit_person_to_a_taken_email(app, client, organizer):
    add_person(app, "Other", email="taken@example.org")
    person_id = add_person(app, "Mine", email="mine@example.org")
    response = client.post(
        f"/directory/people/{person_id}/edit", data=PERSON | {"email": "taken@example.org"}
    )
    assert response.status_code == 400
    assert "already in the directory" in response.get_data(as_text=True)
    assert get_person(app, person_id).email == "mine@example.org"


def test_delete_person(app, client, organizer):
    person_id = add_person(app, "Gone")
    response = client.post(f"/directory/people/{person_id}/delete")
    assert response.status_code == 302
    assert get_person(app, person_id) is None
    with app.app_context():
        assert (
            db.session.scalar(
                select(AuditEntry.action).where(AuditEntry.action == "person.deleted")
            )
            == "person.deleted"
        )


# --- organizations ------------------------------------------------------------------------


def test_organizations_list_create_edit_delete(app, client, organizer):
    response = client.post(
        "/directory/organizations/new",
        data={
            "name": "GSMA",
            "constituent_group": "PRIV",
            "country_iso2": "GB",
            "membership": "sector_member",
        },
    )
    assert response.status_code == 302
    again = client.post(
        "/directory/organizations/new",
        data={
            "name": "gsma",
            "constituent_group": "",
            "country_iso2": "",
            "membership": "non_member",
        },
    )
    assert again.status_code == 400
    assert "already in the directory" in again.get_data(as_text=True)
    with app.app_context():
        org_id = db.session.scalar(select(Organization.id))
    add_person(app, "Staff", organization_id=org_id)
    body = client.get("/directory/organizations?region=EUR").get_data(as_text=True)
    assert "1 organization<" in body and "GSMA" in body and "Sector Member" in body
    assert f"/directory/people?organization={org_id}" in body
    response = client.post(
        f"/directory/organizations/{org_id}/edit",
        data={
            "name": "GSMA Ltd",
            "constituent_group": "PRIV",
            "country_iso2": "GB",
            "membership": "sector_member",
        },
    )
    assert response.status_code == 302
    # Still has a person: refused with a message.
    response = client.post(f"/directory/organizations/{org_id}/delete", follow_redirects=True)
    assert "move or delete them first" in response.get_data(as_text=True)
    rows = csv_rows(client.get("/directory/organizations.csv?q=gsma"))
    assert rows == [
        {
            "name": "GSMA Ltd",
            "constituent_group": "PRIV",
            "membership": "sector_member",
            "country": "GB",
            "region": "EUR",
            "people": "1",
        }
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "This field is required"),
        ({"name": "x" * 301}, "longer than 300"),
        ({"constituent_group": "NOPE"}, "Not a valid choice"),
        ({"membership": "gold"}, "Not a valid choice"),
    ],
)
def test_create_organization_bad_input(app, client, organizer, changes, message):
    data = {
        "name": "Org",
        "constituent_group": "CSO",
        "country_iso2": "KE",
        "membership": "non_member",
    } | changes
    response = client.post("/directory/organizations/new", data=data)
    assert response.status_code == 400
    assert message.lower() in response.get_data(as_text=True).lower()
    with app.app_context():
        assert db.session.scalar(select(func.count(Organization.id))) == 0


# --- import and export --------------------------------------------------------------------


def test_import_page_documents_columns_and_sample(client, organizer):
    body = client.get("/directory/import").get_data(as_text=True)
    for column in ("email", "last_name", "constituent_group", "languages", "gender"):
        assert f"<code>{column}</code>" in body
    sample = client.get("/directory/import/sample.csv")
    assert sample.status_code == 200 and sample.mimetype == "text/csv"
    assert csv_rows(sample)[0]["last_name"] == "Diallo"


def test_import_keeps_good_rows_and_lists_bad_ones(app, client, organizer):
    add_person(app, "Known", first_name="Kept", email="known@example.org")
    content = (
        b"email,first_name,last_name,organization,constituent_group,country,languages\n"
        b"a@example.org,Ann,Ames,ITU,UN,CH,en\n"
        b"b@example.org,Bob,,ITU,UN,CH,en\n"
        b"KNOWN@example.org,,Known,,,KE,\n"
        b"c@example.org,Cy,Cole,,,Narnia,\n"
        b"a@example.org,,Ames,,,,fr\n"
    )
    body = import_result(client, content)
    # The repeated a@example.org is merged into one person, not kept twice.
    assert "Rows kept: 2. Rows refused: 2." in body
    assert 'id="created">1<' in body and 'id="updated">1<' in body
    assert '<td data-value="3">3</td><td>The last name is missing.</td>' in body
    assert "Unknown country “Narnia”." in body
    assert "Rows merged into an earlier row with the same email: 1." in body
    with app.app_context():
        found = {p.email: p for p in db.session.scalars(select(Person))}
        assert set(found) == {"a@example.org", "known@example.org"}
        assert found["a@example.org"].languages == ["fr"]
        assert (found["known@example.org"].first_name, found["known@example.org"].country_iso2) == (
            "Kept",
            "KE",
        )
        assert (
            db.session.scalar(
                select(AuditEntry.action).where(AuditEntry.action == "directory.imported")
            )
            == "directory.imported"
        )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose a file to import"),
        ({"file": (io.BytesIO(b"last_name\nX\n"), "people.xlsx")}, "Choose a .csv file"),
        ({"file": (io.BytesIO(b"name,email\nX,x@x.org\n"), "people.csv")}, "no last_name column"),
        (
            {"file": (io.BytesIO("last_name\nM\xfcller\n".encode("latin-1")), "people.csv")},
            "not UTF-8",
        ),
    ],
)
def test_import_refused_files(app, client, organizer, data, message):
    response = client.post("/directory/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert people_count(app) == 0


def test_export_matches_filters_and_round_trips(app, client, organizer):
    un = add_organization(app, "UNICEF", "UN", "US")
    add_person(
        app,
        "Otieno",
        first_name="=cmd|' /C calc'!A0",
        email="o@example.org",
        organization_id=un,
        country_iso2="KE",
        languages=["en"],
        gender="f",
    )
    add_person(app, "Dupont", email="d@example.org", country_iso2="FR")
    response = client.get("/directory/people.csv?region=AFR")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = csv_rows(response)
    assert rows == [
        {
            "email": "o@example.org",
            "honorific": "",
            "first_name": "'=cmd|' /C calc'!A0",
            "last_name": "Otieno",
            "function": "",
            "organization": "UNICEF",
            "constituent_group": "UN",
            "membership": "non_member",
            "country": "KE",
            "languages": "en",
            "gender": "f",
        }
    ]
    everyone = client.get("/directory/people.csv").data
    result = import_result(client, everyone)
    assert 'id="unchanged">2<' in result and 'id="created">0<' in result
    assert people_count(app) == 2
    with app.app_context():
        assert (
            db.session.scalar(select(Person.first_name).where(Person.email == "o@example.org"))
            == "=cmd|' /C calc'!A0"
        )


def test_import_runs_as_a_job_with_progress_and_result(app, client, organizer):
    content = b"last_name,email,organization,country\nAmes,a@x.org,Ministry of ICT,SN\n,b@x.org,,\n"
    response = upload(client, content)
    assert response.status_code == 302
    job_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 of 2 rows" in job_page and "1 kept, 1 refused" in job_page
    with app.app_context():
        run = db.session.scalar(select(JobRun))
        assert (run.name, run.state, run.done, run.total) == (
            "directory.import",
            JobState.DONE,
            2,
            2,
        )
        assert run.result["report"]["errors"] == [[3, "The last name is missing."]]
        assert run.result["args"] == {"job_id": run.id}
    body = client.get(f"/directory/import/{run.id}").get_data(as_text=True)
    assert "Rows kept: 1. Rows refused: 1." in body and "New organizations added: 1." in body


def test_import_reports_updated_organizations(app, client, organizer):
    add_organization(app, "Ministry of ICT", "MS_MIN", "SN")
    add_organization(app, "Ministry of ICT", "MS_MIN", "KE")
    body = import_result(
        client,
        b"last_name,organization,country,constituent_group\nAmes,Ministry of ICT,KE,MS_SO\n",
    )
    assert "Organizations whose constituent group or membership changed: 1." in body
    with app.app_context():
        groups = dict(
            db.session.execute(
                select(Organization.country_iso2, Organization.constituent_group)
            ).all()
        )
        assert groups == {"SN": "MS_MIN", "KE": "MS_SO"}
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "organization.updated")
        )
        assert entry.summary == "Ministry of ICT" and entry.data["changed"] == ["constituent_group"]


def test_import_refuses_a_cell_too_long_to_read(app, client, organizer):
    content = b"last_name,function\nAmes,ok\nBell," + b"x" * 131_073 + b"\n"
    response = upload(client, content)
    assert response.status_code == 400
    assert "Row 3 has a cell longer than 131,072 characters" in response.get_data(as_text=True)
    assert people_count(app) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(JobRun.id))) == 0


def test_import_result_is_only_for_its_creator(app, client, make_event, make_user, login):
    make_user("other@x.org", organizer_of=make_event("OTHER-1"))
    make_user("me@x.org", organizer_of=make_event("MINE-1"))
    make_user("admin@x.org", admin=True)
    theirs = add_import_run(app, "other@x.org")
    mine = add_import_run(app, "me@x.org")
    not_an_import = add_import_run(app, "me@x.org", name="mail.deliver")
    running = add_import_run(app, "me@x.org", state=JobState.RUNNING)
    login("me@x.org")
    assert client.get(f"/directory/import/{theirs}").status_code == 404
    assert client.get(f"/jobs/{theirs}").status_code == 404
    assert client.get(f"/directory/import/{not_an_import}").status_code == 404
    assert client.get("/directory/import/999999").status_code == 404
    response = client.get(f"/directory/import/{running}")
    assert response.status_code == 302 and response.headers["Location"] == f"/jobs/{running}"
    body = client.get(f"/directory/import/{mine}").get_data(as_text=True)
    assert "Rows kept: 1. Rows refused: 1." in body
    client.post("/account/logout")
    login("admin@x.org")
    assert client.get(f"/directory/import/{theirs}").status_code == 200


def test_participant_cannot_upload_or_see_results(app, client, make_user, login):
    make_user("o@x.org")
    make_user("p@x.org")
    run = add_import_run(app, "o@x.org")
    login("p@x.org")
    assert upload(client, b"last_name\nAmes\n").status_code == 403
    assert client.get(f"/directory/import/{run}").status_code in (403, 404)
    assert people_count(app) == 0
