"""A participant linked to an organization signs the Digital Coalition statement and sees
their organization in the public list — in Chromium, with CSRF on."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import CoalitionSignature, Organization, Person
from tests.conftest import outbox
from webapp.extensions import db

pytestmark = pytest.mark.browser


def test_participant_signs_the_coalition(app, page, make_event, make_user):
    event_id = make_event("COAL-B", name="Coalition Conference")
    user_id = make_user("mia@example.org", "Mia Member")
    with app.app_context():
        organization = Organization(name="Example Telecom Kenya", country_iso2="KE")
        db.session.add(organization)
        db.session.flush()
        db.session.add(
            Person(
                last_name="Member",
                email="mia@example.org",
                user_id=user_id,
                organization=organization,
            )
        )
        db.session.commit()

    page.goto("/account/login")
    page.get_by_label("Email").fill("mia@example.org")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.goto(f"/events/{event_id}/coalition")
    expect(page.get_by_text("No organization has signed yet.")).to_be_visible()
    page.get_by_role("link", name="Sign the statement for your organization").click()
    expect(page.get_by_role("heading", name="Sign the Digital Coalition statement")).to_be_visible()
    page.get_by_label("Function").fill("Chief Executive Officer")
    page.get_by_role("button", name="Sign").click()
    # The confirmation is required: the error shows beside it, the function is kept.
    expect(page.get_by_text("Confirm that you are authorized")).to_be_visible()
    expect(page.get_by_label("Function")).to_have_value("Chief Executive Officer")
    page.get_by_label("I am authorized to sign for this organization").check()
    page.get_by_role("button", name="Sign").click()

    expect(
        page.get_by_text("Example Telecom Kenya signed the Digital Coalition statement.")
    ).to_be_visible()
    table = page.locator("#signatories")
    expect(table.get_by_text("Example Telecom Kenya")).to_be_visible()
    expect(table.get_by_text("Kenya", exact=True)).to_be_visible()
    expect(page.get_by_text("1 organization has signed.")).to_be_visible()
    with app.app_context():
        signature = db.session.scalar(select(CoalitionSignature))
        assert signature.signer_name == "Mia Member"
        assert signature.confirmed is True
    assert outbox(app, "mia@example.org")[-1].template == "pledges/coalition_signed"
