"""Personal agendas: the published sessions a logged-in participant keeps for themself.

Saving is idempotent (adding twice keeps one row, removing what is not there is fine),
so a double click or a replayed form changes nothing. A session that stops being
published drops out of the agenda until it is published again.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from models import AgendaSave, Event, ProgrammeSession, SessionStatus, User
from webapp.extensions import db

from .programme import load, matching


def saved_ids(user: User | None, event: Event) -> set[int]:
    """Ids of the event's published sessions on the user's agenda (one query; none when
    anonymous). A save of a session no longer published is kept but not counted, as the
    agenda page and its iCal leave it out."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(
        db.session.scalars(
            select(AgendaSave.session_id)
            .join(ProgrammeSession, ProgrammeSession.id == AgendaSave.session_id)
            .where(
                AgendaSave.user_id == user.id,
                ProgrammeSession.event_id == event.id,
                ProgrammeSession.status == SessionStatus.PUBLISHED,
            )
        )
    )


def is_saved(user: User, session: ProgrammeSession) -> bool:
    return (
        db.session.scalar(
            select(AgendaSave.id).where(
                AgendaSave.user_id == user.id, AgendaSave.session_id == session.id
            )
        )
        is not None
    )


def add(user: User, session: ProgrammeSession) -> None:
    """Put a published session on the user's agenda (already there: nothing changes)."""
    if session.status != SessionStatus.PUBLISHED:
        raise ValueError("only published sessions go on an agenda")
    if is_saved(user, session):
        return
    try:
        with db.session.begin_nested():
            db.session.add(AgendaSave(user_id=user.id, session_id=session.id))
    except IntegrityError:
        pass  # saved at the same moment by another request: the row is there


def remove(user: User, session: ProgrammeSession) -> None:
    """Take a session off the user's agenda (not there: nothing changes)."""
    db.session.execute(
        delete(AgendaSave).where(AgendaSave.user_id == user.id, AgendaSave.session_id == session.id)
    )


def set_saved(user: User, session: ProgrammeSession, saved: bool) -> None:
    (add if saved else remove)(user, session)


def agenda_sessions(user: User, event: Event) -> list[ProgrammeSession]:
    """The published sessions of the event on the user's agenda, in programme order,
    with everything the page and the iCal export show."""
    mine = select(AgendaSave.session_id).where(AgendaSave.user_id == user.id)
    query = load(matching(event.id).where(ProgrammeSession.id.in_(mine)))
    return list(db.session.scalars(query).unique())
