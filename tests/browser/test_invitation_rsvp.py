"""An invitee opens the link from the outbox, accepts, and creates their account — in
Chromium, with CSRF on."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import EntryStatus, Invitation, RsvpAnswer, TargetEntry, User
from tests.conftest import link_in, outbox
from tests.integration.test_invitation_rsvp import invite
from webapp.extensions import db

pytestmark = pytest.mark.browser


def test_invitee_accepts_and_creates_an_account(app, page, make_event, make_user):
    event_id = make_event("RSVP-B", name="Browser Conference")
    make_user("secretariat@example.org", "Sara Secretariat", organizer_of=event_id)
    ids = invite(app, event_id, "minister@example.org", first_name="Amina", last_name="Diallo")

    [letter] = outbox(app, "minister@example.org")
    page.goto(link_in(letter))
    expect(
        page.get_by_role("heading", name="Your invitation to Browser Conference")
    ).to_be_visible()
    expect(page.get_by_text("Amina Diallo")).to_be_visible()
    page.get_by_role("button", name="Accept the invitation").click()

    expect(page.get_by_text("Thank you: your acceptance is recorded.")).to_be_visible()
    expect(page.get_by_text("Amina Diallo, you accepted this invitation")).to_be_visible()
    with app.app_context():
        assert db.session.get(Invitation, ids["invitation_id"]).answer == RsvpAnswer.ACCEPTED
        assert db.session.get(TargetEntry, ids["entry_id"]).status == EntryStatus.ACCEPTED
    assert outbox(app, "minister@example.org")[-1].template == "invitations/rsvp_confirmation"

    page.get_by_role("link", name="Create my Convene account").click()
    page.get_by_label("Password", exact=True).fill("a-long-password")
    page.get_by_label("Repeat password").fill("a-long-password")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_text("Your Convene account is ready, Amina Diallo.")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "minister@example.org"))
        assert user is not None and user.email_verified_at is not None

    # The link is single-use for answering: opening it again shows the answer.
    page.goto(link_in(letter))
    expect(page.get_by_text("you accepted this invitation")).to_be_visible()
    expect(page.get_by_role("button", name="Accept the invitation")).to_have_count(0)
