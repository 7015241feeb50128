"""A co-chair builds a session in their focus area — details, room and times, agenda
items, two speakers from the directory — and publishes it; a speaker confirms by the link
in their mail."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import (
    Event,
    Organization,
    Person,
    ProgrammeSession,
    Room,
    SessionStatus,
    SpeakerState,
)
from sessions.core import ensure_focus_areas
from tests.conftest import link_in, outbox
from webapp.extensions import db

pytestmark = pytest.mark.browser


def _login(page, email):
    page.goto("/account/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_cochair_builds_and_publishes_a_session(app, page, make_user, make_event):
    event_id = make_event("P2C-S")
    make_user("cochair@example.org", "Carla Cochair", cochair_of=(event_id, "ACCESS"))
    with app.app_context():
        event = db.session.get(Event, event_id)
        day2 = event.opening_date + timedelta(days=1)
        event.p2c_start = datetime.combine(day2, time(14))
        event.p2c_end = datetime.combine(day2 + timedelta(days=2), time(18))
        ensure_focus_areas(event)
        db.session.add(Room(event_id=event_id, name="Salle Kigali", capacity=120))
        org = Organization(name="Rural Connect Fund", constituent_group="DONOR")
        db.session.add(org)
        db.session.flush()
        db.session.add_all(
            [
                Person(
                    first_name="Amina",
                    last_name="Diallo",
                    email="amina@example.org",
                    organization_id=org.id,
                    gender="f",
                ),
                Person(
                    first_name="Bruno", last_name="Silva", email="bruno@example.org", gender="m"
                ),
            ]
        )
        db.session.commit()
    start = datetime.combine(day2, time(15)).strftime("%Y-%m-%dT%H:%M")
    end = datetime.combine(day2, time(16, 30)).strftime("%Y-%m-%dT%H:%M")

    _login(page, "cochair@example.org")
    page.goto(f"/events/{event_id}/p2c/sessions")
    page.get_by_role("link", name="New session").click()
    page.get_by_label("Title").fill("Financing the last mile")
    page.get_by_label("Format").select_option("panel")
    page.get_by_label("Description").fill("Who pays for rural access, and how?")
    page.get_by_label("Room").select_option(label="Salle Kigali")
    page.get_by_label("Starts").fill(start)
    page.get_by_label("Ends").fill(end)
    page.get_by_role("group", name="Languages spoken").get_by_label("English").check()
    page.get_by_role("button", name="Create the session").click()
    expect(page.get_by_text("The session was created as a draft.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Financing the last mile")

    # Agenda items, timed from the session's start.
    for title, minutes in (("Opening remarks", "10"), ("Panel discussion", "60")):
        page.get_by_label("Item", exact=True).fill(title)
        page.get_by_label("Minutes").fill(minutes)
        page.get_by_role("button", name="Add the item").click()
        expect(page.get_by_text("The agenda item was added.")).to_be_visible()
    expect(page.locator("#agenda-items")).to_contain_text("15:10–16:10")

    # Two speakers from the directory.
    for query, name, part, role in (
        ("Diallo", "Amina Diallo", "moderator", "funder"),
        ("bruno@example.org", "Bruno Silva", "speaker", "beneficiary"),  # a whole address
    ):
        page.get_by_label("Find by name or email").fill(query)
        page.get_by_role("button", name="Search the directory").click()
        page.get_by_label(name, exact=False).check()
        page.get_by_label("Part").select_option(part)
        page.get_by_label("Stakeholder role", exact=True).select_option(role)
        page.get_by_role("button", name="Add and ask to confirm").click()
        expect(page.get_by_text(f"{name} was added and asked by mail to confirm.")).to_be_visible()
    expect(page.locator("#people-table tbody tr")).to_have_count(2)
    expect(page.locator("#session-balance-missing")).to_contain_text("No problem owners yet.")

    for button, status in (
        ("Propose", "Proposed"),
        ("Confirm", "Confirmed"),
        ("Publish", "Published"),
    ):
        page.get_by_role("button", name=button, exact=True).click()
        expect(page.get_by_text(f"Status changed to {status}.")).to_be_visible()
    expect(page.locator("h1 .badge")).to_have_text("Published")
    expect(page.get_by_role("link", name="The public page")).to_be_visible()

    # Amina answers from the link in her mail, without logging in.
    page.get_by_role("button", name="Log out").click()
    page.goto(link_in(outbox(app, "amina@example.org")[-1]))
    expect(page.locator("#ask-facts")).to_contain_text("Salle Kigali")
    expect(page.locator("#ask-facts")).to_contain_text("Moderator")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("You confirmed that you will take part.")).to_be_visible()

    with app.app_context():
        session = db.session.scalar(select(ProgrammeSession))
        assert session.status == SessionStatus.PUBLISHED and session.published_at
        assert session.room.name == "Salle Kigali"
        assert session.starts_at == datetime.combine(day2, time(15))
        assert [i.title for i in session.agenda_items] == ["Opening remarks", "Panel discussion"]
        assert sorted(p.person.last_name for p in session.people) == ["Diallo", "Silva"]
        assert session.focus_area.code == "ACCESS"
        states = {p.person.last_name: p.state for p in session.people}
        assert states == {"Diallo": SpeakerState.CONFIRMED, "Silva": SpeakerState.ASKED}
