"""An organizer uploads a people CSV and lands on the import's result page."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import Person
from webapp.extensions import db

pytestmark = pytest.mark.browser

CSV = (
    "email,first_name,last_name,organization,country\n"
    "amina@example.org,Amina,Diallo,Ministry of ICT,SN\n"
    "wanjiru@example.org,Wanjiru,Ngugi,Ministry of ICT,KE\n"
    "bad@example.org,No,,,\n"
)


def _login(page, email):
    page.goto("/account/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_upload_csv_then_see_the_result(app, page, make_user, make_event):
    make_user("secretariat@example.org", "Sara Secretariat", organizer_of=make_event("DIR-1"))
    _login(page, "secretariat@example.org")

    page.goto("/directory/import")
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": CSV.encode()}]
    )
    page.get_by_role("button", name="Import").click()
    # The job page polls and moves on to the result once the job is done.
    expect(page.get_by_role("heading", name="Import result")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Rows kept: 2. Rows refused: 1.")
    expect(page.locator("#import-errors")).to_contain_text("The last name is missing.")
    expect(page.get_by_text("New organizations added: 2.")).to_be_visible()

    with app.app_context():
        found = {p.email: p.organization.country_iso2 for p in db.session.scalars(select(Person))}
        assert found == {"amina@example.org": "SN", "wanjiru@example.org": "KE"}
