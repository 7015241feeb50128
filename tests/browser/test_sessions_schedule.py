"""An organizer places an unplaced session from the schedule view with the form, on a
room already taken, and sees the conflict with a link to the other session; then drags
it to a free room of the grid."""

from __future__ import annotations

import os
from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import Event, ProgrammeSession, Room, SessionFormat, SessionStatus
from sessions.core import ensure_focus_areas
from webapp.extensions import db

pytestmark = pytest.mark.browser


def _login(page, email):
    page.goto("/account/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_organizer_places_a_session_and_sees_the_conflict(app, page, make_user, make_event):
    event_id = make_event("SCH-B")
    make_user("organizer@example.org", "Olga Organizer", organizer_of=event_id)
    with app.app_context():
        event = db.session.get(Event, event_id)
        access = next(a for a in ensure_focus_areas(event) if a.code == "ACCESS")
        day2 = event.opening_date + timedelta(days=1)
        room_a = Room(event_id=event_id, name="Room A", capacity=80, position=1)
        room_b = Room(event_id=event_id, name="Room B", capacity=40, position=2)
        db.session.add_all([room_a, room_b])
        db.session.flush()
        common = {"event_id": event_id, "focus_area_id": access.id, "format": SessionFormat.PANEL}
        panel = ProgrammeSession(
            title="Connecting schools",
            status=SessionStatus.CONFIRMED,
            room_id=room_a.id,
            starts_at=datetime.combine(day2, time(15)),
            ends_at=datetime.combine(day2, time(16)),
            **common,
        )
        draft = ProgrammeSession(title="Rural backhaul", status=SessionStatus.DRAFT, **common)
        db.session.add_all([panel, draft])
        db.session.commit()
        draft_id, panel_id = draft.id, panel.id

    _login(page, "organizer@example.org")
    page.goto(f"/events/{event_id}/p2c/schedule")
    expect(page.get_by_role("heading", name="Schedule of SCH-B")).to_be_visible()
    row = page.locator(f"tr#s{draft_id}")
    row.get_by_label("Room").select_option(label="Room A")
    row.get_by_label("Starts").fill(f"{day2.isoformat()}T15:30")
    row.get_by_label("Ends").fill(f"{day2.isoformat()}T16:30")
    row.get_by_role("button", name="Place").click()

    warning = page.locator("#placed-conflicts")
    expect(warning).to_contain_text("“Rural backhaul” is placed with these conflicts")
    expect(warning).to_contain_text("Room A is also booked for “Connecting schools”, 15:00–16:00.")
    expect(warning.get_by_role("link", name="See the cause")).to_have_attribute(
        "href", f"/events/{event_id}/p2c/sessions/{panel_id}"
    )
    placed = page.locator(f"article#s{draft_id}")
    expect(placed).to_contain_text("Rural backhaul")
    expect(placed).to_contain_text("1 hard conflict")
    if os.environ.get("SCREENSHOTS"):
        page.screenshot(path=os.environ["SCREENSHOTS"] + "/schedule.png", full_page=True)

    # Progressive enhancement: drag it onto Room B at 15:30; the form is sent for us.
    target = page.locator(".grid-room", has_text="Room B")
    slot = page.locator(f".grid-time[data-time='{day2.isoformat()}T15:30']")
    box_room, box_slot = target.bounding_box(), slot.bounding_box()
    placed.drag_to(
        page.locator(".schedule-grid"),
        target_position={
            "x": box_room["x"]
            + box_room["width"] / 2
            - page.locator(".schedule-grid").bounding_box()["x"],
            "y": box_slot["y"]
            + box_slot["height"] / 2
            - page.locator(".schedule-grid").bounding_box()["y"],
        },
    )
    expect(page.locator("#placed-conflicts")).to_contain_text("“Rural backhaul” has no conflicts.")
    with app.app_context():
        moved = db.session.get(ProgrammeSession, draft_id)
        room_b_id = db.session.scalar(select(Room.id).where(Room.name == "Room B"))
        assert moved.room_id == room_b_id
        assert moved.starts_at == datetime.combine(day2, time(15, 30))
        assert moved.ends_at == datetime.combine(day2, time(16, 30))
