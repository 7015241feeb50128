"""The one permission helper every view and API route uses.

`can(user, action, obj)` answers; `require(action, obj)` aborts: 401 for anonymous users
(login page or JSON), 403 when the object is known but not yours, 404 when `private=True`
and even its existence is not for this user.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from models import (
    Event,
    JobRun,
    Person,
    Pledge,
    ProgrammeSession,
    Registration,
    Role,
    TargetEntry,
    User,
)

from .extensions import db, login_manager


def _grants(user: User) -> list:
    return list(user.grants)


def is_organizer(user: User, event: Event | None = None) -> bool:
    """Organizer of this event, or of any event when none is given."""
    return any(
        g.role == Role.ORGANIZER and (event is None or g.event_id == event.id)
        for g in _grants(user)
    )


def is_cochair(user: User, event: Event, focus_area_code: str | None = None) -> bool:
    return any(
        g.role == Role.COCHAIR
        and g.event_id == event.id
        and (focus_area_code is None or g.focus_area_code == focus_area_code)
        for g in _grants(user)
    )


def is_focal_point(user: User, event: Event, organization_id: int | None = None) -> bool:
    return any(
        g.role == Role.FOCAL_POINT
        and g.event_id == event.id
        and (organization_id is None or g.organization_id == organization_id)
        for g in _grants(user)
    )


def _secretariat(user: User, _obj: Any) -> bool:
    return is_organizer(user)


def _curate(user: User, obj: tuple[Event, str]) -> bool:
    event, code = obj
    return is_organizer(user, event) or is_cochair(user, event, code)


def _programme_curator(user: User, event: Event) -> bool:
    """Organizers and every co-chair of the event (schedule, session lists)."""
    return is_organizer(user, event) or is_cochair(user, event)


def _session_editor(user: User, session: ProgrammeSession) -> bool:
    """Organizers, and co-chairs of the session's own focus area; sessions outside any
    area (the plenary pledging, the signing ceremony) are the organizers' alone."""
    if is_organizer(user, session.event):
        return True
    area = session.focus_area
    return area is not None and is_cochair(user, session.event, area.code)


def _registrant(user: User, registration: Registration) -> bool:
    """The participant themself (registrations of deleted accounts belong to nobody)."""
    return registration.user_id is not None and registration.user_id == user.id


def _registration_reader(user: User, registration: Registration) -> bool:
    """The participant, the event's organizers, and the focal points of the member the
    registration represents."""
    if _registrant(user, registration) or is_organizer(user, registration.event):
        return True
    return registration.organization_id is not None and is_focal_point(
        user, registration.event, registration.organization_id
    )


def _accredit(user: User, obj: tuple[Event, int]) -> bool:
    event, organization_id = obj
    return is_organizer(user, event) or is_focal_point(user, event, organization_id)


def _event_organizer(user: User, event: Event | None) -> bool:
    return event is not None and is_organizer(user, event)


def _entry_updater(user: User, entry: TargetEntry) -> bool:
    """Organizers of the entry's event, and the staff member who owns the entry."""
    return entry.owner_id == user.id or is_organizer(user, entry.event)


def _owner_or_organizer(user: User, event: Event) -> bool:
    """Organizers, and staff who own at least one target entry of the event."""
    if is_organizer(user, event):
        return True
    return (
        db.session.scalar(
            select(TargetEntry.id)
            .where(TargetEntry.event_id == event.id, TargetEntry.owner_id == user.id)
            .limit(1)
        )
        is not None
    )


def _pledge_member(user: User, pledge: Pledge) -> bool:
    """Members of the pledging organization (directory people linked to the account)."""
    return (
        db.session.scalar(
            select(Person.id)
            .where(Person.user_id == user.id, Person.organization_id == pledge.organization_id)
            .limit(1)
        )
        is not None
    )


def _pledge_reader(user: User, pledge: Pledge) -> bool:
    """The pledger's members and the event's organizers see a pledge in any state."""
    return is_organizer(user, pledge.event) or _pledge_member(user, pledge)


def _job_reader(user: User, run: JobRun | None) -> bool:
    """The job's creator and the organizers of its event."""
    if run is None:
        return False
    if run.created_by_id is not None and run.created_by_id == user.id:
        return True
    return run.event_id is not None and any(
        g.role == Role.ORGANIZER and g.event_id == run.event_id for g in _grants(user)
    )


#: action -> rule(user, obj). Site admins pass every rule.
RULES: dict[str, Callable[[User, Any], bool]] = {
    "site.admin": lambda user, obj: False,
    "event.create": _secretariat,
    "event.manage": _event_organizer,
    "roles.manage": _event_organizer,
    "directory.view": _secretariat,
    "directory.manage": _secretariat,
    "outbox.read": _event_organizer,
    "audit.read": _event_organizer,
    "job.read": _job_reader,
    "invitations.manage": _event_organizer,
    "invitations.follow_up": _owner_or_organizer,
    "target_entry.update": _entry_updater,
    "pledges.moderate": _event_organizer,
    "pledge.read": _pledge_reader,
    "pledge.edit": _pledge_member,
    "pledge.report": _pledge_member,
    "focus_area.curate": _curate,
    "programme.manage": _event_organizer,
    "programme.curate": _programme_curator,
    "session.edit": _session_editor,
    "video.submit": lambda user, event: True,
    "registration.manage": _event_organizer,
    "registration.checkin": _event_organizer,
    "registration.read": _registration_reader,
    "registration.own": _registrant,
    "accreditation.view": lambda user, event: (
        is_organizer(user, event) or is_focal_point(user, event)
    ),
    "member.accredit": _accredit,
}


def can(user: Any, action: str, obj: Any = None) -> bool:
    """Whether `user` may do `action` on `obj`."""
    if action not in RULES:
        raise KeyError(f"unknown action {action!r}")
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_admin:
        return True
    return RULES[action](user, obj)


def require(action: str, obj: Any = None, *, private: bool = False) -> None:
    """Abort unless the current user may do `action` on `obj`."""
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not can(current_user, action, obj):
        abort(404 if private else 403)


def events_for(user: Any) -> list[Event]:
    """Events whose management pages the user may open."""
    if not getattr(user, "is_authenticated", False):
        return []
    query = select(Event).order_by(Event.opening_date.desc())
    if not user.is_admin:
        ids = {g.event_id for g in user.grants}
        query = query.where(Event.id.in_(ids))
    return list(db.session.scalars(query))
