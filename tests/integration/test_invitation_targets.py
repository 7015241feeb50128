"""Target-list pages through the HTTP client: the list, filters, export, import, one
entry, bulk actions, group targets, and who may see what."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from models import EntryStatus, Organization, Person, Role, RoleGrant, TargetEntry, TargetGroup
from webapp.extensions import db

HEADER = (
    "email,honorific,first_name,last_name,function,organization,country,constituent_group,"
    "priority,star,owner_email,notes"
)


@pytest.fixture
def event_id(make_event):
    """The event whose list the tests work on."""
    return make_event("WTDC-T")


@pytest.fixture
def other_event(make_event):
    """A second event, whose entries must never show up or change."""
    return make_event("OTHER")


@pytest.fixture
def users(make_user, event_id, other_event):
    """The event's organizer, a staff member (organizer elsewhere) and a participant."""
    return {
        "organizer": make_user("org@x.org", "Olga Organizer", organizer_of=event_id),
        "staff": make_user("staff@x.org", "Sam Staff", organizer_of=other_event),
        "participant": make_user("someone@x.org", "Pat Participant"),
    }


def add_entries(app, event_id, n, start=0, **values) -> list[int]:
    """`n` people on the event's list (group alternating PRIV / CSO); their entry ids."""
    with app.app_context():
        organization = Organization(name=f"Org {start}", country_iso2="KE")
        db.session.add(organization)
        db.session.flush()
        people = [
            Person(
                first_name=f"First{i}",
                last_name=f"Person{i:03d}",
                email=f"p{i}@x.org",
                organization_id=organization.id,
                country_iso2="KE" if i % 2 else "FR",
            )
            for i in range(start, start + n)
        ]
        db.session.add_all(people)
        db.session.flush()
        entries = [
            TargetEntry(
                event_id=event_id,
                person_id=p.id,
                constituent_group="PRIV" if i % 2 else "CSO",
                **values,
            )
            for i, p in enumerate(people)
        ]
        db.session.add_all(entries)
        db.session.commit()
        return [e.id for e in entries]


def get_entry(app, entry_id) -> TargetEntry | None:
    with app.app_context():
        entry = db.session.get(TargetEntry, entry_id)
        if entry is not None:
            db.session.expunge(entry)
        return entry


def entry_count(app, event_id) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(TargetEntry.id)).where(TargetEntry.event_id == event_id)
        )


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode("utf-8")


def xlsx_bytes(rows: list[list], header: str = HEADER) -> bytes:
    book = Workbook()
    book.active.append(header.split(","))
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, event_id, content: bytes, name="list.csv"):
    # Encoded in memory: the test client would spool a large body to a temporary file
    # that nobody closes when the app refuses to read it (413).
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(content), name)})
    return client.post(
        f"/events/{event_id}/targets/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def import_result(client, event_id, content: bytes, name="list.csv") -> str:
    """Upload, follow the job page to the result page (jobs run synchronously in tests)."""
    response = upload(client, event_id, content, name)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    job_page = response.headers["Location"]
    job_id = int(job_page.rsplit("/", 1)[1])
    body = client.get(job_page).get_data(as_text=True)
    result_url = f"/events/{event_id}/targets/import/{job_id}"
    assert "See the result" in body and f'href="{result_url}"' in body
    result = client.get(result_url)
    assert result.status_code == 200
    return result.get_data(as_text=True)


@pytest.fixture
def organizer(users, login):
    login("org@x.org")
    return users["organizer"]


# --- the list -----------------------------------------------------------------------------


def test_list_shows_entries_counts_and_links(app, client, event_id, other_event, organizer):
    add_entries(app, event_id, 3)
    add_entries(app, other_event, 2, start=50)
    body = client.get(f"/events/{event_id}/targets").get_data(as_text=True)
    assert "Person000" in body and "Person002" in body and "Person050" not in body
    assert "3 entries" in body
    assert '<td data-status="identified">3</td>' in body
    assert f"/events/{event_id}/targets.csv" in body and f"/events/{event_id}/targets.xlsx" in body
    assert 'name="entry_id"' in body  # bulk actions for organizers


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("group=PRIV", {"Person001", "Person003"}),
        ("region=AFR", {"Person001", "Person003"}),  # Kenya
        ("region=EUR", {"Person000", "Person002"}),  # France
        ("star=1", {"Person002"}),
        ("status=accepted", {"Person003"}),
        ("q=person001", {"Person001"}),
        ("q=first3+p3@x", {"Person003"}),
        ("group=NOPE", {"Person000", "Person001", "Person002", "Person003"}),  # stale link
    ],
)
def test_list_filters(app, client, event_id, organizer, query, expected):
    ids = add_entries(app, event_id, 4)
    with app.app_context():
        db.session.get(TargetEntry, ids[2]).star = True
        db.session.get(TargetEntry, ids[3]).status = EntryStatus.ACCEPTED
        db.session.commit()
    body = client.get(f"/events/{event_id}/targets?{query}").get_data(as_text=True)
    shown = {f"Person{i:03d}" for i in range(4) if f"Person{i:03d}" in body}
    assert shown == expected


def test_list_filter_by_owner(app, client, event_id, organizer, users):
    add_entries(app, event_id, 2)
    add_entries(app, event_id, 1, start=10, owner_id=users["organizer"])
    body = client.get(f"/events/{event_id}/targets?owner={users['organizer']}").get_data(
        as_text=True
    )
    assert "Person010" in body and "Person000" not in body


def test_list_paginates(app, client, event_id, organizer):
    add_entries(app, event_id, 55)
    first = client.get(f"/events/{event_id}/targets").get_data(as_text=True)
    second = client.get(f"/events/{event_id}/targets?page=2").get_data(as_text=True)
    assert first.count('name="entry_id"') == 50 and second.count('name="entry_id"') == 5
    assert "Page 2 of 2" in second
    # Nonsense pages mean the first or the last page, never an error.
    for page in ("0", "x", "99", "-3", "9" * 30):
        assert client.get(f"/events/{event_id}/targets?page={page}").status_code == 200


def test_list_query_count_does_not_grow_with_entries(app, client, event_id, organizer, users):
    def queries(url) -> int:
        seen = []
        with app.app_context():
            engine = db.engine

        def count(*_args):
            seen.append(1)

        sa_event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(url).status_code == 200
        finally:
            sa_event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    urls = [f"/events/{event_id}/targets", f"/events/{event_id}/targets.csv"]
    add_entries(app, event_id, 5, owner_id=users["organizer"])
    few = [queries(url) for url in urls]
    add_entries(app, event_id, 35, start=100, owner_id=users["organizer"])
    many = [queries(url) for url in urls]
    assert few == many


# --- export -------------------------------------------------------------------------------


def test_export_csv_has_the_import_columns_and_the_filters(app, client, event_id, organizer):
    ids = add_entries(app, event_id, 4)
    with app.app_context():
        db.session.get(TargetEntry, ids[1]).notes = "=HYPERLINK(1)"
        db.session.commit()
    response = client.get(f"/events/{event_id}/targets.csv?group=PRIV")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == [*HEADER.split(","), "status"]
    assert [r[3] for r in rows[1:]] == ["Person001", "Person003"]
    assert rows[1][11] == "'=HYPERLINK(1)" and rows[1][7] == "PRIV" and rows[1][12] == "identified"


def test_export_xlsx(app, client, event_id, organizer):
    add_entries(app, event_id, 3, star=True)
    response = client.get(f"/events/{event_id}/targets.xlsx?star=1")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [*HEADER.split(","), "status"]
    assert len(rows) == 4 and rows[1][9] == "yes" and rows[1][0] == "p0@x.org"


def test_exported_file_imports_back_unchanged(app, client, event_id, organizer):
    add_entries(app, event_id, 3)
    data = client.get(f"/events/{event_id}/targets.xlsx").data
    body = import_result(client, event_id, data, "export.xlsx")
    assert '<p class="stat" id="entries-unchanged">3</p>' in body
    assert entry_count(app, event_id) == 3


# --- import -------------------------------------------------------------------------------


def test_import_page_documents_columns_and_offers_samples(client, event_id, organizer):
    body = client.get(f"/events/{event_id}/targets/import").get_data(as_text=True)
    for column in HEADER.split(","):
        assert f"<code>{column}</code>" in body
    assert f"/events/{event_id}/targets/import/sample.csv" in body
    csv_sample = client.get(f"/events/{event_id}/targets/import/sample.csv")
    assert csv_sample.status_code == 200
    assert csv_sample.get_data(as_text=True).lstrip("\ufeff").startswith(HEADER)
    xlsx_sample = client.get(f"/events/{event_id}/targets/import/sample.xlsx")
    header = next(load_workbook(io.BytesIO(xlsx_sample.data)).active.iter_rows(values_only=True))
    assert ",".join(header) == HEADER


def test_import_good_and_bad_rows(app, client, event_id, organizer):
    body = import_result(
        client,
        event_id,
        csv_bytes(
            "a@x.org,H.E.,Amina,Diallo,Minister,Ministry of ICT,SN,MS_MIN,high,yes,org@x.org,",
            "not-an-email,,Bo,Berg,,Org,,CSO,,,,",
            "c@x.org,,Cy,Chen,,Org,,CSO,urgent,,,",
            ",,Sofía,Pérez,,Community Net,AR,CN,,,,",
        ),
    )
    assert '<p class="stat" id="entries-added">2</p>' in body
    assert '<p class="stat" id="refused">2</p>' in body
    assert '<td data-value="3">3</td><td>“not-an-email” is not a valid email address.</td>' in body
    assert '<td data-value="4">4</td>' in body and "urgent" in body
    assert "Sofía Pérez cannot be invited without an email address." in body
    with app.app_context():
        amina = db.session.scalar(select(TargetEntry).join(Person).where(Person.email == "a@x.org"))
        assert amina.star and amina.priority == 1 and amina.event_id == event_id
    assert entry_count(app, event_id) == 2


def test_import_xlsx_with_bad_row_line_numbers(app, client, event_id, organizer):
    body = import_result(
        client,
        event_id,
        xlsx_bytes(
            [
                ["a@x.org", None, "Ann", "Able", None, "Org", None, "CSO", 2, "no", None, None],
                [None] * 12,
                ["b@x.org", None, "Bob", None, None, "Org", None, "CSO", None, None, None, None],
            ]
        ),
        "list.xlsx",
    )
    assert '<td data-value="4">4</td><td>The last name is missing.</td>' in body
    assert entry_count(app, event_id) == 1


def test_import_twice_updates_rather_than_doubles(app, client, event_id, organizer):
    line = "a@x.org,,Ann,Able,,Org,,CSO,,,,"
    import_result(client, event_id, csv_bytes(line))
    body = import_result(client, event_id, csv_bytes(line.replace(",,,,", ",yes,,,", 1)))
    assert entry_count(app, event_id) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(Person.id))) == 1
    assert "Updated on the list" in body


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "list.csv", "The file is empty."),
        (b"\n\n", "list.csv", "The file is empty."),
        (b"name,organization\nAble,Org\n", "list.csv", "The header row has no email, last_name"),
        ("email,last_name\na@x.org,Müller\n".encode("cp1252"), "list.csv", "not UTF-8"),
        (b"email,last_name\na@x.org,Able\n", "list.pdf", "Choose a .csv or .xlsx file."),
        (b"PK\x03\x04garbage", "list.xlsx", "not a valid XLSX workbook"),
        (HEADER.encode() + b"\n", "list.csv", "no people"),
    ],
)
def test_import_refuses_unusable_files(app, client, event_id, organizer, content, name, message):
    add_entries(app, event_id, 1)
    response = upload(client, event_id, content, name)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert entry_count(app, event_id) == 1  # nothing stored, nothing lost


def test_import_refuses_too_large_file_with_a_clear_message(app, client, event_id, organizer):
    for size in (10 * 1024 * 1024 + 100 * 1024, 17 * 1024 * 1024):
        content = csv_bytes("a@x.org,,,Able,,,,CSO,,,," + " " * size)
        response = upload(client, event_id, content)
        assert response.status_code == 413
        body = response.get_data(as_text=True)
        assert "The upload is too large: the file may be at most 10 MB." in body
        assert 'name="file"' in body  # the form is still there
    assert entry_count(app, event_id) == 0


def test_import_result_only_under_its_own_event(app, client, event_id, other_event, organizer):
    with app.app_context():  # an organizer of both events
        db.session.add(RoleGrant(user_id=organizer, event_id=other_event, role=Role.ORGANIZER))
        db.session.commit()
    response = upload(client, event_id, csv_bytes("a@x.org,,Ann,Able,,Org,,CSO,,,,"))
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert client.get(f"/events/{event_id}/targets/import/{job_id}").status_code == 200
    assert client.get(f"/events/{other_event}/targets/import/{job_id}").status_code == 404
    assert client.get(f"/events/{event_id}/targets/import/{job_id + 99}").status_code == 404


# --- adding and editing -------------------------------------------------------------------


def test_add_person_by_email_and_by_search(app, client, event_id, organizer):
    with app.app_context():
        organization = Organization(name="Example Telecom", constituent_group="PRIV")
        db.session.add(organization)
        db.session.flush()
        db.session.add_all(
            [
                Person(
                    first_name="Wei",
                    last_name="Li",
                    email="li@x.org",
                    organization_id=organization.id,
                ),
                Person(first_name="Ana", last_name="Silva", email="ana@x.org"),
            ]
        )
        db.session.commit()
        ana_id = db.session.scalar(select(Person.id).where(Person.email == "ana@x.org"))
    url = f"/events/{event_id}/targets/add"
    response = client.post(url, data={"email": "LI@x.org", "priority": "1", "star": "y"})
    assert response.status_code == 302
    search = client.get(f"{url}?find=silva").get_data(as_text=True)
    assert f'value="{ana_id}"' in search and "Ana Silva" in search
    # Ana's organization has no group: she needs one.
    response = client.post(url, data={"person_id": ana_id, "priority": "2"})
    assert response.status_code == 400
    assert "has no constituent group" in response.get_data(as_text=True)
    response = client.post(
        url, data={"person_id": ana_id, "priority": "2", "constituent_group": "CSO"}
    )
    assert response.status_code == 302
    with app.app_context():
        found = {
            e.person.email: (e.constituent_group, e.priority, e.star)
            for e in db.session.scalars(select(TargetEntry))
        }
    assert found == {"li@x.org": ("PRIV", 1, True), "ana@x.org": ("CSO", 2, False)}
    # Twice is refused, with the message beside the form.
    again = client.post(url, data={"email": "li@x.org", "priority": "2"})
    assert again.status_code == 400 and "already on the target list" in again.get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "nobody@x.org", "priority": "2"}, "Nobody in the directory has this email"),
        ({"email": "not an email", "priority": "2"}, "Enter a valid email address."),
        ({"priority": "2"}, "Choose a person or enter an email address."),
        ({"person_id": "999999", "priority": "2"}, "Choose a person or enter an email address."),
        ({"person_id": "abc", "priority": "2"}, "Not a valid integer value."),
        ({"email": "li@x.org", "priority": "9"}, "Not a valid choice."),
        ({"email": "li@x.org", "priority": "2", "owner": "424242"}, "Not a valid choice."),
    ],
)
def test_add_person_bad_input(app, client, event_id, organizer, data, message):
    with app.app_context():
        db.session.add(Person(last_name="Li", email="li@x.org"))
        db.session.commit()
    response = client.post(f"/events/{event_id}/targets/add", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert entry_count(app, event_id) == 0


def test_organizer_edits_an_entry(app, client, event_id, organizer, users):
    (entry_id,) = add_entries(app, event_id, 1)
    url = f"/events/{event_id}/targets/{entry_id}"
    assert "Person000" in client.get(url).get_data(as_text=True)
    response = client.post(
        url,
        data={
            "constituent_group": "UN",
            "priority": "1",
            "star": "y",
            "owner": str(users["staff"]),
            "status": "accepted",
            "notes": "Confirmed by phone",
        },
    )
    assert response.status_code == 302
    entry = get_entry(app, entry_id)
    assert (entry.constituent_group, entry.priority, entry.star, entry.owner_id) == (
        "UN",
        1,
        True,
        users["staff"],
    )
    assert (entry.status, entry.notes) == (EntryStatus.ACCEPTED, "Confirmed by phone")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("notes", "x" * 5001, "Field cannot be longer than 5000 characters."),
        ("priority", "7", "Not a valid choice."),
        ("status", "maybe", "Not a valid choice."),
        ("constituent_group", "NOPE", "Not a valid choice."),
        ("owner", "12345", "Not a valid choice."),
    ],
)
def test_edit_bad_input_keeps_what_was_typed(
    app, client, event_id, organizer, field, value, message
):
    (entry_id,) = add_entries(app, event_id, 1)
    data = {"constituent_group": "CSO", "priority": "2", "status": "identified", "notes": "kept"}
    data[field] = value
    response = client.post(f"/events/{event_id}/targets/{entry_id}", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and message in body
    if field != "notes":
        assert "kept" in body
    assert get_entry(app, entry_id).notes == ""


def test_remove_entry(app, client, event_id, organizer):
    (entry_id,) = add_entries(app, event_id, 1)
    response = client.post(f"/events/{event_id}/targets/{entry_id}/remove")
    assert response.status_code == 302 and get_entry(app, entry_id) is None


def test_another_events_entry_is_404(app, client, event_id, other_event, organizer):
    (theirs,) = add_entries(app, other_event, 1)
    for method, url in [
        ("get", f"/events/{event_id}/targets/{theirs}"),
        ("post", f"/events/{event_id}/targets/{theirs}"),
        ("post", f"/events/{event_id}/targets/{theirs}/remove"),
        ("get", f"/events/{event_id}/targets/999999"),
        ("get", "/events/999999/targets"),
    ]:
        assert getattr(client, method)(url, data={"priority": "1"}).status_code == 404, url
    assert get_entry(app, theirs) is not None


# --- bulk actions -------------------------------------------------------------------------


def test_bulk_actions(app, client, event_id, other_event, organizer, users):
    ids = add_entries(app, event_id, 3)
    (theirs,) = add_entries(app, other_event, 1, start=50)
    url = f"/events/{event_id}/targets/bulk"
    selected = [str(ids[0]), str(ids[1]), str(theirs), "junk"]
    response = client.post(url, data={"entry_id": selected, "action": "star", "query": "group=CSO"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/events/{event_id}/targets?group=CSO"
    assert [get_entry(app, i).star for i in ids] == [True, True, False]
    assert not get_entry(app, theirs).star

    client.post(url, data={"entry_id": selected, "action": "owner", "owner": users["staff"]})
    assert get_entry(app, ids[0]).owner_id == users["staff"]
    assert get_entry(app, theirs).owner_id is None

    # Setting a status by hand needs the confirmation.
    client.post(url, data={"entry_id": selected, "action": "status", "status": "declined"})
    assert get_entry(app, ids[0]).status == EntryStatus.IDENTIFIED
    page = client.get(f"/events/{event_id}/targets").get_data(as_text=True)
    assert "Tick the confirmation" in page
    client.post(
        url, data={"entry_id": selected, "action": "status", "status": "declined", "confirm": "1"}
    )
    assert [get_entry(app, i).status for i in ids] == [
        EntryStatus.DECLINED,
        EntryStatus.DECLINED,
        EntryStatus.IDENTIFIED,
    ]
    assert get_entry(app, theirs).status == EntryStatus.IDENTIFIED


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "star"}, "Select at least one entry."),
        ({"action": "fly", "entry_id": "1"}, "Choose an action."),
        ({"action": "owner", "owner": "nobody", "entry_id": "1"}, "Choose an owner from the list."),
        ({"action": "status", "status": "x", "confirm": "1", "entry_id": "1"}, "Choose a status."),
    ],
)
def test_bulk_bad_input(client, event_id, organizer, data, message):
    response = client.post(f"/events/{event_id}/targets/bulk", data=data, follow_redirects=True)
    assert response.status_code == 200 and message in response.get_data(as_text=True)


# --- group targets ------------------------------------------------------------------------


def test_group_targets_page(app, client, event_id, organizer):
    add_entries(app, event_id, 3)
    url = f"/events/{event_id}/targets/groups"
    body = client.get(url).get_data(as_text=True)
    assert "Private sector (non-members)" in body and '<td data-group="PRIV">1</td>' in body
    response = client.post(url, data={"share-PRIV": "35", "count-PRIV": "700", "share-CSO": "10"})
    assert response.status_code == 302
    with app.app_context():
        found = {
            g.constituent_group: (g.target_share, g.target_count)
            for g in db.session.scalars(select(TargetGroup))
            if g.target_share or g.target_count
        }
    assert found == {"PRIV": (35.0, 700), "CSO": (10.0, 0)}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"share-PRIV": "60", "share-CSO": "50"}, "add up to 110%"),
        ({"share-PRIV": "abc"}, "must be between 0 and 100"),
        ({"share-PRIV": "-5"}, "must be between 0 and 100"),
        ({"count-PRIV": "-1"}, "whole number"),
        ({"count-PRIV": "1e999"}, "whole number"),
    ],
)
def test_group_targets_bad_input_keeps_values(app, client, event_id, organizer, data, message):
    response = client.post(f"/events/{event_id}/targets/groups", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and message in body
    value = next(iter(data.values()))
    assert f'value="{value}"' in body  # what was typed is still there
    with app.app_context():
        assert db.session.scalar(select(func.count(TargetGroup.id))) == 0


# --- who sees what ------------------------------------------------------------------------


def test_owner_sees_and_updates_only_own_entries(app, client, event_id, users, login):
    mine = add_entries(app, event_id, 2, owner_id=users["staff"])
    others = add_entries(app, event_id, 2, start=10)
    login("staff@x.org")
    body = client.get(f"/events/{event_id}/targets").get_data(as_text=True)
    assert "Person000" in body and "Person001" in body and "Person010" not in body
    assert 'name="entry_id"' not in body  # no bulk actions
    assert "2 entries" in body
    exported = client.get(f"/events/{event_id}/targets.csv").get_data(as_text=True)
    assert "p0@x.org" in exported and "p10@x.org" not in exported
    # Trying to see someone else's entries through the owner filter changes nothing.
    body = client.get(f"/events/{event_id}/targets?owner={users['organizer']}").get_data(
        as_text=True
    )
    assert "Person000" in body and "Person010" not in body

    url = f"/events/{event_id}/targets/{mine[0]}"
    page = client.get(url).get_data(as_text=True)
    assert 'name="star"' not in page and 'name="owner"' not in page
    response = client.post(
        url,
        data={
            "priority": "1",
            "status": "accepted",
            "notes": "Said yes",
            "star": "y",  # not theirs to set: ignored
            "owner": str(users["organizer"]),
            "constituent_group": "UN",
        },
    )
    assert response.status_code == 302
    entry = get_entry(app, mine[0])
    assert (entry.priority, entry.status, entry.notes) == (1, EntryStatus.ACCEPTED, "Said yes")
    assert (entry.star, entry.owner_id, entry.constituent_group) == (False, users["staff"], "CSO")

    for method, path in [
        ("get", f"/events/{event_id}/targets/{others[0]}"),
        ("post", f"/events/{event_id}/targets/{others[0]}"),
        ("post", f"/events/{event_id}/targets/{mine[0]}/remove"),
        ("get", f"/events/{event_id}/targets/import"),
        ("get", f"/events/{event_id}/targets/groups"),
        ("get", f"/events/{event_id}/targets/add"),
        ("post", f"/events/{event_id}/targets/bulk"),
    ]:
        assert getattr(client, method)(path, data={"priority": "3"}).status_code == 403, path
    assert get_entry(app, others[0]).priority == 2


ROUTES = [
    ("get", "/events/{e}/targets"),
    ("get", "/events/{e}/targets.csv"),
    ("get", "/events/{e}/targets.xlsx"),
    ("post", "/events/{e}/targets/bulk"),
    ("get", "/events/{e}/targets/add"),
    ("post", "/events/{e}/targets/add"),
    ("get", "/events/{e}/targets/{entry}"),
    ("post", "/events/{e}/targets/{entry}"),
    ("post", "/events/{e}/targets/{entry}/remove"),
    ("get", "/events/{e}/targets/import"),
    ("post", "/events/{e}/targets/import"),
    ("get", "/events/{e}/targets/import/1"),
    ("get", "/events/{e}/targets/import/sample.csv"),
    ("get", "/events/{e}/targets/import/sample.xlsx"),
    ("get", "/events/{e}/targets/groups"),
    ("post", "/events/{e}/targets/groups"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_participant_gets_403_everywhere(app, client, event_id, users, login, method, path):
    (entry_id,) = add_entries(app, event_id, 1)
    login("someone@x.org")
    url = path.format(e=event_id, entry=entry_id)
    assert getattr(client, method)(url, data={"priority": "1"}).status_code == 403
    assert get_entry(app, entry_id).priority == 2


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_anonymous_is_sent_to_login(app, client, event_id, method, path):
    (entry_id,) = add_entries(app, event_id, 1)
    response = getattr(client, method)(path.format(e=event_id, entry=entry_id))
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
