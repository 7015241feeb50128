"""Event and deadline services: validation, deadline arithmetic, timeline, moving the opening."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from models import AuditEntry, Deadline, DeadlineKind, Event, Role, RoleGrant, User
from webapp.events import services
from webapp.extensions import db
from webapp.permissions import can

OPENING = date(2030, 11, 17)


@pytest.fixture
def actor(ctx):
    """An organizer-to-be, in the database."""
    user = User(email="org@example.org", name="Org", password_hash="x")
    db.session.add(user)
    db.session.flush()
    return user


def fields(**changes):
    """Valid event fields, with changes."""
    values = {
        "name": "World Telecommunication Development Conference",
        "acronym": "WTDC-30",
        "city": "Geneva",
        "country_iso2": "CH",
        "venue": "CICG",
        "timezone": "Europe/Zurich",
        "opening_date": OPENING,
        "closing_date": OPENING + timedelta(days=11),
        "languages": ["zh", "en"],
        "description": "",
    }
    values.update(changes)
    return values


@pytest.fixture
def event(actor):
    """An event created through the service (with its default deadlines)."""
    return services.create_event(actor, **fields())


# ------------------------------------------------------------------------------- events


def test_create_event_defaults_and_grant(actor):
    event = services.create_event(actor, **fields())
    assert event.id is not None
    assert event.languages == ["en", "zh"]  # UN order
    assert event.p2c_start == datetime(2030, 11, 18, 14, 0)
    assert event.p2c_end == datetime(2030, 11, 20, 18, 0)
    grant = db.session.scalar(select(RoleGrant).where(RoleGrant.event_id == event.id))
    assert (grant.user_id, grant.role) == (actor.id, Role.ORGANIZER)
    assert can(actor, "event.manage", event)
    formal = services.deadline_by_key(event, services.FORMAL_INVITATIONS_KEY)
    assert formal.offset_days == -365
    assert formal.due_on() == date(2029, 11, 17)
    assert (
        db.session.scalar(select(AuditEntry.action).where(AuditEntry.event_id == event.id))
        == "event.created"
    )


def test_default_p2c_window():
    assert services.default_p2c_window(date(2025, 11, 17)) == (
        datetime(2025, 11, 18, 14, 0),
        datetime(2025, 11, 20, 18, 0),
    )


@pytest.mark.parametrize(
    ("days", "window"),
    [
        (0, (None, None)),  # a one-day event has no day 2
        (1, (datetime(2030, 11, 18, 14, 0), datetime(2030, 11, 18, 18, 0))),
        (2, (datetime(2030, 11, 18, 14, 0), datetime(2030, 11, 19, 18, 0))),
    ],
)
def test_short_events_get_a_window_that_fits_and_stay_editable(actor, days, window):
    event = services.create_event(actor, **fields(closing_date=OPENING + timedelta(days=days)))
    assert (event.p2c_start, event.p2c_end) == window
    services.update_event(actor, event, city="Kigali")  # still valid: no error
    assert event.city == "Kigali"


@pytest.mark.parametrize(
    ("changes", "error", "field", "message"),
    [
        ({"timezone": "Mars/Olympus"}, services.EventInvalid, "timezone", "time zone"),
        ({"timezone": "localtime"}, services.EventInvalid, "timezone", "time zone"),
        (
            {"closing_date": OPENING - timedelta(days=1)},
            services.EventInvalid,
            "closing_date",
            "before the opening",
        ),
        ({"languages": ["en", "de"]}, services.EventInvalid, "languages", "six UN languages"),
        ({"languages": []}, services.EventInvalid, "languages", "at least one"),
        ({"country_iso2": "XX"}, services.EventInvalid, "country_iso2", "country"),
        ({"name": "  "}, services.EventInvalid, "name", "required"),
        ({"acronym": "A" * 41}, services.EventInvalid, "acronym", "at most 40"),
        (
            {"opening_date": date(1900, 1, 1), "closing_date": date(1900, 1, 2)},
            services.EventInvalid,
            "opening_date",
            "between",
        ),
        (
            {"p2c_start": datetime(2030, 11, 16, 14), "p2c_end": datetime(2030, 11, 19, 18)},
            services.EventInvalid,
            "p2c_start",
            "on or after the opening",
        ),
        (
            {"p2c_start": datetime(2030, 11, 27, 14), "p2c_end": datetime(2030, 11, 29, 18)},
            services.EventInvalid,
            "p2c_end",
            "on or before the closing",
        ),
        (
            {"p2c_start": datetime(2030, 11, 19, 14), "p2c_end": datetime(2030, 11, 18, 18)},
            services.EventInvalid,
            "p2c_end",
            "end after it starts",
        ),
        ({"p2c_start": datetime(2030, 11, 19, 14)}, services.EventInvalid, "p2c_end", "both"),
    ],
)
def test_create_event_rules(actor, changes, error, field, message):
    with pytest.raises(error) as raised:
        services.create_event(actor, **fields(**changes))
    assert raised.value.field == field
    assert message in str(raised.value)
    assert db.session.scalar(select(Event.id)) is None


def test_duplicate_acronym_any_case(actor, event):
    with pytest.raises(services.AcronymTaken, match="already uses the acronym wtdc-30"):
        services.create_event(actor, **fields(acronym="wtdc-30"))


def test_update_event_keeps_acronym_and_checks_p2c(actor, event):
    services.update_event(
        actor, event, **fields(city="Baku", closing_date=OPENING + timedelta(days=5))
    )
    assert (event.city, event.acronym) == ("Baku", "WTDC-30")
    with pytest.raises(services.EventInvalid) as raised:
        services.update_event(actor, event, closing_date=OPENING + timedelta(days=2))
    assert raised.value.field == "p2c_end"  # the P2C window ends on day 4
    assert event.closing_date == OPENING + timedelta(days=5)


def test_update_event_refuses_new_opening(actor, event):
    with pytest.raises(services.EventInvalid, match="Move the opening date") as raised:
        services.update_event(actor, event, opening_date=OPENING + timedelta(days=1))
    assert raised.value.field == "opening_date"
    assert event.opening_date == OPENING


def test_update_event_acronym_of_another_event(actor, event):
    other = services.create_event(actor, **fields(acronym="WTPF-30"))
    with pytest.raises(services.AcronymTaken):
        services.update_event(actor, other, acronym="WTDC-30")


# ---------------------------------------------------------------------------- deadlines


def test_deadline_arithmetic(actor, event):
    before = services.add_deadline(actor, event, "Registration opens", offset_days=-120)
    after = services.add_deadline(actor, event, "Reports", offset_days=10)
    fixed = services.add_deadline(actor, event, "Budget", fixed_date=date(2030, 1, 31))
    assert before.kind == DeadlineKind.RELATIVE and before.due_on() == date(2030, 7, 20)
    assert after.due_on() == date(2030, 11, 27)
    assert fixed.kind == DeadlineKind.FIXED and fixed.due_on() == date(2030, 1, 31)
    assert before.due_on(date(2031, 1, 1)) == date(2030, 9, 3)
    assert fixed.due_on(date(2031, 1, 1)) == date(2030, 1, 31)
    assert before.key != after.key and before.key.startswith("event.custom.")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "a number of days from the opening or a fixed date"),
        ({"offset_days": -10, "fixed_date": date(2030, 1, 1)}, "not both"),
        ({"offset_days": 5000}, "at most 3650"),
        ({"fixed_date": date(1800, 1, 1)}, "between"),
    ],
)
def test_deadline_needs_exactly_one_date(actor, event, kwargs, message):
    with pytest.raises(services.DeadlineInvalid, match=message):
        services.add_deadline(actor, event, "Something", **kwargs)


def test_deadline_key_unique_per_event(actor, event):
    services.add_deadline(actor, event, "One", offset_days=-1, key="event.x")
    with pytest.raises(services.DeadlineKeyTaken):
        services.add_deadline(actor, event, "Two", offset_days=-2, key="event.x")
    other = services.create_event(actor, **fields(acronym="WTPF-30"))
    assert services.add_deadline(actor, other, "One", offset_days=-1, key="event.x").id


def test_upsert_deadline_is_idempotent_and_keeps_done(actor, event):
    first = services.upsert_deadline(
        event,
        "invitations.wave.1.send_by",
        "Wave 1",
        "invitations",
        offset_days=-300,
        link={"wave_id": 1},
    )
    services.mark_deadline_done(actor, first)
    second = services.upsert_deadline(
        event,
        "invitations.wave.1.send_by",
        "Wave 1 (ASP)",
        "invitations",
        fixed_date=date(2030, 2, 1),
        link={"wave_id": 1},
    )
    assert second.id == first.id
    assert (second.label, second.kind, second.offset_days) == ("Wave 1 (ASP)", "fixed", None)
    assert second.completed_at is not None
    keys = db.session.scalars(select(Deadline.key).where(Deadline.event_id == event.id))
    assert sorted(keys) == [services.FORMAL_INVITATIONS_KEY, "invitations.wave.1.send_by"]


def test_feature_deadlines_are_not_edited_on_the_timeline(actor, event):
    deadline = services.upsert_deadline(
        event, "pledges.report", "Reports", "pledges", offset_days=365
    )
    with pytest.raises(services.DeadlineNotEditable):
        services.update_deadline(actor, deadline, label="X", offset_days=1)
    with pytest.raises(services.DeadlineNotEditable):
        services.delete_deadline(actor, deadline)
    services.mark_deadline_done(actor, deadline)
    assert deadline.completed_at is not None


def test_update_and_delete_deadline(actor, event):
    deadline = services.add_deadline(actor, event, "Draft", offset_days=-30)
    services.update_deadline(
        actor,
        deadline,
        label="Draft agenda",
        fixed_date=date(2030, 9, 1),
        notes="send to co-chairs",
    )
    assert (deadline.kind, deadline.offset_days, deadline.fixed_date) == (
        DeadlineKind.FIXED,
        None,
        date(2030, 9, 1),
    )
    services.delete_deadline(actor, deadline)
    assert db.session.get(Deadline, deadline.id) is None
    actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions[-3:] == ["deadline.added", "deadline.updated", "deadline.deleted"]


# ----------------------------------------------------------------------------- timeline


def test_timeline_statuses(actor, event):
    today = date(2030, 6, 1)
    services.add_deadline(actor, event, "Overdue", fixed_date=date(2030, 5, 1))
    done = services.add_deadline(actor, event, "Done", fixed_date=date(2030, 5, 2))
    services.mark_deadline_done(actor, done)
    services.add_deadline(actor, event, "Today", fixed_date=today)
    services.add_deadline(actor, event, "Soon", fixed_date=today + timedelta(days=10))
    services.add_deadline(actor, event, "Opening day", offset_days=0)
    rows = services.timeline(event, today=today)
    by_label = {row.label: row for row in rows}
    assert by_label["Overdue"].status == "overdue" and by_label["Overdue"].days == -31
    assert by_label["Done"].status == "done"
    assert by_label["Today"].status == "due_today" and by_label["Today"].distance == "today"
    assert by_label["Soon"].status == "upcoming" and by_label["Soon"].due_soon
    assert by_label["Soon"].distance == "in 10 days"
    assert by_label["Overdue"].distance == "31 days ago"
    assert by_label["Opening day"].relative == "on the opening day"
    assert by_label["Opening day"].status == "upcoming" and not by_label["Opening day"].due_soon
    # The formal invitations, 365 days before the opening, are already overdue on this day.
    formal = by_label["Formal invitations to Member States"]
    assert (formal.status, formal.relative) == ("overdue", "365 days before opening")
    assert by_label["Opening"].is_milestone and by_label["P2C segment starts"].is_milestone
    assert by_label["P2C segment starts"].relative == "1 day after opening"
    assert [row.date for row in rows] == sorted(row.date for row in rows)
    # On the opening day, the milestone reads before what is due on it.
    labels = [row.label for row in rows]
    assert labels.index("Opening") + 1 == labels.index("Opening day")
    assert services.counts(rows) == {"done": 1, "overdue": 2, "due_today": 1, "upcoming": 2}
    assert [r.label for r in services.next_deadlines(rows)] == ["Today", "Soon", "Opening day"]


def test_milestones_in_the_past(event):
    rows = services.timeline(event, today=OPENING + timedelta(days=30))
    assert {r.status for r in rows if r.is_milestone} == {"past"}


# ------------------------------------------------------------------ moving the opening


def test_preview_moves_relative_and_keeps_fixed(actor, event):
    relative = services.add_deadline(actor, event, "Relative", offset_days=-30)
    fixed = services.add_deadline(actor, event, "Fixed", fixed_date=date(2030, 10, 1))
    new_opening = OPENING + timedelta(days=60)
    preview = services.preview_opening_change(event, new_opening, today=date(2030, 1, 1))
    moves = {m.deadline.label: m for m in preview.moves}
    assert (moves["Relative"].old_date, moves["Relative"].new_date) == (
        date(2030, 10, 18),
        date(2030, 12, 17),
    )
    assert moves["Fixed"].old_date == moves["Fixed"].new_date == date(2030, 10, 1)
    assert preview.new_closing == event.closing_date + timedelta(days=60)
    assert preview.new_p2c_start == event.p2c_start + timedelta(days=60)
    assert [w.kind for w in preview.warnings] == ["event_shift"]
    # Nothing moved yet.
    assert event.opening_date == OPENING
    assert relative.due_on() == date(2030, 10, 18) and fixed.due_on() == date(2030, 10, 1)


def test_preview_warnings(actor, event):
    services.add_deadline(actor, event, "Fixed early", fixed_date=date(2030, 11, 1))
    # 2030-05-01 now, 2030-03-29 after the move: into the past. The formal invitations
    # (2029-11-17) are past already, so they get no warning.
    services.add_deadline(actor, event, "Soon relative", offset_days=-200)
    done = services.add_deadline(actor, event, "Done fixed", fixed_date=date(2030, 11, 2))
    services.mark_deadline_done(actor, done)
    preview = services.preview_opening_change(event, date(2030, 10, 15), today=date(2030, 4, 1))
    kinds = {(w.kind, w.deadline.label if w.deadline else None) for w in preview.warnings}
    assert kinds == {
        ("fixed_after_opening", "Fixed early"),
        ("moves_into_past", "Soon relative"),
        ("event_shift", None),
    }
    fixed = next(w for w in preview.warnings if w.kind == "fixed_after_opening")
    assert "after the new opening date" in fixed.message
    shift = next(w for w in preview.warnings if w.kind == "event_shift")
    assert "closing date moves to" in shift.message and "P2C" in shift.message


@pytest.mark.parametrize("new_opening", [OPENING, date(1999, 1, 1), None])
def test_preview_refuses_bad_dates(event, new_opening):
    with pytest.raises(services.EventInvalid) as raised:
        services.preview_opening_change(event, new_opening)
    assert raised.value.field == "new_opening"


def test_move_opening(actor, event):
    relative = services.add_deadline(actor, event, "Relative", offset_days=-30)
    fixed = services.add_deadline(actor, event, "Fixed", fixed_date=date(2030, 10, 1))
    old_closing, old_p2c = event.closing_date, (event.p2c_start, event.p2c_end)
    new_opening = OPENING - timedelta(days=7)
    services.move_opening(actor, event, new_opening)
    assert event.opening_date == new_opening
    assert event.closing_date == old_closing - timedelta(days=7)
    assert (event.p2c_start, event.p2c_end) == tuple(t - timedelta(days=7) for t in old_p2c)
    assert relative.due_on() == new_opening - timedelta(days=30)
    assert fixed.due_on() == date(2030, 10, 1)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "event.opening_moved"))
    assert entry.data["old_opening"] == OPENING.isoformat()
    assert entry.data["new_opening"] == new_opening.isoformat()
    assert entry.actor_id == actor.id
