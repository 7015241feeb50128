"""Registration views: the participant's registration form, their page (status, seat,
orders, links), edits before the closing deadline, cancellation, and the waiting list's
offered seat.

Every page here is the current user's own registration: no registration id is taken
from the address, so nobody else's is ever shown.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import or_, select
from werkzeug.routing import BuildError

from models import Approval, AttendanceMode, Country, Order, Registration, SeatState, User
from webapp.extensions import db
from webapp.forms import show_error

from .. import core, registering
from ..blueprint import bp
from ..core import RegistrationError
from ..register_forms import ConfirmForm, RegistrationForm
from ..registering import RegistrationInvalid


def _actor() -> User:
    return current_user._get_current_object()


def _put_errors(form, error: RegistrationError) -> None:
    errors = (
        error.errors if isinstance(error, RegistrationInvalid) else {error.field: error.message}
    )
    for name, message in errors.items():
        show_error(form, RegistrationError(message, name))


def _problem(event, error: RegistrationError, registration: Registration | None = None):
    """A page for a refusal that is not about one field: outside the window (403, with
    the dates), already registered (409, with a link), cancelled or rejected (409)."""
    first, last = core.window(event)
    return render_template(
        "registration/register/problem.html",
        event=event,
        message=str(error.message),
        status=error.status,
        opens=first,
        closes=last,
        registration=registration or getattr(error, "registration", None),
    ), error.status


def _form_page(event, form, context, registration=None, status=200):
    first, last = core.window(event)
    return render_template(
        "registration/register/form.html",
        event=event,
        form=form,
        context=context,
        registration=registration,
        opens=first,
        closes=last,
        email=registration.email if registration is not None else current_user.email,
        **core.labels(),
    ), status


def _mine_or_none(event) -> Registration | None:
    return registering.registration_for(_actor(), event)


def _outcome_message(registration: Registration) -> str:
    if registration.seat == SeatState.WAITING:
        seat = _(
            "The seats are all taken: you are number %(n)s on the waiting list.",
            n=registering.waiting_position(registration),
        )
    else:
        seat = _("A seat is kept for you.")
    if registration.approval == Approval.APPROVED:
        return _("You are registered.") + " " + seat
    return _("Your request is received and awaits approval.") + " " + seat


@bp.route("/events/<int:event_id>/register", methods=["GET", "POST"])
@login_required
def register(event_id: int):
    """The registration form, prefilled from the account, the directory and an accepted
    invitation."""
    event = core.event_or_404(event_id)
    existing = _mine_or_none(event)
    if existing is not None and existing.cancelled_at is None:
        db.session.commit()  # a delegate registration may just have been linked
        return _problem(
            event,
            RegistrationError(_("You are already registered for this event."), status=409),
            existing,
        )
    try:
        core.check_open(event)
    except RegistrationError as error:
        return _problem(event, error)
    context = registering.context_for(_actor(), event)
    form = RegistrationForm(organization_fixed=context.organization is not None)
    if request.method == "GET":
        form.process(data=registering.prefill(_actor(), context))
        return _form_page(event, form, context)
    if not form.validate_on_submit():
        return _form_page(event, form, context, status=400)
    try:
        registration = registering.register(_actor(), event, **form.values())
    except RegistrationInvalid as error:
        db.session.rollback()
        _put_errors(form, error)
        return _form_page(event, form, context, status=400)
    except RegistrationError as error:
        db.session.rollback()
        return _problem(event, error)
    db.session.commit()
    flash(_outcome_message(registration), "success")
    return redirect(url_for("registration.mine", event_id=event.id))


def _orders(event, registration: Registration) -> list[Order]:
    return list(
        db.session.scalars(
            select(Order)
            .where(
                Order.event_id == event.id,
                or_(Order.registration_id == registration.id, Order.user_id == current_user.id),
            )
            .order_by(Order.created_at.desc(), Order.id.desc())
        )
    )


def _order_links(event, orders: list[Order]) -> dict[int, str]:
    """Each order's page, once the shop (another module) provides one."""
    if "registration.order" not in current_app.view_functions:
        return {}
    links = {}
    for order in orders:
        try:
            links[order.id] = url_for("registration.order", event_id=event.id, order_id=order.id)
        except BuildError:
            return {}
    return links


@bp.get("/events/<int:event_id>/registration")
@login_required
def mine(event_id: int):
    """The participant's own registration: approval, seat (with the waiting-list place),
    details, orders, and what they can do next."""
    event = core.event_or_404(event_id)
    registration = _mine_or_none(event)
    db.session.commit()
    if registration is None:
        return render_template(
            "registration/mine/none.html", event=event, is_open=core.is_open(event)
        )
    views = current_app.view_functions
    active = registration.cancelled_at is None and registration.approval != Approval.REJECTED
    confirmed_in_person = (
        active and registration.confirmed and registration.mode == AttendanceMode.IN_PERSON
    )
    first, last = core.window(event)
    orders = _orders(event, registration)
    return render_template(
        "registration/mine/page.html",
        event=event,
        registration=registration,
        position=registering.waiting_position(registration),
        focal_points_decide=registering.focal_points_decide(registration),
        country=db.session.get(Country, registration.country_iso2)
        if registration.country_iso2
        else None,
        offer_until=registering.event_time(event, registration.offer_expires_at),
        orders=orders,
        order_links=_order_links(event, orders),
        is_open=core.is_open(event),
        active=active,
        editable=active and core.is_open(event),
        closes=last,
        opens=first,
        badge=confirmed_in_person and "registration.badge" in views,
        visa_letter=(
            active
            and registration.visa_support
            and registration.approval == Approval.APPROVED
            and "registration.visa_letter" in views
        ),
        shop=active and "registration.shop" in views,
        confirm=ConfirmForm(),
        **core.labels(),
    )


def _own_or_redirect(event):
    """The user's registration, or a redirect to the register page."""
    registration = _mine_or_none(event)
    if registration is None:
        flash(_("You are not registered for this event."), "info")
        return None, redirect(url_for("registration.register", event_id=event.id))
    return registration, None


@bp.route("/events/<int:event_id>/registration/edit", methods=["GET", "POST"])
@login_required
def edit(event_id: int):
    """Change one's registration until the closing deadline."""
    event = core.event_or_404(event_id)
    registration, elsewhere = _own_or_redirect(event)
    if elsewhere is not None:
        return elsewhere
    if registration.cancelled_at is not None or registration.approval == Approval.REJECTED:
        return _problem(
            event,
            RegistrationError(
                _("This registration was cancelled.")
                if registration.cancelled_at is not None
                else _("This registration was rejected."),
                status=409,
            ),
            registration,
        )
    try:
        core.check_open(event)
    except RegistrationError as error:
        return _problem(event, error, registration)
    context = registering.Context(registration.person, registration.organization, None)
    form = RegistrationForm(organization_fixed=registration.organization is not None)
    if request.method == "GET":
        form.load(registration)
        return _form_page(event, form, context, registration)
    if not form.validate_on_submit():
        return _form_page(event, form, context, registration, 400)
    old_mode, old_approval = registration.mode, registration.approval
    try:
        changed = registering.edit(_actor(), registration, **form.values())
    except RegistrationInvalid as error:
        db.session.rollback()
        _put_errors(form, error)
        return _form_page(event, form, context, registration, 400)
    except RegistrationError as error:
        db.session.rollback()
        return _problem(event, error, registration)
    db.session.commit()
    if not changed:
        flash(_("Nothing was changed."), "info")
    else:
        flash(_("Your registration is saved."), "success")
        if registration.mode != old_mode:
            flash(_outcome_message(registration), "info")
        if old_approval == Approval.APPROVED and registration.approval == Approval.PENDING:
            flash(_("Your new name or category needs approval again."), "warning")
    return redirect(url_for("registration.mine", event_id=event.id))


@bp.route("/events/<int:event_id>/registration/cancel", methods=["GET", "POST"])
@login_required
def cancel(event_id: int):
    """Cancel one's registration (asks for confirmation); the seat goes to the waiting
    list."""
    event = core.event_or_404(event_id)
    registration, elsewhere = _own_or_redirect(event)
    if elsewhere is not None:
        return elsewhere
    form = ConfirmForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                registering.cancel(_actor(), registration)
            except RegistrationError as error:
                db.session.rollback()
                return _problem(event, error, registration)
            db.session.commit()
            flash(_("Your registration is cancelled."), "success")
            return redirect(url_for("registration.mine", event_id=event.id))
        status = 400
    if registration.cancelled_at is not None:
        return _problem(
            event,
            RegistrationError(_("This registration is already cancelled."), status=409),
            registration,
        )
    return render_template(
        "registration/mine/cancel.html", event=event, registration=registration, form=form
    ), status


@bp.post("/events/<int:event_id>/registration/claim")
@login_required
def claim(event_id: int):
    """Take the seat offered from the waiting list, before the offer lapses."""
    event = core.event_or_404(event_id)
    registration, elsewhere = _own_or_redirect(event)
    if elsewhere is not None:
        return elsewhere
    try:
        registering.claim(_actor(), registration)
    except RegistrationError as error:
        db.session.rollback()
        return _problem(event, error, registration)
    db.session.commit()
    flash(_("The seat is yours."), "success")
    return redirect(url_for("registration.mine", event_id=event.id))


@bp.post("/events/<int:event_id>/registration/rejoin")
@login_required
def rejoin(event_id: int):
    """After an offer lapsed: take a free seat or join the end of the waiting list."""
    event = core.event_or_404(event_id)
    registration, elsewhere = _own_or_redirect(event)
    if elsewhere is not None:
        return elsewhere
    try:
        registering.rejoin(_actor(), registration)
    except RegistrationError as error:
        db.session.rollback()
        return _problem(event, error, registration)
    db.session.commit()
    flash(_outcome_message(registration), "success")
    return redirect(url_for("registration.mine", event_id=event.id))
