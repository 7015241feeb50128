"""Sessions views: the schedule — a day's grid of rooms and half-hours with the sessions
and blocks placed, the unplaced sessions with a form to place each — and the list of the
event's conflicts.

Organizers see and place every session; a co-chair places the sessions of their own
areas, sees the other areas' published ones read-only and their drafts not at all.
Every page runs a fixed number of queries, whatever the size of the programme.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, or_
from sqlalchemy.orm import joinedload

from models import Event, ProgrammeSession, SessionStatus
from webapp.extensions import db
from webapp.forms import show_error
from webapp.permissions import can, require

from .. import conflicts as conflict_rules
from .. import scheduling, venue
from ..blueprint import bp
from ..core import (
    ProgrammeError,
    event_days,
    event_or_404,
    labels,
    segment_window,
    session_or_404,
    visible_sessions,
)
from ..venue_forms import PlaceForm


def _event(event_id: int) -> Event:
    event = event_or_404(event_id)
    require("programme.curate", event)
    return event


def _place_form(session: ProgrammeSession, rooms: list, formdata: Any = None) -> PlaceForm:
    if formdata is not None:
        return PlaceForm(formdata, prefix=f"s{session.id}", rooms=rooms)
    return PlaceForm(
        None,
        prefix=f"s{session.id}",
        rooms=rooms,
        room_id=str(session.room_id or ""),
        starts_at=session.starts_at,
        ends_at=session.ends_at,
    )


def session_link(event: Event, session: ProgrammeSession, editable: bool) -> str | None:
    """Where a session's title leads: its manage page for its editors, the public page
    when published, nowhere otherwise."""
    if editable:
        return url_for("sessions.session_manage", event_id=event.id, session_id=session.id)
    if session.status == SessionStatus.PUBLISHED:
        return url_for("sessions.public_session", event_id=event.id, session_id=session.id)
    return None


def _day_sessions(event: Event, day: date) -> list[ProgrammeSession]:
    """The sessions the user may see that start on `day` or are not placed yet (one
    query, focus areas joined)."""
    start = datetime.combine(day, time())
    query = (
        visible_sessions(current_user, event)
        .options(joinedload(ProgrammeSession.focus_area))
        .where(
            or_(
                ProgrammeSession.starts_at.is_(None),
                and_(
                    ProgrammeSession.starts_at >= start,
                    ProgrammeSession.starts_at < start + timedelta(days=1),
                ),
            )
        )
        .order_by(ProgrammeSession.starts_at, ProgrammeSession.title, ProgrammeSession.id)
    )
    return list(db.session.scalars(query).unique())


def _schedule_page(
    event: Event, day: date, failed: tuple[int, PlaceForm] | None = None, status=200
):
    rooms = venue.rooms(event)
    sessions = _day_sessions(event, day)
    editable = {s.id for s in sessions if can(current_user, "session.edit", s)}
    forms = {s.id: _place_form(s, rooms) for s in sessions if s.id in editable}
    if failed is not None:
        forms[failed[0]] = failed[1]
    found = conflict_rules.event_conflicts(event)
    by_session: dict[int, list] = {}
    for conflict in found:
        by_session.setdefault(conflict.session_id, []).append(conflict)
    blocks = [b for b in venue.blocks(event) if b.starts_at.date() == day]
    placed_id = request.args.get("placed", type=int)
    window = segment_window(event)
    return render_template(
        "sessions/schedule/schedule.html",
        event=event,
        day=day,
        days=event_days(event),
        p2c_days=scheduling.p2c_days(event),
        window=window,
        grid=scheduling.day_grid(day, rooms, sessions, blocks, _("No room (online)")),
        placed=[s for s in sessions if s.starts_at is not None],
        unplaced=[s for s in sessions if s.starts_at is None],
        blocks=blocks,
        rooms=rooms,
        room_names={r.id: r.name for r in rooms},
        editable=editable,
        forms=forms,
        links={s.id: session_link(event, s, s.id in editable) for s in sessions},
        by_session=by_session,
        counts=conflict_rules.counts(found),
        just_placed=next((s for s in sessions if s.id == placed_id), None),
        organizer=can(current_user, "programme.manage", event),
        kind_labels=conflict_rules.KIND_LABELS,
        **labels(),
    ), status


@bp.get("/events/<int:event_id>/p2c/schedule", endpoint="schedule")
def schedule(event_id: int):
    """One day of the programme (?day=YYYY-MM-DD; the first P2C day by default)."""
    event = _event(event_id)
    return _schedule_page(event, scheduling.pick_day(event, request.args.get("day")))


@bp.post(
    "/events/<int:event_id>/p2c/schedule/sessions/<int:session_id>/place", endpoint="schedule_place"
)
def schedule_place(event_id: int, session_id: int):
    """Place a session (room, start, end), or take it off the grid with empty times.
    Conflicts do not stop it; the schedule then shows those the session has."""
    event = _event(event_id)
    session = session_or_404(event, session_id)
    rooms = venue.rooms(event)
    form = _place_form(session, rooms, request.form)
    day = scheduling.pick_day(event, request.form.get("day"))
    if not form.validate():
        return _schedule_page(event, day, (session.id, form), 400)
    room = venue.room_or_404(event, form.room_id.data) if form.room_id.data else None
    try:
        scheduling.place(
            current_user._get_current_object(),
            session,
            room,
            form.starts_at.data,
            form.ends_at.data,
        )
    except ProgrammeError as error:
        db.session.rollback()
        if error.status == 404:
            abort(404)
        show_error(form, error)
        return _schedule_page(event, day, (session.id, form), error.status)
    db.session.commit()
    if session.starts_at is None:
        flash(_("%(title)s is off the grid.", title=session.title), "success")
    else:
        flash(_("%(title)s is placed.", title=session.title), "success")
        day = session.starts_at.date()
    return redirect(
        url_for(
            "sessions.schedule",
            event_id=event.id,
            day=day.isoformat(),
            placed=session.id,
            _anchor=f"s{session.id}",
        )
    )


@bp.get("/events/<int:event_id>/p2c/conflicts", endpoint="conflicts")
def conflicts_page(event_id: int):
    """Every conflict of the event the user may see, hard ones first, with the link to
    each cause."""
    event = _event(event_id)
    found = conflict_rules.event_conflicts(event)
    ids = {c.session_id for c in found}
    sessions = {}
    if ids:
        query = (
            visible_sessions(current_user, event)
            .options(joinedload(ProgrammeSession.focus_area))
            .where(ProgrammeSession.id.in_(ids))
        )
        sessions = {s.id: s for s in db.session.scalars(query).unique()}
    found = [c for c in found if c.session_id in sessions]
    links = {
        s.id: session_link(event, s, can(current_user, "session.edit", s))
        for s in sessions.values()
    }
    return render_template(
        "sessions/schedule/conflicts.html",
        event=event,
        conflicts=found,
        sessions=sessions,
        links=links,
        counts=conflict_rules.counts(found),
        kind_labels=conflict_rules.KIND_LABELS,
        **labels(),
    )
