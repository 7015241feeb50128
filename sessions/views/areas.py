"""Sessions views: the P2C hub of an event, a focus area's page and its edit form.

The hub and area pages are for the event's organizers and co-chairs ("programme.curate");
editing an area is the organizers' ("programme.manage"). Session counts and lists go
through `core.visible_sessions`, so a co-chair sees another area's published sessions
only.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func

from models import Event, FocusArea, ProgrammeSession, SessionStatus
from webapp.extensions import db
from webapp.forms import show_error
from webapp.i18n import LANGUAGE_NAMES
from webapp.permissions import can, require

from .. import balance, cochairs, core, focus_areas
from ..area_forms import area_form
from ..blueprint import bp


def link_to(endpoint: str, **values: Any) -> str | None:
    """The URL of `endpoint`, or None while that page is not registered (the P2C pages
    are built in parts; a missing one is left out rather than breaking the page)."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


#: The hub's links: (endpoint, label, organizers only).
PAGES = (
    ("sessions.session_list", _l("Sessions"), False),
    ("sessions.schedule", _l("Schedule by day and room"), False),
    ("sessions.conflicts", _l("Conflicts"), False),
    ("sessions.venue", _l("Rooms, breaks and plenary blocks"), True),
    ("sessions.cochairs", _l("Co-chairs and the rules"), True),
    ("sessions.videos", _l("Video messages"), False),
    ("sessions.playlists", _l("Screening playlists"), False),
    ("sessions.programme", _l("Public programme"), False),
)


def _curated_event(event_id: int) -> Event:
    event = core.event_or_404(event_id)
    require("programme.curate", event)
    return event


def _user():
    return current_user._get_current_object()


def status_counts(event: Event) -> dict[int | None, dict[SessionStatus, int]]:
    """{area id (None: cross-area): {status: n}} over the sessions this user may see,
    in one query."""
    query = (
        core.visible_sessions(_user(), event)
        .with_only_columns(ProgrammeSession.focus_area_id, ProgrammeSession.status, func.count())
        .group_by(ProgrammeSession.focus_area_id, ProgrammeSession.status)
    )
    counts: dict[int | None, dict[SessionStatus, int]] = {}
    for area_id, status, n in db.session.execute(query):
        counts.setdefault(area_id, dict.fromkeys(SessionStatus, 0))[SessionStatus(status)] = n
    return counts


@bp.get("/events/<int:event_id>/p2c")
@login_required
def p2c_overview(event_id: int):
    """The P2C hub: focus areas with their co-chair rules and session counts, the
    segment window, and links to every P2C page."""
    event = _curated_event(event_id)
    areas = core.focus_areas(event)
    rules = cochairs.report(areas, cochairs.appointments(event))
    manage = can(_user(), "programme.manage", event)
    links = [
        (label, href)
        for endpoint, label, organizers in PAGES
        if (manage or not organizers) and (href := link_to(endpoint, event_id=event.id))
    ]
    start, end = core.segment_window(event)
    db.session.commit()  # keep the areas seeded on the first visit
    return render_template(
        "sessions/overview.html",
        event=event,
        areas=areas,
        rules=rules,
        counts=status_counts(event),
        statuses=list(SessionStatus),
        links=links,
        window=(start, end),
        manage=manage,
        own_codes=core.cochair_codes(_user(), event),
        **core.labels(),
    )


@bp.get("/events/<int:event_id>/p2c/areas/<int:area_id>")
@login_required
def area(event_id: int, area_id: int):
    """A focus area: its texts in the reader's language, its co-chairs, the sessions the
    reader may see, and (for those who curate it) the balance of its speakers."""
    event = _curated_event(event_id)
    area = core.area_or_404(event, area_id)
    user = _user()
    every = cochairs.appointments(event)
    sessions = list(
        db.session.scalars(
            core.visible_sessions(user, event)
            .where(ProgrammeSession.focus_area_id == area.id)
            .order_by(
                ProgrammeSession.starts_at.is_(None),
                ProgrammeSession.starts_at,
                ProgrammeSession.title,
                ProgrammeSession.id,
            )
        )
    )
    curate = can(user, "focus_area.curate", (event, area.code))
    rules = cochairs.report(core.focus_areas(event), every)
    return render_template(
        "sessions/areas/area.html",
        event=event,
        area=area,
        locale=str(get_locale() or "en"),
        appointments=[a for a in every if a.focus_area_id == area.id],
        status=rules.area(area.code),
        sessions=sessions,
        balance=balance.area_balance(area) if curate else None,
        session_links={s.id: _session_link(event, s) for s in sessions},
        manage=can(user, "programme.manage", event),
        region_labels=balance.REGION_LABELS,
        **core.labels(),
    )


def _session_link(event: Event, session: ProgrammeSession) -> str | None:
    """Where a session in a list leads: its management page for those who may edit it,
    else its public page once published."""
    if can(_user(), "session.edit", session):
        return link_to("sessions.session_manage", event_id=event.id, session_id=session.id)
    if session.status == SessionStatus.PUBLISHED:
        return link_to("sessions.public_session", event_id=event.id, session_id=session.id)
    return None


def _initial(area: FocusArea, languages: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = {"label": area.label}
    for lang in languages:
        data[f"name_{lang}"] = (area.name or {}).get(lang, "")
        data[f"description_{lang}"] = (area.description or {}).get(lang, "")
        data[f"pillars_{lang}"] = "\n".join((area.pillars or {}).get(lang, []))
    return data


@bp.route("/events/<int:event_id>/p2c/areas/<int:area_id>/edit", methods=["GET", "POST"])
@login_required
def area_edit(event_id: int, area_id: int):
    """Edit the label, and the name, description and pillars in each event language."""
    event = core.event_or_404(event_id)
    require("programme.manage", event)
    area = core.area_or_404(event, area_id)
    languages = focus_areas.languages(event)
    if request.method == "POST":
        form = area_form(languages, LANGUAGE_NAMES)
    else:
        form = area_form(languages, LANGUAGE_NAMES, data=_initial(area, languages))
    if form.validate_on_submit():
        texts = {
            lang: {
                "name": form[f"name_{lang}"].data,
                "description": form[f"description_{lang}"].data,
                "pillars": form[f"pillars_{lang}"].data,
            }
            for lang in languages
        }
        try:
            focus_areas.update_area(_user(), area, form.label.data, texts)
        except core.ProgrammeError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The focus area was saved."), "success")
            return redirect(url_for("sessions.area", event_id=event.id, area_id=area.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "sessions/areas/edit.html",
        event=event,
        area=area,
        form=form,
        languages=languages,
    ), status
