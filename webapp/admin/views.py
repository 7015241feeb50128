"""Administration pages: roles of an event, the outbox, the audit log and job progress.

Event pages live under /events/<id>/..., the site-wide ones under /admin/.
"""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from models import Event, JobRun, JobState, utcnow

from .. import jobs
from ..downloads import csv_response
from ..extensions import db
from ..pagination import page_arg
from ..permissions import require
from . import services
from .forms import AuditFilterForm, GrantForm, OutboxFilterForm

bp = Blueprint("admin", __name__)


def _grant_form(**kwargs) -> GrantForm:
    return GrantForm(services.focus_area_names(), services.member_organizations(), **kwargs)


def _render_roles(event: Event, form: GrantForm, status: int = 200):
    return render_template(
        "admin/roles.html",
        event=event,
        form=form,
        grants=services.grants_of(event),
        areas=services.focus_area_names(),
        role_labels=services.ROLE_LABELS,
    ), status


def _outbox_filters(form: OutboxFilterForm) -> services.OutboxFilters:
    if not form.validate():
        return services.OutboxFilters()
    return services.OutboxFilters(
        state=form.state.data or "", template=form.template.data or "", q=form.q.data or ""
    )


def _audit_filters(form: AuditFilterForm) -> services.AuditFilters:
    if not form.validate():
        return services.AuditFilters()
    return services.AuditFilters(
        action=form.action.data or "",
        actor=form.actor.data or "",
        object_type=form.object_type.data or "",
        date_from=form.date_from.data,
        date_to=form.date_to.data,
    )


def _render_outbox(event: Event | None):
    form = OutboxFilterForm(formdata=request.args)
    filters = _outbox_filters(form)
    page = services.outbox_page(event, filters, page_arg())
    return render_template(
        "admin/outbox.html",
        event=event,
        form=form,
        page=page,
        labels=services.OUTBOX_STATE_LABELS,
        badges=services.BADGES,
    ), 400 if form.errors else 200


def _render_outbox_message(event: Event | None, message_id: int):
    message = services.outbox_message(event, message_id)
    if message is None:
        abort(404)
    return render_template(
        "admin/outbox_message.html",
        event=event,
        message=message,
        labels=services.OUTBOX_STATE_LABELS,
        badges=services.BADGES,
    )


def _render_audit(event: Event | None):
    form = AuditFilterForm(formdata=request.args)
    filters = _audit_filters(form)
    page = services.audit_page(event, filters, page_arg())
    return render_template(
        "admin/audit.html", event=event, form=form, page=page
    ), 400 if form.errors else 200


def _audit_csv(event: Event | None) -> Response:
    form = AuditFilterForm(formdata=request.args)
    filters = _audit_filters(form)
    stem = f"audit-{event.acronym if event else 'site'}"
    return csv_response(services.audit_csv(event, filters), stem)


# --- site administration ------------------------------------------------------------------


@bp.get("/admin/")
def index():
    """Site administration: counts of accounts, events and mail, and recent jobs."""
    require("site.admin")
    return render_template(
        "admin/index.html",
        stats=services.dashboard(),
        runs=jobs.latest_runs(10),
        job_labels=services.JOB_STATE_LABELS,
        badges=services.BADGES,
    )


@bp.get("/admin/outbox")
def site_outbox():
    """Every message the site sent, account mail included."""
    require("site.admin")
    return _render_outbox(None)


@bp.get("/admin/outbox/<int:message_id>")
def site_outbox_message(message_id: int):
    """One message of the site-wide outbox, as rendered."""
    require("site.admin")
    return _render_outbox_message(None, message_id)


@bp.get("/admin/audit")
def site_audit():
    """The whole audit log, filtered."""
    require("site.admin")
    return _render_audit(None)


@bp.get("/admin/audit.csv")
def site_audit_csv():
    """The whole audit log, filtered, as CSV."""
    require("site.admin")
    return _audit_csv(None)


# --- per event ----------------------------------------------------------------------------


@bp.route("/events/<int:event_id>/roles", methods=["GET", "POST"])
def roles(event_id: int):
    """Who holds which role in the event; grant a role to an existing account."""
    event = db.get_or_404(Event, event_id)
    require("roles.manage", event)
    form = _grant_form()
    if not form.validate_on_submit():
        return _render_roles(event, form, 400 if form.errors else 200)
    try:
        grant = services.grant_role(
            current_user,
            event,
            form.email.data,
            form.role.data,
            focus_area_code=form.focus_area.data or None,
            organization_id=form.organization_id,
        )
    except services.AdminError as error:
        db.session.rollback()
        getattr(form, error.field, form.email).errors.append(str(error))
        return _render_roles(event, form, 400)
    label = str(services.ROLE_LABELS[grant.role])
    db.session.commit()
    flash(_("%(email)s now has the role %(role)s.", email=form.email.data, role=label), "success")
    return redirect(url_for("admin.roles", event_id=event.id))


@bp.post("/events/<int:event_id>/roles/<int:grant_id>/revoke")
def revoke_role(event_id: int, grant_id: int):
    """Take a role away."""
    event = db.get_or_404(Event, event_id)
    require("roles.manage", event)
    grant = services.grant_in_event(event, grant_id)
    if grant is None:
        abort(404)
    try:
        services.revoke_role(current_user, grant)
    except services.AdminError as error:
        db.session.rollback()
        form = _grant_form(formdata=None)
        form.form_errors.append(str(error))
        return _render_roles(event, form, 400)
    db.session.commit()
    flash(_("The role was revoked."), "success")
    return redirect(url_for("admin.roles", event_id=event.id))


@bp.get("/events/<int:event_id>/outbox")
def outbox(event_id: int):
    """The event's mail: who, what, when, and its delivery state."""
    event = db.get_or_404(Event, event_id)
    require("outbox.read", event)
    return _render_outbox(event)


@bp.get("/events/<int:event_id>/outbox/<int:message_id>")
def outbox_message(event_id: int, message_id: int):
    """One message of the event, as rendered."""
    event = db.get_or_404(Event, event_id)
    require("outbox.read", event)
    return _render_outbox_message(event, message_id)


@bp.get("/events/<int:event_id>/audit")
def audit(event_id: int):
    """Who did what and when in the event, filtered."""
    event = db.get_or_404(Event, event_id)
    require("audit.read", event)
    return _render_audit(event)


@bp.get("/events/<int:event_id>/audit.csv")
def audit_csv(event_id: int):
    """The event's filtered audit log as CSV."""
    event = db.get_or_404(Event, event_id)
    require("audit.read", event)
    return _audit_csv(event)


# --- jobs ---------------------------------------------------------------------------------


def _wants_json() -> bool:
    if request.args.get("format") == "json":
        return True
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == (
        "application/json"
    )


#: A job that ended this recently, seen by the user who started it, leads on to its result.
JUST_FINISHED = timedelta(seconds=30)


def _just_finished_for(run: JobRun, user) -> bool:
    """Whether the job ended moments ago and was started by this user."""
    return (
        run.state == JobState.DONE
        and run.finished_at is not None
        and run.created_by_id == getattr(user, "id", None)
        and utcnow() - run.finished_at < JUST_FINISHED
    )


@bp.get("/jobs/<int:job_id>")
def job(job_id: int):
    """A job's progress: JSON for the polling bar, else a page with the bar."""
    run = db.session.get(JobRun, job_id)
    # Asked even for a missing job: a stranger cannot tell missing from not theirs.
    require("job.read", run, private=True)
    if run is None:
        abort(404)
    job = services.job_as_dict(run)
    if _wants_json():
        return jsonify(job)
    return render_template(
        "admin/job.html",
        run=run,
        job=job,
        # The job ended before its page was even shown: the bar still leads on to the
        # result, as it does for a job it watched end.
        follow=bool(job.get("url")) and _just_finished_for(run, current_user),
        event=db.session.get(Event, run.event_id) if run.event_id else None,
        labels=services.JOB_STATE_LABELS,
        badges=services.BADGES,
    )
