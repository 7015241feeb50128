"""An organizer creates an event, adds a relative deadline and moves the opening date."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import Deadline, Event
from webapp.extensions import db

pytestmark = pytest.mark.browser


def _login(page, email):
    page.goto("/account/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_create_event_add_deadline_move_opening(app, page, make_user, make_event):
    make_user(
        "secretariat@example.org", "Sara Secretariat", organizer_of=make_event("OLD-1", days=-400)
    )
    _login(page, "secretariat@example.org")
    opening = date.today() + timedelta(days=400)

    page.goto("/events/")
    page.get_by_role("link", name="New event").click()
    page.get_by_label("Name").fill("World Telecommunication Development Conference 2028")
    page.get_by_label("Acronym").fill("WTDC-28")
    page.get_by_label("City").fill("Nairobi")
    page.get_by_label("Country").select_option("KE")
    page.get_by_label("Time zone").select_option("Africa/Nairobi")
    page.get_by_label("Opening date").fill(opening.isoformat())
    page.get_by_label("Closing date").fill((opening + timedelta(days=9)).isoformat())
    page.get_by_label("English").check()
    page.get_by_label("中文").check()
    page.get_by_role("button", name="Create the event").click()
    expect(
        page.get_by_role(
            "heading", name="World Telecommunication Development Conference 2028 (WTDC-28)"
        )
    ).to_be_visible()

    page.get_by_role("link", name="Timeline").first.click()
    page.get_by_role("link", name="Add a deadline").click()
    page.get_by_label("What is due").fill("Nominations of co-chairs")
    page.get_by_label("Relative to the opening date").check()
    page.get_by_label("Days", exact=True).fill("120")
    page.get_by_label("Before or after the opening").select_option("before")
    page.get_by_role("button", name="Save").click()
    row = page.get_by_role("row").filter(has_text="Nominations of co-chairs")
    expect(row).to_contain_text("120 days before opening")

    new_opening = opening + timedelta(days=30)
    page.get_by_label("New opening date").fill(new_opening.isoformat())
    page.get_by_role("button", name="Preview the move").click()
    preview = page.get_by_role("row").filter(has_text="Nominations of co-chairs")
    expect(preview).to_be_visible()
    page.get_by_role("button", name="Move the opening to").click()
    expect(page.get_by_role("heading", name="Timeline of WTDC-28")).to_be_visible()

    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.acronym == "WTDC-28"))
        deadline = db.session.scalar(
            select(Deadline).where(
                Deadline.event_id == event.id, Deadline.label == "Nominations of co-chairs"
            )
        )
        assert event.opening_date == new_opening
        assert event.closing_date == new_opening + timedelta(days=9)
        assert deadline.offset_days == -120
        assert deadline.due_on() == new_opening - timedelta(days=120)
