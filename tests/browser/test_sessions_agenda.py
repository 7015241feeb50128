"""A participant logs in, opens the public programme, adds a session to their personal
agenda, finds it on "My agenda" and removes it — in Chromium, with CSRF on."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import AgendaSave
from tests.integration.test_sessions_public import seed_programme
from webapp.extensions import db

pytestmark = pytest.mark.browser

#: The agenda buttons also name their session to screen readers.
ADD = re.compile(r"^Add to my agenda\W+Connecting schools$")
REMOVE = re.compile(r"^Remove from my agenda\W+Connecting schools$")


def _saved(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(AgendaSave.session_id)))


def test_participant_keeps_a_personal_agenda(app, page, make_event, make_user):
    ids = seed_programme(app, make_event, make_user)
    event = ids["event"]

    page.goto("/account/login")
    page.get_by_label("Email").fill("participant@example.org")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.goto(f"/events/{event}/programme")
    expect(page.get_by_role("heading", name="Partner2Connect programme")).to_be_visible()
    expect(page.get_by_text("3 sessions", exact=True)).to_be_visible()
    expect(
        page.get_by_text("All times are local to the venue: Europe/Zurich time.")
    ).to_be_visible()
    agenda_link = page.locator("#my-agenda-link")
    expect(agenda_link).to_have_text("My agenda (0)")

    # The script saves without leaving the page; the button and the count follow.
    listed = page.locator(f'tr[data-session="{ids["open"]}"]')
    listed.get_by_role("button", name=ADD).click()
    expect(listed.get_by_role("button", name=REMOVE)).to_be_visible()
    expect(page.locator("#agenda-status")).to_have_text("Added to your agenda.")
    expect(agenda_link).to_have_text("My agenda (1)")
    assert _saved(app) == [ids["open"]]

    # The session page knows it is saved; a page reload shows the same.
    page.get_by_role("link", name="Connecting schools").click()
    expect(page.get_by_role("heading", name="Connecting schools")).to_be_visible()
    expect(page.get_by_role("button", name=REMOVE)).to_be_visible()

    page.get_by_role("link", name="My agenda").click()
    expect(page.get_by_role("heading", name="My agenda")).to_be_visible()
    row = page.locator(f'tr[data-session="{ids["open"]}"]')
    expect(row.get_by_role("link", name="Connecting schools")).to_be_visible()
    expect(row).to_contain_text("Room 1")
    expect(page.get_by_role("link", name="My agenda in my calendar (iCal)")).to_be_visible()

    # Removing on the agenda page is a plain form: it posts and comes back without it.
    row.get_by_role("button", name=REMOVE).click()
    expect(page.get_by_text("“Connecting schools” is off your agenda.")).to_be_visible()
    expect(page.get_by_text("Your agenda is empty.")).to_be_visible()
    expect(page.locator(f'tr[data-session="{ids["open"]}"]')).to_have_count(0)
    assert _saved(app) == []
