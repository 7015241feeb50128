"""Event pages and the timeline through the HTTP client."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from models import AuditEntry, Deadline, DeadlineKind, Event, Role, RoleGrant
from webapp.events import services
from webapp.extensions import db

#: The opening date of make_event's events, so one form fits creating and editing.
OPENING = date.today() + timedelta(days=300)


def event_form(**changes):
    """A valid event form submission, with changes (None drops a field)."""
    data = {
        "name": "World Telecommunication Development Conference",
        "acronym": "WTDC-NEW",
        "city": "Baku",
        "country_iso2": "AZ",
        "venue": "Baku Congress Centre",
        "timezone": "Asia/Baku",
        "opening_date": OPENING.isoformat(),
        "closing_date": (OPENING + timedelta(days=10)).isoformat(),
        "languages": ["en", "zh", "ru"],
        "description": "The development conference.",
        "p2c_start": "",
        "p2c_end": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def organizer(make_event, make_user, login):
    """An event and its logged-in organizer; returns the event id."""
    event_id = make_event()
    make_user("org@example.org", organizer_of=event_id)
    login("org@example.org")
    return event_id


def add(app, event_id, label, **when):
    """A deadline added through the service; returns its id."""
    with app.app_context():
        event = db.session.get(Event, event_id)
        if "source" in when:
            deadline = services.upsert_deadline(event, f"test.{label}", label, **when)
        else:
            deadline = services.add_deadline(None, event, label, **when)
        db.session.commit()
        return deadline.id


# -------------------------------------------------------------------------- public pages


def test_public_pages_anonymous(app, client, make_event):
    event_id = make_event(
        description="Connecting the unconnected.",
        venue="Palexpo",
        p2c_start=datetime(2030, 1, 2, 14),
        p2c_end=datetime(2030, 1, 4, 18),
    )
    listing = client.get("/events/").get_data(as_text=True)
    assert "Test Conference" in listing and "WTDC-T" in listing and "Geneva" in listing
    assert "New event" not in listing
    response = client.get(f"/events/{event_id}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    for text in (
        "Test Conference",
        "Switzerland",
        "Palexpo",
        "Connecting the unconnected.",
        "English",
        "中文",
        "Europe/Zurich",
        "14:00",
        "18:00",
    ):
        assert text in body
    assert "Management" not in body and "Timeline" not in body


def test_unknown_event_is_404(client):
    assert client.get("/events/999").status_code == 404


def test_organizer_sees_management_panel(app, client, organizer):
    add(app, organizer, "Late one", fixed_date=date.today() - timedelta(days=3))
    add(app, organizer, "Next one", fixed_date=date.today() + timedelta(days=3))
    body = client.get(f"/events/{organizer}").get_data(as_text=True)
    assert "Management" in body
    assert f'href="/events/{organizer}/timeline"' in body
    assert "1 deadline is overdue" in body
    assert "Next one" in body and "Late one" not in body.split("Next deadlines")[1]


# -------------------------------------------------------------------------------- create


@pytest.mark.parametrize("who", ["admin", "organizer"])
def test_create_event(app, client, make_user, make_event, login, who):
    if who == "admin":
        make_user("admin@example.org", admin=True)
    else:
        make_user("admin@example.org", organizer_of=make_event())
    login("admin@example.org")
    assert "New event" in client.get("/events/").get_data(as_text=True)
    assert client.get("/events/new").status_code == 200
    response = client.post("/events/new", data=event_form())
    assert response.status_code == 302
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.acronym == "WTDC-NEW"))
        assert (event.city, event.country_iso2, event.timezone) == ("Baku", "AZ", "Asia/Baku")
        assert event.languages == ["en", "zh", "ru"]
        assert event.p2c_start == datetime.combine(
            OPENING + timedelta(days=1), datetime.min.time()
        ).replace(hour=14)
        grant = db.session.scalar(select(RoleGrant).where(RoleGrant.event_id == event.id))
        assert grant.role == Role.ORGANIZER
        assert response.headers["Location"] == f"/events/{event.id}"
        assert (
            db.session.scalar(select(AuditEntry.action).where(AuditEntry.event_id == event.id))
            == "event.created"
        )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The event WTDC-NEW is created." in page and "Management" in page


def test_create_event_with_p2c_window(app, client, make_user, login):
    make_user("admin@example.org", admin=True)
    login("admin@example.org")
    start = f"{(OPENING + timedelta(days=2)).isoformat()}T09:30"
    end = f"{(OPENING + timedelta(days=4)).isoformat()}T12:00"
    assert (
        client.post("/events/new", data=event_form(p2c_start=start, p2c_end=end)).status_code == 302
    )
    with app.app_context():
        event = db.session.scalar(select(Event))
        assert event.p2c_start.isoformat(timespec="minutes") == start


def test_participant_cannot_create(client, make_user, login):
    make_user("someone@example.org")
    login("someone@example.org")
    assert "New event" not in client.get("/events/").get_data(as_text=True)
    assert client.get("/events/new").status_code == 403
    assert client.post("/events/new", data=event_form()).status_code == 403


def test_anonymous_goes_to_login(client, make_event):
    event_id = make_event()
    for path in ("/events/new", f"/events/{event_id}/timeline", f"/events/{event_id}/edit"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/account/login" in response.headers["Location"]


BAD_EVENT_INPUT = [
    ({"name": ""}, "name", "This field is required"),
    ({"name": None}, "name", "This field is required"),
    ({"acronym": ""}, "acronym", "This field is required"),
    ({"name": "x" * 201}, "name", "longer than 200"),
    ({"acronym": "A" * 41}, "acronym", "longer than 40"),
    ({"city": "c" * 121}, "city", "longer than 120"),
    ({"description": "d" * 10001}, "description", "longer than 10000"),
    ({"opening_date": "abc"}, "opening_date", "Not a valid date value"),
    ({"opening_date": ""}, "opening_date", "This field is required"),
    ({"closing_date": "2030-13-45"}, "closing_date", "Not a valid date value"),
    (
        {"closing_date": (OPENING - timedelta(days=1)).isoformat()},
        "closing_date",
        "cannot be before the opening",
    ),
    (
        {"opening_date": "1850-01-01", "closing_date": "1850-01-02"},
        "opening_date",
        "between 2000 and 2100",
    ),
    ({"timezone": "Mars/Olympus"}, "timezone", "Not a valid choice"),
    ({"country_iso2": "XX"}, "country_iso2", "Not a valid choice"),
    ({"languages": ["en", "de"]}, "languages", "not a valid choice"),
    ({"languages": None}, "languages", "Choose at least one language"),
    ({"p2c_start": "abc", "p2c_end": "abc"}, "p2c_start", "Not a valid datetime value"),
    ({"p2c_start": f"{OPENING.isoformat()}T14:00"}, "p2c_end", "Give both"),
    (
        {
            "p2c_start": f"{(OPENING - timedelta(days=1)).isoformat()}T14:00",
            "p2c_end": f"{OPENING.isoformat()}T14:00",
        },
        "p2c_start",
        "on or after the opening",
    ),
    (
        {
            "p2c_start": f"{OPENING.isoformat()}T14:00",
            "p2c_end": f"{(OPENING + timedelta(days=11)).isoformat()}T14:00",
        },
        "p2c_end",
        "on or before the closing",
    ),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD_EVENT_INPUT)
def test_create_event_bad_input(app, client, make_user, login, changes, field, message):
    make_user("admin@example.org", admin=True)
    login("admin@example.org")
    response = client.post("/events/new", data=event_form(**changes))
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{field}-error"' in body
    assert message.lower() in body.lower()
    assert "Baku Congress Centre" in body  # nothing already entered is lost
    with app.app_context():
        assert count(Event) == 0


def test_create_event_duplicate_acronym(app, client, make_user, make_event, login):
    make_event(acronym="WTDC-NEW")
    make_user("admin@example.org", admin=True)
    login("admin@example.org")
    response = client.post("/events/new", data=event_form(acronym="wtdc-new"))
    assert response.status_code == 400
    assert "Another event already uses the acronym wtdc-new" in response.get_data(as_text=True)
    with app.app_context():
        assert count(Event) == 1


# ---------------------------------------------------------------------------------- edit


def test_edit_event(app, client, organizer):
    page = client.get(f"/events/{organizer}/edit").get_data(as_text=True)
    assert 'value="Geneva"' in page and 'name="opening_date"' not in page
    data = event_form(
        acronym="WTDC-T",
        city="Kigali",
        country_iso2="RW",
        timezone="Africa/Kigali",
        opening_date="2001-01-01",
        closing_date=(OPENING + timedelta(days=5)).isoformat(),
    )
    response = client.post(f"/events/{organizer}/edit", data=data)
    assert response.status_code == 302
    with app.app_context():
        event = db.session.get(Event, organizer)
        assert (event.city, event.country_iso2, event.timezone) == ("Kigali", "RW", "Africa/Kigali")
        # The opening date only moves through the move page.
        assert event.opening_date == OPENING
        assert event.closing_date == OPENING + timedelta(days=5)


# Not the opening date, which this form does not have, nor text fields left out of the
# request, which WTForms fills from the event being edited.
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        c
        for c in BAD_EVENT_INPUT
        if c[1] != "opening_date" and not (c[0].get(c[1], "") is None and c[1] != "languages")
    ],
)
def test_edit_event_bad_input(app, client, organizer, changes, field, message):
    response = client.post(
        f"/events/{organizer}/edit", data=event_form(**{"acronym": "WTDC-T"} | changes)
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert f'id="{field}-error"' in body and message.lower() in body.lower()
    assert "Baku Congress Centre" in body
    with app.app_context():
        event = db.session.get(Event, organizer)
        assert (event.name, event.city, event.venue) == ("Test Conference", "Geneva", "")


# ---------------------------------------------------------------------------- permissions


MANAGEMENT_ROUTES = [
    ("get", "/events/{e}/edit"),
    ("post", "/events/{e}/edit"),
    ("get", "/events/{e}/timeline"),
    ("get", "/events/{e}/deadlines/new"),
    ("post", "/events/{e}/deadlines/new"),
    ("get", "/events/{e}/deadlines/{d}/edit"),
    ("post", "/events/{e}/deadlines/{d}/edit"),
    ("post", "/events/{e}/deadlines/{d}/delete"),
    ("post", "/events/{e}/deadlines/{d}/done"),
    ("get", "/events/{e}/move-opening"),
    ("post", "/events/{e}/move-opening"),
]


@pytest.mark.parametrize("who", ["participant", "organizer of another event"])
@pytest.mark.parametrize(("method", "path"), MANAGEMENT_ROUTES)
def test_management_is_forbidden_to_others(
    app, client, make_event, make_user, login, method, path, who
):
    event_id = make_event()
    deadline_id = add(app, event_id, "Keep me", offset_days=-30)
    other = make_event(acronym="OTHER") if who != "participant" else None
    make_user("someone@example.org", organizer_of=other)
    login("someone@example.org")
    data = {
        "label": "Hack",
        "kind": "relative",
        "days": "1",
        "direction": "before",
        "new_opening": "2040-01-01",
        "confirm": "1",
        "name": "Hacked",
    }
    response = getattr(client, method)(path.format(e=event_id, d=deadline_id), data=data)
    assert response.status_code == 403
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert event.name == "Test Conference"
        assert event.opening_date == OPENING
        deadline = db.session.get(Deadline, deadline_id)
        assert (deadline.label, deadline.completed_at) == ("Keep me", None)


@pytest.mark.parametrize(("method", "path"), [r for r in MANAGEMENT_ROUTES if "{d}" in r[1]])
def test_deadline_of_another_event_is_404(app, client, organizer, make_event, method, path):
    other = make_event(acronym="OTHER")
    foreign = add(app, other, "Not yours", offset_days=-10)
    data = {"label": "Hack", "kind": "relative", "days": "1", "direction": "before"}
    response = getattr(client, method)(path.format(e=organizer, d=foreign), data=data)
    assert response.status_code == 404
    with app.app_context():
        deadline = db.session.get(Deadline, foreign)
        assert (deadline.label, deadline.completed_at) == ("Not yours", None)


# ------------------------------------------------------------------------------ timeline


def test_timeline_page(app, client, organizer):
    add(app, organizer, "Overdue thing", fixed_date=date.today() - timedelta(days=5))
    add(app, organizer, "Soon thing", fixed_date=date.today() + timedelta(days=7))
    add(app, organizer, "Member State invitations", offset_days=-365)
    add(app, organizer, "Later thing", offset_days=10)
    add(
        app,
        organizer,
        "Wave 1 sent",
        fixed_date=date.today() + timedelta(days=40),
        source="invitations",
    )
    response = client.get(f"/events/{organizer}/timeline")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<table class="sortable" id="timeline">' in body
    assert 'data-filter-table="timeline"' in body and "<caption>" in body
    assert "2 overdue, 0 due today, 3 upcoming, 0 done" in body
    assert "365 days before opening" in body and "10 days after opening" in body
    assert 'badge badge-bad">Overdue' in body and 'badge badge-warn">Due soon' in body
    assert "5 days ago" in body and "in 7 days" in body
    assert "Opening" in body and "P2C segment starts" not in body  # no window set
    assert "Move the opening date" in body
    # A feature's deadline can be marked done here, but not edited or deleted.
    row = body.split("Wave 1 sent")[1].split("</tr>")[0]
    assert "invitations" in row and "Mark done" in row and "Delete" not in row


def test_deadline_add_edit_done_delete(app, client, organizer):
    response = client.post(
        f"/events/{organizer}/deadlines/new",
        data={
            "label": "Call for speakers",
            "kind": "relative",
            "days": "90",
            "direction": "before",
            "notes": "co-chairs first",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        deadline = db.session.scalar(select(Deadline))
        assert (deadline.kind, deadline.offset_days, deadline.notes) == (
            DeadlineKind.RELATIVE,
            -90,
            "co-chairs first",
        )
        deadline_id = deadline.id
    page = client.get(f"/events/{organizer}/deadlines/{deadline_id}/edit").get_data(as_text=True)
    assert 'value="90"' in page and 'value="Call for speakers"' in page
    fixed = (date.today() + timedelta(days=20)).isoformat()
    response = client.post(
        f"/events/{organizer}/deadlines/{deadline_id}/edit",
        data={
            "label": "Call for speakers closes",
            "kind": "fixed",
            "fixed_date": fixed,
            "direction": "before",
        },
    )
    assert response.status_code == 302
    assert client.post(f"/events/{organizer}/deadlines/{deadline_id}/done").status_code == 302
    with app.app_context():
        deadline = db.session.get(Deadline, deadline_id)
        assert (deadline.label, deadline.kind, deadline.fixed_date.isoformat()) == (
            "Call for speakers closes",
            DeadlineKind.FIXED,
            fixed,
        )
        assert deadline.completed_at is not None
    assert "0 overdue, 0 due today, 0 upcoming, 1 done" in client.get(
        f"/events/{organizer}/timeline"
    ).get_data(as_text=True)
    client.post(f"/events/{organizer}/deadlines/{deadline_id}/done", data={"done": "0"})
    with app.app_context():
        assert db.session.get(Deadline, deadline_id).completed_at is None
    response = client.post(
        f"/events/{organizer}/deadlines/{deadline_id}/delete", follow_redirects=True
    )
    assert "is deleted" in response.get_data(as_text=True)
    with app.app_context():
        assert count(Deadline) == 0
        actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {
        "deadline.added",
        "deadline.updated",
        "deadline.done",
        "deadline.reopened",
        "deadline.deleted",
    } <= actions


BAD_DEADLINE_INPUT = [
    ({"label": ""}, "label", "This field is required"),
    ({"label": "x" * 201}, "label", "longer than 200"),
    ({"days": ""}, "days", "Enter a number of days"),
    ({"days": "abc"}, "days", "Not a valid integer value"),
    ({"days": "99999"}, "days", "between 0 and 3650"),
    ({"days": "-5"}, "days", "between 0 and 3650"),
    ({"kind": "fixed"}, "fixed_date", "Enter a date"),
    ({"kind": "fixed", "fixed_date": "abc"}, "fixed_date", "Not a valid date value"),
    ({"kind": "fixed", "fixed_date": "1700-01-01"}, "fixed_date", "between 2000 and 2100"),
    ({"kind": "sometimes"}, "kind", "Not a valid choice"),
    ({"direction": "sideways"}, "direction", "Not a valid choice"),
    ({"notes": "n" * 2001}, "notes", "longer than 2000"),
]


@pytest.mark.parametrize("editing", [False, True])
@pytest.mark.parametrize(("changes", "field", "message"), BAD_DEADLINE_INPUT)
def test_deadline_bad_input(app, client, organizer, changes, field, message, editing):
    deadline_id = add(app, organizer, "Original", offset_days=-30)
    data = {
        "label": "A deadline",
        "kind": "relative",
        "days": "30",
        "direction": "before",
        "notes": "written notes",
    } | changes
    path = (
        f"/events/{organizer}/deadlines/{deadline_id}/edit"
        if editing
        else f"/events/{organizer}/deadlines/new"
    )
    response = client.post(path, data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{field}-error"' in body and message.lower() in body.lower()
    assert "written notes" in body or field == "notes"
    with app.app_context():
        assert [(d.label, d.offset_days) for d in db.session.scalars(select(Deadline))] == [
            ("Original", -30)
        ]


def test_feature_deadline_edit_redirects(app, client, organizer):
    deadline_id = add(app, organizer, "Wave 1", offset_days=-300, source="invitations")
    response = client.get(
        f"/events/{organizer}/deadlines/{deadline_id}/edit", follow_redirects=True
    )
    assert "belongs to invitations" in response.get_data(as_text=True)
    client.post(f"/events/{organizer}/deadlines/{deadline_id}/delete")
    with app.app_context():
        assert db.session.get(Deadline, deadline_id) is not None


# ------------------------------------------------------------------------ moving opening


def test_move_opening_preview_then_confirm(app, client, organizer):
    relative_id = add(app, organizer, "Relative one", offset_days=-100)
    fixed_date = date.today() + timedelta(days=250)
    fixed_id = add(app, organizer, "Fixed one", fixed_date=fixed_date)
    with app.app_context():
        event = db.session.get(Event, organizer)
        old_opening, old_closing = event.opening_date, event.closing_date
    new_opening = old_opening - timedelta(days=60)
    assert client.get(f"/events/{organizer}/move-opening").status_code == 200
    preview = client.post(
        f"/events/{organizer}/move-opening", data={"new_opening": new_opening.isoformat()}
    )
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Nothing has changed yet." in body
    assert 'name="confirm" value="1"' in body
    assert f'value="{new_opening.isoformat()}"' in body
    assert 'data-warning="fixed_after_opening"' in body  # the fixed one is now after opening
    assert 'data-warning="event_shift"' in body
    with app.app_context():
        assert db.session.get(Event, organizer).opening_date == old_opening
    response = client.post(
        f"/events/{organizer}/move-opening",
        data={"new_opening": new_opening.isoformat(), "confirm": "1"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/events/{organizer}/timeline"
    with app.app_context():
        event = db.session.get(Event, organizer)
        assert event.opening_date == new_opening
        assert event.closing_date == old_closing - timedelta(days=60)
        assert db.session.get(Deadline, relative_id).due_on() == new_opening - timedelta(days=100)
        assert db.session.get(Deadline, fixed_id).due_on() == fixed_date
        assert db.session.scalar(
            select(AuditEntry.action).where(AuditEntry.action == "event.opening_moved")
        )
    assert "now opens on" in client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("confirm", ["", "1"])
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "This field is required"),
        ("abc", "Not a valid date value"),
        ("1800-01-01", "between 2000 and 2100"),
        ("same", "already opens on this date"),
    ],
)
def test_move_opening_bad_input(app, client, organizer, value, message, confirm):
    value = OPENING.isoformat() if value == "same" else value
    response = client.post(
        f"/events/{organizer}/move-opening", data={"new_opening": value, "confirm": confirm}
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="new_opening-error"' in body and message in body
    assert 'name="confirm" value="1"' not in body
    with app.app_context():
        assert db.session.get(Event, organizer).opening_date == OPENING
