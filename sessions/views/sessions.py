"""Sessions views: the curators' list of sessions, the session form (new and edit), the
manage page (details, status, agenda, people, balance, conflicts), status moves and the
agenda items.

Organizers see every session; a co-chair sees their own areas' sessions in every status
and the others' once published, and may open the working pages of their own areas'
sessions only (another area's session is a 404: its drafts are not theirs to know of).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from models import (
    Event,
    ProgrammeSession,
    Room,
    SessionFormat,
    SessionPerson,
    SessionStatus,
    SpeakerState,
    User,
)
from webapp.directory import services as directory
from webapp.extensions import db
from webapp.forms import show_error
from webapp.permissions import can, require

from .. import balance, conflicts, curation
from ..blueprint import bp
from ..core import (
    ProgrammeError,
    cochair_codes,
    event_or_404,
    focus_areas,
    is_programme_organizer,
    labels,
    session_or_404,
    visible_sessions,
)
from ..curation import NotPublishable
from ..session_forms import AgendaItemForm, PersonForm, SessionForm, optional_id

#: Directory matches shown when searching for a person to add.
SEARCH_RESULTS = 20


def actor() -> User:
    """The logged-in user as a plain model object, for services and the audit log."""
    return current_user._get_current_object()


def curator_event(event_id: int) -> Event:
    """The event, if the current user curates its programme (organizer or co-chair)."""
    event = event_or_404(event_id)
    require("programme.curate", event)
    return event


def fail(error: ProgrammeError, form=None) -> int:
    """Roll back; 403/404 errors abort, others go beside their field. Returns the status."""
    db.session.rollback()
    if error.status in (403, 404):
        abort(error.status)
    if form is not None:
        show_error(form, error)
    return error.status


def _rooms(event: Event) -> list[Room]:
    return list(
        db.session.scalars(
            select(Room).where(Room.event_id == event.id).order_by(Room.position, Room.name)
        )
    )


# --- the list -----------------------------------------------------------------------------


def _filters(event: Event) -> dict[str, Any]:
    """The list's filters from the query string; anything unknown is no filter."""
    area = request.args.get("area", "")
    status = request.args.get("status", "")
    fmt = request.args.get("format", "")
    try:
        area_id = optional_id(area)
    except ValueError:
        area_id = None
    return {
        "area": "none" if area == "none" else area_id,
        "status": status if status in set(SessionStatus) else None,
        "format": fmt if fmt in set(SessionFormat) else None,
    }


@bp.get("/events/<int:event_id>/p2c/sessions")
@login_required
def session_list(event_id: int):
    """The sessions this user may see, filtered by area, status and format, with counts
    per status."""
    event = curator_event(event_id)
    chosen = _filters(event)
    query = visible_sessions(current_user, event)
    if chosen["area"] == "none":
        query = query.where(ProgrammeSession.focus_area_id.is_(None))
    elif chosen["area"] is not None:
        query = query.where(ProgrammeSession.focus_area_id == chosen["area"])
    if chosen["format"]:
        query = query.where(ProgrammeSession.format == chosen["format"])
    counted = query.subquery()
    counts = dict.fromkeys(SessionStatus, 0)
    for status, n in db.session.execute(
        select(counted.c.status, func.count()).group_by(counted.c.status)
    ):
        counts[SessionStatus(status)] = n
    if chosen["status"]:
        query = query.where(ProgrammeSession.status == chosen["status"])
    sessions = list(
        db.session.scalars(
            query.options(
                selectinload(ProgrammeSession.focus_area), selectinload(ProgrammeSession.room)
            ).order_by(
                ProgrammeSession.starts_at.is_(None),
                ProgrammeSession.starts_at,
                ProgrammeSession.title,
                ProgrammeSession.id,
            )
        )
    )
    people = dict(
        db.session.execute(
            select(SessionPerson.session_id, func.count())
            .where(
                SessionPerson.session_id.in_([s.id for s in sessions]),
                SessionPerson.state != SpeakerState.DECLINED,
            )
            .group_by(SessionPerson.session_id)
        ).all()
    )
    organizer = is_programme_organizer(current_user, event)
    codes = cochair_codes(current_user, event)
    editable = {
        s.id for s in sessions if organizer or (s.focus_area and s.focus_area.code in codes)
    }
    return render_template(
        "sessions/sessions/list.html",
        event=event,
        sessions=sessions,
        counts=counts,
        chosen=chosen,
        areas=focus_areas(event),
        people=people,
        editable=editable,
        may_create=organizer or bool(codes),
        **labels(),
    )


# --- the session form ---------------------------------------------------------------------


def _form(event: Event, formdata=None, data=None) -> SessionForm:
    """The session form with the areas this user may choose and the event's rooms."""
    organizer = is_programme_organizer(current_user, event)
    return SessionForm(
        formdata=formdata,
        data=data,
        areas=curation.allowed_areas(current_user, event, focus_areas(event)),
        rooms=_rooms(event),
        cross_area=organizer,
    )


def _render_form(event: Event, form: SessionForm, session=None, status: int = 200):
    return (
        render_template(
            "sessions/sessions/form.html", event=event, form=form, session=session, **labels()
        ),
        status,
    )


@bp.route("/events/<int:event_id>/p2c/sessions/new", methods=["GET", "POST"])
@login_required
def session_new(event_id: int):
    """A new draft session in one of the user's focus areas (organizers: any, or none)."""
    event = curator_event(event_id)
    if request.method == "GET":
        try:
            area = optional_id(request.args.get("area"))
        except ValueError:
            area = None
        return _render_form(event, _form(event, data={"focus_area": area}))
    form = _form(event, request.form)
    if not form.validate():
        return _render_form(event, form, status=400)
    try:
        session = curation.create_session(actor(), event, **form.values())
    except ProgrammeError as error:
        return _render_form(event, form, status=fail(error, form))
    db.session.commit()
    flash(_("The session was created as a draft."), "success")
    return redirect(url_for("sessions.session_manage", event_id=event.id, session_id=session.id))


def _stored_values(session: ProgrammeSession) -> dict[str, Any]:
    return {
        "focus_area": session.focus_area_id,
        "title": session.title,
        "format": session.format.value,
        "description": session.description,
        "room": session.room_id,
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        "mode": session.mode.value,
        "stream_url": session.stream_url,
        "visibility": session.visibility.value,
        "chatham_house": session.chatham_house,
        "capacity": session.capacity,
        "languages": session.languages,
        "interpretation": session.interpretation,
    }


@bp.route("/events/<int:event_id>/p2c/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@login_required
def session_edit(event_id: int, session_id: int):
    """Edit the session's details; a published session must stay publishable."""
    event = event_or_404(event_id)
    session = session_or_404(event, session_id)
    if request.method == "GET":
        return _render_form(event, _form(event, data=_stored_values(session)), session)
    form = _form(event, request.form)
    if not form.validate():
        return _render_form(event, form, session, 400)
    try:
        changed = curation.update_session(actor(), session, **form.values())
    except NotPublishable as error:
        db.session.rollback()
        session = session_or_404(event, session_id)
        form.form_errors.append(
            _("This change would stop the published session from being publishable:")
        )
        return (
            render_template(
                "sessions/sessions/form.html",
                event=event,
                form=form,
                session=session,
                not_publishable=error,
                **labels(),
            ),
            409,
        )
    except ProgrammeError as error:
        return _render_form(event, form, session, fail(error, form))
    db.session.commit()
    flash(_("Saved.") if changed else _("Nothing was changed."), "success")
    return redirect(url_for("sessions.session_manage", event_id=event.id, session_id=session.id))


@bp.post("/events/<int:event_id>/p2c/sessions/<int:session_id>/delete")
@login_required
def session_delete(event_id: int, session_id: int):
    """Delete a draft session."""
    event = event_or_404(event_id)
    session = session_or_404(event, session_id)
    try:
        curation.delete_session(actor(), session)
    except ProgrammeError as error:
        status = fail(error)
        return manage_page(event, session_or_404(event, session_id), status, error=error)
    db.session.commit()
    flash(_("The draft was deleted."), "success")
    return redirect(url_for("sessions.session_list", event_id=event.id))


# --- the manage page ----------------------------------------------------------------------


def manage_page(event: Event, session: ProgrammeSession, status: int = 200, **extra):
    """The session with everything a curator works on; `extra` carries a form that
    failed (kept as typed) or an error to show."""
    rows, over = curation.timeline(session.starts_at, session.ends_at, session.agenda_items)
    q = (request.args.get("q") or "").strip()[:100]
    # Co-chairs pick speakers by name and organization; only those who may read the
    # directory (organizers) also find people by email address.
    found = (
        directory.search_people(
            q, per_page=SEARCH_RESULTS, match_email=can(current_user, "directory.view")
        )
        if len(q) >= 2
        else None
    )
    on_session = {p.person_id for p in session.people}
    context = {
        "event": event,
        "session": session,
        "agenda": rows,
        "agenda_minutes": sum(i.minutes for i in session.agenda_items),
        "agenda_over": over,
        "item_form": AgendaItemForm(formdata=None),
        "person_form": PersonForm(formdata=None),
        "q": q,
        "found": found,
        "on_session": on_session,
        "moves": curation.allowed_moves(session),
        "problems": curation.publish_problems(session),
        "conflicts": conflicts.session_conflicts(session),
        "balance": balance.session_balance(session),
        "error": None,
        "not_publishable": None,
        **labels(),
    }
    context.update(extra)
    return render_template("sessions/sessions/manage.html", **context), status


@bp.get("/events/<int:event_id>/p2c/sessions/<int:session_id>")
@login_required
def session_manage(event_id: int, session_id: int):
    """The session's details, status, agenda, people, balance and conflicts."""
    event = event_or_404(event_id)
    return manage_page(event, session_or_404(event, session_id))


def back_to(event: Event, session: ProgrammeSession, anchor: str):
    return redirect(
        url_for("sessions.session_manage", event_id=event.id, session_id=session.id) + f"#{anchor}"
    )


@bp.post("/events/<int:event_id>/p2c/sessions/<int:session_id>/status")
@login_required
def session_status(event_id: int, session_id: int):
    """Move the session to another status; publishing lists what stops it (409)."""
    event = event_or_404(event_id)
    session = session_or_404(event, session_id)
    try:
        curation.move(actor(), session, request.form.get("to", ""))
    except NotPublishable as error:
        db.session.rollback()
        return manage_page(event, session_or_404(event, session_id), 409, not_publishable=error)
    except ProgrammeError as error:
        status = fail(error)
        return manage_page(event, session_or_404(event, session_id), status, error=error)
    db.session.commit()
    flash(
        _("Status changed to %(status)s.", status=labels()["status_labels"][session.status]),
        "success",
    )
    return back_to(event, session, "status")


# --- agenda items -------------------------------------------------------------------------


def _item(session: ProgrammeSession, item_id: int):
    try:
        return curation.item_or_404(session, item_id)
    except ProgrammeError:
        abort(404)


@bp.post("/events/<int:event_id>/p2c/sessions/<int:session_id>/items")
@login_required
def item_add(event_id: int, session_id: int):
    """Add an agenda item at the end."""
    event = event_or_404(event_id)
    session = session_or_404(event, session_id)
    form = AgendaItemForm()
    if not form.validate():
        return manage_page(event, session, 400, item_form=form)
    try:
        curation.add_item(actor(), session, **form.values())
    except ProgrammeError as error:
        status = fail(error, form)
        return manage_page(event, session_or_404(event, session_id), status, item_form=form)
    db.session.commit()
    flash(_("The agenda item was added."), "success")
    return back_to(event, session, "agenda")


@bp.route(
    "/events/<int:event_id>/p2c/sessions/<int:session_id>/items/<int:item_id>/edit",
    methods=["GET", "POST"],
)
@login_required
def item_edit(event_id: int, session_id: int, item_id: int):
    """Edit one agenda item."""
    event = event_or_404(event_id)
    session = session_or_404(event, session_id)
    item = _item(session, item_id)
    form = AgendaItemForm(obj=item) if request.method == "GET" else AgendaItemForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                curation.update_item(actor(), item, **form.values())
            except ProgrammeError as error:
                status = fail(error, form)
            else:
                db.session.commit()
                flash(_("The agenda item was saved."), "success")
                return back_to(event, session, "agenda")
        else:
            status = 400
    return (
        render_template(
            "sessions/sessions/item.html", event=event, session=session, item=item, form=form
        ),
        status,
    )


@bp.post("/events/<int:event_id>/p2c/sessions/<int:session_id>/items/<int:item_id>/delete")
@login_required
def item_delete(event_id: int, session_id: int, item_id: int):
    """Delete one agenda item."""
    event = event_or_404(event_id)
    session = session_or_404(event, session_id)
    curation.delete_item(actor(), _item(session, item_id))
    db.session.commit()
    flash(_("The agenda item was deleted."), "success")
    return back_to(event, session, "agenda")


@bp.post("/events/<int:event_id>/p2c/sessions/<int:session_id>/items/<int:item_id>/move")
@login_required
def item_move(event_id: int, session_id: int, item_id: int):
    """Move an agenda item up or down by one."""
    event = event_or_404(event_id)
    session = session_or_404(event, session_id)
    item = _item(session, item_id)
    try:
        curation.move_item(actor(), item, request.form.get("direction", ""))
    except ProgrammeError as error:
        status = fail(error)
        return manage_page(event, session_or_404(event, session_id), status, error=error)
    db.session.commit()
    return back_to(event, session, f"item-{item.id}")
