"""A participant drafts and submits a pledge; an organizer requests a change; the
participant edits and resubmits; the organizer approves and publishes; the public id
appears."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import Event, ExchangeRate, Organization, Person, Pledge, PledgeState
from webapp.extensions import db

pytestmark = pytest.mark.browser


def _login(page, email):
    page.goto("/account/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def _logout(page):
    page.get_by_role("button", name="Log out").click()


def test_pledge_from_draft_to_publication(app, page, make_user, make_event):
    event_id = make_event("P2C-B")
    member_id = make_user("pledger@example.org", "Pia Pledger")
    make_user("secretariat@example.org", "Sara Secretariat", organizer_of=event_id)
    with app.app_context():
        org = Organization(name="Example Telecom")
        db.session.add(org)
        db.session.flush()
        db.session.add_all(
            [
                Person(
                    last_name="Pledger",
                    email="pledger@example.org",
                    organization_id=org.id,
                    user_id=member_id,
                ),
                ExchangeRate(currency="EUR", usd_per_unit=Decimal("1.08"), as_of=date(2026, 1, 1)),
            ]
        )
        db.session.commit()
        year = db.session.get(Event, event_id).opening_date.year

    # The participant drafts a pledge, saves it, then submits it.
    _login(page, "pledger@example.org")
    page.goto(f"/events/{event_id}/pledges/mine")
    page.get_by_role("link", name="New pledge").click()
    page.get_by_label("Title").fill("Connect 500 rural schools")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    page.get_by_label("Description").fill("Fibre and satellite links for rural schools.")
    page.get_by_label("Type of pledge").select_option("financial")
    page.get_by_label("Sector of the pledger").select_option("private_sector")
    page.get_by_label("Focus areas").select_option(["ACCESS"])
    page.get_by_label("Target countries").select_option(["KE", "RW"])
    page.get_by_label("Amount").fill("1000000")
    page.get_by_label("Currency").select_option("EUR")
    page.get_by_label("Start date").fill("2026-03-01")
    page.get_by_label("End date").fill("2028-12-31")
    page.get_by_role("button", name="Submit for review").click()
    # One box left unticked: the page says so beside it, and nothing is lost.
    expect(page.locator("#smart_specific-error")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value("Connect 500 rural schools")
    for label in ("Specific", "Measurable", "Achievable", "Resource-based", "Time-based"):
        page.get_by_label(label, exact=True).check()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Your pledge was submitted")).to_be_visible()
    expect(page.get_by_text("US$ 1,080,000.00", exact=False)).to_be_visible()
    _logout(page)

    # The organizer requests a change.
    _login(page, "secretariat@example.org")
    page.goto(f"/events/{event_id}/pledges/review")
    page.get_by_role("link", name="Connect 500 rural schools").click()
    page.get_by_role("button", name="Request changes").click()
    expect(page.get_by_text("Say what should change")).to_be_visible()
    page.get_by_label("Comment to the pledger").fill(
        "Please name the number of schools per country."
    )
    page.get_by_role("button", name="Request changes").click()
    expect(page.get_by_text("The pledge is now changes requested.")).to_be_visible()
    _logout(page)

    # The participant edits and resubmits.
    _login(page, "pledger@example.org")
    page.goto(f"/events/{event_id}/pledges/mine")
    page.get_by_role("link", name="Connect 500 rural schools").click()
    expect(page.get_by_text("Please name the number of schools per country.")).to_be_visible()
    page.get_by_role("link", name="Edit the pledge").click()
    page.get_by_label("Description").fill("300 schools in Kenya and 200 in Rwanda.")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Your pledge was submitted")).to_be_visible()
    _logout(page)

    # The organizer approves and publishes; the public id appears.
    _login(page, "secretariat@example.org")
    page.goto(f"/events/{event_id}/pledges/review")
    page.get_by_role("link", name="Connect 500 rural schools").click()
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("The pledge is now approved.")).to_be_visible()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("The pledge is now published.")).to_be_visible()
    expect(page.locator(".public-id")).to_have_text(f"P2C-{year}-0001")

    with app.app_context():
        pledge = db.session.scalar(select(Pledge))
        assert pledge.state == PledgeState.PUBLISHED
        assert pledge.public_id == f"P2C-{year}-0001"
        assert pledge.description == "300 schools in Kenya and 200 in Rwanda."
