"""The pledge import through the client: routes per role, a good and a bad file, the job
and its result page, samples, refusals beside the file field, other events' ids."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from models import ExchangeRate, JobRun, Pledge
from tests.unit.test_pledge_import import GOOD, csv_bytes, row
from webapp.extensions import db


@pytest.fixture
def world(app, make_event, make_user):
    """Two events, an organizer of the first, a participant."""
    event_id = make_event("IM-A")
    other = make_event("IM-B")
    make_user("org@x.org", "Olga", organizer_of=event_id)
    make_user("other@x.org", "Otto", organizer_of=other)
    make_user("member@x.org", "Mia")
    with app.app_context():
        db.session.add(
            ExchangeRate(currency="EUR", usd_per_unit=Decimal("1.1"), as_of=date(2025, 1, 1))
        )
        db.session.commit()
    return {"event": event_id, "other": other}


def upload(client, event_id, data: bytes, filename="pledges.csv"):
    return client.post(
        f"/events/{event_id}/pledges/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (None, [302, 302, 302]),
        ("member@x.org", [403, 403, 403]),
        ("other@x.org", [403, 403, 403]),
        ("org@x.org", [200, 200, 200]),
    ],
)
def test_routes_per_role(client, login, world, who, expected):
    if who:
        login(who)
    e = world["event"]
    got = [
        client.get(url).status_code
        for url in (
            f"/events/{e}/pledges/import",
            f"/events/{e}/pledges/import/sample.csv",
            f"/events/{e}/pledges/import/sample.xlsx",
        )
    ]
    assert got == expected


def test_good_and_bad_rows_then_result_page(app, client, login, world):
    login("org@x.org")
    data = csv_bytes(
        GOOD,
        row(title="Bad", sdgs="SDG42"),
        row(title="connect SCHOOLS"),
        row(title="<script>alert(1)</script>", state="draft"),
    )
    response = upload(client, world["event"], data)
    assert response.status_code == 302
    with app.app_context():
        run = db.session.scalar(select(JobRun).order_by(JobRun.id.desc()))
        titles = sorted(db.session.scalars(select(Pledge.title)))
    assert titles == ["<script>alert(1)</script>", "Connect schools"]
    page = client.get(f"/events/{world['event']}/pledges/import/{run.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "SDG42" in text and 'data-value="3"' in text and 'data-value="4"' in text
    assert 'id="published">1<' in text and 'id="drafts">1<' in text
    assert 'id="duplicates">1<' in text
    # Another event's organizer, or the wrong event in the URL: no result.
    assert client.get(f"/events/{world['other']}/pledges/import/{run.id}").status_code == 403
    assert client.get(f"/events/{world['event']}/pledges/import/99999").status_code == 404


def test_job_of_another_event_is_404(app, client, login, world, make_user):
    make_user("both@x.org", organizer_of=world["other"])
    login("org@x.org")
    upload(client, world["event"], csv_bytes(GOOD))
    with app.app_context():
        run_id = db.session.scalar(select(JobRun.id))
        from models import Role, RoleGrant, User

        user = db.session.scalar(select(User).where(User.email == "org@x.org"))
        db.session.add(RoleGrant(user_id=user.id, event_id=world["other"], role=Role.ORGANIZER))
        db.session.commit()
    assert client.get(f"/events/{world['other']}/pledges/import/{run_id}").status_code == 404


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"title\nA\n", "a.csv", "no organization column"),
        (b"", "a.csv", "empty"),
        (b"organization,title\n", "a.csv", "no pledges"),
        (b"x", "a.pdf", "Choose a .csv or .xlsx file"),
        (b"PK\x03\x04junk", "a.xlsx", "not a valid XLSX"),
    ],
)
def test_refused_files_show_the_reason_beside_the_field(
    client, login, world, data, filename, message
):
    login("org@x.org")
    response = upload(client, world["event"], data, filename)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_too_large_upload_is_413_with_message(client, login, world):
    from pledges.views.imports import UPLOAD_LIMIT

    login("org@x.org")
    response = upload(client, world["event"], b"x" * (UPLOAD_LIMIT + 10))
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_import_page_documents_columns(client, login, world):
    login("org@x.org")
    page = client.get(f"/events/{world['event']}/pledges/import").get_data(as_text=True)
    for column in ("organization", "beneficiary_groups", "currency", "state"):
        assert f"<code>{column}</code>" in page
    sample = client.get(f"/events/{world['event']}/pledges/import/sample.csv")
    assert sample.get_data(as_text=True).startswith("\ufefforganization,country,title")
    assert client.get("/events/9999/pledges/import").status_code in (403, 404)
