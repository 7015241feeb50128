"""RSVP services called directly: link checks, delegate values, deadlines, accounts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from invitations import rsvp
from invitations.rsvp import RsvpError
from models import Event, Invitation, RsvpAnswer, User, Wave, utcnow
from tests.integration.test_invitation_rsvp import invite
from webapp.extensions import db


@pytest.mark.parametrize(
    "token", [None, "", 42, "x" * 201, "é中文", "a b", "a/b", "a.b", "' OR 1=1 --", "A" * 43]
)
def test_malformed_or_unknown_tokens_are_invalid(ctx, token):
    with pytest.raises(RsvpError) as caught:
        rsvp.find_invitation(token)
    assert caught.value.kind == "invalid"
    assert str(caught.value) == "This link is not valid."


def test_deadline_is_the_end_of_the_rsvp_day_anywhere_on_earth():
    event = Event(opening_date=date(2027, 6, 1), timezone="Europe/Zurich")
    wave = Wave(rsvp_by_days=-30, event=event)
    assert rsvp.rsvp_day(wave) == date(2027, 5, 2)
    # 23:59:59 on 2 May at UTC-12 is 11:59:59 on 3 May in UTC.
    assert rsvp.rsvp_deadline(wave) == datetime(2027, 5, 3, 11, 59, 59, tzinfo=UTC)
    invitation = Invitation(wave=wave, expires_at=datetime(2027, 5, 3, 11, 59, 59, tzinfo=UTC))
    assert not rsvp.is_expired(invitation, datetime(2027, 5, 3, 11, 0, tzinfo=UTC))
    assert rsvp.is_expired(invitation, datetime(2027, 5, 3, 12, 0, tzinfo=UTC))


def test_a_deadline_moved_later_keeps_sent_links_alive():
    event = Event(opening_date=date(2027, 6, 1), timezone="Europe/Zurich")
    wave = Wave(rsvp_by_days=-30, event=event)
    invitation = Invitation(wave=wave, expires_at=rsvp.rsvp_deadline(wave))
    wave.rsvp_by_days = -10  # the organizer gives more time after sending
    assert not rsvp.is_expired(invitation, datetime(2027, 5, 10, tzinfo=UTC))


@pytest.mark.parametrize(
    ("name", "first", "last"),
    [
        ("Ada Deputy", "Ada", "Deputy"),
        ("Dr  Ada  Q. Deputy", "Dr Ada Q.", "Deputy"),
        ("Cher", "", "Cher"),
    ],
)
def test_delegate_names_split(name, first, last):
    values = rsvp._clean_delegate(name, "ada@x.org", "", "")
    assert (values["first_name"], values["last_name"]) == (first, last)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("", "ada@x.org", "", ""), "name"),
        (("   ", "ada@x.org", "", ""), "name"),
        (("A" * 241, "ada@x.org", "", ""), "name"),
        (("Ada", "", "", ""), "email"),
        (("Ada", "nope", "", ""), "email"),
        (("Ada", "ada@x.org", "f" * 201, ""), "function"),
        (("Ada", "ada@x.org", "", "o" * 301), "organization"),
    ],
)
def test_delegate_values_are_checked(ctx, args, field):
    with pytest.raises(RsvpError) as caught:
        rsvp._clean_delegate(*args)
    assert caught.value.field == field and caught.value.kind == "input"


@pytest.fixture
def pending(app, ctx, make_event, make_user):
    """A pending invitation, loaded in the test's session."""
    eid = make_event()
    make_user("organizer@x.org", "Olivia Organizer", organizer_of=eid)
    ids = invite(app, eid)
    return db.session.get(Invitation, ids["invitation_id"])


def test_answers_are_single_use(pending):
    rsvp.accept(pending)
    assert pending.answer == RsvpAnswer.ACCEPTED
    for answer in (lambda: rsvp.decline(pending, "no"), lambda: rsvp.accept(pending)):
        with pytest.raises(RsvpError) as caught:
            answer()
        assert caught.value.kind == "used"


def test_decline_reason_limit(pending):
    with pytest.raises(RsvpError) as caught:
        rsvp.decline(pending, "x" * 2001)
    assert caught.value.field == "reason"
    rsvp.decline(pending, "x" * 2000)
    assert len(pending.decline_reason) == 2000


def test_contacts_are_the_organizers_or_the_sender(app, pending):
    assert [(c.name, c.email) for c in rsvp.contacts(pending.wave.event)] == [
        ("Olivia Organizer", "organizer@x.org")
    ]
    assert [c.email for c in rsvp.contacts(None)] == [app.config["MAIL_FROM"]]


def test_account_needs_an_acceptance_and_a_free_address(pending):
    with pytest.raises(RsvpError):
        rsvp.create_account(pending, "a-long-password")
    rsvp.accept(pending)
    user = rsvp.create_account(pending, "a-long-password", "fr")
    assert user.locale == "fr" and user.email_verified_at is not None
    assert pending.entry.person.user_id == user.id
    with pytest.raises(RsvpError) as caught:
        rsvp.create_account(pending, "a-long-password")
    assert caught.value.kind == "account_exists"
    assert db.session.scalar(select(User).where(User.email == "guest@x.org")) is user


def test_expired_invitation_refuses_answers(pending):
    wave = pending.wave
    wave.rsvp_by_days = (utcnow().date() - timedelta(days=2) - wave.event.opening_date).days
    with pytest.raises(RsvpError) as caught:
        rsvp.accept(pending)
    assert caught.value.kind == "expired"
    assert pending.answer == RsvpAnswer.PENDING
