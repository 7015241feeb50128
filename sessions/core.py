"""What every part of the P2C programme shares: labels, focus-area seeding, lookups that
respect roles, which sessions a user may see, and the segment window and days.

Programme times are naive and event-local (see models/sessions.py).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select
from sqlalchemy.exc import IntegrityError

from models import (
    AppointmentState,
    BlockKind,
    Event,
    FocusArea,
    ProgrammeSession,
    ReferenceItem,
    Role,
    SeatCategory,
    SessionFormat,
    SessionMode,
    SessionPart,
    SessionStatus,
    SpeakerState,
    VideoState,
    Visibility,
)
from webapp.events.services import default_p2c_window
from webapp.extensions import db
from webapp.permissions import can, is_organizer, require

#: The largest id the database's INTEGER columns hold (PostgreSQL's int4): a larger one
#: in a query is an "integer out of range" error, so it is treated as unknown.
MAX_ID = 2**31 - 1


class ProgrammeError(Exception):
    """A value to correct (`field` names the form field), answered with a 4xx."""

    status = 400

    def __init__(self, message: Any, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class ProgrammeConflict(ProgrammeError):
    """The change clashes with what is stored (a duplicate, a rule): 409."""

    status = 409


FORMAT_LABELS = {
    SessionFormat.PANEL: _l("Panel session"),
    SessionFormat.ROUNDTABLE: _l("Group discussion / roundtable"),
    SessionFormat.PLENARY_PLEDGING: _l("Plenary pledging"),
    SessionFormat.SIGNING_CEREMONY: _l("Coalition signing ceremony"),
    SessionFormat.HIGH_LEVEL_DIALOGUE: _l("High-level dialogue"),
}
MODE_LABELS = {
    SessionMode.IN_PERSON: _l("In person"),
    SessionMode.ONLINE: _l("Online"),
    SessionMode.HYBRID: _l("Hybrid"),
}
VISIBILITY_LABELS = {
    Visibility.PUBLIC: _l("Public"),
    Visibility.INVITATION_ONLY: _l("Invitation only"),
}
STATUS_LABELS = {
    SessionStatus.DRAFT: _l("Draft"),
    SessionStatus.PROPOSED: _l("Proposed"),
    SessionStatus.CONFIRMED: _l("Confirmed"),
    SessionStatus.PUBLISHED: _l("Published"),
}
PART_LABELS = {
    SessionPart.MODERATOR: _l("Moderator"),
    SessionPart.SPEAKER: _l("Speaker"),
    SessionPart.PANELLIST: _l("Panellist"),
    SessionPart.RAPPORTEUR: _l("Rapporteur"),
}
SPEAKER_STATE_LABELS = {
    SpeakerState.ASKED: _l("Asked"),
    SpeakerState.CONFIRMED: _l("Confirmed"),
    SpeakerState.DECLINED: _l("Declined"),
}
SEAT_LABELS = {
    SeatCategory.MEMBER_STATE: _l("Member State"),
    SeatCategory.PRIVATE_SECTOR: _l("Private sector"),
    SeatCategory.CIVIL_SOCIETY_IO: _l("Civil society or international organization"),
}
APPOINTMENT_STATE_LABELS = {
    AppointmentState.INVITED: _l("Awaiting answer"),
    AppointmentState.ACCEPTED: _l("Accepted"),
    AppointmentState.DECLINED: _l("Declined"),
    AppointmentState.WITHDRAWN: _l("Withdrawn"),
}
BLOCK_LABELS = {
    BlockKind.BREAK: _l("Break"),
    BlockKind.PLENARY: _l("Plenary block"),
}
VIDEO_STATE_LABELS = {
    VideoState.SUBMITTED: _l("Awaiting approval"),
    VideoState.APPROVED: _l("Approved"),
    VideoState.REJECTED: _l("Rejected"),
}
STAKEHOLDER_ROLE_LABELS = {
    "problem_owner": _l("Problem owner"),
    "solution_provider": _l("Solution provider"),
    "funder": _l("Funder"),
    "beneficiary": _l("Beneficiary"),
}
GENDER_LABELS = {"f": _l("Woman"), "m": _l("Man"), "x": _l("Another gender"), "": _l("Not stated")}


def labels() -> dict[str, dict]:
    """Every label the programme templates use."""
    return {
        "format_labels": FORMAT_LABELS,
        "mode_labels": MODE_LABELS,
        "visibility_labels": VISIBILITY_LABELS,
        "status_labels": STATUS_LABELS,
        "part_labels": PART_LABELS,
        "speaker_state_labels": SPEAKER_STATE_LABELS,
        "seat_labels": SEAT_LABELS,
        "appointment_state_labels": APPOINTMENT_STATE_LABELS,
        "block_labels": BLOCK_LABELS,
        "video_state_labels": VIDEO_STATE_LABELS,
        "stakeholder_role_labels": STAKEHOLDER_ROLE_LABELS,
        "gender_labels": GENDER_LABELS,
    }


# --- focus areas ----------------------------------------------------------------------


def ensure_focus_areas(event: Event) -> list[FocusArea]:
    """The event's focus areas, seeded from the reference data the first time (and any
    reference area added later); edits made since are kept."""
    have = {
        a.code: a
        for a in db.session.scalars(select(FocusArea).where(FocusArea.event_id == event.id))
    }
    items = db.session.scalars(
        select(ReferenceItem)
        .where(ReferenceItem.kind == "focus_area")
        .order_by(ReferenceItem.number, ReferenceItem.code)
    )
    for item in items:
        if item.code in have:
            continue
        data = item.data or {}
        official = data.get("official_label") or ""
        label = (
            official.split(":", 1)[0].strip() if ":" in official else item.code.replace("_", " ")
        )
        area = FocusArea(
            event_id=event.id,
            code=item.code,
            position=item.number or 0,
            label=label[:60],
            name={"en": item.name_en, **({"zh": item.name_zh} if item.name_zh else {})},
            description={"en": item.description or ""},
            pillars={},
        )
        db.session.add(area)
        have[item.code] = area
    db.session.flush()
    return sorted(have.values(), key=lambda a: (a.position, a.code))


def _stored_areas(event: Event) -> list[FocusArea]:
    return list(
        db.session.scalars(
            select(FocusArea)
            .where(FocusArea.event_id == event.id)
            .order_by(FocusArea.position, FocusArea.code)
        )
    )


def focus_areas(event: Event) -> list[FocusArea]:
    """The event's focus areas in their order, seeding them the first time.

    The seed is committed at once: a page that offers area ids from an uncommitted seed
    would hand out ids that vanish with its rollback. Two first requests racing to seed
    meet on the unique (event, code) constraint; the loser reads the winner's rows.
    """
    areas = _stored_areas(event)
    if areas:
        return areas
    try:
        ensure_focus_areas(event)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
    return _stored_areas(event)


def event_or_404(event_id: int) -> Event:
    return db.get_or_404(Event, event_id)


def area_or_404(event: Event, area_id: int) -> FocusArea:
    """The event's focus area; another event's id is as unknown as a missing one."""
    area = db.session.get(FocusArea, area_id)
    if area is None or area.event_id != event.id:
        abort(404)
    return area


def cochair_codes(user: Any, event: Event) -> set[str]:
    """The focus-area codes the user co-chairs in this event."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return {
        g.focus_area_code
        for g in user.grants
        if g.role == Role.COCHAIR and g.event_id == event.id and g.focus_area_code
    }


def is_programme_organizer(user: Any, event: Event) -> bool:
    return can(user, "programme.manage", event)


# --- sessions -------------------------------------------------------------------------


def visible_sessions(user: Any, event: Event) -> Select:
    """The sessions of the event this user may see in management lists: organizers all,
    co-chairs every session of their own areas and the published ones of the others,
    anyone else the published ones."""
    query = select(ProgrammeSession).where(ProgrammeSession.event_id == event.id)
    if getattr(user, "is_authenticated", False) and (user.is_admin or is_organizer(user, event)):
        return query
    codes = cochair_codes(user, event)
    published = ProgrammeSession.status == SessionStatus.PUBLISHED
    if not codes:
        return query.where(published)
    own_areas = select(FocusArea.id).where(
        FocusArea.event_id == event.id, FocusArea.code.in_(codes)
    )
    return query.where(or_(published, ProgrammeSession.focus_area_id.in_(own_areas)))


def session_or_404(event: Event, session_id: int) -> ProgrammeSession:
    """A session of the event the current user may edit; another area's session is a 404
    (its drafts are not theirs to know of) — use `public_session_or_404` for readers."""
    session = db.session.get(ProgrammeSession, session_id)
    if session is None or session.event_id != event.id:
        abort(404)
    require("session.edit", session, private=True)
    return session


def public_session_or_404(event: Event, session_id: int) -> ProgrammeSession:
    """A published session of the event, for the public programme."""
    session = db.session.get(ProgrammeSession, session_id)
    if session is None or session.event_id != event.id or session.status != SessionStatus.PUBLISHED:
        abort(404)
    return session


# --- the segment window and days ------------------------------------------------------


def segment_window(event: Event) -> tuple[datetime | None, datetime | None]:
    """The P2C segment (event-local): the event's own, else the default day 2 14:00 for
    two and a half days."""
    if event.p2c_start and event.p2c_end:
        return event.p2c_start, event.p2c_end
    return default_p2c_window(event.opening_date, event.closing_date)


def event_days(event: Event) -> list[date]:
    """Every day of the event, opening to closing."""
    count = (event.closing_date - event.opening_date).days + 1
    return [event.opening_date + timedelta(days=i) for i in range(count)]


def event_bounds(event: Event) -> tuple[datetime, datetime]:
    """The first and last instants (event-local) a session may use."""
    start = datetime.combine(event.opening_date, datetime.min.time())
    end = datetime.combine(event.closing_date + timedelta(days=1), datetime.min.time())
    return start, end


#: The longest a session may last; anything longer is a typing mistake.
MAX_SESSION_HOURS = 12


def check_times(event: Event, starts_at: datetime | None, ends_at: datetime | None) -> None:
    """Times of a session (or block) as entered: both or neither, in order, inside the
    event. Where it falls in the programme (window, rooms, plenaries) is for conflicts."""
    if starts_at is None and ends_at is None:
        return
    if starts_at is None:
        raise ProgrammeError(_l("Give a start time as well as an end time."), "starts_at")
    if ends_at is None:
        raise ProgrammeError(_l("Give an end time as well as a start time."), "ends_at")
    if ends_at <= starts_at:
        raise ProgrammeError(_l("The end must be after the start."), "ends_at")
    if ends_at - starts_at > timedelta(hours=MAX_SESSION_HOURS):
        raise ProgrammeError(
            _l("A session lasts at most %(hours)s hours.", hours=MAX_SESSION_HOURS), "ends_at"
        )
    first, last = event_bounds(event)
    if starts_at < first or ends_at > last:
        raise ProgrammeError(
            _l(
                "The time must be within the event, %(opening)s to %(closing)s.",
                opening=event.opening_date.isoformat(),
                closing=event.closing_date.isoformat(),
            ),
            "starts_at",
        )
