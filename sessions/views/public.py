"""Sessions views: the public programme, a page per session, personal agendas and the
exports (iCal, Frab XML and JSON).

The programme and the exports need no login and show only published sessions; the
personal agenda is the logged-in participant's own.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import Event, ProgrammeSession, User
from webapp.downloads import attachment
from webapp.errors import wants_json
from webapp.extensions import db
from webapp.security import safe_next

from .. import agenda, exports
from .. import programme as prog
from ..blueprint import bp
from ..core import event_days, event_or_404, labels, public_session_or_404

#: Public exports may be cached briefly by browsers and proxies.
CACHE = "public, max-age=300"


def _actor() -> User:
    """The logged-in user as a plain model object, for the services."""
    return current_user._get_current_object()


def _absolute(path: str) -> str:
    """An address on this site from BASE_URL, so exports do not depend on the Host header."""
    return current_app.config["BASE_URL"].rstrip("/") + path


def _links(event: Event) -> exports.Links:
    """Where the exports point: the site's own addresses, and its host for iCal UIDs."""
    base = current_app.config["BASE_URL"].rstrip("/")
    return exports.Links(
        host=urlsplit(base).hostname or "localhost",
        base_url=base + "/",
        programme_url=_absolute(url_for("sessions.programme", event_id=event.id)),
        session_url=lambda s: _absolute(
            url_for("sessions.public_session", event_id=s.event_id, session_id=s.id)
        ),
    )


def _download(body: bytes | str, mimetype: str, filename: str, cache: str = CACHE) -> Response:
    """A file to save (the iCal exports)."""
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": attachment(filename), "Cache-Control": cache},
    )


# --- pages ----------------------------------------------------------------------------


@bp.get("/events/<int:event_id>/programme")
def programme(event_id: int):
    """The published programme by day and time (or by room), with filters."""
    event = event_or_404(event_id)
    rooms, areas = prog.rooms_of(event), prog.areas_of(event)
    filters, errors = prog.programme_filters(event, request.args, rooms, areas)
    view = request.args.get("view") or "time"
    if view not in prog.VIEWS:
        errors["view"] = _("Choose the list by time or by room.")
        view = "time"
    sessions = prog.published_sessions(event, filters)
    days, unplaced = prog.by_day(sessions)
    return render_template(
        "sessions/public/programme.html",
        event=event,
        days=days,
        unplaced=unplaced,
        count=len(sessions),
        filters=filters,
        filter_args=filters.args(),
        errors=errors,
        view=view,
        rooms=rooms,
        areas=areas,
        event_days=event_days(event),
        saved=agenda.saved_ids(current_user, event),
        public_people=prog.public_people,
        **labels(),
    )


@bp.get("/events/<int:event_id>/programme/sessions/<int:session_id>")
def public_session(event_id: int, session_id: int):
    """One published session: when, where, how to follow it, its agenda and people."""
    event = event_or_404(event_id)
    programme_session = prog.public_session(event, session_id)
    if programme_session is None:
        abort(404)
    saved = agenda.saved_ids(current_user, event)
    return render_template(
        "sessions/public/session.html",
        event=event,
        item=programme_session,
        people=prog.public_people(programme_session),
        timed_agenda=prog.agenda_times(programme_session),
        stream_url=prog.public_stream_url(programme_session),
        invitation_only=prog.is_invitation_only(programme_session),
        saved=saved,
        **labels(),
    )


@bp.get("/events/<int:event_id>/programme/agenda")
@login_required
def my_agenda(event_id: int):
    """The logged-in participant's saved sessions by day, with clashes flagged."""
    event = event_or_404(event_id)
    sessions = agenda.agenda_sessions(_actor(), event)
    days, unplaced = prog.by_day(sessions)
    return render_template(
        "sessions/public/agenda.html",
        event=event,
        days=days,
        unplaced=unplaced,
        count=len(sessions),
        clashes=prog.clashes(sessions),
        saved={s.id for s in sessions},
        **labels(),
    )


@bp.route(
    "/events/<int:event_id>/programme/sessions/<int:session_id>/agenda", methods=["GET", "POST"]
)
@login_required
def agenda_toggle(event_id: int, session_id: int):
    """Add a published session to the agenda or take it off (action=add|remove; none
    toggles). A GET, as after logging in, goes back to the session's page."""
    event = event_or_404(event_id)
    programme_session: ProgrammeSession = public_session_or_404(event, session_id)
    back = url_for("sessions.public_session", event_id=event.id, session_id=session_id)
    if request.method == "GET":
        return redirect(back)
    action = request.form.get("action", "")
    if action not in ("add", "remove", ""):
        abort(400)
    user = _actor()
    keep = action == "add" if action else not agenda.is_saved(user, programme_session)
    agenda.set_saved(user, programme_session, keep)
    db.session.commit()
    if wants_json():
        return jsonify(
            session=programme_session.id, saved=keep, count=len(agenda.saved_ids(user, event))
        )
    if keep:
        flash(_("“%(title)s” is on your agenda.", title=programme_session.title), "success")
    else:
        flash(_("“%(title)s” is off your agenda.", title=programme_session.title), "success")
    return redirect(safe_next(request.form.get("next"), back))


# --- exports --------------------------------------------------------------------------


@bp.get("/events/<int:event_id>/programme/sessions/<int:session_id>.ics")
def session_ics(event_id: int, session_id: int):
    """One published session as an iCalendar file."""
    event = event_or_404(event_id)
    programme_session = prog.public_session(event, session_id)
    if programme_session is None:
        abort(404)
    body = exports.ical(event, [programme_session], _links(event), programme_session.title)
    return _download(body, "text/calendar", f"{event.acronym}-session-{session_id}.ics")


@bp.get("/events/<int:event_id>/programme.ics")
def programme_ics(event_id: int):
    """The whole published programme as an iCalendar file."""
    event = event_or_404(event_id)
    sessions = prog.published_sessions(event)
    name = _("%(event)s programme", event=event.acronym)
    body = exports.ical(event, sessions, _links(event), name)
    return _download(body, "text/calendar", f"{event.acronym}-programme.ics")


@bp.get("/events/<int:event_id>/programme/agenda.ics")
@login_required
def agenda_ics(event_id: int):
    """The participant's personal agenda as an iCalendar file (private: not cached)."""
    event = event_or_404(event_id)
    sessions = agenda.agenda_sessions(_actor(), event)
    name = _("My agenda, %(event)s", event=event.acronym)
    body = exports.ical(event, sessions, _links(event), name)
    return _download(
        body, "text/calendar", f"{event.acronym}-my-agenda.ics", cache="private, no-store"
    )


@bp.get("/events/<int:event_id>/programme/schedule.xml")
def frab_xml(event_id: int):
    """The published programme as Frab schedule.xml, for conference apps."""
    event = event_or_404(event_id)
    schedule = exports.frab_schedule(event, prog.published_sessions(event), _links(event))
    return Response(
        exports.frab_xml(schedule), mimetype="application/xml", headers={"Cache-Control": CACHE}
    )


@bp.get("/events/<int:event_id>/programme/schedule.json")
def frab_json(event_id: int):
    """The published programme as the c3voc schedule.json, for conference apps."""
    event = event_or_404(event_id)
    schedule = exports.frab_schedule(event, prog.published_sessions(event), _links(event))
    body = json.dumps(schedule, ensure_ascii=False, indent=1)
    return Response(body, mimetype="application/json", headers={"Cache-Control": CACHE})
