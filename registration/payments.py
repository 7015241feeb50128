"""Paid items and orders: what organizers sell, who may buy it, the units an order
reserves, payment (by card through Stripe, or recorded offline by organizers), receipts,
refunds, and the events of Stripe's signed webhook.

Units: `PaidItem.sold` counts the units of open and paid orders. It only moves through
conditional UPDATEs (`sold = sold + q WHERE sold + q <= quantity_limit`), so two buyers
can never take the last unit twice, on SQLite or PostgreSQL. `Order.reserved` says
whether an order's units are in that count, which makes giving them back idempotent.

States (models.OrderStatus): OPEN (units reserved) → PAID → PARTLY_REFUNDED / REFUNDED;
OPEN → FAILED (card declined) or CANCELLED (by the buyer, organizers, or Stripe): units
given back. Only Stripe's signed `payment_intent.succeeded` webhook, or an organizer
recording an offline payment, makes an order PAID; nothing moves a paid order back to
open, failed or cancelled.

Events that arrive out of order:
- a failure (or cancellation) after the success changes nothing;
- a success after a failure or a cancellation makes the order PAID again (the money was
  taken). Its units are reserved again when some are left; when the item sold out in the
  meantime the order is PAID all the same, without units, with a note for the organizers
  (`needs_attention`), who refund it or raise the limit. Never losing a payment matters
  more than the quantity limit.
- refund events are matched by Stripe's refund id, so refunds made from the app and their
  webhook echo count once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, delete, func, select, true, update
from sqlalchemy.exc import IntegrityError

from models import (
    Approval,
    AttendanceMode,
    Event,
    Order,
    OrderStatus,
    PaidItem,
    PaymentMethod,
    Refund,
    Registration,
    RegistrationCategory,
    User,
    WebhookEvent,
    utcnow,
)
from webapp import audit, mail
from webapp.extensions import db

from . import stripe_gateway
from .core import RegistrationError
from .stripe_gateway import GatewayError

log = logging.getLogger(__name__)

S = OrderStatus
PROVIDER = "stripe"

#: Currencies items may be priced in: ISO 4217 codes with two decimals (cents), which
#: Stripe supports; zero-decimal currencies (JPY, ...) would need other arithmetic.
CURRENCIES = ("CHF", "USD", "EUR", "GBP", "CAD", "AUD", "SEK", "NOK", "DKK")
#: Stripe's largest charge in these currencies (999,999.99): a price or an order total.
MAX_AMOUNT_CENTS = 99_999_999
MAX_QUANTITY_LIMIT = 1_000_000
MAX_PER_ORDER = 100
MAX_NAME = 200
MAX_DESCRIPTION = 5_000
MAX_REFERENCE = 200
MAX_REASON = 500
#: Attempts at a receipt number when another payment takes the same number at once.
RECEIPT_ATTEMPTS = 5

PAID_STATES = frozenset({S.PAID, S.PARTLY_REFUNDED, S.REFUNDED})
REFUNDABLE = frozenset({S.PAID, S.PARTLY_REFUNDED})
#: States whose units were given back (a late success reserves them again).
RELEASED = frozenset({S.FAILED, S.CANCELLED})
OFFLINE_METHODS = (PaymentMethod.BANK_TRANSFER, PaymentMethod.CASH)

SOLD_OUT_NOTE = "Paid after its units had been given back, when none were left."
#: Notes stored on orders and refunds by the webhook (in English, as Stripe's own
#: messages are); pages and mail show them translated.
PAYMENT_FAILED_NOTE = "The payment failed."
CANCELLED_AT_STRIPE_NOTE = "Cancelled at the card processor."
REFUNDED_AT_STRIPE_NOTE = "Refunded at the card processor."
ACCOUNT_DELETED_NOTE = "The buyer deleted their account."
NOTE_LABELS = {
    ACCOUNT_DELETED_NOTE: _l("The buyer deleted their account."),
    SOLD_OUT_NOTE: _l("Paid after its units had been given back, when none were left."),
    PAYMENT_FAILED_NOTE: _l("The payment failed."),
    CANCELLED_AT_STRIPE_NOTE: _l("Cancelled at the card processor."),
    REFUNDED_AT_STRIPE_NOTE: _l("Refunded at the card processor."),
}


def note(text: str) -> Any:
    """A stored note as the reader sees it: translated when it is one of ours."""
    return NOTE_LABELS.get(text, text)


# ---------------------------------------------------------------------------- amounts


_AMOUNT = re.compile(r"^(\d{1,9})(?:[.,](\d{1,2}))?$")
_THOUSANDS = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?$")


def parse_amount(text: Any, field: str = "price") -> int:
    """Cents from what a person types: "150", "150.5", "150,50", "1'500.00", "1,500.00",
    "1 500". RegistrationError (400) for anything else, zero or negative amounts, more
    than two decimals, or more than MAX_AMOUNT_CENTS."""
    if not isinstance(text, str) or not text.strip():
        raise RegistrationError(_l("Give an amount, for example 150.00."), field)
    value = re.sub(r"[\s'\u00a0\u202f_]", "", text)
    if _THOUSANDS.match(value):
        value = value.replace(",", "")
    match = _AMOUNT.match(value)
    if not match:
        raise RegistrationError(
            _l("Give the amount as a number with at most two decimals, for example 150.00."),
            field,
        )
    cents = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    if cents <= 0:
        raise RegistrationError(_l("The amount must be more than zero."), field)
    if cents > MAX_AMOUNT_CENTS:
        raise RegistrationError(
            _l("The amount is too large: at most %(max)s.", max=plain_amount(MAX_AMOUNT_CENTS)),
            field,
        )
    return cents


def plain_amount(cents: int) -> str:
    """1234.5 for 123450 cents: no currency, no grouping (CSV, forms)."""
    sign = "-" if cents < 0 else ""
    cents = abs(int(cents))
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def money(cents: int | None, currency: str) -> str:
    """The amount with its currency code, digits in the current language's style
    ("CHF 1,500.50", "CHF 1 500,50")."""
    from flask_babel import format_decimal

    if cents is None:
        return "—"
    value = format_decimal(Decimal(int(cents)) / 100, format="#,##0.00")
    return f"{currency}\u00a0{value}"


def order_total(price_cents: int, quantity: int) -> int:
    return int(price_cents) * int(quantity)


def refundable_cents(order: Order) -> int:
    """What may still be refunded: paid minus refunded (nothing before payment)."""
    if order.status not in REFUNDABLE:
        return 0
    return max(0, order.amount_cents - order.refunded_cents)


def status_after_refunds(amount_cents: int, refunded_cents: int) -> OrderStatus:
    if refunded_cents <= 0:
        return S.PAID
    if refunded_cents >= amount_cents:
        return S.REFUNDED
    return S.PARTLY_REFUNDED


def check_refund(order: Order, amount_cents: int) -> None:
    """RegistrationError unless `amount_cents` may be refunded on the order now."""
    if order.status not in REFUNDABLE:
        raise RegistrationError(_l("Only a paid order can be refunded."), "amount", 409)
    left = refundable_cents(order)
    if amount_cents <= 0:
        raise RegistrationError(_l("The amount must be more than zero."), "amount")
    if amount_cents > left:
        raise RegistrationError(
            _l(
                "At most %(left)s %(currency)s can be refunded (paid %(paid)s, refunded "
                "%(refunded)s).",
                left=plain_amount(left),
                currency=order.currency,
                paid=plain_amount(order.amount_cents),
                refunded=plain_amount(order.refunded_cents),
            ),
            "amount",
        )


def needs_attention(order: Order) -> bool:
    """Paid without its units: the item sold out before a late payment arrived."""
    return order.status in (S.PAID, S.PARTLY_REFUNDED) and not order.reserved


def order_reference(order: Order) -> str:
    """What a buyer quotes on a bank transfer."""
    return f"{order.item.event.acronym}-O-{order.id:05d}"


# ------------------------------------------------------------------------------ items


def left(item: PaidItem) -> int | None:
    """Units left; None when the item has no limit."""
    if item.quantity_limit is None:
        return None
    return max(0, item.quantity_limit - item.sold)


def _whole(text: Any, field: str, *, minimum: int, maximum: int, allow_blank: bool = False):
    """A whole number typed in a form field, within bounds; None for a blank field when
    `allow_blank`."""
    if text is None or (isinstance(text, str) and not text.strip()):
        if allow_blank:
            return None
        raise RegistrationError(_l("Give a whole number."), field)
    if isinstance(text, bool):
        raise RegistrationError(_l("Give a whole number."), field)
    if isinstance(text, int):
        number = text
    else:
        value = str(text).strip()
        if not re.fullmatch(r"\d{1,9}", value):
            raise RegistrationError(_l("Give a whole number."), field)
        number = int(value)
    if number < minimum:
        raise RegistrationError(_l("At least %(n)s, please.", n=minimum), field)
    if number > maximum:
        raise RegistrationError(_l("At most %(n)s, please.", n=f"{maximum:,}"), field)
    return number


def _audience(modes: Iterable[str] | None, categories: Iterable[str] | None) -> dict:
    known_modes = {m.value for m in AttendanceMode}
    known_categories = {c.value for c in RegistrationCategory}
    modes = sorted({m for m in (modes or []) if isinstance(m, str)})
    categories = sorted({c for c in (categories or []) if isinstance(c, str)})
    if any(m not in known_modes for m in modes):
        raise RegistrationError(_l("Choose attendance modes from the list."), "modes")
    if any(c not in known_categories for c in categories):
        raise RegistrationError(_l("Choose categories from the list."), "categories")
    return {"modes": modes, "categories": categories}


def save_item(
    actor: User,
    event: Event,
    item: PaidItem | None = None,
    *,
    name: str,
    description: str = "",
    price: str,
    currency: str,
    quantity_limit: str | int | None = None,
    max_per_order: str | int = 1,
    modes: Iterable[str] | None = None,
    categories: Iterable[str] | None = None,
    active: bool = True,
) -> PaidItem:
    """Create the item (item=None) or update it. The quantity limit cannot go below the
    units already sold; that check is part of the UPDATE itself, so a purchase made at
    the same moment cannot slip under it."""
    name = (name or "").strip()
    description = (description or "").strip()
    if not name:
        raise RegistrationError(_l("Give the item a name."), "name")
    if len(name) > MAX_NAME:
        raise RegistrationError(_l("At most %(n)s characters, please.", n=MAX_NAME), "name")
    if len(description) > MAX_DESCRIPTION:
        raise RegistrationError(
            _l("At most %(n)s characters, please.", n=f"{MAX_DESCRIPTION:,}"), "description"
        )
    price_cents = parse_amount(price, "price")
    currency = (currency or "").strip().upper()
    if currency not in CURRENCIES:
        raise RegistrationError(_l("Choose a currency from the list."), "currency")
    limit = _whole(
        quantity_limit, "quantity_limit", minimum=0, maximum=MAX_QUANTITY_LIMIT, allow_blank=True
    )
    per_order = _whole(max_per_order, "max_per_order", minimum=1, maximum=MAX_PER_ORDER)
    if order_total(price_cents, per_order) > MAX_AMOUNT_CENTS:
        raise RegistrationError(
            _l(
                "An order of %(n)s would cost more than the card processor accepts at once; "
                "lower the maximum per order.",
                n=per_order,
            ),
            "max_per_order",
        )
    audience = _audience(modes, categories)
    if item is not None and item.currency != currency:
        has_orders = db.session.scalar(select(Order.id).where(Order.item_id == item.id).limit(1))
        if has_orders is not None:
            raise RegistrationError(
                _l("The item has orders: its currency can no longer change."), "currency", 409
            )
    created = item is None
    if created:
        item = PaidItem(event_id=event.id, sold=0, quantity_limit=limit)
        db.session.add(item)
    else:
        db.session.flush()
        if limit != item.quantity_limit:
            changed = db.session.execute(
                update(PaidItem)
                .where(
                    PaidItem.id == item.id,
                    (PaidItem.sold <= limit) if limit is not None else true(),
                )
                .values(quantity_limit=limit)
                .execution_options(synchronize_session=False)
            ).rowcount
            db.session.expire(item, ["quantity_limit", "sold"])
            if not changed:
                raise RegistrationError(
                    _l(
                        "%(sold)s units are already sold or reserved: the limit cannot be lower.",
                        sold=item.sold,
                    ),
                    "quantity_limit",
                    409,
                )
    item.name = name
    item.description = description
    item.price_cents = price_cents
    item.currency = currency
    item.max_per_order = per_order
    item.audience = audience
    item.active = bool(active)
    db.session.flush()
    audit.record(
        "paid_item.created" if created else "paid_item.updated",
        actor=actor,
        event_id=event.id,
        obj=item,
        summary=f"{name[:150]}: {currency} {plain_amount(price_cents)}",
        price_cents=price_cents,
        currency=currency,
        quantity_limit=item.quantity_limit,
        max_per_order=per_order,
        audience=audience,
        active=item.active,
    )
    return item


def items_of(event: Event, *, active_only: bool = False) -> list[PaidItem]:
    query = select(PaidItem).where(PaidItem.event_id == event.id)
    if active_only:
        query = query.where(PaidItem.active.is_(True))
    return list(db.session.scalars(query.order_by(PaidItem.name, PaidItem.id)))


def item_of(event: Event, item_id: Any) -> PaidItem | None:
    """The event's item with that id (another event's id is as unknown as a missing one)."""
    try:
        item_id = int(item_id)
    except (TypeError, ValueError):
        return None
    if not 0 < item_id < 2**31:
        return None
    item = db.session.get(PaidItem, item_id)
    return item if item is not None and item.event_id == event.id else None


# ----------------------------------------------------------------------------- buying


def buyer_registration(event: Event, user: User) -> Registration | None:
    """The user's registration for the event, unless cancelled or rejected."""
    registration = db.session.scalar(
        select(Registration).where(
            Registration.event_id == event.id, Registration.user_id == user.id
        )
    )
    if registration is None or registration.cancelled_at is not None:
        return None
    if registration.approval == Approval.REJECTED:
        return None
    return registration


def audience_allows(item: PaidItem, registration: Registration | None) -> bool:
    """Whether the registration may buy the item: empty lists allow everyone registered."""
    if registration is None:
        return False
    audience = item.audience or {}
    modes = audience.get("modes") or []
    categories = audience.get("categories") or []
    if modes and registration.mode.value not in modes:
        return False
    return not (categories and registration.category.value not in categories)


def shop_items(event: Event, registration: Registration | None) -> list[PaidItem]:
    """The active items the registration may buy."""
    return [i for i in items_of(event, active_only=True) if audience_allows(i, registration)]


def reserve(item_id: int, quantity: int) -> bool:
    """Take `quantity` units of the item, or nothing when fewer are left: one conditional
    UPDATE, safe under concurrency."""
    taken = db.session.execute(
        update(PaidItem)
        .where(
            PaidItem.id == item_id,
            (PaidItem.quantity_limit.is_(None))
            | (PaidItem.sold + quantity <= PaidItem.quantity_limit),
        )
        .values(sold=PaidItem.sold + quantity)
        .execution_options(synchronize_session=False)
    ).rowcount
    _expire_item(item_id)
    return taken == 1


def release(item_id: int, quantity: int) -> None:
    """Give `quantity` units back (never below zero)."""
    db.session.execute(
        update(PaidItem)
        .where(PaidItem.id == item_id, PaidItem.sold >= quantity)
        .values(sold=PaidItem.sold - quantity)
        .execution_options(synchronize_session=False)
    )
    _expire_item(item_id)


def _expire_item(item_id: int) -> None:
    item = db.session.identity_map.get(db.session.identity_key(PaidItem, item_id))
    if item is not None:
        db.session.expire(item, ["sold"])


def _release_order(order: Order) -> None:
    if order.reserved:
        release(order.item_id, order.quantity)
        order.reserved = False


def buy(actor: User, event: Event, item_id: Any, quantity: Any) -> Order:
    """An OPEN order for `quantity` units of the item, which it reserves. Needs a
    registration for the event (not cancelled or rejected) that the item's audience
    allows. Paid by card when Stripe is configured, else by bank transfer."""
    item = item_of(event, item_id)
    if item is None or not item.active:
        raise RegistrationError(_l("This item is not on sale."), "item", 404)
    registration = buyer_registration(event, actor)
    if registration is None:
        raise RegistrationError(
            _l("Register for the event first: only registered participants can buy."),
            "item",
            403,
        )
    if not audience_allows(item, registration):
        raise RegistrationError(_l("This item is not offered to your registration."), "item", 403)
    qty = _whole(quantity, "quantity", minimum=1, maximum=MAX_PER_ORDER)
    if qty > item.max_per_order:
        raise RegistrationError(
            _l("At most %(n)s per order.", n=item.max_per_order), "quantity", 400
        )
    if not reserve(item.id, qty):
        remaining = left(item) or 0
        if remaining == 0:
            raise RegistrationError(_l("Sold out: none left."), "quantity", 409)
        raise RegistrationError(_l("Only %(n)s left.", n=remaining), "quantity", 409)
    order = Order(
        event_id=event.id,
        item_id=item.id,
        registration_id=registration.id,
        user_id=actor.id,
        quantity=qty,
        amount_cents=order_total(item.price_cents, qty),
        currency=item.currency,
        status=S.OPEN,
        method=PaymentMethod.STRIPE if stripe_gateway.enabled() else PaymentMethod.BANK_TRANSFER,
        reserved=True,
    )
    db.session.add(order)
    db.session.flush()
    audit.record(
        "order.created",
        actor=actor,
        event_id=event.id,
        obj=order,
        summary=f"{qty} × {item.name[:150]}: {order.currency} {plain_amount(order.amount_cents)}",
        item_id=item.id,
        quantity=qty,
        amount_cents=order.amount_cents,
        method=order.method.value,
    )
    return order


def lock(order: Order) -> Order:
    """The order re-read with a row lock (PostgreSQL: FOR UPDATE) for a state move."""
    return db.session.scalars(
        select(Order)
        .where(Order.id == order.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def intent_for(order: Order) -> stripe_gateway.Intent:
    """The order's PaymentIntent: created once (its id is kept on the order), reused on
    every later visit of the payment page."""
    if order.stripe_payment_intent:
        return stripe_gateway.retrieve_payment_intent(order.stripe_payment_intent)
    intent = stripe_gateway.create_payment_intent(
        order.id, order.event_id, order.amount_cents, order.currency
    )
    order.stripe_payment_intent = intent.id
    db.session.flush()
    audit.record(
        "order.payment_started",
        actor=order.user,
        event_id=order.event_id,
        obj=order,
        summary=f"PaymentIntent {intent.id}",
        payment_intent=intent.id,
    )
    return intent


def cancel(actor: User | None, order: Order, reason: str = "") -> Order:
    """Cancel an unpaid order and give its units back. A card payment is cancelled at
    Stripe first, so it can no longer be paid (409 when the payment is already under
    way)."""
    order = lock(order)
    if order.status != S.OPEN:
        raise RegistrationError(_l("Only an order awaiting payment can be cancelled."), None, 409)
    if order.stripe_payment_intent and stripe_gateway.enabled():
        stripe_gateway.cancel_payment_intent(order.stripe_payment_intent)
    order.status = S.CANCELLED
    order.failure_reason = (reason or "")[:MAX_REASON]
    _release_order(order)
    db.session.flush()
    audit.record(
        "order.cancelled",
        actor=actor,
        event_id=order.event_id,
        obj=order,
        summary=f"{order_reference(order)} cancelled",
        reason=order.failure_reason,
    )
    return order


# ------------------------------------------------------------------- paid and failed


def _next_receipt_number(order: Order, attempt: int) -> str:
    count = db.session.scalar(
        select(func.count(Order.id)).where(
            Order.event_id == order.event_id, Order.receipt_number.is_not(None)
        )
    )
    return f"{order.item.event.acronym}-R-{(count or 0) + 1 + attempt:05d}"


def _assign_receipt_number(order: Order) -> None:
    """The next receipt number of the event; retried when a concurrent payment took the
    same number (the unique column refuses the second)."""
    db.session.flush()
    for attempt in range(RECEIPT_ATTEMPTS):
        try:
            with db.session.begin_nested():
                order.receipt_number = _next_receipt_number(order, attempt)
                db.session.flush()
            return
        except IntegrityError:
            if attempt == RECEIPT_ATTEMPTS - 1:
                raise


def order_link(order: Order) -> str:
    """The order page's absolute address; webhooks and jobs use BASE_URL."""
    base = current_app.config["BASE_URL"].rstrip("/")
    return f"{base}/events/{order.event_id}/orders/{order.id}"


def _mail_buyer(order: Order, template: str, **context: Any) -> None:
    user = order.user
    if user is None or not user.is_active:
        return
    mail.send(
        user.email,
        f"registration/{template}",
        to_name=user.name,
        locale=user.locale or "en",
        event_id=order.event_id,
        tags={"order_id": order.id},
        event_name=order.item.event.name,
        item_name=order.item.name,
        quantity=order.quantity,
        amount=plain_amount(order.amount_cents),
        currency=order.currency,
        reference=order_reference(order),
        receipt_number=order.receipt_number,
        url=order_link(order),
        **context,
    )


def mark_paid(
    order: Order,
    *,
    actor: User | None,
    method: PaymentMethod,
    reference: str = "",
    when: datetime | None = None,
    source: str = "",
) -> bool:
    """Make the order PAID: receipt number, paid_at, mail to the buyer, audit. Returns
    False (and changes nothing) when it is already paid. A FAILED or CANCELLED order gets
    its units back when some are left, else it is paid without them (needs_attention)."""
    if order.status in PAID_STATES:
        return False
    if order.status in RELEASED and not order.reserved:
        order.reserved = reserve(order.item_id, order.quantity)
    order.failure_reason = "" if order.reserved else SOLD_OUT_NOTE
    old = order.status
    order.status = S.PAID
    order.method = method
    order.payment_reference = (reference or "")[:MAX_REFERENCE]
    order.paid_at = when or utcnow()
    _assign_receipt_number(order)
    audit.record(
        "order.paid",
        actor=actor,
        event_id=order.event_id,
        obj=order,
        summary=(
            f"{order_reference(order)} paid ({method.value}): {order.currency} "
            f"{plain_amount(order.amount_cents)}, receipt {order.receipt_number}"
        ),
        old=old.value,
        method=method.value,
        reference=order.payment_reference,
        receipt_number=order.receipt_number,
        source=source,
    )
    if not order.reserved:
        audit.record(
            "order.paid_when_sold_out",
            actor=actor,
            event_id=order.event_id,
            obj=order,
            summary=f"{order_reference(order)}: paid after its units were given back; "
            f"{order.item.name[:100]} is sold out — refund it or raise the limit",
        )
    _mail_buyer(order, "order_paid")
    return True


def mark_failed(order: Order, reason: str, *, status: OrderStatus = S.FAILED) -> bool:
    """An OPEN order whose payment failed (or was cancelled at Stripe): units given back,
    buyer told. Any other state is left alone (a failure after the success changes
    nothing)."""
    if order.status != S.OPEN:
        return False
    order.status = status
    order.failure_reason = (reason or "")[:MAX_REASON]
    _release_order(order)
    audit.record(
        "order.failed" if status == S.FAILED else "order.cancelled",
        actor=None,
        event_id=order.event_id,
        obj=order,
        summary=f"{order_reference(order)}: {order.failure_reason or status.value}",
        reason=order.failure_reason,
        source="stripe",
    )
    if status == S.FAILED:
        _mail_buyer(order, "order_failed", reason=note(order.failure_reason))
    return True


def record_offline_payment(actor: User, order: Order, method: Any, reference: Any) -> Order:
    """An organizer records a bank transfer or cash payment: the order becomes PAID. A
    pending card payment is cancelled at Stripe first (409 if it is already under way)."""
    try:
        method = PaymentMethod(method)
    except ValueError:
        raise RegistrationError(_l("Choose bank transfer or cash."), "method") from None
    if method not in OFFLINE_METHODS:
        raise RegistrationError(_l("Choose bank transfer or cash."), "method")
    reference = reference.strip() if isinstance(reference, str) else ""
    if not reference:
        raise RegistrationError(
            _l("Give the bank reference or the cash receipt number."), "reference"
        )
    if len(reference) > MAX_REFERENCE:
        raise RegistrationError(
            _l("At most %(n)s characters, please.", n=MAX_REFERENCE), "reference"
        )
    order = lock(order)
    if order.status in PAID_STATES:
        raise RegistrationError(_l("This order is already paid."), "reference", 409)
    if order.stripe_payment_intent and order.status == S.OPEN and stripe_gateway.enabled():
        stripe_gateway.cancel_payment_intent(order.stripe_payment_intent)
    mark_paid(order, actor=actor, method=method, reference=reference, source="offline")
    db.session.flush()
    return order


# ---------------------------------------------------------------------------- refunds


def _apply_refund_total(order: Order, actor: User | None, source: str) -> None:
    """Set refunded_cents from the order's Refund rows, and the status from it."""
    db.session.flush()
    total = db.session.scalar(
        select(func.coalesce(func.sum(Refund.amount_cents), 0)).where(Refund.order_id == order.id)
    )
    total = min(int(total or 0), order.amount_cents)
    if total == order.refunded_cents:
        return
    old = order.status
    order.refunded_cents = total
    order.status = status_after_refunds(order.amount_cents, total)
    if order.status == S.REFUNDED:
        _release_order(order)
    elif old == S.REFUNDED and not order.reserved:
        # A refund that failed after all: the order is paid again, units if any left.
        order.reserved = reserve(order.item_id, order.quantity)
    audit.record(
        "order.refund_synced" if source == "stripe" else "order.refund_total",
        actor=actor,
        event_id=order.event_id,
        obj=order,
        summary=f"{order_reference(order)}: refunded {order.currency} {plain_amount(total)}",
        refunded_cents=total,
        old=old.value,
        new=order.status.value,
        source=source,
    )


def refund(
    actor: User,
    order: Order,
    amount: Any,
    reason: Any = "",
    *,
    expected_refunded: Any = None,
) -> Refund:
    """Refund part or all of a paid order: `amount` as typed ("25.00"). At most what was
    paid minus what was refunded (400). Card payments are refunded through Stripe; offline
    ones are only recorded (the organizers pay back themselves). A full refund gives the
    units back.

    `expected_refunded` is the refunded total the organizer saw (the form sends it): when
    it changed meanwhile (a double submit, or another organizer's refund) nothing is done
    (409), so one click never refunds twice."""
    amount_cents = parse_amount(amount, "amount")
    reason = reason.strip() if isinstance(reason, str) else ""
    if len(reason) > MAX_REASON:
        raise RegistrationError(_l("At most %(n)s characters, please.", n=MAX_REASON), "reason")
    order = lock(order)
    if expected_refunded not in (None, "") and str(expected_refunded) != str(order.refunded_cents):
        raise RegistrationError(
            _l("The order changed since you opened it; check it and try again."),
            "amount",
            409,
        )
    check_refund(order, amount_cents)
    stripe_refund_id = None
    if order.method == PaymentMethod.STRIPE and order.stripe_payment_intent:
        result = stripe_gateway.refund(
            order.stripe_payment_intent,
            amount_cents,
            idempotency_key=f"convene-order-{order.id}-refund-{order.refunded_cents}-{amount_cents}",
            order_id=order.id,
        )
        if result.status in ("failed", "canceled"):
            raise GatewayError(_l("The card processor could not make the refund."))
        stripe_refund_id = result.id
        existing = db.session.scalar(select(Refund).where(Refund.stripe_refund_id == result.id))
        if existing is not None:
            # Its webhook arrived first: already counted.
            return existing
    record = Refund(
        order_id=order.id,
        amount_cents=amount_cents,
        reason=reason,
        stripe_refund_id=stripe_refund_id,
        created_by_id=actor.id,
    )
    db.session.add(record)
    db.session.flush()
    audit.record(
        "order.refunded",
        actor=actor,
        event_id=order.event_id,
        obj=order,
        summary=f"{order_reference(order)}: refund of {order.currency} "
        f"{plain_amount(amount_cents)}",
        amount_cents=amount_cents,
        reason=reason,
        stripe_refund_id=stripe_refund_id,
    )
    _apply_refund_total(order, actor, "app")
    _mail_buyer(
        order,
        "refunded",
        refund_amount=plain_amount(amount_cents),
        refunded_total=plain_amount(order.refunded_cents),
        full=order.status == S.REFUNDED,
        reason=reason,
    )
    return record


def refunds_of(order: Order) -> list[Refund]:
    return list(
        db.session.scalars(
            select(Refund).where(Refund.order_id == order.id).order_by(Refund.created_at, Refund.id)
        )
    )


# ---------------------------------------------------------------------------- webhook


@dataclass
class WebhookOutcome:
    """What the webhook answers: `status` 200 (processed, duplicate or ignored), 404 (no
    such order: Stripe retries, which is harmless) or 409 (a refund of an order whose
    payment is not confirmed yet: Stripe retries, and it counts once the order is paid)."""

    status: int
    result: str
    order_id: int | None = None


#: Refund states that count as refunded (pending ones usually succeed; a later
#: refund.updated to failed takes them back out).
COUNTED_REFUND = frozenset({"succeeded", "pending", "requires_action"})


def _positive_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


def _id_of(value: Any) -> str | None:
    """An object id, whether the field holds the id or the expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def order_for_intent(intent_id: str | None, metadata: Any) -> Order | None:
    """The order a PaymentIntent pays: by its id, else by the order id in its metadata
    (an order whose PaymentIntent id was never stored, when the event ids agree)."""
    if intent_id:
        order = db.session.scalar(select(Order).where(Order.stripe_payment_intent == intent_id))
        if order is not None:
            return order
    metadata = metadata if isinstance(metadata, dict) else {}
    order_id = _positive_int(metadata.get("order_id"))
    if order_id is None:
        return None
    order = db.session.get(Order, order_id)
    if order is None or order.method != PaymentMethod.STRIPE:
        return None
    if _positive_int(metadata.get("event_id")) != order.event_id:
        return None
    if order.stripe_payment_intent not in (None, intent_id):
        return None
    if intent_id and order.stripe_payment_intent is None:
        order.stripe_payment_intent = intent_id
    return order


def _on_intent(kind: str, intent: dict) -> WebhookOutcome:
    order = order_for_intent(_id_of(intent), intent.get("metadata"))
    if order is None:
        return WebhookOutcome(404, "unknown order")
    order = lock(order)
    if kind == "payment_intent.succeeded":
        received = _positive_int(intent.get("amount_received")) or _positive_int(
            intent.get("amount")
        )
        currency = str(intent.get("currency") or "").upper()
        if received != order.amount_cents or currency != order.currency:
            audit.record(
                "order.payment_mismatch",
                actor=None,
                event_id=order.event_id,
                obj=order,
                summary=f"{order_reference(order)}: Stripe reports {currency} "
                f"{plain_amount(received or 0)}, the order is {order.currency} "
                f"{plain_amount(order.amount_cents)}; not marked paid",
                payment_intent=_id_of(intent),
            )
            return WebhookOutcome(200, "amount mismatch", order.id)
        changed = mark_paid(
            order,
            actor=None,
            method=PaymentMethod.STRIPE,
            reference=_id_of(intent) or "",
            source="stripe",
        )
        return WebhookOutcome(200, "paid" if changed else "already paid", order.id)
    error = intent.get("last_payment_error")
    reason = ""
    if isinstance(error, dict):
        reason = str(error.get("message") or error.get("code") or "")
    if kind == "payment_intent.payment_failed":
        changed = mark_failed(order, reason or PAYMENT_FAILED_NOTE)
        return WebhookOutcome(200, "failed" if changed else "unchanged", order.id)
    changed = mark_failed(order, CANCELLED_AT_STRIPE_NOTE, status=S.CANCELLED)
    return WebhookOutcome(200, "cancelled" if changed else "unchanged", order.id)


def _sync_refund(order: Order, refund_id: str, amount: int, status: str) -> bool:
    """Count or uncount one Stripe refund on the order; True if something changed."""
    existing = db.session.scalar(select(Refund).where(Refund.stripe_refund_id == refund_id))
    if existing is not None and existing.order_id != order.id:
        return False
    if status in COUNTED_REFUND:
        if existing is not None or amount <= 0:
            return False
        db.session.add(
            Refund(
                order_id=order.id,
                amount_cents=amount,
                reason=REFUNDED_AT_STRIPE_NOTE,
                stripe_refund_id=refund_id,
            )
        )
        return True
    if existing is not None:
        db.session.execute(delete(Refund).where(Refund.id == existing.id))
        db.session.expunge(existing)
        return True
    return False


def _refund_entries(obj: dict) -> list[dict]:
    refunds = obj.get("refunds")
    if isinstance(refunds, dict):
        refunds = refunds.get("data")
    return [r for r in refunds or [] if isinstance(r, dict)]


def _on_refund(kind: str, obj: dict) -> WebhookOutcome:
    intent_id = _id_of(obj.get("payment_intent"))
    order = None
    if intent_id:
        order = db.session.scalar(select(Order).where(Order.stripe_payment_intent == intent_id))
    if order is None:
        return WebhookOutcome(404, "unknown order")
    order = lock(order)
    if order.status not in PAID_STATES:
        # Stripe refunds only a charge that succeeded: its `payment_intent.succeeded` is
        # late (deliveries come in any order). Not remembered, answered 409: Stripe sends
        # the refund again later, once the order is paid, and it is counted then.
        log.warning("stripe %s for order %s that is %s: retry", kind, order.id, order.status)
        return WebhookOutcome(409, "not paid yet", order.id)
    changed = False
    if obj.get("object") == "refund":
        refund_id = _id_of(obj)
        if refund_id:
            changed = _sync_refund(
                order, refund_id, _positive_int(obj.get("amount")) or 0, str(obj.get("status"))
            )
    else:  # a charge: its refunds, if listed, else ask Stripe for them
        entries = _refund_entries(obj)
        total = _positive_int(obj.get("amount_refunded")) or 0
        listed = sum(_positive_int(r.get("amount")) or 0 for r in entries)
        if listed < total and order.stripe_payment_intent:
            entries = [
                {"id": r.id, "amount": r.amount, "status": r.status}
                for r in stripe_gateway.list_refunds(order.stripe_payment_intent)
            ]
        for entry in entries:
            refund_id = _id_of(entry)
            if refund_id:
                changed |= _sync_refund(
                    order,
                    refund_id,
                    _positive_int(entry.get("amount")) or 0,
                    str(entry.get("status")),
                )
    if changed:
        _apply_refund_total(order, None, "stripe")
    return WebhookOutcome(200, "refunds synced" if changed else "unchanged", order.id)


INTENT_EVENTS = frozenset(
    {"payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled"}
)
REFUND_EVENTS = frozenset(
    {
        "charge.refunded",
        "charge.refund.updated",
        "refund.created",
        "refund.updated",
        "refund.failed",
    }
)


def seen(event_id: str) -> bool:
    return (
        db.session.scalar(
            select(WebhookEvent.id).where(
                WebhookEvent.provider == PROVIDER, WebhookEvent.event_key == event_id
            )
        )
        is not None
    )


def process_event(event: dict) -> WebhookOutcome:
    """Apply one verified Stripe event. A replay (same event id) changes nothing; the
    event id is stored in the same transaction as its effects. Unknown orders change
    nothing and answer 404; a refund that arrives before its payment, 409. Neither is
    remembered, so Stripe's retry is processed. The caller commits (or rolls back on
    anything but 200)."""
    event_id = str(event["id"])[:120]
    kind = event["type"]
    if seen(event_id):
        return WebhookOutcome(200, "duplicate")
    obj = event["data"]["object"]
    if kind in INTENT_EVENTS:
        outcome = _on_intent(kind, obj)
    elif kind in REFUND_EVENTS:
        outcome = _on_refund(kind, obj)
    else:
        outcome = WebhookOutcome(200, "ignored")
    if outcome.status == 200:
        db.session.add(WebhookEvent(provider=PROVIDER, event_key=event_id))
        db.session.flush()
    else:
        log.warning("stripe event %s (%s): %s, nothing changed", event_id, kind, outcome.result)
    return outcome


# ------------------------------------------------------------------------- order lists


def orders_query(event: Event, *, status: str = "", item_id: Any = None, method: str = ""):
    """The event's orders, newest first, filtered by status, item and method."""
    query = select(Order).where(Order.event_id == event.id)
    if status == "attention":
        query = query.where(
            Order.status.in_([S.PAID, S.PARTLY_REFUNDED]), Order.reserved.is_(False)
        )
    elif status in {s.value for s in OrderStatus}:
        query = query.where(Order.status == OrderStatus(status))
    item = _positive_int(item_id)
    if item is not None:
        query = query.where(Order.item_id == item)
    if method in {m.value for m in PaymentMethod}:
        query = query.where(Order.method == PaymentMethod(method))
    return query.order_by(Order.created_at.desc(), Order.id.desc())


def totals(query) -> list[dict[str, Any]]:
    """Per currency: orders, paid, refunded and net cents of the (filtered) orders; one
    GROUP BY query."""
    sub = query.order_by(None).subquery()
    paid_states = [s.value for s in PAID_STATES]
    paid = func.sum(case((sub.c.status.in_(paid_states), sub.c.amount_cents), else_=0))
    rows = db.session.execute(
        select(
            sub.c.currency,
            func.count(),
            func.coalesce(paid, 0),
            func.coalesce(func.sum(sub.c.refunded_cents), 0),
        )
        .group_by(sub.c.currency)
        .order_by(sub.c.currency)
    ).all()
    return [
        {
            "currency": currency,
            "orders": int(count),
            "paid": int(paid or 0),
            "refunded": int(refunded or 0),
            "net": int(paid or 0) - int(refunded or 0),
        }
        for currency, count, paid, refunded in rows
    ]


def mine(event: Event, user: User) -> list[Order]:
    """The user's orders for the event, newest first."""
    return list(
        db.session.scalars(
            select(Order)
            .where(Order.event_id == event.id, Order.user_id == user.id)
            .order_by(Order.created_at.desc(), Order.id.desc())
        )
    )


def buyer_name(order: Order) -> str:
    if order.registration is not None and order.registration.full_name:
        return order.registration.full_name
    return order.user.name if order.user is not None else "—"
