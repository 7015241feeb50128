"""Moderation: the moves of a pledge between states, who may make them, the public id at
publication, and the announcement at a plenary pledging session.

Every move adds a PledgeComment, an audit entry, and mails the pledger's members.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from models import Person, Pledge, PledgeComment, PledgeState, User, utcnow
from webapp import audit, mail
from webapp.extensions import db
from webapp.permissions import can

from . import core
from .pledging import PledgeError, PledgeForbidden, check_complete, state_label

S = PledgeState

#: Moves the pledger's members make; organizers make the others.
PLEDGER_MOVES = frozenset({S.SUBMITTED, S.WITHDRAWN})
ORGANIZER_MOVES = frozenset(
    {S.CHANGES_REQUESTED, S.APPROVED, S.PUBLISHED, S.COMPLETED, S.WITHDRAWN}
)
MAX_COMMENT = 5_000
MAX_SESSION = 300
#: Attempts at a public id when another publication takes the same number at once.
PUBLIC_ID_ATTEMPTS = 5


class PledgeIncomplete(PledgeError):
    """Submission needs more: `missing` maps each field to what it needs."""

    def __init__(self, missing: dict[str, str]):
        super().__init__(_l("The pledge is not complete yet; see the marked fields."), "state")
        self.missing = missing


def may_move(actor: User, pledge: Pledge, to_state: PledgeState) -> bool:
    """Whether the actor's role allows this move (regardless of the current state)."""
    # A published pledge has a public id others cite: only organizers take it back.
    pledger_may = to_state in PLEDGER_MOVES and pledge.state not in core.PUBLIC_STATES
    if pledger_may and can(actor, "pledge.edit", pledge):
        return True
    return to_state in ORGANIZER_MOVES and can(actor, "pledges.moderate", pledge.event)


def allowed_moves(actor: User, pledge: Pledge) -> list[PledgeState]:
    """The moves the actor may make now, in the state machine's order."""
    return [
        s for s in PledgeState if s in core.TRANSITIONS[pledge.state] and may_move(actor, pledge, s)
    ]


def _assign_public_id(pledge: Pledge) -> None:
    """Give the pledge the next public id of its event's year; retried when a concurrent
    publication took the same number (the unique column refuses the second)."""
    year = pledge.event.opening_date.year
    # Flush the move first: a rolled-back savepoint must only undo the id.
    db.session.flush()
    for attempt in range(PUBLIC_ID_ATTEMPTS):
        try:
            with db.session.begin_nested():
                pledge.public_id = core.next_public_id(year)
                db.session.flush()
            return
        except IntegrityError:
            if attempt == PUBLIC_ID_ATTEMPTS - 1:
                raise


def recipients(pledge: Pledge) -> list[User]:
    """The pledger's members with an account, and the pledge's creator (one query)."""
    members = select(Person.user_id).where(
        Person.organization_id == pledge.organization_id, Person.user_id.is_not(None)
    )
    condition = User.id.in_(members)
    if pledge.created_by_id is not None:
        condition = or_(condition, User.id == pledge.created_by_id)
    return list(
        db.session.scalars(
            select(User).where(condition, User.is_active.is_(True)).order_by(User.id)
        )
    )


def pledge_link(pledge: Pledge) -> str:
    """The absolute address of the pledge's page; jobs have no request, hence BASE_URL."""
    base = current_app.config["BASE_URL"].rstrip("/")
    return f"{base}/events/{pledge.event_id}/pledges/{pledge.id}"


def _notify(pledge: Pledge, step: str, comment: str) -> None:
    """Mail each of the pledger's members, in their language."""
    for user in recipients(pledge):
        mail.send(
            user.email,
            "pledges/state_changed",
            to_name=user.name,
            locale=user.locale or "en",
            event_id=pledge.event_id,
            tags={"pledge_id": pledge.id},
            title=pledge.title or "—",
            state=pledge.state,
            step=step,
            public_id=pledge.public_id,
            comment=comment,
            url=pledge_link(pledge),
            event_name=pledge.event.name,
            session=pledge.announced_session,
            state_label=state_label,
        )


def move(actor: User, pledge: Pledge, to_state: PledgeState | str, comment: str = "") -> Pledge:
    """Move the pledge to `to_state` if the state machine and the actor's role allow it;
    requesting changes needs a comment, submitting needs a complete pledge."""
    try:
        to_state = PledgeState(to_state)
    except ValueError:
        raise PledgeError(_l("Unknown step."), "state") from None
    comment = (comment or "").strip()
    if to_state not in core.TRANSITIONS[pledge.state]:
        raise PledgeError(
            _l(
                "A pledge that is %(old)s cannot become %(new)s.",
                old=state_label(pledge.state),
                new=state_label(to_state),
            ),
            "state",
        )
    if not may_move(actor, pledge, to_state):
        raise PledgeForbidden(_l("You may not make this step on this pledge."), "state")
    if len(comment) > MAX_COMMENT:
        raise PledgeError(_l("At most %(n)s characters, please.", n=f"{MAX_COMMENT:,}"), "comment")
    if to_state == S.CHANGES_REQUESTED and not comment:
        raise PledgeError(_l("Say what should change: the pledger reads this comment."), "comment")
    if to_state == S.SUBMITTED:
        missing = check_complete(pledge)
        if missing:
            raise PledgeIncomplete(missing)
    old = pledge.state
    now = utcnow()
    pledge.state = to_state
    if to_state == S.SUBMITTED:
        pledge.submitted_at = now
    elif to_state == S.APPROVED:
        pledge.approved_at = now
    elif to_state == S.PUBLISHED:
        pledge.published_at = now
        if not pledge.public_id:
            _assign_public_id(pledge)
    db.session.add(
        PledgeComment(pledge_id=pledge.id, author_id=actor.id, step=to_state.value, body=comment)
    )
    db.session.flush()
    audit.record(
        f"pledge.{to_state.value}",
        actor=actor,
        event_id=pledge.event_id,
        obj=pledge,
        summary=f"{pledge.title[:200]}: {old.value} → {to_state.value}",
        old=old.value,
        new=to_state.value,
        public_id=pledge.public_id,
    )
    _notify(pledge, to_state.value, comment)
    return pledge


def announce(actor: User, pledge: Pledge, session_text: str) -> Pledge:
    """Record that a published pledge was announced at a plenary pledging session (free
    text until the sessions feature exists); organizers only."""
    if not can(actor, "pledges.moderate", pledge.event):
        raise PledgeForbidden(_l("Only the event's organizers record announcements."))
    if pledge.state != S.PUBLISHED:
        raise PledgeError(_l("Only a published pledge can be announced."), "state")
    session_text = (session_text or "").strip() if isinstance(session_text, str) else ""
    if not session_text:
        raise PledgeError(_l("Name the session where the pledge was announced."), "session")
    if len(session_text) > MAX_SESSION:
        raise PledgeError(_l("At most %(n)s characters, please.", n=MAX_SESSION), "session")
    pledge.announced_at = utcnow()
    pledge.announced_session = session_text
    db.session.add(
        PledgeComment(pledge_id=pledge.id, author_id=actor.id, step="announced", body=session_text)
    )
    db.session.flush()
    audit.record(
        "pledge.announced",
        actor=actor,
        event_id=pledge.event_id,
        obj=pledge,
        summary=f"{pledge.public_id}: {session_text}",
        session=session_text,
    )
    _notify(pledge, "announced", "")
    return pledge


def history(pledge: Pledge) -> list[PledgeComment]:
    """The pledge's moderation steps and comments, oldest first, authors loaded (one
    query)."""
    return list(
        db.session.scalars(
            select(PledgeComment)
            .options(joinedload(PledgeComment.author))
            .where(PledgeComment.pledge_id == pledge.id)
            .order_by(PledgeComment.created_at, PledgeComment.id)
        )
    )
