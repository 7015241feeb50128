"""Invitations views: target lists — the list, one entry, bulk actions, adding people,
import and export, and the target share and count of each constituent group.

Organizers see and change everything; a staff member who owns entries but does not
organize the event sees only their own entries and changes their priority, notes and
status.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import RequestEntityTooLarge

from models import Event, JobRun, JobState, Person, TargetEntry, User
from webapp import reference
from webapp.directory import services as directory
from webapp.downloads import csv_response, xlsx_response
from webapp.extensions import db
from webapp.forms import show_error
from webapp.jobs import enqueue
from webapp.pagination import page_arg, paginate
from webapp.permissions import can, require

from .. import importing, targets
from ..blueprint import bp
from ..target_forms import (
    PRIORITY_LABELS,
    STATUS_LABELS,
    AddForm,
    EntryForm,
    FilterForm,
    ImportForm,
)
from ..targets import EntryFilters, TargetError, TargetForbidden

PER_PAGE = 50
#: People a search on the "add" page shows.
SEARCH_LIMIT = 20
#: Uploads above Flask's MAX_CONTENT_LENGTH are cut off with a 413; this page allows a
#: little more than the import's own limit, so a too-large file gets the import's message.
UPLOAD_LIMIT = importing.MAX_BYTES + 64 * 1024


# --- helpers ------------------------------------------------------------------------------


def _actor() -> User:
    """The logged-in user as a plain model object, for services and the audit log."""
    return current_user._get_current_object()


def _event(event_id: int, action: str = "invitations.manage") -> Event:
    """The event, if the current user may do `action` on it (403/404 otherwise)."""
    event = db.get_or_404(Event, event_id)
    require(action, event)
    return event


def _organizer(event: Event) -> bool:
    """Whether the current user organizes the event (else: an owner of some entries)."""
    return can(current_user, "invitations.manage", event)


def _entry(event: Event, entry_id: int) -> TargetEntry:
    """The event's entry that the current user may update; another event's id is 404."""
    entry = targets.entry_of(event, entry_id)
    if entry is None:
        abort(404)
    require("target_entry.update", entry)
    return entry


def _owners_by_id(owners: list[User]) -> dict[int, User]:
    """The owner candidates by id."""
    return {u.id: u for u in owners}


def _owner_arg(value: Any, owners: list[User]) -> tuple[bool, User | None]:
    """(valid, user) for an owner id from a form: "" means nobody; an id not among the
    candidates is invalid."""
    if value in (None, ""):
        return True, None
    try:
        owner = _owners_by_id(owners).get(int(value))
    except (TypeError, ValueError):
        return False, None
    return owner is not None, owner


def _list_filters(event: Event, owners: list[User]) -> tuple[FilterForm, EntryFilters, bool]:
    """The filter form, the filters (a non-organizer's narrowed to their own entries) and
    whether the user organizes the event."""
    organizer = _organizer(event)
    form = FilterForm(request.args, groups=reference.choices("constituent_group"), owners=owners)
    filters = form.filters()
    if not organizer:
        filters.owner_id = current_user.id
    return form, filters, organizer


def _list_query(event: Event, filters: EntryFilters):
    """The entries query with each entry's owner loaded in the same query."""
    return targets.entries_query(event, filters).options(joinedload(TargetEntry.owner))


def _list_args() -> dict[str, str]:
    """The list's query arguments without the page."""
    return {k: v for k, v in request.args.items() if k != "page"}


def _back_to_list(event: Event, query: str = ""):
    """Redirect to the list with the filters it had (a query string from our own form)."""
    args = {k: v for k, v in parse_qsl(query or "") if not k.startswith("_")}
    args.pop("event_id", None)
    return redirect(url_for("invitations.targets", event_id=event.id, **args))


# --- the list -----------------------------------------------------------------------------


@bp.get("/events/<int:event_id>/targets", endpoint="targets")
def targets_list(event_id: int):
    """The event's target list with filters, counts per status and, for organizers, bulk
    actions; an owner who does not organize the event sees only their own entries."""
    event = _event(event_id, "invitations.follow_up")
    owners = targets.owner_candidates()
    form, filters, organizer = _list_filters(event, owners)
    page = paginate(_list_query(event, filters), page_arg(), PER_PAGE)
    return render_template(
        "invitations/targets/list.html",
        event=event,
        form=form,
        page=page,
        organizer=organizer,
        counts=targets.status_counts(event, filters),
        owners=owners,
        group_names=dict(reference.choices("constituent_group")),
        status_labels=STATUS_LABELS,
        priority_labels=PRIORITY_LABELS,
        list_args=_list_args(),
        query=request.query_string.decode("utf-8", "replace"),
    )


@bp.get("/events/<int:event_id>/targets.<any(csv, xlsx):fmt>")
def targets_export(event_id: int, fmt: str):
    """The entries of the current list view (its filters, every page) as CSV or XLSX, in
    the columns the import reads."""
    event = _event(event_id, "invitations.follow_up")
    _form, filters, _organizer_ = _list_filters(event, targets.owner_candidates())
    entries = db.session.scalars(_list_query(event, filters))
    stem = f"targets-{event.acronym}"
    if fmt == "xlsx":
        return xlsx_response(importing.export_xlsx(entries), stem)
    return csv_response(importing.export_csv(entries), stem)


@bp.post("/events/<int:event_id>/targets/bulk")
def targets_bulk(event_id: int):
    """Apply one action to the selected entries: set the owner, star, unstar, or set the
    status by hand (which asks for a confirmation). Other events' ids are ignored."""
    event = _event(event_id)
    query = request.form.get("query", "")
    ids = [int(i) for i in request.form.getlist("entry_id") if i.isdigit() and len(i) < 19]
    action = request.form.get("action", "")
    valid, owner = _owner_arg(request.form.get("owner"), targets.owner_candidates())
    if action == "owner" and not valid:
        flash(_("Choose an owner from the list."), "error")
        return _back_to_list(event, query)
    if action == "status" and not request.form.get("confirm"):
        flash(_("Tick the confirmation to set the status by hand."), "error")
        return _back_to_list(event, query)
    try:
        changed = targets.bulk_update(
            _actor(), event, ids, action, owner=owner, status=request.form.get("status")
        )
    except TargetError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back_to_list(event, query)
    db.session.commit()
    flash(_("%(n)s entries changed.", n=changed), "success")
    return _back_to_list(event, query)


# --- one entry ----------------------------------------------------------------------------


@bp.route("/events/<int:event_id>/targets/add", methods=["GET", "POST"])
def target_add(event_id: int):
    """Put a directory person on the list: search by name or email and pick, or give an
    email address."""
    event = _event(event_id)
    owners = targets.owner_candidates()
    form = AddForm(owners=owners)
    find = (request.args.get("find") or "").strip()[:200]
    found = directory.search_people(find, per_page=SEARCH_LIMIT).items if find else []
    if form.validate_on_submit():
        person = None
        if form.person_id.data is not None:
            person = db.session.get(Person, form.person_id.data)
        elif form.email.data:
            person = directory.people_by_emails([form.email.data.lower()]).get(
                form.email.data.lower()
            )
        valid, owner = _owner_arg(form.owner.data, owners)
        if person is None:
            message = _("Nobody in the directory has this email; add the person there first.")
            if form.email.data:
                form.email.errors = [*form.email.errors, message]
            else:
                form.form_errors.append(_("Choose a person or enter an email address."))
        elif not valid:
            form.owner.errors = [*form.owner.errors, _("Choose an owner from the list.")]
        else:
            try:
                entry = targets.add_entry(
                    _actor(),
                    event,
                    person,
                    constituent_group=form.constituent_group.data or None,
                    priority=int(form.priority.data),
                    star=form.star.data,
                    owner=owner,
                )
            except TargetError as error:
                db.session.rollback()
                show_error(form, error)
            else:
                db.session.commit()
                flash(_("%(name)s is on the target list.", name=entry.person.full_name), "success")
                return redirect(url_for("invitations.targets", event_id=event.id))
    return render_template(
        "invitations/targets/add.html", event=event, form=form, find=find, found=found
    ), 400 if form.errors or form.form_errors else 200


@bp.route("/events/<int:event_id>/targets/<int:entry_id>", methods=["GET", "POST"])
def target_entry(event_id: int, entry_id: int):
    """One entry: organizers change everything; its owner changes priority, notes and
    status (a status set here is a manual override of the pipeline)."""
    event = _event(event_id, "invitations.follow_up")
    entry = _entry(event, entry_id)
    organizer = _organizer(event)
    owners = targets.owner_candidates()
    form = EntryForm(obj=entry, owners=owners, organizer=organizer)
    if request.method == "GET":
        form.priority.data = str(entry.priority)
        form.status.data = entry.status.value
        if organizer:
            form.owner.data = str(entry.owner_id) if entry.owner_id else ""
    if form.validate_on_submit():
        fields: dict[str, Any] = {
            "priority": int(form.priority.data),
            "notes": form.notes.data or "",
            "status": form.status.data,
        }
        valid = True
        if organizer:
            valid, owner = _owner_arg(form.owner.data, owners)
            fields.update(
                constituent_group=form.constituent_group.data, star=form.star.data, owner=owner
            )
            if not valid:
                form.owner.errors = [*form.owner.errors, _("Choose an owner from the list.")]
        if valid:
            try:
                targets.update_entry(_actor(), entry, **fields)
            except TargetForbidden:
                db.session.rollback()
                abort(403)
            except TargetError as error:
                db.session.rollback()
                show_error(form, error)
            else:
                db.session.commit()
                flash(
                    _("The changes to %(name)s are saved.", name=entry.person.full_name), "success"
                )
                return redirect(url_for("invitations.targets", event_id=event.id))
    return render_template(
        "invitations/targets/entry.html",
        event=event,
        entry=entry,
        form=form,
        organizer=organizer,
        status_labels=STATUS_LABELS,
        group_names=dict(reference.choices("constituent_group")),
    ), 400 if form.errors or form.form_errors else 200


@bp.post("/events/<int:event_id>/targets/<int:entry_id>/remove")
def target_remove(event_id: int, entry_id: int):
    """Take a person off the list (not once invited)."""
    event = _event(event_id)
    entry = _entry(event, entry_id)
    name = entry.person.full_name
    try:
        targets.remove_entry(_actor(), entry)
    except TargetError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("invitations.target_entry", event_id=event.id, entry_id=entry_id))
    db.session.commit()
    flash(_("%(name)s was taken off the target list.", name=name), "success")
    return redirect(url_for("invitations.targets", event_id=event.id))


# --- import -------------------------------------------------------------------------------


def _import_page(event: Event, form: ImportForm, status: int | None = None):
    """The import form with the column documentation; 400 when it has errors."""
    return render_template(
        "invitations/targets/import.html",
        event=event,
        form=form,
        columns=importing.COLUMNS,
        max_rows=importing.MAX_ROWS,
        max_mb=importing.MAX_BYTES // (1024 * 1024),
    ), status or (400 if form.errors else 200)


@bp.route("/events/<int:event_id>/targets/import", methods=["GET", "POST"])
def targets_import(event_id: int):
    """Upload a CSV or XLSX target list: a file that cannot be used is refused at once with
    nothing stored; the rows are imported by a background job whose page shows the
    progress, then the result."""
    event = _event(event_id)
    # Let a file up to the import's limit through; above it, the 413 handler below answers.
    request.max_content_length = UPLOAD_LIMIT
    form = ImportForm()
    if not form.validate_on_submit():
        return _import_page(event, form)
    upload = form.file.data
    try:
        # One byte over the limit is enough to refuse; the rest is never read.
        header, rows = importing.read_upload(
            upload.read(importing.MAX_BYTES + 1), upload.filename or ""
        )
    except importing.ImportRefused as error:
        form.file.errors = [*form.file.errors, str(error)]
        return _import_page(event, form)
    run = enqueue(
        importing.IMPORT_JOB,
        actor=_actor(),
        event_id=event.id,
        list_event_id=event.id,
        header=header,
        rows=rows,
        filename=upload.filename or "",
        actor_id=current_user.id,
    )
    db.session.commit()  # the job starts once this commits
    return redirect(url_for("admin.job", job_id=run.id))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    """An upload over the size limit: the import page says so beside the file field; other
    pages get the usual error page."""
    if request.endpoint == "invitations.targets_import" and request.view_args:
        event = db.session.get(Event, request.view_args.get("event_id"))
        if event is not None and can(current_user, "invitations.manage", event):
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


@bp.get("/events/<int:event_id>/targets/import/<int:job_id>")
def targets_import_result(event_id: int, job_id: int):
    """What an import added and updated, and which rows it refused, and why."""
    event = _event(event_id)
    run = db.session.get(JobRun, job_id)
    if run is None or run.name != importing.IMPORT_JOB or run.event_id != event.id:
        abort(404)
    if run.state != JobState.DONE or "report" not in (run.result or {}):
        return redirect(url_for("admin.job", job_id=run.id))  # still running, or failed
    return render_template(
        "invitations/targets/import_result.html",
        event=event,
        report=importing.TargetImportReport.from_dict(run.result["report"]),
        filename=run.result.get("filename", ""),
    )


@bp.get("/events/<int:event_id>/targets/import/sample.<any(csv, xlsx):fmt>")
def targets_import_sample(event_id: int, fmt: str):
    """A sample file with every column the import reads, as CSV or XLSX."""
    _event(event_id)
    if fmt == "xlsx":
        return xlsx_response(importing.sample_xlsx(), "targets-sample")
    return csv_response(importing.sample_csv(), "targets-sample")


# --- group targets ------------------------------------------------------------------------


@bp.route("/events/<int:event_id>/targets/groups", methods=["GET", "POST"])
def target_groups(event_id: int):
    """The target share (percent of participants) and count of each constituent group;
    the shares together may not exceed 100%."""
    event = _event(event_id)
    groups = reference.choices("constituent_group")
    current = targets.group_targets(event)
    values = {
        code: (
            f"{current[code].target_share:g}" if code in current else "0",
            str(current[code].target_count) if code in current else "0",
        )
        for code, _name in groups
    }
    errors: dict[str, str] = {}
    form_error = ""
    if request.method == "POST":
        values = {
            code: (
                (request.form.get(f"share-{code}") or "0").strip()[:20],
                (request.form.get(f"count-{code}") or "0").strip()[:20],
            )
            for code, _name in groups
        }
        try:
            targets.set_group_targets(_actor(), event, values)
        except TargetError as error:
            db.session.rollback()
            if error.field:
                errors[error.field] = str(error)
            else:
                form_error = str(error)
        else:
            db.session.commit()
            flash(_("The group targets are saved."), "success")
            return redirect(url_for("invitations.target_groups", event_id=event.id))
    return render_template(
        "invitations/targets/groups.html",
        event=event,
        groups=groups,
        values=values,
        errors=errors,
        form_error=form_error,
        identified=targets.group_counts(event),
    ), 400 if errors or form_error else 200
