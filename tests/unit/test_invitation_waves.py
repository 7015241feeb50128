"""Waves, sending and reminders as services: deadline rules, the late flag, reminder
arithmetic, idempotent sending and the unique-constraint guard."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from invitations import reminders, sending, waves
from invitations.waves import WaveError
from models import (
    Deadline,
    EntryStatus,
    Event,
    Invitation,
    Organization,
    OutboxMessage,
    Person,
    TargetEntry,
    User,
    Wave,
    WaveState,
)
from webapp.extensions import db
from webapp.security import hash_token

LETTER = {"subject": "Invitation to {event}", "body": "Dear {name},\n\nPlease answer: {rsvp_link}"}


# ------------------------------------------------------------------------- factories


def make_event_row(days: int = 500, languages=("en", "fr")) -> Event:
    """An event opening `days` from today."""
    opening = date.today() + timedelta(days=days)
    event = Event(
        name="Test Conference",
        acronym=f"TC-{days}",
        opening_date=opening,
        closing_date=opening + timedelta(days=9),
        languages=list(languages),
        timezone="UTC",
    )
    db.session.add(event)
    db.session.flush()
    return event


def make_entries(
    event: Event,
    count: int,
    *,
    group: str = "MS_MIN",
    star: bool = False,
    email: bool = True,
    start: int = 0,
    languages=None,
    owner: User | None = None,
) -> list[TargetEntry]:
    """`count` people on the event's target list, in `group`."""
    organization = Organization(name=f"Org {group}", constituent_group=group, country_iso2="KE")
    db.session.add(organization)
    entries = []
    for i in range(start, start + count):
        person = Person(
            first_name=f"First{i}",
            last_name=f"Last{i}",
            email=f"p{i}-{group.lower()}@example.org" if email else None,
            organization=organization,
            country_iso2="KE",
            languages=list(languages or ["en"]),
        )
        entry = TargetEntry(
            event=event, person=person, constituent_group=group, star=star, owner=owner
        )
        db.session.add(entry)
        entries.append(entry)
    db.session.flush()
    return entries


def wave_values(**changes) -> dict:
    values = {
        "name": "Ministers",
        "audience": {"groups": ["MS_MIN"]},
        "letters": {"en": dict(LETTER)},
        "send_by_days": -400,
        "rsvp_by_days": -300,
        "reminder_days": [30, 14, 3],
        "escalation_days": 7,
    }
    values.update(changes)
    return values


@pytest.fixture
def actor(ctx):
    user = User(email="org@example.org", name="Org Anizer", password_hash="x")
    db.session.add(user)
    db.session.flush()
    return user


@pytest.fixture
def event(actor):
    return make_event_row()


# -------------------------------------------------------------------- deadline rules


def test_create_wave_upserts_both_deadlines(actor, event):
    wave = waves.create_wave(actor, event, **wave_values())
    deadlines = {
        d.key: d for d in db.session.scalars(select(Deadline).where(Deadline.event_id == event.id))
    }
    send_by = deadlines[f"invitations.wave.{wave.id}.send_by"]
    rsvp_by = deadlines[f"invitations.wave.{wave.id}.rsvp_by"]
    assert (send_by.offset_days, rsvp_by.offset_days) == (-400, -300)
    assert send_by.source == rsvp_by.source == "invitations"
    assert send_by.label == "Wave “Ministers”: send by"
    assert send_by.link == {
        "endpoint": "invitations.wave",
        "args": {"event_id": event.id, "wave_id": wave.id},
    }
    assert wave.reminder_days == [30, 14, 3]
    assert wave.state == WaveState.DRAFT
    # Moving a deadline updates the same timeline rows.
    waves.update_wave(actor, wave, **wave_values(send_by_days=-420))
    assert send_by.offset_days == -420


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"send_by_days": 10}, "send_by_days"),  # after the opening
        ({"rsvp_by_days": 5}, "rsvp_by_days"),  # after the opening
        ({"rsvp_by_days": 0}, "rsvp_by_days"),  # on the opening day
        ({"send_by_days": -300, "rsvp_by_days": -400}, "rsvp_by_days"),  # RSVP before send-by
        ({"send_by_days": -300, "rsvp_by_days": -300}, "rsvp_by_days"),
        ({"send_by_days": -4000}, "send_by_days"),
        ({"send_by_days": "400"}, "send_by_days"),
        ({"reminder_days": [30, 30]}, "reminder_days"),
        ({"reminder_days": [0]}, "reminder_days"),
        ({"reminder_days": [-3]}, "reminder_days"),
        ({"reminder_days": [100]}, "reminder_days"),  # before the send-by deadline
        ({"reminder_days": "30"}, "reminder_days"),
        ({"escalation_days": -1}, "escalation_days"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"letters": {}}, "subject_en"),
        ({"letters": {"en": {"subject": "", "body": ""}}}, "subject_en"),
        ({"letters": {"en": {"subject": "S", "body": ""}}}, "body_en"),
        ({"letters": {"en": {"subject": "", "body": "B"}}}, "subject_en"),
        ({"letters": {"en": {"subject": "x" * 301, "body": "B"}}}, "subject_en"),
        ({"letters": {"en": {"subject": "S", "body": "x" * 20001}}}, "body_en"),
        ({"letters": {"en": {"subject": "Hi {nmae}", "body": "B"}}}, "subject_en"),
        ({"letters": {"fr": {"subject": "S", "body": "{name"}}}, "body_fr"),
        ({"letters": {"zh": {"subject": "S", "body": "B"}}}, "letters"),  # not offered
        ({"audience": {"groups": ["NOPE"]}}, "groups"),
        ({"audience": {"regions": ["MARS"]}}, "regions"),
        ({"audience": {"statuses": ["lost"]}}, "statuses"),
        ({"audience": {"groups": "MS_MIN"}}, "groups"),
    ],
)
def test_wave_rules(actor, event, changes, field):
    with pytest.raises(WaveError) as error:
        waves.create_wave(actor, event, **wave_values(**changes))
    assert error.value.field == field
    assert str(error.value)
    assert db.session.scalar(select(func.count()).select_from(Wave)) == 0


def test_deadline_after_the_opening_message(actor, event):
    with pytest.raises(WaveError, match="must fall before the opening"):
        waves.create_wave(actor, event, **wave_values(rsvp_by_days=3))


def test_wave_names_are_unique_per_event(actor, event):
    waves.create_wave(actor, event, **wave_values())
    with pytest.raises(WaveError) as error:
        waves.create_wave(actor, event, **wave_values(name="ministers"))
    assert error.value.field == "name"


def test_sent_wave_keeps_audience_and_letter_but_deadlines_move(actor, event):
    make_entries(event, 2)
    wave = waves.create_wave(actor, event, **wave_values())
    sending.send_wave(wave, actor)
    with pytest.raises(WaveError, match="audience"):
        waves.update_wave(actor, wave, **wave_values(audience={"groups": ["SM"]}))
    db.session.rollback()
    wave = db.session.get(Wave, wave.id)
    with pytest.raises(WaveError, match="letter"):
        waves.update_wave(
            actor, wave, **wave_values(letters={"en": {"subject": "New", "body": "B"}})
        )
    db.session.rollback()
    wave = db.session.get(Wave, wave.id)
    waves.update_wave(actor, wave, **wave_values(send_by_days=-450, rsvp_by_days=-250))
    assert (wave.send_by_days, wave.rsvp_by_days) == (-450, -250)
    with pytest.raises(WaveError):
        waves.delete_wave(actor, wave)


def test_delete_draft_removes_its_deadlines(actor, event):
    wave = waves.create_wave(actor, event, **wave_values())
    waves.delete_wave(actor, wave)
    keys = set(db.session.scalars(select(Deadline.key).where(Deadline.event_id == event.id)))
    assert not any(k.startswith("invitations.wave.") for k in keys)
    assert db.session.scalar(select(func.count()).select_from(Wave)) == 0


# --------------------------------------------------------------------------- late flag


@pytest.mark.parametrize(
    ("groups", "send_by", "late"),
    [
        (["MS_MIN"], -364, True),
        (["MS_MIN"], -365, False),
        (["MS_MIN"], -400, False),
        (["MS_SO", "PRIV"], -200, True),
        (["SM"], -30, True),
        ([], -200, True),  # every group, Member States among them
        ([], -365, False),
        (["PRIV", "CSO"], -30, False),
    ],
)
def test_late_for_members(groups, send_by, late):
    wave = Wave(audience={"groups": groups}, send_by_days=send_by, rsvp_by_days=send_by + 20)
    assert waves.late_for_members(wave) is late


# ---------------------------------------------------------------------- audience, counts


def test_audience_and_recipient_counts(actor, event):
    make_entries(event, 3)
    make_entries(event, 2, email=False, start=10)
    make_entries(event, 4, group="PRIV", start=20)
    ministers = waves.create_wave(actor, event, **wave_values())
    everyone = waves.create_wave(actor, event, **wave_values(name="All", audience={}))
    assert waves.recipients_count(ministers) == 3
    counts = waves.audience_counts([ministers, everyone])
    assert counts[ministers.id] == {"recipients": 3, "no_email": 2}
    assert counts[everyone.id] == {"recipients": 7, "no_email": 2}
    assert len(db.session.scalars(waves.audience_entries_query(everyone)).all()) == 9


# ------------------------------------------------------------------------------ sending


def test_send_wave_twice_sends_once(actor, event):
    entries = make_entries(event, 5)
    make_entries(event, 2, email=False, start=10)
    wave = waves.create_wave(actor, event, **wave_values())
    first = sending.send_wave(wave, actor)
    assert (first.invited, first.without_email) == (5, 2)
    second = sending.send_wave(db.session.get(Wave, wave.id), actor)
    assert second.invited == 0
    invitations = db.session.scalars(select(Invitation)).all()
    assert len(invitations) == 5
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 5
    assert {db.session.get(TargetEntry, e.id).status for e in entries} == {EntryStatus.INVITED}
    wave = db.session.get(Wave, wave.id)
    assert wave.state == WaveState.SENT and wave.sent_at is not None
    send_by = db.session.scalar(
        select(Deadline).where(Deadline.key == f"invitations.wave.{wave.id}.send_by")
    )
    assert send_by.completed_at is not None
    invitation = invitations[0]
    # The end of the RSVP day anywhere on earth: 11:59:59 UTC the next day.
    assert invitation.expires_at.date() == waves.deadline_dates(wave)[1] + timedelta(days=1)
    assert (invitation.expires_at.hour, invitation.expires_at.minute) == (11, 59)
    message = db.session.get(OutboxMessage, invitation.outbox_message_id)
    assert message.tags == {"invitation_id": invitation.id}
    assert message.template == "invitations/letter"
    # The stored hash is of the link's token, never the token itself.
    token = message.body_text.split("/rsvp/")[1].split()[0]
    assert invitation.token_hash == hash_token(token) and token not in invitation.token_hash


def test_invite_one_is_idempotent_and_reinvites_after_no_answer(actor, event):
    (entry,) = make_entries(event, 1)
    wave = waves.create_wave(actor, event, **wave_values())
    first = sending.invite_one(wave, entry, actor=actor)
    again = sending.invite_one(wave, entry, actor=actor)
    assert again.id == first.id
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    entry.status = EntryStatus.NO_ANSWER
    second_wave = waves.create_wave(actor, event, **wave_values(name="Second"))
    sending.invite_one(second_wave, entry, actor=actor)
    assert entry.status == EntryStatus.INVITED


def test_invite_one_needs_an_address(actor, event):
    (entry,) = make_entries(event, 1, email=False)
    wave = waves.create_wave(actor, event, **wave_values())
    with pytest.raises(WaveError, match="no email address"):
        sending.invite_one(wave, entry)


def test_integrity_error_path_skips_entries_invited_meanwhile(actor, event):
    entries = make_entries(event, 3)
    wave = waves.create_wave(actor, event, **wave_values())
    # Another sender invited the second entry after this one listed who was pending.
    db.session.add(
        Invitation(
            wave_id=wave.id,
            entry_id=entries[1].id,
            email="x@example.org",
            token_salt="0" * 32,
            token_hash=hash_token(sending.invitation_token("0" * 32)),
            expires_at=sending.expires_at(wave),
        )
    )
    db.session.flush()
    created = sending.create_invitations(wave, entries)
    assert sorted(i.entry_id for i in created) == [entries[0].id, entries[2].id]
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 3


def test_accepted_entries_are_not_invited_again(actor, event):
    entries = make_entries(event, 2)
    entries[0].status = EntryStatus.ACCEPTED
    wave = waves.create_wave(actor, event, **wave_values())
    assert sending.send_wave(wave, actor).invited == 1


def test_start_sending_refuses_an_empty_wave(actor, event):
    make_entries(event, 2, email=False)
    wave = waves.create_wave(actor, event, **wave_values())
    with pytest.raises(WaveError, match="no recipients"):
        sending.start_sending(actor, wave)
    assert wave.state == WaveState.DRAFT


# ---------------------------------------------------------------- reminder arithmetic


RSVP = date(2030, 6, 30)


@pytest.mark.parametrize(
    ("today", "last_contact", "sent", "due"),
    [
        (date(2030, 5, 30), date(2030, 5, 1), 0, False),  # 31 days before: no point yet
        (date(2030, 5, 31), date(2030, 5, 1), 0, True),  # the 30-day point
        (date(2030, 5, 31), date(2030, 5, 31), 0, False),  # invited that very day
        (date(2030, 5, 31), date(2030, 5, 31), 1, False),  # reminded that day
        (date(2030, 6, 10), date(2030, 5, 31), 1, False),  # between points
        (date(2030, 6, 16), date(2030, 5, 31), 1, True),  # the 14-day point
        (date(2030, 6, 27), date(2030, 6, 16), 2, True),  # the 3-day point
        (date(2030, 6, 29), date(2030, 6, 27), 3, False),  # all sent
        (date(2030, 6, 20), date(2030, 5, 1), 0, True),  # two points missed: one reminder
        (date(2030, 6, 20), date(2030, 6, 1), 0, True),  # invited after the 30-day point
        (date(2030, 6, 12), date(2030, 6, 1), 0, False),  # … and before the 14-day one
        (date(2030, 7, 1), date(2030, 5, 1), 0, False),  # the deadline passed
    ],
)
def test_reminder_due(today, last_contact, sent, due):
    assert reminders.reminder_due(RSVP, [30, 14, 3], today, last_contact, sent) is due


def test_reminder_points():
    assert reminders.reminder_points(RSVP, [3, 30, 14]) == [
        date(2030, 5, 31),
        date(2030, 6, 16),
        date(2030, 6, 27),
    ]
    assert reminders.points_reached(RSVP, [30, 14, 3], date(2030, 6, 16)) == [
        date(2030, 5, 31),
        date(2030, 6, 16),
    ]


@pytest.mark.parametrize(
    ("today", "due"),
    [
        (date(2030, 6, 22), False),
        (date(2030, 6, 23), True),
        (RSVP, True),
        (date(2030, 7, 1), False),
    ],
)
def test_escalation_due(today, due):
    assert reminders.escalation_due(RSVP, 7, today) is due


def test_sweep_reminds_once_per_point_and_expires(actor, event):
    entries = make_entries(event, 3)
    wave = waves.create_wave(actor, event, **wave_values())
    sending.send_wave(wave, actor)
    rsvp = waves.deadline_dates(db.session.get(Wave, wave.id))[1]
    assert reminders.sweep(rsvp - timedelta(days=31))["reminded"] == 0
    assert reminders.sweep(rsvp - timedelta(days=30))["reminded"] == 3
    assert reminders.sweep(rsvp - timedelta(days=30))["reminded"] == 0  # same day again
    assert reminders.sweep(rsvp - timedelta(days=20))["reminded"] == 0
    assert {db.session.get(TargetEntry, e.id).status for e in entries} == {EntryStatus.REMINDED}
    assert reminders.sweep(rsvp + timedelta(days=1)) == {
        "reminded": 0,
        "flagged": 0,
        "no_answer": 3,
    }
    assert reminders.sweep(rsvp + timedelta(days=2))["no_answer"] == 0
    assert {db.session.get(TargetEntry, e.id).status for e in entries} == {EntryStatus.NO_ANSWER}


# ---------------------------------------------------------------------------- bulk mail


@pytest.mark.parametrize("locale", ["en", "zh", "ar"])
def test_bulk_mail_matches_mail_render(ctx, locale):
    from webapp import mail

    values = {
        "to_name": 'Dr <b>Ana</b> & "Co"',
        "subject": "Invitation to X <y>",
        "text": "Dear Ana,\n\nAnswer: https://x.test/rsvp/abc\n",
        "html": '<p>Dear Ana,</p>\n<p>Answer: <a href="https://x.test/rsvp/abc">link</a></p>',
    }
    expected = mail.render(sending.LETTER_TEMPLATE, locale, **values)
    assert sending.letter_mail().render(locale, **values) == expected
    reminder = dict(values, link="https://x.test/rsvp/a&b", event_name="Conf <1>", deadline="May 1")
    expected = mail.render(reminders.REMINDER_TEMPLATE, locale, **reminder)
    assert reminders.reminder_mail().render(locale, **reminder) == expected
