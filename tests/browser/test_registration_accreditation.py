"""A participant representing a Member State registers; their focal point logs in, sees
the request and approves it; the participant then sees "Approved". A focal point rejects
several requests at once (a reason is required) and Enter in a reason field decides
nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import Approval, MembershipCategory, Organization, Person, Registration
from tests.integration.test_registration_accreditation import add_registration, stored
from tests.integration.test_registration_accreditation import world as world
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
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Log in")
    ).to_be_visible()


def test_participant_registers_and_their_focal_point_approves(app, page, make_user, make_event):
    event_id = make_event("ACC-B", days=100)
    with app.app_context():
        member = Organization(
            name="Republic of Atlantis",
            membership=MembershipCategory.MEMBER_STATE,
            country_iso2="FR",
        )
        db.session.add(member)
        db.session.commit()
        member_id = member.id
    participant_id = make_user("delegate@atlantis.example", "Dana Delegate")
    make_user("focal@atlantis.example", "Felix Focal", focal_point_of=(event_id, member_id))
    with app.app_context():
        db.session.add(
            Person(
                first_name="Dana",
                last_name="Delegate",
                email="delegate@atlantis.example",
                organization_id=member_id,
                country_iso2="FR",
                user_id=participant_id,
            )
        )
        db.session.commit()

    # The participant registers through the form, prefilled from the directory.
    _login(page, "delegate@atlantis.example")
    page.goto(f"/events/{event_id}/register")
    expect(page.get_by_label("Family name")).to_have_value("Delegate")
    page.get_by_label("Category").select_option("member_state")
    page.get_by_label("Function").fill("Counsellor")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("Awaiting approval").first).to_be_visible()
    _logout(page)

    # The focal point sees the request in their queue and approves it.
    _login(page, "focal@atlantis.example")
    page.goto(f"/events/{event_id}/accreditation")
    row = page.get_by_role("row").filter(has_text="Dana Delegate")
    expect(row).to_contain_text("Awaiting approval")
    expect(row).to_contain_text("Counsellor")
    row.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Dana Delegate is approved.")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Dana Delegate")).to_contain_text("Approved")
    _logout(page)

    # The participant now sees the approval.
    _login(page, "delegate@atlantis.example")
    page.goto(f"/events/{event_id}/registration")
    expect(page.get_by_text("Approved", exact=True).first).to_be_visible()
    with app.app_context():
        registration = db.session.scalar(
            select(Registration).where(Registration.email == "delegate@atlantis.example")
        )
        assert registration.approval == Approval.APPROVED
        assert registration.organization_id == member_id


def test_focal_point_rejects_in_bulk_with_a_reason(app, page, world):
    one = add_registration(app, world["event"], "One", org=world["a"])
    two = add_registration(app, world["event"], "Two", org=world["a"])
    three = add_registration(app, world["event"], "Three", org=world["a"])
    _login(page, "fpa@x.org")
    page.goto(f"/events/{world['event']}/accreditation")
    # Enter in a row's reason field picks no decision.
    page.get_by_label("Reason for Ann One").fill("typing")
    page.get_by_label("Reason for Ann One").press("Enter")
    page.wait_for_timeout(300)
    assert stored(app, one).approval == Approval.PENDING
    page.get_by_label("Tick every pending request of this page").check()
    page.get_by_label("Tick Ann Three").uncheck()
    page.get_by_role("button", name="Reject the ticked requests").click()
    expect(page.locator("#bulk-error")).to_contain_text("Give a reason")
    expect(page.get_by_label("Tick Ann One")).to_be_checked()  # the ticks are kept
    page.get_by_label("Reason (required to reject)").fill("Duplicate requests")
    page.get_by_role("button", name="Reject the ticked requests").click()
    expect(page.get_by_text("2 registrations rejected.")).to_be_visible()
    assert stored(app, one).approval == stored(app, two).approval == Approval.REJECTED
    assert stored(app, three).approval == Approval.PENDING
