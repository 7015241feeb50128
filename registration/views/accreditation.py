"""Accreditation views: the focal point's (or organizers') queue with approve, reject and
bulk actions, and "register a delegate"."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from models import Organization
from webapp.extensions import db
from webapp.forms import show_error
from webapp.pagination import page_arg
from webapp.permissions import can, require

from .. import accreditation as acc
from .. import core
from ..accreditation_forms import DelegateForm
from ..blueprint import bp
from ..core import RegistrationError

PER_PAGE = 50
FILTER_KEYS = ("approval", "mode", "member", "scope", "page")
DECISIONS = {"approve": True, "reject": False}


def _actor():
    return current_user._get_current_object()


def _queue_event(event_id: int):
    event = core.event_or_404(event_id)
    require("accreditation.view", event)
    return event


def filter_args() -> dict[str, str]:
    """The queue's query arguments, carried through a decision and back."""
    return {k: v for k, v in request.args.items() if k in FILTER_KEYS and v}


def _decision(value: str | None) -> bool:
    if value not in DECISIONS:
        abort(400)
    return DECISIONS[value]


def _count_links(event) -> dict[str, str]:
    """Links of the counts: the current filters with another approval state."""
    args = {k: v for k, v in filter_args().items() if k not in ("approval", "page")}
    links = {
        a.value: url_for("registration.accreditation", event_id=event.id, **args, approval=a.value)
        for a in core.APPROVAL_LABELS
    }
    links["all"] = url_for("registration.accreditation", event_id=event.id, **args)
    return links


def render_queue(event, *, status: int = 200, row_errors=None, message=None, bulk_error=None):
    """The queue page (also after a refused decision, with the error where it belongs)."""
    actor = _actor()
    organizer = can(actor, "registration.manage", event)
    members = acc.member_choices(actor, event)
    filters, ignored = acc.parse_queue_filters(
        request.args, members=None if organizer else [i for i, _ in members]
    )
    page, counts = acc.queue_page(actor, event, filters, page_arg(), PER_PAGE)
    return (
        render_template(
            "registration/accreditation/queue.html",
            event=event,
            page=page,
            filters=filters,
            ignored=ignored,
            counts=counts,
            members=members,
            organizer=organizer,
            scopes=acc.SCOPES,
            args=filter_args(),
            count_links=_count_links(event),
            approval_choices=[(a.value, label) for a, label in core.APPROVAL_LABELS.items()],
            mode_choices=[(m.value, label) for m, label in core.MODE_LABELS.items()],
            row_errors=row_errors or {},
            message=message,
            bulk_error=bulk_error,
            posted=request.form,
            **core.labels(),
        ),
        status,
    )


@bp.get("/events/<int:event_id>/accreditation")
@login_required
def accreditation(event_id: int):
    """Registrations waiting for the actor's decision, pending first."""
    return render_queue(_queue_event(event_id))


@bp.post("/events/<int:event_id>/accreditation/<int:registration_id>/decide")
@login_required
def decide(event_id: int, registration_id: int):
    """Approve or reject one registration."""
    event = _queue_event(event_id)
    registration = core.registration_of(event, registration_id)
    approve = _decision(request.form.get("decision"))
    try:
        acc.decide(_actor(), registration, approve, request.form.get("reason", ""))
    except RegistrationError as error:
        db.session.rollback()
        if error.status in (403, 404):
            abort(error.status)
        if error.status == 409:
            return render_queue(event, status=409, message=str(error))
        return render_queue(event, status=400, row_errors={registration_id: str(error)})
    db.session.commit()
    if approve:
        flash(_("%(name)s is approved.", name=registration.full_name), "success")
    else:
        flash(_("%(name)s is rejected.", name=registration.full_name), "success")
    return redirect(url_for("registration.accreditation", event_id=event.id, **filter_args()))


@bp.post("/events/<int:event_id>/accreditation/bulk")
@login_required
def bulk_decide(event_id: int):
    """Approve or reject every ticked registration, or none of them."""
    event = _queue_event(event_id)
    approve = _decision(request.form.get("decision"))
    try:
        done = acc.bulk_decide(
            _actor(), event, request.form.getlist("ids"), approve, request.form.get("reason", "")
        )
    except RegistrationError as error:
        db.session.rollback()
        if error.status in (403, 404):
            abort(error.status)
        return render_queue(event, status=error.status, bulk_error=str(error))
    db.session.commit()
    if approve:
        flash(_("%(n)s registrations approved.", n=len(done)), "success")
    else:
        flash(_("%(n)s registrations rejected.", n=len(done)), "success")
    return redirect(url_for("registration.accreditation", event_id=event.id, **filter_args()))


def delegate_members(actor, event) -> list[tuple[int, str]]:
    """Members the actor registers delegates for: their own, or every member (organizers)."""
    if can(actor, "registration.manage", event):
        rows = db.session.execute(
            select(Organization.id, Organization.name)
            .where(Organization.membership.in_(core.MEMBER_KINDS))
            .order_by(Organization.name, Organization.id)
        )
        return [(i, n) for i, n in rows]
    return acc.member_choices(actor, event)


def _show_errors(form, error: RegistrationError) -> None:
    """Every message of the service beside its field (the member is "organization" there)."""
    errors = getattr(error, "errors", None) or {error.field: error.message}
    for name, message in errors.items():
        name = "member" if name == "organization" else name
        show_error(form, RegistrationError(message, name if name in form else None))


@bp.route("/events/<int:event_id>/accreditation/delegates/new", methods=["GET", "POST"])
@login_required
def register_delegate(event_id: int):
    """A focal point registers a delegate of their member: approved at once."""
    event = _queue_event(event_id)
    actor = _actor()
    members = delegate_members(actor, event)
    form = DelegateForm(members=members)
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            organization = db.session.get(Organization, int(form.member.data))
            if organization is None or not can(actor, "member.accredit", (event, organization.id)):
                abort(403)
            from .. import registering

            try:
                registration = registering.register_delegate(
                    actor, event, organization, **form.values()
                )
            except RegistrationError as error:
                db.session.rollback()
                if error.status in (403, 404):
                    abort(error.status)
                status = error.status
                _show_errors(form, error)
            else:
                db.session.commit()
                flash(
                    _(
                        "%(name)s is registered for %(member)s and approved.",
                        name=registration.full_name,
                        member=organization.name,
                    ),
                    "success",
                )
                return redirect(
                    url_for(
                        "registration.accreditation",
                        event_id=event.id,
                        member=organization.id,
                    )
                )
    return (
        render_template(
            "registration/accreditation/delegate.html",
            event=event,
            form=form,
            window=core.window(event),
            is_open=core.is_open(event),
        ),
        status,
    )
