"""The venue page through the client: rooms, breaks and plenary blocks, screens — who may
open it, adding, editing, deleting, refusals with their messages (duplicates, times,
another event's ids, huge and mistyped values) and the audit trail."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from models import (
    AuditEntry,
    BlockKind,
    Event,
    ProgrammeBlock,
    ProgrammeSession,
    Room,
    Screen,
    SessionFormat,
    SessionStatus,
)
from tests.conftest import PASSWORD
from webapp.extensions import db


@pytest.fixture
def world(app, make_user, make_event):
    event_id = make_event("VEN-1")
    other_id = make_event("VEN-2")
    make_user("org@x.org", "Olga Organizer", organizer_of=event_id)
    make_user("access@x.org", "Ada Access", cochair_of=(event_id, "ACCESS"))
    make_user("adopt@x.org", "Abe Adoption", cochair_of=(event_id, "ADOPTION"))
    make_user("someone@x.org", "Sam Participant")
    with app.app_context():
        event = db.session.get(Event, event_id)
        other_room = Room(event_id=other_id, name="Elsewhere", capacity=10)
        db.session.add(other_room)
        db.session.commit()
        return {
            "event": event_id,
            "other": other_id,
            "other_room": other_room.id,
            "day2": event.opening_date + timedelta(days=1),
        }


@pytest.fixture
def as_user(app):
    def login(email):
        client = app.test_client()
        response = client.post("/account/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302
        return client

    return login


def url(world, tail=""):
    return f"/events/{world['event']}/p2c/venue{tail}"


def at(world, hour, minute=0, days=0):
    return datetime.combine(world["day2"] + timedelta(days=days), time(hour, minute))


def local(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M")


def add_room(app, world, name="Room A", capacity=100, event=None):
    with app.app_context():
        room = Room(event_id=event or world["event"], name=name, capacity=capacity)
        db.session.add(room)
        db.session.commit()
        return room.id


def count(app, model, **where):
    with app.app_context():
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return db.session.scalar(query)


# --- who may open it ------------------------------------------------------------------


def test_only_organizers_open_the_venue(app, client, world, as_user):
    page = as_user("org@x.org").get(url(world))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Rooms" in html and "Breaks and plenary blocks" in html and "Screens" in html
    for email in ("access@x.org", "adopt@x.org", "someone@x.org"):
        assert as_user(email).get(url(world)).status_code == 403
        assert as_user(email).post(url(world, "/rooms"), data={"room-name": "X"}).status_code == 403
    anonymous = client.get(url(world))
    assert anonymous.status_code == 302 and "/account/login" in anonymous.location
    assert client.post(url(world, "/rooms"), data={"room-name": "X"}).status_code == 302
    assert count(app, Room, event_id=world["event"]) == 0
    assert as_user("org@x.org").get("/events/999999/p2c/venue").status_code == 404


def test_venue_shows_the_segment_window_and_links_to_the_event_form(world, as_user):
    html = as_user("org@x.org").get(url(world)).get_data(as_text=True)
    assert "Partner2Connect segment" in html and "14:00" in html and "18:00" in html
    assert f"/events/{world['event']}/edit" in html
    assert "Usual window" in html


# --- rooms ----------------------------------------------------------------------------


def test_add_edit_and_list_rooms(app, world, as_user):
    org = as_user("org@x.org")
    form = {
        "room-name": "  Room A ",
        "room-capacity": "120",
        "room-position": "2",
        "room-notes": "Hall",
    }
    response = org.post(url(world, "/rooms"), data=form)
    assert response.status_code == 302
    with app.app_context():
        room = db.session.scalar(select(Room).where(Room.event_id == world["event"]))
        assert (room.name, room.capacity, room.position, room.notes) == ("Room A", 120, 2, "Hall")
        room_id = room.id
        assert db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "programme.room_added")
        )
    assert "Room A" in org.get(url(world)).get_data(as_text=True)
    page = org.get(url(world, f"/rooms/{room_id}"))
    assert page.status_code == 200 and 'value="Room A"' in page.get_data(as_text=True)
    changed = org.post(
        url(world, f"/rooms/{room_id}"),
        data={"room-name": "Room A+", "room-capacity": "80", "room-position": "1"},
    )
    assert changed.status_code == 302
    with app.app_context():
        assert db.session.get(Room, room_id).capacity == 80


def test_duplicate_room_name_is_a_409_whatever_the_case(app, world, as_user):
    add_room(app, world, "Room A")
    response = as_user("org@x.org").post(url(world, "/rooms"), data={"room-name": "room a"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "room a already exists in this event." in html
    assert 'value="room a"' in html  # what was typed is kept
    assert count(app, Room, event_id=world["event"]) == 1
    # The same name in another event is fine.
    assert (
        as_user("org@x.org").post(url(world, "/rooms"), data={"room-name": "Elsewhere"}).status_code
        == 302
    )


def test_renaming_a_room_onto_another_is_refused(app, world, as_user):
    add_room(app, world, "Room A")
    b = add_room(app, world, "Room B")
    response = as_user("org@x.org").post(
        url(world, f"/rooms/{b}"), data={"room-name": "ROOM A", "room-capacity": "5"}
    )
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(Room, b).name == "Room B"


@pytest.mark.parametrize(
    "data, message",
    [
        ({"room-name": ""}, "This field is required."),
        ({"room-name": "x" * 121}, "Field cannot be longer than 120 characters."),
        ({"room-name": "R", "room-capacity": "lots"}, "Not a valid integer value."),
        ({"room-name": "R", "room-capacity": "-1"}, "Number must be between 0 and 100000."),
        ({"room-name": "R", "room-capacity": "9" * 40}, "Number must be between 0 and 100000."),
        (
            {"room-name": "R", "room-notes": "n" * 501},
            "Field cannot be longer than 500 characters.",
        ),
    ],
)
def test_bad_room_values_are_400_beside_the_field(app, world, as_user, data, message):
    data = {"room-capacity": "0", **data}
    response = as_user("org@x.org").post(url(world, "/rooms"), data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(app, Room, event_id=world["event"]) == 0


def test_another_events_room_is_a_404(world, as_user):
    org = as_user("org@x.org")
    other = world["other_room"]
    assert org.get(url(world, f"/rooms/{other}")).status_code == 404
    assert org.post(url(world, f"/rooms/{other}"), data={"room-name": "Mine"}).status_code == 404
    assert org.post(url(world, f"/rooms/{other}/delete")).status_code == 404
    assert org.get(url(world, "/rooms/99999999")).status_code == 404
    assert org.get(url(world, "/chairs/1")).status_code == 404


def test_a_room_with_sessions_or_blocks_is_not_deleted(app, world, as_user):
    room_id = add_room(app, world, "Room A")
    with app.app_context():
        db.session.add(
            ProgrammeSession(
                event_id=world["event"],
                title="Placed",
                format=SessionFormat.PANEL,
                room_id=room_id,
                status=SessionStatus.PROPOSED,
            )
        )
        db.session.commit()
    response = as_user("org@x.org").post(url(world, f"/rooms/{room_id}/delete"))
    assert response.status_code == 409
    assert "Room A is used by 1 sessions and 0 blocks" in response.get_data(as_text=True)
    assert count(app, Room, id=room_id) == 1


def test_deleting_an_empty_room_keeps_its_screens(app, world, as_user):
    room_id = add_room(app, world, "Room A")
    with app.app_context():
        db.session.add(Screen(event_id=world["event"], name="Foyer", room_id=room_id))
        db.session.commit()
    assert as_user("org@x.org").post(url(world, f"/rooms/{room_id}/delete")).status_code == 302
    assert count(app, Room, id=room_id) == 0
    with app.app_context():
        screen = db.session.scalar(select(Screen).where(Screen.event_id == world["event"]))
        assert screen.room_id is None
        assert db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "programme.room_deleted")
        )


# --- blocks ---------------------------------------------------------------------------


def block_form(world, **fields):
    data = {
        "block-kind": "plenary",
        "block-title": "Plenary 2",
        "block-room_id": "",
        "block-starts_at": local(at(world, 9)),
        "block-ends_at": local(at(world, 12, 30)),
    }
    data.update({f"block-{k}": v for k, v in fields.items()})
    return data


def test_add_blocks_and_list_them_by_day(app, world, as_user):
    org = as_user("org@x.org")
    room_id = add_room(app, world, "Room A")
    assert org.post(url(world, "/blocks"), data=block_form(world)).status_code == 302
    coffee = block_form(
        world,
        kind="break",
        title="Coffee",
        room_id=str(room_id),
        starts_at=local(at(world, 15, 30, days=1)),
        ends_at=local(at(world, 16, days=1)),
    )
    assert org.post(url(world, "/blocks"), data=coffee).status_code == 302
    with app.app_context():
        blocks = db.session.scalars(select(ProgrammeBlock).order_by(ProgrammeBlock.starts_at)).all()
        assert [(b.kind, b.title, b.room_id) for b in blocks] == [
            (BlockKind.PLENARY, "Plenary 2", None),
            (BlockKind.BREAK, "Coffee", room_id),
        ]
        block_id = blocks[0].id
    html = org.get(url(world)).get_data(as_text=True)
    assert f'id="blocks-{world["day2"].isoformat()}"' in html
    assert "09:00–12:30" in html and "The whole venue" in html and "15:30–16:00" in html
    edit = org.get(url(world, f"/blocks/{block_id}")).get_data(as_text=True)
    assert local(at(world, 9)) in edit
    moved = block_form(world, starts_at=local(at(world, 10)))
    assert org.post(url(world, f"/blocks/{block_id}"), data=moved).status_code == 302
    with app.app_context():
        assert db.session.get(ProgrammeBlock, block_id).starts_at == at(world, 10)
    assert org.post(url(world, f"/blocks/{block_id}/delete")).status_code == 302
    assert count(app, ProgrammeBlock, id=block_id) == 0


@pytest.mark.parametrize(
    "fields, status, message",
    [
        ({"ends_at": "@8"}, 400, "The end must be after the start."),
        ({"ends_at": "@22"}, 400, "A session lasts at most 12 hours."),
        ({"starts_at": "2000-01-01T09:00", "ends_at": "2000-01-01T10:00"}, 400, "within the event"),
        ({"ends_at": ""}, 400, "This field is required."),
        ({"starts_at": "tomorrow"}, 400, "Not a valid datetime value."),
        ({"kind": "party"}, 400, "Not a valid choice."),
        ({"title": "t" * 201}, 400, "Field cannot be longer than 200 characters."),
        ({"room_id": "abc"}, 400, "Choose a room from the list."),
        ({"room_id": "99999999"}, 404, None),
    ],
)
def test_bad_blocks_are_refused(app, world, as_user, fields, status, message):
    # "@H": hour H of the second day (the block starts there at 09:00).
    fields = {
        k: local(at(world, int(v[1:]))) if v.startswith("@") else v for k, v in fields.items()
    }
    response = as_user("org@x.org").post(url(world, "/blocks"), data=block_form(world, **fields))
    assert response.status_code == status
    if message:
        html = response.get_data(as_text=True)
        assert message in html
        assert "title" in fields or 'value="Plenary 2"' in html  # nothing typed is lost
    assert count(app, ProgrammeBlock) == 0


def test_a_block_in_another_events_room_is_a_404(app, world, as_user):
    data = block_form(world, room_id=str(world["other_room"]))
    assert as_user("org@x.org").post(url(world, "/blocks"), data=data).status_code == 404
    assert count(app, ProgrammeBlock) == 0


# --- screens --------------------------------------------------------------------------


def test_screens_add_duplicate_edit_delete(app, world, as_user):
    org = as_user("org@x.org")
    room_id = add_room(app, world, "Room A")
    assert org.post(url(world, "/screens"), data={"screen-name": "Foyer"}).status_code == 302
    duplicate = org.post(url(world, "/screens"), data={"screen-name": "FOYER"})
    assert duplicate.status_code == 409 and "already exists" in duplicate.get_data(as_text=True)
    elsewhere = {"screen-name": "Side", "screen-room_id": str(world["other_room"])}
    assert org.post(url(world, "/screens"), data=elsewhere).status_code == 404
    with app.app_context():
        screen_id = db.session.scalar(select(Screen.id).where(Screen.event_id == world["event"]))
    data = {"screen-name": "Foyer 2", "screen-room_id": str(room_id)}
    assert org.post(url(world, f"/screens/{screen_id}"), data=data).status_code == 302
    with app.app_context():
        assert db.session.get(Screen, screen_id).room_id == room_id
    html = org.get(url(world)).get_data(as_text=True)
    assert "Foyer 2" in html
    assert org.post(url(world, f"/screens/{screen_id}/delete")).status_code == 302
    assert count(app, Screen, event_id=world["event"]) == 0
    assert count(app, AuditEntry, action="programme.screen_deleted") == 1
