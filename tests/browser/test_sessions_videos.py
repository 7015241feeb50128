"""A co-chair submits a video message for a minister (a renamed text file is refused,
the fields stay), an organizer approves it, and it appears in the break's playlist."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from models import BlockKind, Event, Person, ProgrammeBlock, Screen
from webapp.extensions import db

pytestmark = pytest.mark.browser


def _login(page, email):
    page.goto("/account/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_video_message_from_submission_to_playlist(app, page, make_user, make_event):
    event_id = make_event("VM-BR")
    make_user("chair@example.org", "Chris Chair", cochair_of=(event_id, "ACCESS"))
    make_user("secretariat@example.org", "Sara Secretariat", organizer_of=event_id)
    with app.app_context():
        event = db.session.get(Event, event_id)
        start = datetime.combine(event.opening_date + timedelta(days=1), time(15, 30))
        db.session.add_all(
            [
                Person(
                    honorific="H.E.",
                    first_name="Mina",
                    last_name="Minister",
                    email="minister@example.org",
                ),
                ProgrammeBlock(
                    event_id=event_id,
                    kind=BlockKind.BREAK,
                    title="Coffee break",
                    starts_at=start,
                    ends_at=start + timedelta(minutes=15),
                ),
                Screen(event_id=event_id, name="Lobby screen"),
            ]
        )
        db.session.commit()

    # The co-chair submits for the minister; a text file renamed .mp4 is refused.
    _login(page, "chair@example.org")
    page.goto(f"/events/{event_id}/p2c/videos")
    page.get_by_role("link", name="Submit a video message").click()
    page.get_by_label("Email address of the person speaking").fill("minister@example.org")
    page.get_by_label("Title").fill("Connecting the last billion")
    page.get_by_label("Focus area").select_option(label="ACCESS — Connecting people everywhere")
    page.get_by_label("Video file").set_input_files(
        files=[{"name": "speech.mp4", "mimeType": "video/mp4", "buffer": b"just text\n" * 20}]
    )
    page.get_by_label("Length (minutes:seconds)").fill("2:30")
    page.get_by_label("Language spoken").select_option("fr")
    page.get_by_label("Transcript").fill("Mesdames et Messieurs, bonjour.")
    page.get_by_role("button", name="Submit the message").click()
    expect(page.locator("#file-error")).to_contain_text("its content does not match")
    expect(page.get_by_label("Title")).to_have_value("Connecting the last billion")
    expect(page.get_by_label("Transcript")).to_have_value("Mesdames et Messieurs, bonjour.")
    page.get_by_label("Or a link to the video").fill("https://videos.example.org/minister.mp4")
    page.get_by_role("button", name="Submit the message").click()
    expect(page.get_by_text("awaits the organizers' approval")).to_be_visible()
    expect(page.get_by_text("Awaiting approval")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    # The organizer approves it; the lobby screen plays it in the coffee break.
    _login(page, "secretariat@example.org")
    page.goto(f"/events/{event_id}/p2c/videos?state=submitted")
    page.get_by_role("link", name="Connecting the last billion").click()
    expect(page.get_by_text("Mesdames et Messieurs, bonjour.")).to_be_visible()
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("The message is approved")).to_be_visible()
    page.goto(f"/events/{event_id}/p2c/videos")
    page.get_by_role("link", name="Screening playlists").click()
    table = page.get_by_role("table", name="Lobby screen: 2:30 of 15:00 played, 12:30 spare")
    expect(table).to_be_visible()
    expect(table.get_by_role("row").nth(1)).to_contain_text("15:30:00")
    expect(table.get_by_role("row").nth(1)).to_contain_text("H.E. Mina Minister")
