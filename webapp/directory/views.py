"""Directory pages: people and organizations, search, CSV import and export."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from models import JobRun, JobState, Organization, Person

from ..downloads import csv_response
from ..extensions import db
from ..forms import show_error
from ..jobs import enqueue
from ..pagination import page_arg
from ..permissions import require
from . import importing, services
from .background import IMPORT_JOB
from .forms import (
    MEMBERSHIP_LABELS,
    DeleteForm,
    FilterForm,
    ImportForm,
    OrganizationForm,
    PersonForm,
)
from .services import DirectoryError

bp = Blueprint("directory", __name__, url_prefix="/directory")


# --- helpers ------------------------------------------------------------------------------


def _actor():
    """The logged-in user as a plain model object, for the audit log."""
    return current_user._get_current_object()


def _filters() -> tuple[FilterForm, services.Filters]:
    """The filter form and the Filters from the query string."""
    form = FilterForm(request.args)
    filters = form.filters()
    filters.organization_id = request.args.get("organization", type=int)
    return form, filters


def _export_args() -> dict[str, str]:
    """The list's query arguments without the page: an export has every page."""
    return {k: v for k, v in request.args.items() if k != "page"}


def person_values(form: PersonForm) -> dict:
    """The service arguments from a valid person form (last name and organization aside)."""
    return {
        "honorific": form.honorific.data or "",
        "first_name": form.first_name.data or "",
        "function": form.function.data or "",
        "email": form.email.data or None,
        "country_iso2": form.country_iso2.data or None,
        "languages": form.languages.data or [],
        "gender": form.gender.data or "",
    }


def _save_person(form: PersonForm, person: Person | None) -> tuple[Person | None, str]:
    """Create or update from a valid form: the person (None when a rule failed, with the
    message on the form) and the name of an organization created on the way, if any."""
    values = person_values(form)
    values["organization_id"] = None
    new_organization = ""
    try:
        if form.organization.data:
            organization, created = services.find_or_create_organization(
                form.organization.data,
                actor=_actor(),
                country_iso2=values["country_iso2"],
                current_id=person.organization_id if person is not None else None,
            )
            values["organization_id"] = organization.id
            new_organization = organization.name if created else ""
        if person is None:
            person = services.create_person(actor=_actor(), last_name=form.last_name.data, **values)
        else:
            services.update_person(person, actor=_actor(), last_name=form.last_name.data, **values)
    except DirectoryError as error:
        db.session.rollback()  # an organization created on the way goes too
        show_error(form, error)
        return None, ""
    return person, new_organization


def _flash_saved(message: str, new_organization: str) -> None:
    flash(message, "success")
    if new_organization:
        flash(_("%(name)s was added to the organizations.", name=new_organization), "info")


def _save_organization(
    form: OrganizationForm, organization: Organization | None
) -> Organization | None:
    """Create or update from a valid form; None (errors on the form) when a rule fails."""
    values = {
        "constituent_group": form.constituent_group.data or None,
        "country_iso2": form.country_iso2.data or None,
        "membership": form.membership.data,
    }
    try:
        if organization is None:
            return services.create_organization(actor=_actor(), name=form.name.data, **values)
        return services.update_organization(
            organization, actor=_actor(), name=form.name.data, **values
        )
    except DirectoryError as error:
        db.session.rollback()
        show_error(form, error)
        return None


# --- people -------------------------------------------------------------------------------


@bp.get("/people")
def people():
    """Search and filter the people in the directory."""
    require("directory.view")
    form, filters = _filters()
    page = services.search_people(
        filters.q,
        filters.constituent_group,
        filters.region,
        filters.country,
        filters.organization_id,
        page=page_arg(),
    )
    organization = (
        db.session.get(Organization, filters.organization_id)
        if filters.organization_id is not None
        else None
    )
    return render_template(
        "directory/people.html",
        form=form,
        page=page,
        organization=organization,
        export_args=_export_args(),
    )


@bp.get("/people.csv")
def people_csv():
    """The people of the current search as an importable CSV file."""
    require("directory.view")
    _form, filters = _filters()
    return csv_response(importing.people_csv(services.iter_people(filters)), "people")


@bp.route("/people/new", methods=["GET", "POST"])
def new_person():
    """Add a person."""
    require("directory.manage")
    form = PersonForm()
    if form.validate_on_submit():
        person, new_organization = _save_person(form, None)
        if person is not None:
            db.session.commit()
            _flash_saved(
                _("%(name)s was added to the directory.", name=person.full_name), new_organization
            )
            return redirect(url_for("directory.people"))
    return render_template(
        "directory/person_form.html",
        form=form,
        person=None,
        organization_names=services.organization_names(),
    ), 400 if form.errors else 200


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
def edit_person(person_id: int):
    """Change a person's details."""
    require("directory.manage")
    person = db.get_or_404(Person, person_id)
    form = PersonForm(obj=person)
    if request.method == "GET" and person.organization is not None:
        form.organization.data = person.organization.name
    if form.validate_on_submit():
        saved, new_organization = _save_person(form, person)
        if saved is not None:
            db.session.commit()
            _flash_saved(
                _("The changes to %(name)s are saved.", name=person.full_name), new_organization
            )
            return redirect(url_for("directory.people"))
    return render_template(
        "directory/person_form.html",
        form=form,
        person=person,
        delete_form=DeleteForm(),
        organization_names=services.organization_names(),
    ), 400 if form.errors else 200


@bp.post("/people/<int:person_id>/delete")
def delete_person(person_id: int):
    """Remove a person from the directory."""
    require("directory.manage")
    person = db.get_or_404(Person, person_id)
    if not DeleteForm().validate_on_submit():
        abort(400)
    name = person.full_name
    services.delete_person(person, actor=_actor())
    db.session.commit()
    flash(_("%(name)s was removed from the directory.", name=name), "success")
    return redirect(url_for("directory.people"))


# --- organizations ------------------------------------------------------------------------


@bp.get("/organizations")
def organizations():
    """Search and filter the organizations, with how many people each has."""
    require("directory.view")
    form, filters = _filters()
    page = services.search_organizations(
        filters.q, filters.constituent_group, filters.region, filters.country, page=page_arg()
    )
    return render_template(
        "directory/organizations.html",
        form=form,
        page=page,
        export_args=_export_args(),
        membership_labels=MEMBERSHIP_LABELS,
    )


@bp.get("/organizations.csv")
def organizations_csv():
    """The organizations of the current search as a CSV file."""
    require("directory.view")
    _form, filters = _filters()
    return csv_response(
        importing.organizations_csv(services.iter_organizations(filters)), "organizations"
    )


@bp.route("/organizations/new", methods=["GET", "POST"])
def new_organization():
    """Add an organization."""
    require("directory.manage")
    form = OrganizationForm()
    if form.validate_on_submit():
        organization = _save_organization(form, None)
        if organization is not None:
            db.session.commit()
            flash(_("%(name)s was added to the directory.", name=organization.name), "success")
            return redirect(url_for("directory.organizations"))
    return render_template(
        "directory/organization_form.html", form=form, organization=None
    ), 400 if form.errors else 200


@bp.route("/organizations/<int:organization_id>/edit", methods=["GET", "POST"])
def edit_organization(organization_id: int):
    """Change an organization's details."""
    require("directory.manage")
    organization = db.get_or_404(Organization, organization_id)
    form = OrganizationForm(obj=organization)
    if request.method == "GET":
        form.membership.data = organization.membership.value
    if form.validate_on_submit() and _save_organization(form, organization) is not None:
        db.session.commit()
        flash(_("The changes to %(name)s are saved.", name=organization.name), "success")
        return redirect(url_for("directory.organizations"))
    return render_template(
        "directory/organization_form.html",
        form=form,
        organization=organization,
        delete_form=DeleteForm(),
    ), 400 if form.errors else 200


@bp.post("/organizations/<int:organization_id>/delete")
def delete_organization(organization_id: int):
    """Remove an organization nobody refers to."""
    require("directory.manage")
    organization = db.get_or_404(Organization, organization_id)
    if not DeleteForm().validate_on_submit():
        abort(400)
    name = organization.name
    try:
        services.delete_organization(organization, actor=_actor())
    except DirectoryError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("directory.edit_organization", organization_id=organization_id))
    db.session.commit()
    flash(_("%(name)s was removed from the directory.", name=name), "success")
    return redirect(url_for("directory.organizations"))


# --- import -------------------------------------------------------------------------------


def _import_page(form: ImportForm):
    """The import form, with 400 when it has errors."""
    return render_template(
        "directory/import.html",
        form=form,
        columns=importing.COLUMNS,
        max_rows=importing.MAX_ROWS,
        max_mb=importing.MAX_BYTES // (1024 * 1024),
    ), 400 if form.errors else 200


@bp.route("/import", methods=["GET", "POST"])
def import_people():
    """Upload a CSV of people: a file that cannot be used is refused here and now; the rows
    are imported by a background job whose page shows the progress, then the result."""
    require("directory.manage")
    form = ImportForm()
    if not form.validate_on_submit():
        return _import_page(form)
    upload = form.file.data
    # One byte over the limit is enough to refuse; the rest is never read.
    try:
        text = importing.check_file(upload.read(importing.MAX_BYTES + 1))
    except DirectoryError as error:
        form.file.errors = [*form.file.errors, str(error)]
        return _import_page(form)
    run = enqueue(
        IMPORT_JOB, actor=_actor(), csv=text, filename=upload.filename, actor_id=current_user.id
    )
    db.session.commit()  # the job starts once this commits
    return redirect(url_for("admin.job", job_id=run.id))


@bp.get("/import/<int:job_id>")
def import_result(job_id: int):
    """What an import kept and which rows it refused, and why."""
    require("directory.manage")
    run = db.session.get(JobRun, job_id)
    if run is not None and run.name != IMPORT_JOB:
        run = None
    # Asked even for a missing run: a stranger cannot tell missing from not theirs.
    require("job.read", run, private=True)
    if run is None:
        abort(404)
    if run.state != JobState.DONE or "report" not in (run.result or {}):
        return redirect(url_for("admin.job", job_id=run.id))  # still running, or failed
    return render_template(
        "directory/import_result.html",
        report=importing.ImportReport.from_dict(run.result["report"]),
        filename=run.result.get("filename", ""),
        run=run,
    )


@bp.get("/import/sample.csv")
def import_sample():
    """A sample file with every column the import reads."""
    require("directory.manage")
    return csv_response(importing.sample_csv(), "people-sample")
