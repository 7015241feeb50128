"""Registration views: payments — organizers' paid items and orders (refunds, offline
payments, CSV), the participants' shop, order and payment pages, the PDF receipt, and
Stripe's webhook.

Who sees an order: its buyer and the event's organizers; anyone else gets 404, so an
order's existence stays private. Stripe.js is loaded by the payment page only.
"""

from __future__ import annotations

from flask import (
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
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.routing import BuildError

from models import Order, OrderStatus, PaidItem, PaymentMethod, User
from webapp.downloads import csv_response, write_csv
from webapp.errors import error_response
from webapp.extensions import csrf, db
from webapp.forms import show_error
from webapp.pagination import page_arg, paginate
from webapp.permissions import can, require

from .. import payments, receipts, stripe_gateway
from ..blueprint import bp
from ..core import RegistrationError, event_or_404, labels
from ..payment_forms import (
    BuyForm,
    CancelForm,
    ItemForm,
    OfflinePaymentForm,
    OrderFilterForm,
    RefundForm,
)
from ..stripe_gateway import GatewayError, WebhookRejected

PER_PAGE = 50
S = OrderStatus


def _actor() -> User:
    return current_user._get_current_object()


def _url(endpoint: str, **values) -> str | None:
    """A link to a page of another part of registration, if that page exists."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _context(**extra) -> dict:
    return {
        **labels(),
        "money": payments.money,
        "plain_amount": payments.plain_amount,
        "order_reference": payments.order_reference,
        "needs_attention": payments.needs_attention,
        "buyer_name": payments.buyer_name,
        "note": payments.note,
        **extra,
    }


def _managed_event(event_id: int):
    event = event_or_404(event_id)
    require("registration.manage", event)
    return event


def _item_or_404(event, item_id: int) -> PaidItem:
    item = payments.item_of(event, item_id)
    if item is None:
        abort(404)
    return item


def _order_or_404(event, order_id: int) -> Order:
    """The event's order, if the current user is its buyer or an organizer (404 for
    anyone else: its existence is private)."""
    order = db.session.get(Order, order_id)
    if order is None or order.event_id != event.id:
        abort(404)
    own = order.user_id is not None and order.user_id == current_user.id
    if not own and not can(current_user, "registration.manage", event):
        abort(404)
    return order


def _is_buyer(order: Order) -> bool:
    return order.user_id is not None and order.user_id == current_user.id


# ---------------------------------------------------------------- organizers: items


@bp.route("/events/<int:event_id>/items", methods=["GET", "POST"])
@login_required
def items(event_id: int):
    """The event's paid items (sold, left) and a form to add one."""
    event = _managed_event(event_id)
    form = ItemForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                item = payments.save_item(_actor(), event, **_item_fields(form))
            except RegistrationError as error:
                db.session.rollback()
                show_error(form, error)
                status = error.status
            else:
                db.session.commit()
                flash(_("“%(name)s” is saved.", name=item.name), "success")
                return redirect(url_for("registration.items", event_id=event.id))
        else:
            status = 400
    return (
        render_template(
            "registration/payments/items.html",
            event=event,
            items=payments.items_of(event),
            form=form,
            left=payments.left,
            **_context(),
        ),
        status,
    )


def _item_fields(form: ItemForm) -> dict:
    return {
        "name": form.name.data or "",
        "description": form.description.data or "",
        "price": form.price.data or "",
        "currency": form.currency.data or "",
        "quantity_limit": form.quantity_limit.data or "",
        "max_per_order": form.max_per_order.data or "",
        "modes": form.modes.data or [],
        "categories": form.categories.data or [],
        "active": bool(form.active.data),
    }


@bp.route("/events/<int:event_id>/items/<int:item_id>", methods=["GET", "POST"])
@login_required
def item_edit(event_id: int, item_id: int):
    """Edit a paid item: price, limit (not below what is sold), audience, on sale."""
    event = _managed_event(event_id)
    item = _item_or_404(event, item_id)
    status = 200
    if request.method == "POST":
        form = ItemForm()
        if form.validate_on_submit():
            try:
                payments.save_item(_actor(), event, item, **_item_fields(form))
            except RegistrationError as error:
                db.session.rollback()
                show_error(form, error)
                status = error.status
                item = _item_or_404(event, item_id)
            else:
                db.session.commit()
                flash(_("“%(name)s” is saved.", name=item.name), "success")
                return redirect(url_for("registration.items", event_id=event.id))
        else:
            status = 400
    else:
        audience = item.audience or {}
        form = ItemForm(
            formdata=None,
            data={
                "name": item.name,
                "description": item.description,
                "price": payments.plain_amount(item.price_cents),
                "currency": item.currency,
                "quantity_limit": "" if item.quantity_limit is None else str(item.quantity_limit),
                "max_per_order": str(item.max_per_order),
                "modes": audience.get("modes") or [],
                "categories": audience.get("categories") or [],
                "active": item.active,
            },
        )
    return (
        render_template(
            "registration/payments/item_edit.html",
            event=event,
            item=item,
            form=form,
            left=payments.left,
            **_context(),
        ),
        status,
    )


# --------------------------------------------------------------- organizers: orders


def _filtered(event):
    form = OrderFilterForm(request.args, items=payments.items_of(event))
    query = payments.orders_query(
        event,
        status=request.args.get("status", ""),
        item_id=request.args.get("item"),
        method=request.args.get("method", ""),
    )
    return form, query


@bp.get("/events/<int:event_id>/orders")
@login_required
def orders(event_id: int):
    """Every order of the event, filtered by status, item and method, with totals per
    currency."""
    event = _managed_event(event_id)
    form, query = _filtered(event)
    page = paginate(
        query.options(
            joinedload(Order.item), joinedload(Order.user), joinedload(Order.registration)
        ),
        page_arg(),
        PER_PAGE,
    )
    return render_template(
        "registration/payments/orders.html",
        event=event,
        form=form,
        page=page,
        totals=payments.totals(query),
        stripe_on=stripe_gateway.enabled(),
        **_context(),
    )


@bp.get("/events/<int:event_id>/orders.csv")
@login_required
def orders_csv(event_id: int):
    """The filtered orders as CSV (amounts in units with two decimals)."""
    event = _managed_event(event_id)
    _form, query = _filtered(event)
    rows = db.session.scalars(
        query.options(
            joinedload(Order.item), joinedload(Order.user), joinedload(Order.registration)
        )
    )
    header = [
        _("Order"),
        _("Created"),
        _("Buyer"),
        _("Email"),
        _("Item"),
        _("Quantity"),
        _("Amount"),
        _("Currency"),
        _("Status"),
        _("Payment method"),
        _("Payment reference"),
        _("Paid at"),
        _("Receipt"),
        _("Refunded"),
        _("Needs attention"),
    ]
    status_labels = labels()["order_status_labels"]
    method_labels = labels()["method_labels"]
    text = write_csv(
        header,
        (
            [
                payments.order_reference(o),
                o.created_at.isoformat(timespec="seconds"),
                payments.buyer_name(o),
                o.user.email if o.user else "",
                o.item.name,
                o.quantity,
                payments.plain_amount(o.amount_cents),
                o.currency,
                str(status_labels[o.status]),
                str(method_labels[o.method]),
                o.payment_reference,
                o.paid_at.isoformat(timespec="seconds") if o.paid_at else "",
                o.receipt_number or "",
                payments.plain_amount(o.refunded_cents),
                _("yes") if payments.needs_attention(o) else "",
            ]
            for o in rows
        ),
    )
    return csv_response(text, f"{event.acronym}-orders")


def _render_order(event, order, *, status=200, refund_form=None, offline_form=None):
    intent_status = ""
    if (
        order.status in (S.OPEN, S.FAILED)
        and order.method == PaymentMethod.STRIPE
        and order.stripe_payment_intent
        and stripe_gateway.enabled()
    ):
        try:
            intent_status = stripe_gateway.retrieve_payment_intent(
                order.stripe_payment_intent
            ).status
        except GatewayError:
            intent_status = ""
    organizer = can(current_user, "registration.manage", event)
    processing = intent_status in stripe_gateway.UNDER_WAY
    refund_form = refund_form or RefundForm(
        formdata=None,
        data={
            "amount": payments.plain_amount(payments.refundable_cents(order)),
            "expected_refunded": str(order.refunded_cents),
        },
    )
    return (
        render_template(
            "registration/payments/order.html",
            event=event,
            order=order,
            organizer=organizer,
            buyer=_is_buyer(order),
            processing=processing,
            # The page polls its status while a card payment awaits the webhook.
            polling=order.method == PaymentMethod.STRIPE and (order.status == S.OPEN or processing),
            stripe_on=stripe_gateway.enabled(),
            refunds=payments.refunds_of(order) if organizer else [],
            refundable=payments.refundable_cents(order),
            refund_form=refund_form,
            offline_form=offline_form or OfflinePaymentForm(formdata=None),
            cancel_form=CancelForm(formdata=None),
            shop_url=url_for("registration.shop", event_id=event.id),
            **_context(),
        ),
        status,
    )


@bp.get("/events/<int:event_id>/orders/<int:order_id>")
@login_required
def order(event_id: int, order_id: int):
    """One order: status ("processing" until Stripe's webhook confirms), how to pay, the
    receipt once paid; for organizers also refunds and offline payment."""
    event = event_or_404(event_id)
    return _render_order(event, _order_or_404(event, order_id))


@bp.get("/events/<int:event_id>/orders/<int:order_id>/status.json")
@login_required
def order_status(event_id: int, order_id: int):
    """The order's status, polled by its page while a payment is being confirmed."""
    event = event_or_404(event_id)
    order = _order_or_404(event, order_id)
    response = jsonify(
        status=order.status.value,
        label=str(labels()["order_status_labels"][order.status]),
        receipt=order.receipt_number,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/events/<int:event_id>/orders/<int:order_id>/refund")
@login_required
def refund(event_id: int, order_id: int):
    """Refund part or all of a paid order (organizers)."""
    event = event_or_404(event_id)
    order = _order_or_404(event, order_id)
    require("registration.manage", event)
    form = RefundForm()
    if not form.validate_on_submit():
        return _render_order(event, order, status=400, refund_form=form)
    try:
        record = payments.refund(
            _actor(),
            order,
            form.amount.data,
            form.reason.data or "",
            expected_refunded=form.expected_refunded.data,
        )
    except (RegistrationError, GatewayError) as error:
        db.session.rollback()
        show_error(form, error)
        order = _order_or_404(event, order_id)
        return _render_order(event, order, status=error.status, refund_form=form)
    db.session.commit()
    flash(
        _(
            "Refunded %(amount)s.",
            amount=payments.money(record.amount_cents, order.currency),
        ),
        "success",
    )
    return redirect(url_for("registration.order", event_id=event.id, order_id=order.id))


@bp.post("/events/<int:event_id>/orders/<int:order_id>/record-payment")
@login_required
def record_payment(event_id: int, order_id: int):
    """Record a bank transfer or cash payment (organizers): the order becomes paid."""
    event = event_or_404(event_id)
    order = _order_or_404(event, order_id)
    require("registration.manage", event)
    form = OfflinePaymentForm()
    if not form.validate_on_submit():
        return _render_order(event, order, status=400, offline_form=form)
    try:
        payments.record_offline_payment(_actor(), order, form.method.data, form.reference.data)
    except (RegistrationError, GatewayError) as error:
        db.session.rollback()
        show_error(form, error)
        order = _order_or_404(event, order_id)
        return _render_order(event, order, status=error.status, offline_form=form)
    db.session.commit()
    flash(_("The payment is recorded; the buyer receives the receipt by mail."), "success")
    return redirect(url_for("registration.order", event_id=event.id, order_id=order.id))


@bp.post("/events/<int:event_id>/orders/<int:order_id>/cancel")
@login_required
def cancel_order(event_id: int, order_id: int):
    """Cancel an unpaid order (its buyer or organizers): its units go back on sale."""
    event = event_or_404(event_id)
    order = _order_or_404(event, order_id)
    form = CancelForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        payments.cancel(_actor(), order)
    except (RegistrationError, GatewayError) as error:
        db.session.rollback()
        flash(str(error.message), "error")
        order = _order_or_404(event, order_id)
        return _render_order(event, order, status=error.status)
    db.session.commit()
    flash(_("The order is cancelled."), "success")
    return redirect(url_for("registration.order", event_id=event.id, order_id=order.id))


@bp.get("/events/<int:event_id>/orders/<int:order_id>/receipt.pdf")
@login_required
def receipt(event_id: int, order_id: int):
    """The PDF receipt of a paid order (its buyer or organizers)."""
    event = event_or_404(event_id)
    order = _order_or_404(event, order_id)
    if order.status not in payments.PAID_STATES or not order.receipt_number:
        abort(404)
    body = receipts.receipt_pdf(order)
    response = current_app.response_class(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{order.receipt_number}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --------------------------------------------------------------------- participants


def _render_shop(event, *, status=200, error=None, error_item=None, form=None):
    registration = payments.buyer_registration(event, _actor())
    return (
        render_template(
            "registration/payments/shop.html",
            event=event,
            registration=registration,
            items=payments.shop_items(event, registration) if registration else [],
            orders=payments.mine(event, _actor()),
            left=payments.left,
            stripe_on=stripe_gateway.enabled(),
            error=error,
            error_item=error_item,
            form=form,
            buy_form=BuyForm(formdata=None),
            register_url=_url("registration.register", event_id=event.id),
            **_context(),
        ),
        status,
    )


@bp.get("/events/<int:event_id>/shop")
@login_required
def shop(event_id: int):
    """The items the participant may buy, with what is left, and their orders."""
    return _render_shop(event_or_404(event_id))


@bp.post("/events/<int:event_id>/shop/buy")
@login_required
def buy(event_id: int):
    """Order an item: the units are reserved; then pay by card, or by bank transfer when
    online payment is off."""
    event = event_or_404(event_id)
    form = BuyForm()
    if not form.validate_on_submit():
        return _render_shop(
            event,
            status=400,
            error=_("Give a whole number."),
            error_item=request.form.get("item"),
            form=form,
        )
    try:
        order = payments.buy(_actor(), event, form.item.data, form.quantity.data)
    except RegistrationError as error:
        db.session.rollback()
        return _render_shop(
            event, status=error.status, error=str(error.message), error_item=form.item.data
        )
    db.session.commit()
    if order.method == PaymentMethod.STRIPE:
        return redirect(url_for("registration.pay", event_id=event.id, order_id=order.id))
    flash(_("Your order is placed: pay by bank transfer as explained below."), "success")
    return redirect(url_for("registration.order", event_id=event.id, order_id=order.id))


@bp.get("/events/<int:event_id>/orders/<int:order_id>/pay")
@login_required
def pay(event_id: int, order_id: int):
    """The payment page, the one page that loads Stripe.js: the Payment Element (the Card
    Element where the loaded Stripe.js has no Payment Element) for the order's
    PaymentIntent, created on the first visit and reused after."""
    event = event_or_404(event_id)
    order = _order_or_404(event, order_id)
    if not _is_buyer(order):
        abort(403)
    if (
        order.status != S.OPEN
        or order.method != PaymentMethod.STRIPE
        or not stripe_gateway.enabled()
    ):
        return redirect(url_for("registration.order", event_id=event.id, order_id=order.id))
    try:
        intent = payments.intent_for(order)
        db.session.commit()
    except GatewayError as error:
        db.session.rollback()
        return (
            render_template(
                "registration/payments/pay.html",
                event=event,
                order=order,
                intent=None,
                error=str(error.message),
                **_context(),
            ),
            error.status,
        )
    if intent.status in stripe_gateway.UNDER_WAY:
        return redirect(url_for("registration.order", event_id=event.id, order_id=order.id))
    error = None
    if intent.status == "canceled":
        error = _(
            "This payment was cancelled at the card processor. Cancel the order and buy again."
        )
    return render_template(
        "registration/payments/pay.html",
        event=event,
        order=order,
        intent=None if error else intent,
        error=error,
        publishable_key=stripe_gateway.publishable_key(),
        return_url=url_for(
            "registration.order", event_id=event.id, order_id=order.id, _external=True
        ),
        **_context(),
    )


# --------------------------------------------------------------------------- webhook


@bp.post("/webhooks/stripe")
def stripe_webhook():
    """Stripe's webhook: verified with STRIPE_WEBHOOK_SECRET (400 otherwise, nothing
    changed), idempotent by event id, 404 for an event about no known order (Stripe
    retries it for a while; harmless), 409 for a refund that arrives before the payment
    it refunds (Stripe's retry counts it)."""
    if (request.content_length or 0) > stripe_gateway.MAX_WEBHOOK_BODY:
        return error_response(413, _("The request body is too large."), "too_large")
    body = request.get_data(cache=False)
    try:
        event = stripe_gateway.verify_webhook(body, request.headers.get("Stripe-Signature"))
    except WebhookRejected as error:
        return error_response(error.status, str(error.message))
    try:
        outcome = payments.process_event(event)
        if outcome.status == 409:
            db.session.rollback()
            return error_response(
                409,
                _("The payment of this order is not confirmed yet; nothing was changed."),
                "not_paid_yet",
                event=event["id"],
                type=event["type"],
            )
        if outcome.status != 200:
            db.session.rollback()
            return error_response(
                404,
                _("No order matches this payment; nothing was changed."),
                "unknown_order",
                event=event["id"],
                type=event["type"],
            )
        db.session.commit()
    except IntegrityError:
        # The same event arrived twice at once and the other delivery recorded it first.
        db.session.rollback()
        if payments.seen(str(event["id"])[:120]):
            return jsonify(received=True, result="duplicate")
        raise
    except GatewayError as error:
        # Stripe could not be asked about refunds: answer 503 so Stripe retries.
        db.session.rollback()
        return error_response(503, str(error.message), "retry_later")
    return jsonify(received=True, result=outcome.result, order=outcome.order_id)


csrf.exempt(stripe_webhook)
