"""Pledges views: the organizers' bulk import of pledges, and the exchange-rate page."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from models import Event, JobRun, JobState, User
from webapp.downloads import csv_response, xlsx_response
from webapp.extensions import db
from webapp.forms import show_error
from webapp.jobs import enqueue
from webapp.permissions import can, require

from .. import importing, rates
from ..blueprint import bp
from ..coalition_forms import ImportForm, RateForm

#: Uploads above Flask's MAX_CONTENT_LENGTH are cut off with a 413; this page allows a
#: little more than the import's own limit, so a too-large file gets the import's message.
UPLOAD_LIMIT = importing.MAX_BYTES + 64 * 1024


def _actor() -> User:
    """The logged-in user as a plain model object, for services and the audit log."""
    return current_user._get_current_object()


def _event(event_id: int) -> Event:
    """The event, if the current user organizes it (401/403/404 otherwise)."""
    event = db.get_or_404(Event, event_id)
    require("pledges.moderate", event)
    return event


def _import_page(event: Event, form: ImportForm, status: int | None = None):
    """The import form with the column documentation; 400 when it has errors."""
    return render_template(
        "pledges/import/import.html",
        event=event,
        form=form,
        columns=importing.COLUMNS,
        max_rows=importing.MAX_ROWS,
        max_mb=importing.MAX_BYTES // (1024 * 1024),
    ), status or (400 if form.errors else 200)


@bp.route("/events/<int:event_id>/pledges/import", methods=["GET", "POST"])
def import_pledges(event_id: int):
    """Upload a CSV or XLSX file of pledges: a file that cannot be used is refused at once
    with nothing stored; the rows are imported by a background job whose page shows the
    progress, then the result."""
    event = _event(event_id)
    request.max_content_length = UPLOAD_LIMIT
    form = ImportForm()
    if not form.validate_on_submit():
        return _import_page(event, form)
    upload = form.file.data
    try:
        header, rows = importing.read_upload(
            upload.read(importing.MAX_BYTES + 1), upload.filename or ""
        )
    except importing.ImportRefused as error:
        show_error(form, error)
        return _import_page(event, form)
    run = enqueue(
        importing.IMPORT_JOB,
        actor=_actor(),
        event_id=event.id,
        pledge_event_id=event.id,
        header=header,
        rows=rows,
        filename=upload.filename or "",
        actor_id=current_user.id,
    )
    db.session.commit()  # the job starts once this commits
    return redirect(url_for("admin.job", job_id=run.id))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    """An upload over the size limit: the import page says so beside the file field."""
    if request.endpoint == "pledges.import_pledges" and request.view_args:
        event = db.session.get(Event, request.view_args.get("event_id"))
        if event is not None and can(current_user, "pledges.moderate", event):
            form = ImportForm(formdata=None)
            form.file.errors = [
                _(
                    "The upload is too large: the file may be at most %(mb)d MB. Split it "
                    "into smaller files.",
                    mb=importing.MAX_BYTES // (1024 * 1024),
                )
            ]
            return _import_page(event, form, 413)
    return render_template("error.html", status=413, message=_("The upload is too large.")), 413


@bp.get("/events/<int:event_id>/pledges/import/<int:job_id>")
def import_result(event_id: int, job_id: int):
    """What an import stored, which rows it refused and which it flagged as duplicates."""
    event = _event(event_id)
    run = db.session.get(JobRun, job_id)
    if run is None or run.name != importing.IMPORT_JOB or run.event_id != event.id:
        abort(404)
    if run.state != JobState.DONE or "report" not in (run.result or {}):
        return redirect(url_for("admin.job", job_id=run.id))  # still running, or failed
    return render_template(
        "pledges/import/result.html",
        event=event,
        report=importing.PledgeImportReport.from_dict(run.result["report"]),
        filename=run.result.get("filename", ""),
    )


@bp.get("/events/<int:event_id>/pledges/import/sample.<any(csv, xlsx):fmt>")
def import_sample(event_id: int, fmt: str):
    """A sample file with every column the import reads, as CSV or XLSX."""
    _event(event_id)
    if fmt == "xlsx":
        return xlsx_response(importing.sample_xlsx(), "pledges-sample")
    return csv_response(importing.sample_csv(), "pledges-sample")


# --- exchange rates -----------------------------------------------------------------------


def _rates_page(form: RateForm, status: int = 200):
    """The stored rates and the form to add one."""
    return render_template(
        "pledges/rates.html", form=form, rates=rates.list_rates(), max_rate=rates.MAX_RATE
    ), status


@bp.route("/pledges/rates", methods=["GET", "POST"])
def exchange_rates():
    """The stored exchange rates, by currency and date, and a form to add one (organizers
    of any event)."""
    require("directory.manage")
    form = RateForm()
    if request.method == "GET":
        return _rates_page(form)
    if not form.validate_on_submit():
        return _rates_page(form, 400)
    try:
        rate = rates.add_rate(
            _actor(),
            form.currency.data,
            form.usd_per_unit.data,
            form.as_of.data,
            form.source.data or "",
        )
    except rates.RateError as error:
        show_error(form, error)
        return _rates_page(form, 400)
    db.session.commit()
    flash(_("The rate for %(currency)s is stored.", currency=rate.currency), "success")
    return redirect(url_for("pledges.exchange_rates"))
