"""The public filters the registry and downloads CSV, in a real browser, without login."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.unit.test_pledge_registry import add_pledge, make_event_and_org
from webapp.extensions import db

pytestmark = pytest.mark.browser


@pytest.fixture
def pledges(app):
    """Three public pledges: one on ACCESS for an LDC, one on ACCESS elsewhere, one other."""
    with app.app_context():
        event, org = make_event_and_org()
        add_pledge(event.id, org.id, "Schools online", focus=["ACCESS"], countries=["AF"], usd=1000)
        add_pledge(event.id, org.id, "Fibre for cities", focus=["ACCESS"], countries=["FR"])
        add_pledge(event.id, org.id, "Digital skills", focus=["ADOPTION"], countries=["NP"])
        db.session.commit()


def test_public_filters_and_downloads_csv(page, pledges):
    page.goto("/pledges")
    expect(page.locator("#registry-count")).to_have_text("3 pledges")
    page.get_by_label("Focus area").select_option("ACCESS")
    page.get_by_role("button", name="Apply the filters").click()
    expect(page.locator("#registry-count")).to_have_text("2 pledges")
    page.get_by_label("Least developed country (LDC)").check()
    page.get_by_role("button", name="Apply the filters").click()
    expect(page.locator("#registry-count")).to_have_text("1 pledge")
    expect(page.locator("#registry-table")).to_contain_text("Schools online")
    expect(page.locator("#registry-table")).not_to_contain_text("Fibre for cities")

    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    assert "Schools online" in text
    assert "Fibre for cities" not in text and "Digital skills" not in text
