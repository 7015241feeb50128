"""The public registry through the HTTP client: no login, filters, pagination, the pledge
page, 404s, exports equal to the filtered set, statistics, and constant query counts."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import event as sa_event

from models import PledgeState
from pledges.opendata import HEADER
from tests.unit.test_pledge_registry import add_pledge, make_event_and_org
from webapp.extensions import db


@pytest.fixture
def public(app):
    """Four public pledges and one draft; returns {title: public_id}."""
    with app.app_context():
        event, org = make_event_and_org()
        _, telco = make_event_and_org("=HYPERLINK Telco", "KE")
        rows = [
            add_pledge(
                event.id,
                org.id,
                "School connectivity",
                focus=["ACCESS"],
                countries=["AF", "NP"],
                sdgs=["SDG4"],
                usd=1000,
                days_ago=4,
            ),
            add_pledge(
                event.id,
                telco.id,
                "Rural towers",
                focus=["ACCESS"],
                countries=["KE"],
                sdgs=["SDG9"],
                usd=5000,
                days_ago=1,
            ),
            add_pledge(
                event.id, org.id, "Island skills", focus=["ADOPTION"], countries=["FJ"], days_ago=3
            ),
            add_pledge(
                event.id,
                org.id,
                "<script>alert(1)</script>",
                description="-cmd|' /C calc'!A0",
                focus=["ADOPTION"],
                countries=["AF"],
                usd=10,
                days_ago=2,
            ),
            add_pledge(
                event.id,
                org.id,
                "Hidden draft",
                focus=["ACCESS"],
                countries=["AF"],
                state=PledgeState.DRAFT,
            ),
        ]
        db.session.commit()
        return {p.title: p.public_id for p in rows}


def test_registry_without_login(client, public):
    page = client.get("/pledges")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "4 pledges" in html
    for title in ("School connectivity", "Rural towers", "Island skills"):
        assert title in html
    assert "Hidden draft" not in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "/pledges/export.csv" in html and "/pledges/statistics" in html


def test_filters_and_links_keep_them(client, public):
    html = client.get("/pledges?focus_area=ACCESS&ldc=1").get_data(as_text=True)
    assert "1 pledge" in html
    assert "School connectivity" in html and "Rural towers" not in html
    assert "/pledges/export.csv?" in html and "focus_area=ACCESS" in html and "ldc=1" in html


def test_bad_filter_is_ignored_with_a_notice(client, public):
    page = client.get("/pledges?sdg=SDG99&sort=nonsense&ldc=perhaps")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "The filter sdg was ignored" in html and "The filter ldc was ignored" in html
    assert "4 pledges" in html


def test_pagination(app, client, public):
    with app.app_context():
        event, org = make_event_and_org("Bulk org")
        for i in range(30):
            add_pledge(event.id, org.id, f"Bulk {i:02d}", days_ago=10 + i)
        db.session.commit()
    first = client.get("/pledges?sort=title").get_data(as_text=True)
    assert "34 pledges" in first and "Page 1 of 2" in first
    second = client.get("/pledges?sort=title&page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second
    assert second.count('data-pledge="') == 34 - 25
    assert client.get("/pledges?page=999999999999999999999").status_code == 200


def test_pledge_page_and_404s(client, public):
    html = client.get(f"/pledges/{public['School connectivity']}").get_data(as_text=True)
    assert "School connectivity" in html and "Afghanistan" in html and "LDC" in html
    assert "Ministry of Digital Affairs" in html
    assert client.get("/pledges/P2C-1999-0001").status_code == 404
    assert client.get("/pledges/" + "x" * 300).status_code == 404
    script = client.get(f"/pledges/{public['<script>alert(1)</script>']}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in script


def test_draft_has_no_page(app, client, public):
    from sqlalchemy import select

    from models import Pledge

    with app.app_context():
        draft = db.session.scalar(select(Pledge).where(Pledge.title == "Hidden draft"))
        draft.public_id = "P2C-2026-9000"  # a public id alone does not publish it
        db.session.commit()
    assert client.get("/pledges/P2C-2026-9000").status_code == 404
    assert client.get("/api/v1/pledges/P2C-2026-9000").status_code == 404


def test_statistics_page(client, public):
    html = client.get("/pledges/statistics").get_data(as_text=True)
    assert '<svg role="img"' in html and 'id="by-focus-area-table"' in html
    assert 'id="stats-total">4<' in html
    filtered = client.get("/pledges/statistics?focus_area=ACCESS").get_data(as_text=True)
    assert 'id="stats-total">2<' in filtered
    assert "1 pledges (50%)" in filtered


def _csv(response):
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_export_equals_filtered_set(client, public):
    response = client.get("/pledges/export.csv?focus_area=ADOPTION&ldc=1")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv(response)
    assert [r["public_id"] for r in rows] == [public["<script>alert(1)</script>"]]
    row = rows[0]
    assert list(row) == HEADER
    assert row["description"].startswith("'-cmd")  # formula-safe
    assert row["countries"] == "AF" and row["regions"] == "ASP" and row["ldc"] == "1"
    everything = _csv(client.get("/pledges/export.csv"))
    assert {r["public_id"] for r in everything} == {
        v for k, v in public.items() if k != "Hidden draft"
    }
    telco = next(r for r in everything if r["title"] == "Rural towers")
    assert telco["organization"] == "'=HYPERLINK Telco"


def test_xlsx_export_opens(client, public):
    response = client.get("/pledges/export.xlsx?focus_area=ACCESS")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    assert sorted(r[1] for r in rows[1:]) == ["Rural towers", "School connectivity"]


def test_json_export_shape(client, public):
    response = client.get("/pledges/export.json?sdg=SDG9")
    body = json.loads(response.get_data(as_text=True))
    assert body["count"] == 1
    item = body["items"][0]
    assert item["title"] == "Rural towers" and item["usd_value"] == 5000
    assert item["url"].endswith(f"/pledges/{public['Rural towers']}")
    assert "created_by" not in item and "id" not in item


def test_export_with_bad_filter_is_400(client, public):
    assert client.get("/pledges/export.csv?country=ZZ").status_code == 400
    assert client.get("/pledges/export.pdf").status_code == 404


# --- query counts -------------------------------------------------------------------------


def count_queries(app, client, url) -> int:
    """SQL statements run by one GET of `url` (which must answer 200)."""
    with app.app_context():
        engine = db.engine
    seen = []

    def count(*_args):
        seen.append(1)

    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def add_many(app, n, start=0):
    """n public pledges across focus areas and LDC / non-LDC countries."""
    with app.app_context():
        event, org = make_event_and_org(f"Org {start}")
        for i in range(start, start + n):
            add_pledge(
                event.id,
                org.id,
                f"Pledge {i}",
                focus=[("ACCESS", "ADOPTION")[i % 2]],
                countries=[("AF", "FR", "FJ", "KE")[i % 4], "NP"],
                sdgs=["SDG9"],
                usd=100 + i,
            )
        db.session.commit()


URLS = [
    "/pledges?focus_area=ACCESS&ldc=1&sdg=SDG9",
    "/pledges/statistics?region=ASP",
    "/api/v1/pledges?per_page=100&focus_area=ACCESS",
]


@pytest.mark.parametrize("url", URLS)
def test_query_count_does_not_grow(app, client, url):
    add_many(app, 20)
    small = count_queries(app, client, url)
    add_many(app, 180, start=20)
    large = count_queries(app, client, url)
    assert small == large, (small, large)
