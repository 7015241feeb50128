"""The reminders sweep over simulated days: reminders, escalation of silent stars to their
owners (or the organizers), no answer after the deadline, and the flag on the wave page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from invitations import reminders, sending, waves
from models import (
    Delivery,
    EntryStatus,
    Event,
    Invitation,
    RsvpAnswer,
    TargetEntry,
    User,
    Wave,
)
from tests.conftest import link_in, outbox
from tests.unit.test_invitation_waves import make_entries, wave_values
from webapp.extensions import db


@pytest.fixture
def sent_wave(app, make_event, make_user, login):
    """A sent wave: 3 plain entries, 2 stars owned by a staff member, 1 star without owner.
    Returns (event id, wave id, RSVP date)."""
    event_id = make_event(days=500)
    make_user("org@example.org", organizer_of=event_id)
    make_user("owner@example.org", name="Owner")
    login("org@example.org")
    with app.app_context():
        event = db.session.get(Event, event_id)
        owner = db.session.scalar(select(User).where(User.email == "owner@example.org"))
        make_entries(event, 3)
        make_entries(event, 2, star=True, start=10, owner=owner)
        make_entries(event, 1, star=True, start=20)
        wave = waves.create_wave(None, event, **wave_values())
        sending.send_wave(wave, None)
        wave = db.session.get(Wave, wave.id)
        rsvp = waves.deadline_dates(wave)[1]
        return event_id, wave.id, rsvp


def mails(app, template):
    return [m for m in outbox(app) if m.template == template]


def test_reminders_over_simulated_days(app, sent_wave):
    event_id, wave_id, rsvp = sent_wave
    with app.app_context():
        # One invitee answers, one address bounced: neither is reminded.
        accepted, bounced = db.session.scalars(select(Invitation).order_by(Invitation.id)).all()[:2]
        accepted.answer = RsvpAnswer.ACCEPTED
        accepted.entry.status = EntryStatus.ACCEPTED
        bounced.delivery = Delivery.BOUNCED
        db.session.commit()
        results = [reminders.sweep(rsvp - timedelta(days=d))["reminded"] for d in range(40, -1, -1)]
        db.session.commit()
    # 4 reachable pending invitees, reminded on days 30, 14 and 3 before the deadline.
    assert sum(results) == 12
    assert results[40 - 30] == results[40 - 14] == results[40 - 3] == 4
    sent = mails(app, "invitations/reminder")
    assert len(sent) == 12
    assert sent[0].subject == "Reminder: Invitation to Test Conference"
    # The reminder carries the same link as the letter.
    letter = next(m for m in mails(app, "invitations/letter") if m.to_email == sent[0].to_email)
    assert link_in(sent[0]) == link_in(letter)
    with app.app_context():
        statuses = {e.status for e in db.session.scalars(select(TargetEntry))}
        assert statuses == {EntryStatus.ACCEPTED, EntryStatus.INVITED, EntryStatus.REMINDED}
        assert reminders.sweep(rsvp)["reminded"] == 0  # the same points again: nothing


def test_escalation_flags_stars_once_and_mails_owners(app, client, sent_wave):
    event_id, wave_id, rsvp = sent_wave
    with app.app_context():
        assert reminders.sweep(rsvp - timedelta(days=8))["flagged"] == 0
        assert reminders.sweep(rsvp - timedelta(days=7))["flagged"] == 3
        assert reminders.sweep(rsvp - timedelta(days=6))["flagged"] == 0
        flagged = db.session.scalars(
            select(TargetEntry).where(TargetEntry.flagged_at.is_not(None))
        ).all()
        assert len(flagged) == 3 and all(e.star for e in flagged)
    to_owner = [
        m for m in mails(app, "invitations/escalation") if m.to_email == "owner@example.org"
    ]
    to_org = [m for m in mails(app, "invitations/escalation") if m.to_email == "org@example.org"]
    assert len(to_owner) == 1 and len(to_org) == 1
    assert "First10 Last10" in to_owner[0].body_text and "First11" in to_owner[0].body_text
    assert "First20" not in to_owner[0].body_text
    assert "First20 Last20" in to_org[0].body_text
    assert f"/events/{event_id}/waves/{wave_id}" in to_org[0].body_text
    page = client.get(f"/events/{event_id}/waves/{wave_id}").get_data(as_text=True)
    assert "Flagged stars" in page and "First20 Last20" in page
    assert "No star is flagged." not in page


def test_no_answer_after_the_deadline_once(app, sent_wave):
    _event_id, _wave_id, rsvp = sent_wave
    with app.app_context():
        assert reminders.sweep(rsvp)["no_answer"] == 0
        assert reminders.sweep(rsvp + timedelta(days=1))["no_answer"] == 6
        assert reminders.sweep(rsvp + timedelta(days=2))["no_answer"] == 0
        statuses = {e.status for e in db.session.scalars(select(TargetEntry))}
        assert statuses == {EntryStatus.NO_ANSWER}
        before = len(outbox(app))
        assert reminders.sweep(rsvp + timedelta(days=3)) == {
            "reminded": 0,
            "flagged": 0,
            "no_answer": 0,
        }
        assert len(outbox(app)) == before


def test_reinvited_entry_is_left_to_the_newer_wave(app, sent_wave):
    event_id, wave_id, rsvp = sent_wave
    with app.app_context():
        reminders.sweep(rsvp + timedelta(days=1))  # everyone: no answer
        event = db.session.get(Event, event_id)
        second = waves.create_wave(
            None,
            event,
            **wave_values(name="Second", send_by_days=-250, rsvp_by_days=-200, reminder_days=[3]),
        )
        sending.send_wave(second, None)
        entries = db.session.scalars(select(TargetEntry)).all()
        assert {e.status for e in entries} == {EntryStatus.INVITED}
        # The first wave's deadline passed long ago: it must not touch them again.
        assert reminders.sweep(rsvp + timedelta(days=10))["no_answer"] == 0
        assert {e.status for e in db.session.scalars(select(TargetEntry))} == {EntryStatus.INVITED}
