"""Event pages: the public list and event page, editing, and the timeline of deadlines."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from models import Deadline, Event

from ..extensions import db
from ..forms import show_error
from ..permissions import can, require
from . import services
from .forms import DeadlineForm, EditEventForm, EventForm, MoveOpeningForm

bp = Blueprint("events", __name__, url_prefix="/events")

#: Management pages of other blueprints, linked from the event page.
MANAGEMENT_LINKS = (
    ("invitations.dashboard", _l("Invitations")),
    ("invitations.targets", _l("Target lists")),
    ("invitations.waves", _l("Invitation waves")),
    ("registration.list", _l("Registrations")),
    ("registration.accreditation", _l("Accreditation")),
    ("registration.settings", _l("Registration settings")),
    ("registration.badges", _l("Badges")),
    ("registration.checkin", _l("Check-in")),
    ("registration.items", _l("Paid items")),
    ("registration.orders", _l("Orders")),
    ("sessions.p2c_overview", _l("P2C programme")),
    ("sessions.cochairs", _l("Co-chairs")),
    ("sessions.schedule", _l("Schedule")),
    ("sessions.venue", _l("Rooms, breaks and plenaries")),
    ("sessions.videos", _l("Video messages")),
    ("pledges.review_queue", _l("Pledge review")),
    ("pledges.followup", _l("Pledge follow-up")),
    ("pledges.coalition_signatures", _l("Coalition signatures")),
    ("pledges.import_pledges", _l("Import pledges")),
    ("pledges.pledge_counter", _l("Pledge counter")),
    ("admin.roles", _l("Roles")),
    ("admin.outbox", _l("Outbox")),
    ("admin.audit", _l("Audit log")),
)


def _managed_event(event_id: int) -> Event:
    """The event, if the current user may manage it (403/404 otherwise)."""
    event = db.get_or_404(Event, event_id)
    require("event.manage", event)
    return event


def _deadline_of(event: Event, deadline_id: int) -> Deadline:
    """The event's deadline; another event's id is as unknown as a missing one."""
    deadline = db.session.get(Deadline, deadline_id)
    if deadline is None or deadline.event_id != event.id:
        abort(404)
    return deadline


def _status() -> int:
    """200 for a first display, 400 when a submitted form comes back with errors."""
    return 400 if request.method == "POST" else 200


def _management_links(event: Event) -> list[tuple[str, str]]:
    return [
        (str(label), url_for(endpoint, event_id=event.id)) for endpoint, label in MANAGEMENT_LINKS
    ]


@bp.get("/")
def index():
    """All events, the latest first."""
    events = db.session.scalars(select(Event).order_by(Event.opening_date.desc()))
    return render_template("events/index.html", events=list(events))


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Create an event; its creator becomes an organizer of it."""
    require("event.create")
    form = EventForm()
    if request.method == "GET":
        form.languages.data = ["en"]
    if form.validate_on_submit():
        try:
            event = services.create_event(current_user, **form.values())
        except services.EventError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The event %(acronym)s is created.", acronym=event.acronym), "success")
            return redirect(url_for("events.detail", event_id=event.id))
    return render_template("events/form.html", form=form, event=None), _status()


@bp.get("/<int:event_id>")
def detail(event_id: int):
    """The event's public facts; its organizers also see their management panel."""
    event = db.get_or_404(Event, event_id)
    manage = can(current_user, "event.manage", event)
    rows = services.timeline(event) if manage else []
    return render_template(
        "events/detail.html",
        event=event,
        manage=manage,
        counts=services.counts(rows),
        upcoming=services.next_deadlines(rows),
        admin_links=_management_links(event) if manage else [],
    )


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
def edit(event_id: int):
    """Change the event's facts (the opening date moves on its own page)."""
    event = _managed_event(event_id)
    form = EditEventForm(obj=event)
    if form.validate_on_submit():
        try:
            services.update_event(current_user, event, **form.values())
        except services.EventError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The event is saved."), "success")
            return redirect(url_for("events.detail", event_id=event.id))
    return render_template("events/form.html", form=form, event=event), _status()


@bp.get("/<int:event_id>/timeline")
def timeline(event_id: int):
    """Every deadline and milestone of the event, with what is overdue and due soon."""
    event = _managed_event(event_id)
    rows = services.timeline(event)
    move_form = MoveOpeningForm(formdata=None, new_opening=event.opening_date)
    return render_template(
        "events/timeline.html",
        event=event,
        rows=rows,
        counts=services.counts(rows),
        move_form=move_form,
        editable=services.is_editable,
    )


@bp.route("/<int:event_id>/deadlines/new", methods=["GET", "POST"])
def deadline_new(event_id: int):
    """Add a deadline, relative to the opening or on a fixed date."""
    event = _managed_event(event_id)
    form = DeadlineForm()
    if form.validate_on_submit():
        try:
            services.add_deadline(
                current_user, event, form.label.data, notes=form.notes.data, **form.when
            )
        except services.EventError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The deadline is added."), "success")
            return redirect(url_for("events.timeline", event_id=event.id))
    return render_template(
        "events/deadline_form.html", form=form, event=event, deadline=None
    ), _status()


@bp.route("/<int:event_id>/deadlines/<int:deadline_id>/edit", methods=["GET", "POST"])
def deadline_edit(event_id: int, deadline_id: int):
    """Change a deadline the organizers added."""
    event = _managed_event(event_id)
    deadline = _deadline_of(event, deadline_id)
    if not services.is_editable(deadline):
        flash(
            _("This deadline belongs to %(source)s; change it there.", source=deadline.source),
            "warning",
        )
        return redirect(url_for("events.timeline", event_id=event.id))
    form = DeadlineForm()
    if request.method == "GET":
        form.fill_from(deadline)
    if form.validate_on_submit():
        try:
            services.update_deadline(
                current_user, deadline, label=form.label.data, notes=form.notes.data, **form.when
            )
        except services.EventError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The deadline is saved."), "success")
            return redirect(url_for("events.timeline", event_id=event.id))
    return render_template(
        "events/deadline_form.html", form=form, event=event, deadline=deadline
    ), _status()


@bp.post("/<int:event_id>/deadlines/<int:deadline_id>/delete")
def deadline_delete(event_id: int, deadline_id: int):
    """Remove a deadline from the timeline."""
    event = _managed_event(event_id)
    deadline = _deadline_of(event, deadline_id)
    label = deadline.label
    try:
        services.delete_deadline(current_user, deadline)
    except services.EventError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("The deadline “%(label)s” is deleted.", label=label), "success")
    return redirect(url_for("events.timeline", event_id=event.id))


@bp.post("/<int:event_id>/deadlines/<int:deadline_id>/done")
def deadline_done(event_id: int, deadline_id: int):
    """Mark a deadline done, or open again with done=0."""
    event = _managed_event(event_id)
    deadline = _deadline_of(event, deadline_id)
    done = request.form.get("done", "1") != "0"
    services.mark_deadline_done(current_user, deadline, done=done)
    db.session.commit()
    if done:
        flash(_("“%(label)s” is marked done.", label=deadline.label), "success")
    else:
        flash(_("“%(label)s” is open again.", label=deadline.label), "info")
    return redirect(url_for("events.timeline", event_id=event.id))


@bp.route("/<int:event_id>/move-opening", methods=["GET", "POST"])
def move_opening(event_id: int):
    """Move the opening date: first a preview of every deadline, then the move."""
    event = _managed_event(event_id)
    form = MoveOpeningForm()
    if request.method == "GET":
        form.new_opening.data = event.opening_date
    if form.validate_on_submit():
        try:
            if form.confirm.data == "1":
                services.move_opening(current_user, event, form.new_opening.data)
            else:
                preview = services.preview_opening_change(event, form.new_opening.data)
                return render_template(
                    "events/move_preview.html", event=event, form=form, preview=preview
                )
        except services.EventError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(
                _(
                    "The event now opens on %(date)s; the relative deadlines moved with it.",
                    date=format_date(form.new_opening.data, "long"),
                ),
                "success",
            )
            return redirect(url_for("events.timeline", event_id=event.id))
    return render_template("events/move_opening.html", event=event, form=form), _status()
