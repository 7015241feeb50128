"""Moderation services called directly (no HTTP): every allowed and forbidden move of
the state machine, who may make each move, public ids, comments, mail and audit."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from models import (
    AuditEntry,
    Event,
    ExchangeRate,
    Organization,
    OutboxMessage,
    Person,
    Pledge,
    PledgeComment,
    PledgeState,
    User,
)
from pledges import core, moderation, pledging
from pledges.moderation import PledgeIncomplete, allowed_moves, announce, move
from pledges.pledging import PledgeError, PledgeForbidden, create_draft
from webapp.extensions import db

S = PledgeState
ALLOWED = [(a, b) for a, targets in core.TRANSITIONS.items() for b in targets]
FORBIDDEN = [
    (a, b) for a, b in itertools.product(PledgeState, PledgeState) if b not in core.TRANSITIONS[a]
]


def complete_fields():
    """Everything submission needs."""
    return {
        "title": "Connect 500 rural schools",
        "description": "Fibre for schools.",
        "pledge_type": "financial",
        "sector": "private_sector",
        "focus_areas": ["ACCESS"],
        "countries": ["KE"],
        "amount": "1000",
        "currency": "EUR",
        "start_date": date(2026, 3, 1),
        "end_date": date(2027, 3, 1),
        "smart": dict.fromkeys(pledging.SMART_CRITERIA, True),
    }


@pytest.fixture
def world(ctx, make_user, make_event):
    """An event opening in 2026+, an organization with two linked members (one reads
    French), an outsider, an organizer, and a EUR rate."""
    event_id = make_event("MOD-1")
    ids = {
        "member": make_user("member@x.org", "Mia Member"),
        "colleague": make_user("colleague@x.org", "Claude Colleague", locale="fr"),
        "outsider": make_user("outsider@x.org", "Otto Outsider"),
        "organizer": make_user("org@x.org", "Olga Organizer", organizer_of=event_id),
    }
    event = db.session.get(Event, event_id)
    org = Organization(name="Example Telecom")
    db.session.add(org)
    db.session.flush()
    db.session.add_all(
        [
            Person(
                last_name="M", email="member@x.org", organization_id=org.id, user_id=ids["member"]
            ),
            Person(
                last_name="C",
                email="colleague@x.org",
                organization_id=org.id,
                user_id=ids["colleague"],
            ),
            ExchangeRate(currency="EUR", usd_per_unit=Decimal("1.08"), as_of=date(2026, 1, 1)),
        ]
    )
    db.session.commit()
    users = {k: db.session.get(User, v) for k, v in ids.items()}
    pledge = create_draft(users["member"], event, org, **complete_fields())
    return {"event": event, "org": org, "pledge": pledge, **users}


def _actor_for(world, to_state, from_state=None):
    """The member for pledger moves, except on published pledges (organizers only)."""
    if to_state in moderation.PLEDGER_MOVES and from_state not in PUBLIC:
        return world["member"]
    return world["organizer"]


PUBLIC = (S.PUBLISHED, S.COMPLETED)


@pytest.mark.parametrize(("old", "new"), ALLOWED)
def test_every_allowed_move(world, old, new):
    pledge = world["pledge"]
    pledge.state = old
    comment = "Please add figures." if new == S.CHANGES_REQUESTED else ""
    move(_actor_for(world, new, old), pledge, new, comment)
    assert pledge.state == new
    step = db.session.scalar(select(PledgeComment).where(PledgeComment.pledge_id == pledge.id))
    assert step.step == new.value and step.body == comment


@pytest.mark.parametrize(("old", "new"), FORBIDDEN)
def test_every_forbidden_move(world, old, new):
    pledge = world["pledge"]
    pledge.state = old
    with pytest.raises(PledgeError) as caught:
        move(world["organizer"], pledge, new, "comment")
    assert not isinstance(caught.value, PledgeForbidden)
    assert pledge.state == old
    assert db.session.scalar(select(func.count(PledgeComment.id))) == 0


@pytest.mark.parametrize(
    ("who", "old", "new", "allowed"),
    [
        ("member", S.DRAFT, S.SUBMITTED, True),
        ("member", S.DRAFT, S.WITHDRAWN, True),
        ("member", S.SUBMITTED, S.APPROVED, False),
        ("member", S.SUBMITTED, S.CHANGES_REQUESTED, False),
        ("member", S.APPROVED, S.PUBLISHED, False),
        ("member", S.PUBLISHED, S.COMPLETED, False),
        ("outsider", S.DRAFT, S.SUBMITTED, False),
        ("outsider", S.SUBMITTED, S.WITHDRAWN, False),
        ("organizer", S.DRAFT, S.SUBMITTED, False),
        ("organizer", S.SUBMITTED, S.APPROVED, True),
        ("organizer", S.APPROVED, S.PUBLISHED, True),
        ("organizer", S.PUBLISHED, S.COMPLETED, True),
        ("organizer", S.PUBLISHED, S.WITHDRAWN, True),
    ],
)
def test_who_may_move(world, who, old, new, allowed):
    pledge = world["pledge"]
    pledge.state = old
    if allowed:
        move(world[who], pledge, new, "ok")
        assert pledge.state == new
    else:
        with pytest.raises(PledgeForbidden):
            move(world[who], pledge, new, "ok")
        assert pledge.state == old


def test_allowed_moves_per_role(world):
    pledge = world["pledge"]
    pledge.state = S.SUBMITTED
    assert allowed_moves(world["member"], pledge) == [S.WITHDRAWN]
    assert allowed_moves(world["organizer"], pledge) == [
        S.CHANGES_REQUESTED,
        S.APPROVED,
        S.WITHDRAWN,
    ]
    assert allowed_moves(world["outsider"], pledge) == []


def test_requesting_changes_needs_a_comment(world):
    pledge = world["pledge"]
    pledge.state = S.SUBMITTED
    with pytest.raises(PledgeError) as caught:
        move(world["organizer"], pledge, S.CHANGES_REQUESTED, "   ")
    assert caught.value.field == "comment" and pledge.state == S.SUBMITTED


def test_an_incomplete_pledge_cannot_be_submitted(world):
    pledge = create_draft(world["member"], world["event"], world["org"], title="Half")
    with pytest.raises(PledgeIncomplete) as caught:
        move(world["member"], pledge, S.SUBMITTED)
    assert "description" in caught.value.missing and pledge.state == S.DRAFT


def test_unknown_state_is_refused(world):
    with pytest.raises(PledgeError):
        move(world["organizer"], world["pledge"], "glorified")


def test_publication_assigns_a_stable_public_id(world):
    pledge = world["pledge"]
    year = world["event"].opening_date.year
    pledge.state = S.APPROVED
    move(world["organizer"], pledge, S.PUBLISHED)
    assert pledge.public_id == f"P2C-{year}-0001" and pledge.published_at is not None
    second = create_draft(world["member"], world["event"], world["org"], **complete_fields())
    second.state = S.APPROVED
    move(world["organizer"], second, S.PUBLISHED)
    assert second.public_id == f"P2C-{year}-0002"
    move(world["organizer"], pledge, S.COMPLETED)
    assert pledge.public_id == f"P2C-{year}-0001"


def test_public_id_retries_when_a_number_is_taken(world, monkeypatch):
    pledge = world["pledge"]
    year = world["event"].opening_date.year
    taken = create_draft(world["member"], world["event"], world["org"], title="Other")
    taken.public_id = f"P2C-{year}-0001"
    db.session.flush()
    answers = iter([f"P2C-{year}-0001", f"P2C-{year}-0002"])
    monkeypatch.setattr(core, "next_public_id", lambda _year: next(answers))
    pledge.state = S.APPROVED
    move(world["organizer"], pledge, S.PUBLISHED)
    assert pledge.public_id == f"P2C-{year}-0002"
    db.session.expire_all()
    assert pledge.state == S.PUBLISHED and pledge.published_at is not None


def test_public_id_gives_up_after_repeated_clashes(world, monkeypatch):
    year = world["event"].opening_date.year
    taken = create_draft(world["member"], world["event"], world["org"], title="Other")
    taken.public_id = f"P2C-{year}-0001"
    db.session.flush()
    monkeypatch.setattr(core, "next_public_id", lambda _year: f"P2C-{year}-0001")
    world["pledge"].state = S.APPROVED
    with pytest.raises(IntegrityError):
        move(world["organizer"], world["pledge"], S.PUBLISHED)


def test_each_step_mails_every_member_in_their_language(world):
    pledge = world["pledge"]
    move(world["member"], pledge, S.SUBMITTED)
    move(world["organizer"], pledge, S.CHANGES_REQUESTED, "Add <b>figures</b>")
    messages = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert [m.to_email for m in messages] == ["member@x.org", "colleague@x.org"] * 2
    english = messages[2]
    assert english.subject == "Your pledge “Connect 500 rural schools” is now changes requested"
    assert "Add <b>figures</b>" in english.body_text
    assert "Add &lt;b&gt;figures&lt;/b&gt;" in english.body_html
    assert f"http://localhost/events/{pledge.event_id}/pledges/{pledge.id}" in english.body_text
    assert messages[3].locale == "fr"
    assert english.tags == {"pledge_id": pledge.id}


def test_each_step_is_audited(world):
    pledge = world["pledge"]
    move(world["member"], pledge, S.SUBMITTED)
    move(world["organizer"], pledge, S.APPROVED)
    move(world["organizer"], pledge, S.PUBLISHED)
    actions = list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_id == pledge.id)
            .order_by(AuditEntry.id)
        )
    )
    assert actions == ["pledge.created", "pledge.submitted", "pledge.approved", "pledge.published"]


def test_announce_a_published_pledge(world):
    pledge = world["pledge"]
    with pytest.raises(PledgeError):
        announce(world["organizer"], pledge, "Plenary pledging session 1")
    pledge.state = S.PUBLISHED
    with pytest.raises(PledgeForbidden):
        announce(world["member"], pledge, "Plenary pledging session 1")
    with pytest.raises(PledgeError) as caught:
        announce(world["organizer"], pledge, "  ")
    assert caught.value.field == "session"
    announce(world["organizer"], pledge, "Plenary pledging session 1")
    assert pledge.announced_at is not None
    assert pledge.announced_session == "Plenary pledging session 1"
    assert (
        db.session.scalar(select(func.count(Pledge.id)).where(Pledge.announced_at.is_not(None)))
        == 1
    )
