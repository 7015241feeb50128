"""An organizer imports a target list, builds a wave, previews it and sends it."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from models import EntryStatus, Invitation, OutboxMessage, TargetEntry
from webapp.extensions import db

pytestmark = pytest.mark.browser

CSV = (
    b"email,first_name,last_name,organization,country,constituent_group,star\n"
    b"amina@example.org,Amina,Diallo,Ministry of ICT,SN,MS_MIN,yes\n"
    b"bo@example.org,Bo,Li,Ministry of Industry,CN,MS_MIN,\n"
    b"carla@example.org,Carla,Ruiz,Orbit Satellite,AR,PRIV,\n"
    b"not-an-email,Xavier,Yu,Somewhere,KE,PRIV,\n"
)


def test_import_build_preview_and_send_a_wave(app, page, make_user, make_event):
    event_id = make_event("WTDC-W", days=500)
    make_user("sec@example.org", "Sam Secretariat", organizer_of=event_id)
    page.goto("/account/login")
    page.get_by_label("Email").fill("sec@example.org")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()

    # Import: the job page's progress bar leads to the result page.
    page.goto(f"/events/{event_id}/targets/import")
    page.get_by_label("CSV or XLSX file").set_input_files(
        files=[{"name": "targets.csv", "mimeType": "text/csv", "buffer": CSV}]
    )
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Import result")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Rows kept: 3")
    expect(page.get_by_role("status")).to_contain_text("Rows refused: 1")

    # Build the wave.
    page.goto(f"/events/{event_id}/waves")
    page.get_by_role("link", name="New wave").click()
    page.get_by_label("Name", exact=True).fill("Ministers")
    page.get_by_label("Constituent groups").select_option("MS_MIN")
    page.get_by_label(re.compile(r"^Subject \(English\)")).fill("Invitation to {event}")
    page.get_by_label(re.compile(r"^Letter \(English\)")).fill(
        "Dear {name},\n\nPlease answer by {deadline}: {rsvp_link}"
    )
    page.get_by_label("Send by: days before the opening").fill("400")
    page.get_by_label("RSVP by: days before the opening").fill("300")
    page.get_by_label("Reminders: days before the RSVP deadline").fill("30, 14, 3")
    page.get_by_role("button", name="Save the draft").click()
    expect(page.get_by_role("heading", name=re.compile("Ministers"))).to_be_visible()

    # Preview for a recipient.
    page.get_by_role("link", name="Preview", exact=True).click()
    expect(page.locator("#preview-subject")).to_contain_text("Invitation to Test Conference")

    # Send, confirm, follow the progress bar back to the wave.
    page.go_back()
    page.get_by_role("link", name="Send now").click()
    page.get_by_role("button", name="Yes, send now").click()
    expect(page.get_by_role("heading", name=re.compile("Ministers"))).to_be_visible(timeout=20_000)

    with app.app_context():
        invited = db.session.scalar(select(func.count(Invitation.id)))
        letters = db.session.scalars(
            select(OutboxMessage.to_email).where(OutboxMessage.template == "invitations/letter")
        ).all()
        statuses = dict(
            db.session.execute(
                select(TargetEntry.constituent_group, TargetEntry.status).where(
                    TargetEntry.constituent_group == "PRIV"
                )
            ).all()
        )
    assert invited == 2
    assert sorted(letters) == ["amina@example.org", "bo@example.org"]
    assert statuses == {"PRIV": EntryStatus.IDENTIFIED}
