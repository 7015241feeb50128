"""The pledger opens their yellow pledge, files a progress report in Chromium (CSRF on),
and sees the light turn green."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import Organization, Person, ProgressReport, User
from tests.conftest import PASSWORD
from tests.integration.test_pledge_reports import publish
from webapp.extensions import db

pytestmark = pytest.mark.browser


def test_pledger_files_a_report_and_the_light_turns_green(app, page, make_event, make_user):
    event_id = make_event("FU-B", name="Browser Conference")
    make_user("pledger@ministry.example", "Mia Member")
    with app.app_context():
        ministry = Organization(name="Ministry of ICT")
        db.session.add(ministry)
        db.session.flush()
        user = db.session.scalar(select(User).where(User.email == "pledger@ministry.example"))
        db.session.add(Person(last_name="Member", user_id=user.id, organization_id=ministry.id))
        db.session.commit()
        ministry_id = ministry.id
    pledge_id = publish(app, event_id, ministry_id, 7, title="Connect rural schools")

    page.goto("/account/login")
    page.get_by_label("Email").fill("pledger@ministry.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.goto(f"/events/{event_id}/pledges/{pledge_id}/reports")
    expect(page.locator("#traffic-light")).to_have_text("Yellow: a report is due")
    page.get_by_role("link", name="File a progress report").click()
    page.get_by_label("Status").select_option("on_track")
    page.get_by_label("Percent complete (0–100)").fill("35")
    page.get_by_label("Amount disbursed to date, in the pledge's currency").fill("120000")
    page.get_by_label("People reached to date").fill("800")
    page.get_by_label("What happened since the last report").fill("Twenty schools connected.")
    page.get_by_label("Evidence links, one per line").fill("https://example.org/evidence")
    page.get_by_role("button", name="File the report").click()

    expect(page.get_by_text("Thank you: your progress report is recorded.")).to_be_visible()
    expect(page.locator("#traffic-light")).to_have_text("Green: up to date")
    expect(page.get_by_text("Twenty schools connected.")).to_be_visible()
    with app.app_context():
        report = db.session.scalar(select(ProgressReport))
        assert report.pledge_id == pledge_id and report.people_reached == 800
