"""Staff check a badge in, in Chromium with CSRF on: the organizer types a participant's
badge code, sees the tick with the name and the count go up; the same code again shows
the duplicate warning; a forged code is refused; a check-in made at another desk shows
in the counts without reloading."""

import pytest
from playwright.sync_api import expect

from models import Registration, RegistrationCategory, User
from registration import checkin
from tests.integration.test_registration_badges import code_of, make_registration
from webapp.extensions import db

pytestmark = pytest.mark.browser


def test_staff_check_a_badge_in(app, page, make_event, make_user):
    event_id = make_event("CHECK-B", name="Check-in Conference")
    make_user("staff@example.org", "Sam Staff", organizer_of=event_id)
    ada = make_user("ada@example.org", "Ada Lovelace")
    reg = make_registration(app, event_id, ada, organization_name="ICT Ministry")
    other = make_registration(
        app,
        event_id,
        None,
        first_name="Bob",
        last_name="Byron",
        category=RegistrationCategory.MEDIA,
    )
    code = code_of(app, reg)

    page.goto("/account/login")
    page.get_by_label("Email").fill("staff@example.org")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.goto(f"/events/{event_id}/checkin")
    expect(page.get_by_role("heading", name="Check-in at CHECK-B")).to_be_visible()
    field = page.get_by_label("Badge code")
    expect(field).to_be_focused()
    # The camera button shows only where the browser reads QR codes itself.
    expect(page.get_by_role("button", name="Stop the camera")).to_be_hidden()
    if not page.evaluate("'BarcodeDetector' in window"):
        expect(page.get_by_role("button", name="Scan with camera")).to_be_hidden()
    done = page.locator('#checkin-total [data-count="checked_in"]')
    expect(done).to_have_text("0")
    expect(page.locator('#checkin-total [data-count="expected"]')).to_have_text("2")

    field.fill(code)
    field.press("Enter")
    result = page.locator("#checkin-result")
    expect(result).to_contain_text("Checked in")
    expect(result).to_contain_text("Ada Lovelace")
    expect(result).to_contain_text("ICT Ministry")
    expect(result).to_contain_text("Check the photo ID")
    expect(result).to_have_class("checkin-result level-ok")
    expect(done).to_have_text("1")
    # Ready for the next badge: the field is empty and keeps the focus.
    expect(field).to_have_value("")
    expect(field).to_be_focused()

    field.fill(code)
    page.get_by_role("button", name="Check in").click()
    expect(result).to_contain_text("Already checked in")
    expect(result).to_contain_text("by Sam Staff")
    expect(result).to_contain_text("Ada Lovelace")
    expect(done).to_have_text("1")

    field.fill(code[:-3] + ("AAA" if not code.endswith("AAA") else "BBB"))
    field.press("Enter")
    expect(result).to_contain_text("Unknown or forged code")
    expect(result).not_to_contain_text("Ada Lovelace")

    # Another desk checks Bob in: the counts follow without a reload.
    with app.test_request_context():
        staff = db.session.scalar(db.select(User).where(User.email == "staff@example.org"))
        event = db.session.get(Registration, other).event
        checkin.check_in(staff, event, code_of(app, other))
        db.session.commit()
    expect(done).to_have_text("2", timeout=12_000)
    expect(page.locator('#checkin-categories tr[data-category="media"]')).to_contain_text("1")
