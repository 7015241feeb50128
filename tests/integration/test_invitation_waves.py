"""Wave pages through the HTTP client: the form, preview, test mail, sending, scheduling,
deleting, permissions and query counts."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from invitations import sending
from models import (
    Deadline,
    EntryStatus,
    Event,
    Invitation,
    JobRun,
    TargetEntry,
    Wave,
    WaveState,
    utcnow,
)
from tests.conftest import outbox
from tests.unit.test_invitation_waves import LETTER, make_entries, wave_values
from webapp.extensions import db
from webapp.jobs import run_periodic


def form(**changes):
    """A valid wave form submission for an event in English and Chinese."""
    data = {
        "name": "Ministers",
        "groups": ["MS_MIN"],
        "regions": [],
        "statuses": [],
        "subject_en": "Invitation to {event}",
        "body_en": "Dear {name},\n\nPlease answer by {deadline}: {rsvp_link}",
        "subject_zh": "",
        "body_zh": "",
        "send_by_days": "400",
        "rsvp_by_days": "300",
        "reminder_days": "30, 14, 3",
        "escalation_days": "7",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def organizer(make_event, make_user, login):
    """An event opening in 500 days and its logged-in organizer; returns the event id."""
    event_id = make_event(days=500)
    make_user("org@example.org", organizer_of=event_id)
    login("org@example.org")
    return event_id


def add_entries(app, event_id, n=3, **kwargs) -> list[int]:
    with app.app_context():
        entries = make_entries(db.session.get(Event, event_id), n, **kwargs)
        db.session.commit()
        return [e.id for e in entries]


def add_wave(app, event_id, **changes) -> int:
    from invitations import waves

    with app.app_context():
        wave = waves.create_wave(None, db.session.get(Event, event_id), **wave_values(**changes))
        db.session.commit()
        return wave.id


# ------------------------------------------------------------------------------- form


def test_create_wave_through_the_form(app, client, organizer):
    add_entries(app, organizer, 2)
    response = client.post(f"/events/{organizer}/waves/new", data=form())
    assert response.status_code == 302
    with app.app_context():
        wave = db.session.scalar(select(Wave))
        assert wave.name == "Ministers"
        assert (wave.send_by_days, wave.rsvp_by_days) == (-400, -300)
        assert wave.reminder_days == [30, 14, 3]
        assert wave.audience["groups"] == ["MS_MIN"]
        assert set(wave.letters) == {"en"}
        keys = set(db.session.scalars(select(Deadline.key)))
        assert {
            f"invitations.wave.{wave.id}.send_by",
            f"invitations.wave.{wave.id}.rsvp_by",
        } <= keys
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ministers" in page and "2 with an email address" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"send_by_days": "abc"}, "Not a valid integer value."),
        ({"send_by_days": None}, "This field is required."),
        ({"rsvp_by_days": "-5"}, "The deadline must fall before the opening."),
        ({"send_by_days": "300", "rsvp_by_days": "400"}, "must come after the send-by"),
        ({"reminder_days": "30, fourteen"}, "numbers separated by commas"),
        ({"reminder_days": "30, 30"}, "Give each reminder day once."),
        ({"reminder_days": "0"}, "positive"),
        ({"subject_en": "", "body_en": ""}, "at least one language"),
        ({"body_en": "Dear {nmae}"}, "Unknown placeholder {nmae}; use one of {name}"),
        ({"body_en": "Dear {name"}, "is not closed"),
        ({"subject_en": "x" * 301}, "Field cannot be longer than 300 characters."),
        ({"body_en": "x" * 20_001}, "Field cannot be longer than 20000 characters."),
        ({"groups": ["NOPE"]}, "is not a valid choice for this field"),
        ({"statuses": ["lost"]}, "is not a valid choice for this field"),
    ],
)
def test_wave_form_errors(app, client, organizer, changes, message):
    response = client.post(f"/events/{organizer}/waves/new", data=form(**changes))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message.replace("{", "").split("{")[0][:20] in page.replace("{", "")
    # Nothing typed is lost.
    assert "Invitation to {event}" in page or changes.get("subject_en") is not None
    with app.app_context():
        assert count(Wave) == 0


def test_wave_form_shows_the_placeholders(client, organizer):
    page = client.get(f"/events/{organizer}/waves/new").get_data(as_text=True)
    for name in ("name", "first_name", "function", "rsvp_link", "deadline", "event_acronym"):
        assert "{" + name + "}" in page
    assert 'name="subject_zh"' in page and 'name="body_en"' in page


def test_edit_sent_wave_moves_deadlines_not_letters(app, client, organizer):
    add_entries(app, organizer, 1)
    wave_id = add_wave(app, organizer)
    client.post(f"/events/{organizer}/waves/{wave_id}/send")
    page = client.get(f"/events/{organizer}/waves/{wave_id}/edit").get_data(as_text=True)
    assert "This wave is sent" in page and "Invitation to {event}" in page
    response = client.post(
        f"/events/{organizer}/waves/{wave_id}/edit", data=form(subject_en="Something else")
    )
    assert response.status_code == 400
    assert "its letter can no longer change" in response.get_data(as_text=True)
    response = client.post(
        f"/events/{organizer}/waves/{wave_id}/edit",
        data=form(send_by_days="420", body_en=LETTER["body"]),
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Wave, wave_id).send_by_days == -420


def test_late_wave_is_flagged_in_list_and_page(app, client, organizer):
    wave_id = add_wave(app, organizer, send_by_days=-200, rsvp_by_days=-100)
    add_wave(app, organizer, name="Early", send_by_days=-400)
    listing = client.get(f"/events/{organizer}/waves").get_data(as_text=True)
    assert listing.count("Late for Member States") == 1
    page = client.get(f"/events/{organizer}/waves/{wave_id}").get_data(as_text=True)
    assert "later than 365 days before the opening" in page


# ------------------------------------------------------------------- preview and test


def test_preview_renders_for_a_chosen_recipient(app, client, organizer):
    ids = add_entries(app, organizer, 2)
    wave_id = add_wave(
        app,
        organizer,
        letters={
            "en": {"subject": "Hello {first_name}", "body": "<b>Dear</b> {name}: {rsvp_link}"}
        },
    )
    response = client.get(f"/events/{organizer}/waves/{wave_id}/preview?entry={ids[1]}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Hello First1" in page
    assert 'sandbox=""' in page
    assert "&lt;b&gt;Dear" in page  # escaped in the text and doubly in srcdoc
    assert "<b>Dear" not in page
    assert client.get(f"/events/{organizer}/waves/{wave_id}/preview?entry=abc").status_code == 404
    assert (
        client.get(f"/events/{organizer}/waves/{wave_id}/preview?entry=999999").status_code == 404
    )


def test_test_mail_goes_to_me_without_an_invitation(app, client, organizer):
    add_entries(app, organizer, 1)
    wave_id = add_wave(app, organizer)
    response = client.post(f"/events/{organizer}/waves/{wave_id}/test")
    assert response.status_code == 302
    (message,) = outbox(app, "org@example.org")
    assert message.subject == "[TEST] Invitation to Test Conference"
    assert "/rsvp/test-link" in message.body_text
    with app.app_context():
        assert count(Invitation) == 0


# ---------------------------------------------------------------------------- sending


def test_send_now_invites_everyone_once(app, client, organizer):
    ids = add_entries(app, organizer, 3)
    add_entries(app, organizer, 1, email=False, start=10)
    add_entries(app, organizer, 2, group="PRIV", start=20)
    wave_id = add_wave(app, organizer)
    confirm = client.get(f"/events/{organizer}/waves/{wave_id}/send").get_data(as_text=True)
    assert "3 people will receive the letter now." in confirm
    response = client.post(f"/events/{organizer}/waves/{wave_id}/send")
    assert response.status_code == 302
    assert "/jobs/" in response.headers["Location"]
    with app.app_context():
        run = db.session.scalar(select(JobRun).where(JobRun.name == "invitations.send_wave"))
        assert run.result["endpoint"] == "invitations.wave"
        assert run.result["args"] == {"event_id": organizer, "wave_id": wave_id}
        assert "3 invited, 1 without an email address" in run.result["summary"]
        invitations = db.session.scalars(select(Invitation)).all()
        assert sorted(i.entry_id for i in invitations) == sorted(ids)
        assert all(i.sent_at and i.outbox_message_id for i in invitations)
        statuses = {db.session.get(TargetEntry, i).status for i in ids}
        assert statuses == {EntryStatus.INVITED}
        wave = db.session.get(Wave, wave_id)
        assert wave.state == WaveState.SENT and wave.sent_at is not None
        send_by = db.session.scalar(
            select(Deadline).where(Deadline.key == f"invitations.wave.{wave_id}.send_by")
        )
        assert send_by.completed_at is not None
    letters = [m for m in outbox(app) if m.template == "invitations/letter"]
    assert len(letters) == 3
    assert all(m.subject == "Invitation to Test Conference" for m in letters)
    assert all("http://localhost/rsvp/" in m.body_text for m in letters)
    # Sending again: nobody is left, nothing goes twice.
    response = client.post(f"/events/{organizer}/waves/{wave_id}/send")
    assert response.status_code == 400
    assert len([m for m in outbox(app) if m.template == "invitations/letter"]) == 3
    page = client.get(f"/events/{organizer}/waves/{wave_id}").get_data(as_text=True)
    assert "Invited" in page


def test_wave_without_recipients_is_refused(app, client, organizer):
    add_entries(app, organizer, 2, email=False)
    wave_id = add_wave(app, organizer)
    response = client.post(f"/events/{organizer}/waves/{wave_id}/send")
    assert response.status_code == 400
    assert "no recipients" in response.get_data(as_text=True)
    with app.app_context():
        assert count(Invitation) == 0 and count(JobRun) == 0
        assert db.session.get(Wave, wave_id).state == WaveState.DRAFT
    assert outbox(app) == []


def test_sweeps_are_registered(app):
    from webapp.jobs import PERIODIC

    assert {"invitations.scheduled", "invitations.reminders"} <= set(PERIODIC)


def test_scheduled_wave_goes_once_over_two_sweeps(app, client, organizer):
    add_entries(app, organizer, 2)
    wave_id = add_wave(app, organizer)
    when = (datetime.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/events/{organizer}/waves/{wave_id}/schedule", data={"scheduled_for": when}
    )
    assert response.status_code == 302
    with app.app_context():
        wave = db.session.get(Wave, wave_id)
        assert wave.state == WaveState.SCHEDULED and wave.scheduled_for is not None
        assert sending.start_due_waves() == {"started": 0}  # not yet
        wave.scheduled_for = utcnow() - timedelta(minutes=1)
        db.session.commit()
        run_periodic()
        run_periodic()
        assert count(Invitation) == 2
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(JobRun)
                .where(JobRun.name == "invitations.send_wave")
            )
            == 1
        )
        assert db.session.get(Wave, wave_id).state == WaveState.SENT
    assert len([m for m in outbox(app) if m.template == "invitations/letter"]) == 2


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "This field is required."),
        ("yesterday", "Not a valid datetime value."),
        ("2001-01-01T10:00", "Choose a time in the future."),
        ("0001-01-01T00:00", "Choose a time in the future."),
        ("9999-12-31T23:00", "The RSVP deadline of this wave has passed"),
    ],
)
def test_schedule_errors(app, client, organizer, value, message):
    add_entries(app, organizer, 1)
    wave_id = add_wave(app, organizer)
    response = client.post(
        f"/events/{organizer}/waves/{wave_id}/schedule", data={"scheduled_for": value}
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Wave, wave_id).state == WaveState.DRAFT


def test_delete_draft_and_refuse_sent(app, client, organizer):
    add_entries(app, organizer, 1)
    draft = add_wave(app, organizer)
    sent = add_wave(app, organizer, name="Sent")
    client.post(f"/events/{organizer}/waves/{sent}/send")
    assert client.post(f"/events/{organizer}/waves/{draft}/delete").status_code == 302
    client.post(f"/events/{organizer}/waves/{sent}/delete")
    with app.app_context():
        assert db.session.get(Wave, draft) is None
        assert db.session.get(Wave, sent) is not None
        keys = set(db.session.scalars(select(Deadline.key)))
        assert f"invitations.wave.{draft}.send_by" not in keys
        assert f"invitations.wave.{sent}.send_by" in keys


# ----------------------------------------------------------------------- permissions


def routes(event_id, wave_id):
    base = f"/events/{event_id}/waves"
    return [
        ("get", base),
        ("get", f"{base}/new"),
        ("post", f"{base}/new"),
        ("get", f"{base}/{wave_id}"),
        ("get", f"{base}/{wave_id}/edit"),
        ("post", f"{base}/{wave_id}/edit"),
        ("get", f"{base}/{wave_id}/preview"),
        ("post", f"{base}/{wave_id}/test"),
        ("get", f"{base}/{wave_id}/send"),
        ("post", f"{base}/{wave_id}/send"),
        ("post", f"{base}/{wave_id}/schedule"),
        ("post", f"{base}/{wave_id}/delete"),
    ]


def test_participant_gets_403_everywhere(app, client, make_event, make_user, login):
    event_id = make_event(days=500)
    add_entries(app, event_id, 1)
    wave_id = add_wave(app, event_id)
    make_user("someone@example.org")
    login("someone@example.org")
    for method, url in routes(event_id, wave_id):
        assert getattr(client, method)(url, data=form()).status_code == 403, url
    with app.app_context():
        assert count(Invitation) == 0 and db.session.get(Wave, wave_id).name == "Ministers"


def test_anonymous_is_sent_to_log_in(app, client, make_event):
    event_id = make_event(days=500)
    wave_id = add_wave(app, event_id)
    for method, url in routes(event_id, wave_id):
        response = getattr(client, method)(url)
        assert response.status_code in (302, 401), url


def test_other_events_wave_is_404(app, client, make_event, organizer):
    other = make_event("OTHER", days=500)
    wave_id = add_wave(app, other)
    for method, url in routes(organizer, wave_id)[3:]:
        assert getattr(client, method)(url, data=form()).status_code == 404, url
    assert client.get(f"/events/{organizer}/waves/999999").status_code == 404
    assert client.get("/events/999999/waves").status_code == 404


def test_preview_of_another_events_entry_is_404(app, client, make_event, organizer):
    other = make_event("OTHER", days=500)
    (foreign,) = add_entries(app, other, 1)
    wave_id = add_wave(app, organizer)
    url = f"/events/{organizer}/waves/{wave_id}/preview?entry={foreign}"
    assert client.get(url).status_code == 404


# ----------------------------------------------------------------------- query counts


def _queries(app, client, url) -> int:
    with app.app_context():
        engine = db.engine
    seen = []

    def counter(*_args):
        seen.append(1)

    sa_event.listen(engine, "before_cursor_execute", counter)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa_event.remove(engine, "before_cursor_execute", counter)
    return len(seen)


def test_pages_do_not_query_per_row(app, client, organizer):
    add_entries(app, organizer, 3)
    first = add_wave(app, organizer)
    client.post(f"/events/{organizer}/waves/{first}/send")
    list_before = _queries(app, client, f"/events/{organizer}/waves")
    page_before = _queries(app, client, f"/events/{organizer}/waves/{first}")
    add_entries(app, organizer, 30, start=100, group="MS_MIN", star=True)
    client.post(f"/events/{organizer}/waves/{first}/send")
    for i in range(3):
        add_wave(app, organizer, name=f"Wave {i}")
    assert _queries(app, client, f"/events/{organizer}/waves") == list_before
    assert _queries(app, client, f"/events/{organizer}/waves/{first}") == page_before


def test_a_wave_past_its_rsvp_deadline_is_not_sent(app, client, organizer):
    add_entries(app, organizer, 2)
    wave_id = add_wave(app, organizer)
    with app.app_context():
        wave = db.session.get(Wave, wave_id)
        wave.rsvp_by_days = -600  # before today: the event opens in 500 days
        wave.send_by_days = -700
        db.session.commit()
    response = client.post(f"/events/{organizer}/waves/{wave_id}/send")
    assert response.status_code == 400
    assert "RSVP deadline of this wave has passed" in response.get_data(as_text=True)
    assert not [m for m in outbox(app) if m.template == "invitations/letter"]
    with app.app_context():
        assert db.session.get(Wave, wave_id).state == WaveState.DRAFT
