"""Organizers' registration pages — the filtered list and its exports, one registration
with overrides and cancellation, the settings — and the public list of participants."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import Approval, AttendanceMode, Country
from webapp.downloads import attachment, xlsx_response
from webapp.downloads import write_xlsx as build_xlsx
from webapp.extensions import db
from webapp.forms import show_error
from webapp.pagination import page_arg
from webapp.permissions import require

from .. import accreditation as acc
from .. import core, lists
from .. import settings as reg_settings
from ..blueprint import bp
from ..core import RegistrationError
from ..list_forms import ReasonForm, SettingsForm

PER_PAGE = 50
PUBLIC_PER_PAGE = 50


def _actor():
    return current_user._get_current_object()


def _organizer_event(event_id: int):
    event = core.event_or_404(event_id)
    require("registration.manage", event)
    return event


def _filters():
    reference = lists.load_reference()
    filters, errors = lists.parse_filters(request.args, reference)
    return reference, filters, errors


@bp.get("/events/<int:event_id>/registrations", endpoint="list")
@login_required
def registration_list(event_id: int):
    """Every registration of the event: filters, sorting, counts, one page."""
    event = _organizer_event(event_id)
    reference, filters, errors = _filters()
    sort = lists.parse_sort(request.args.get("sort"))
    if sort is None:
        errors["sort"] = _("Unknown sort order; the newest come first.")
        sort = "newest"
    counts = lists.counts(event, filters)
    page = lists.page_of(event, filters, sort, page_arg(), PER_PAGE, total=counts.total)
    return render_template(
        "registration/lists/list.html",
        event=event,
        page=page,
        filters=filters,
        filter_args=filters.args() | ({"sort": sort} if sort != "newest" else {}),
        errors=errors,
        reference=reference,
        sort=sort,
        sorts=lists.SORTS,
        states=lists.STATES,
        counts=counts,
        **core.labels(),
    )


def _export_args(event):
    reference, filters, errors = _filters()
    sort = lists.parse_sort(request.args.get("sort"))
    if sort is None:
        errors["sort"] = _("Unknown sort order.")
    if errors:
        abort(400, "; ".join(f"{k}: {v}" for k, v in errors.items()))
    return filters, sort


def _stem(event) -> str:
    return f"registrations-{event.acronym}"


@bp.get("/events/<int:event_id>/registrations/export.csv")
@login_required
def export_csv(event_id: int):
    """The filtered registrations as CSV, streamed (no limit)."""
    event = _organizer_event(event_id)
    filters, sort = _export_args(event)
    filename = f"{_stem(event)}-{datetime.now(UTC).date().isoformat()}.csv"
    body = lists.stream_csv(lists.export_header(), lists.export_rows(event, filters, sort))
    return Response(
        stream_with_context(body),
        mimetype="text/csv",
        headers={"Content-Disposition": attachment(filename), "Cache-Control": "no-store"},
    )


@bp.get("/events/<int:event_id>/registrations/export.xlsx")
@login_required
def export_xlsx(event_id: int):
    """The filtered registrations as an XLSX workbook (up to XLSX_MAX_ROWS rows)."""
    event = _organizer_event(event_id)
    filters, sort = _export_args(event)
    if lists.export_count(event, filters) > lists.XLSX_MAX_ROWS:
        flash(
            _(
                "More than %(n)s registrations: narrow the filters or download the CSV.",
                n=f"{lists.XLSX_MAX_ROWS:,}",
            ),
            "error",
        )
        return redirect(url_for("registration.list", event_id=event.id, **request.args))
    data = build_xlsx(
        lists.export_header(), lists.export_rows(event, filters, sort), title="Registrations"
    )
    return xlsx_response(data, _stem(event))


# ---------------------------------------------------------------------------- detail


def _detail_access(event_id: int, registration_id: int):
    """The registration, if the current user decides on it (organizers and the focal
    points of its member); the participant gets a 403, anyone else a 404."""
    event = core.event_or_404(event_id)
    require("accreditation.view", event, private=True)
    registration = core.registration_of(event, registration_id)
    level = acc.rights(_actor(), registration)
    if level == acc.Rights.NONE:
        abort(404)
    if level == acc.Rights.READ:
        abort(403)
    return event, registration, level


ACTIONS = ("approve", "reject", "cancel")


def _badge_link(event, registration, level) -> str | None:
    """The organizers' link to the registration's badge, once the badges module has it."""
    if level < acc.Rights.OVERRIDE or "registration.badge_of" not in current_app.view_functions:
        return None
    return url_for("registration.badge_of", event_id=event.id, registration_id=registration.id)


@bp.route("/events/<int:event_id>/registrations/<int:registration_id>", methods=["GET", "POST"])
@login_required
def detail(event_id: int, registration_id: int):
    """Everything about one registration; decisions, organizers' overrides and
    cancellation on the participant's behalf."""
    event, registration, level = _detail_access(event_id, registration_id)
    form = ReasonForm()
    status = 200
    action = request.form.get("action") if request.method == "POST" else None
    if request.method == "POST":
        if action not in ACTIONS:
            abort(400)
        if action == "cancel" and level < acc.Rights.OVERRIDE:
            abort(403)
        status = 400
        if form.validate():
            try:
                if action == "cancel":
                    acc.cancel_on_behalf(_actor(), registration, form.reason.data or "")
                else:
                    acc.decide(
                        _actor(),
                        registration,
                        action == "approve",
                        form.reason.data or "",
                        override=level >= acc.Rights.OVERRIDE,
                    )
            except RegistrationError as error:
                db.session.rollback()
                if error.status in (403, 404):
                    abort(error.status)
                status = error.status
                show_error(form, error)
            else:
                db.session.commit()
                messages = {
                    "approve": _("The registration is approved; the participant was told."),
                    "reject": _("The registration is rejected; the participant was told."),
                    "cancel": _("The registration is cancelled; the participant was told."),
                }
                flash(messages[action], "success")
                return redirect(
                    url_for(
                        "registration.detail", event_id=event.id, registration_id=registration.id
                    )
                )
    return (
        render_template(
            "registration/lists/detail.html",
            event=event,
            r=registration,
            form=form,
            action=action,
            organizer=level >= acc.Rights.OVERRIDE,
            history=lists.history(registration),
            orders=lists.orders_of(registration) if level >= acc.Rights.OVERRIDE else [],
            country=db.session.get(Country, registration.country_iso2)
            if registration.country_iso2
            else None,
            badge_link=_badge_link(event, registration, level),
            **core.labels(),
        ),
        status,
    )


# -------------------------------------------------------------------------- settings


@bp.route("/events/<int:event_id>/registrations/settings", methods=["GET", "POST"])
@login_required
def settings(event_id: int):
    """Seats per mode, how long a freed seat is kept, the registration window."""
    event = _organizer_event(event_id)
    form = SettingsForm()
    status = 200
    if request.method == "GET":
        form.load(reg_settings.current(event))
    elif form.validate():
        try:
            offered = reg_settings.save(_actor(), event, form.values())
        except RegistrationError as error:
            db.session.rollback()
            status = error.status
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The registration settings are saved."), "success")
            if offered:
                flash(
                    _(
                        "%(n)s people on the waiting list were offered a seat by mail.",
                        n=len(offered),
                    ),
                    "success",
                )
            return redirect(url_for("registration.settings", event_id=event.id))
    else:
        status = 400
    current = reg_settings.current(event)
    preview = None
    if form.opens_days.data is not None and form.closes_days.data is not None:
        try:
            preview = reg_settings.dates_of(event, form.opens_days.data, form.closes_days.data)
        except OverflowError:
            preview = None
    return (
        render_template(
            "registration/lists/settings.html",
            event=event,
            form=form,
            pools=reg_settings.seats.counts(event),
            current=current,
            window=core.window(event),
            preview=preview,
            modes=AttendanceMode,
            **core.labels(),
        ),
        status,
    )


# ----------------------------------------------------------------------- public list


@bp.get("/events/<int:event_id>/participants")
def participants(event_id: int):
    """The public list: approved participants who agreed to appear, nobody else."""
    event = core.event_or_404(event_id)
    q = (request.args.get("q") or "").replace("\x00", "").strip()
    ignored = None
    if len(q) > lists.MAX_QUERY:
        ignored = _("The search is too long (at most %(n)s characters).", n=lists.MAX_QUERY)
        q = ""
    page = lists.participants_page(event, q, page_arg(), PUBLIC_PER_PAGE)
    return render_template(
        "registration/lists/participants.html",
        event=event,
        page=page,
        q=q,
        ignored=ignored,
        approved=Approval.APPROVED,
        **core.labels(),
    )
