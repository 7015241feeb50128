"""Payment rules called directly: amount arithmetic, refund limits, who may buy, the
quantity reservation (conditional UPDATEs), the order state moves including events that
arrive out of order, receipt numbers, and webhook verification through the stripe
library."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from models import (
    Approval,
    AttendanceMode,
    Event,
    Order,
    OrderStatus,
    PaidItem,
    PaymentMethod,
    Registration,
    RegistrationCategory,
    User,
    WebhookEvent,
)
from registration import payments, stripe_gateway
from registration.core import RegistrationError
from tests.stripe_server import WEBHOOK_SECRET, signed
from webapp.extensions import db

S = OrderStatus


# ------------------------------------------------------------------ amounts (pure)


@pytest.mark.parametrize(
    "text,cents",
    [
        ("150", 15_000),
        ("150.5", 15_050),
        ("150,50", 15_050),
        ("0.01", 1),
        (" 1'500.00 ", 150_000),
        ("1,500.00", 150_000),
        ("1 500", 150_000),
        ("1\u202f500,25", 150_025),
        ("999999.99", 99_999_999),
    ],
)
def test_parse_amount(text, cents):
    assert payments.parse_amount(text) == cents


@pytest.mark.parametrize(
    "text",
    ["", "  ", "0", "0.00", "-1", "1.234", "abc", "1e5", "1,50,00", "1000000", "12..5", None, 5],
)
def test_parse_amount_refuses(text):
    with pytest.raises(RegistrationError) as error:
        payments.parse_amount(text, "amount")
    assert error.value.field == "amount" and error.value.status == 400


def test_plain_amount_and_totals():
    assert payments.plain_amount(150_050) == "1500.50"
    assert payments.plain_amount(5) == "0.05"
    assert payments.plain_amount(-250) == "-2.50"
    assert payments.order_total(150_000, 2) == 300_000


def test_money_in_the_current_language(ctx):
    assert payments.money(150_050, "CHF") == "CHF\xa01,500.50"
    from flask_babel import force_locale

    with force_locale("fr"):
        assert payments.money(150_050, "EUR") == "EUR\xa01\u202f500,50"
    assert payments.money(None, "CHF") == "—"


def order(amount=30_000, refunded=0, status=S.PAID) -> Order:
    return Order(amount_cents=amount, refunded_cents=refunded, status=status, currency="CHF")


def test_refund_limits():
    assert payments.refundable_cents(order()) == 30_000
    assert payments.refundable_cents(order(refunded=10_000, status=S.PARTLY_REFUNDED)) == 20_000
    assert payments.refundable_cents(order(status=S.OPEN)) == 0
    assert payments.refundable_cents(order(refunded=30_000, status=S.REFUNDED)) == 0
    payments.check_refund(order(refunded=10_000, status=S.PARTLY_REFUNDED), 20_000)
    with pytest.raises(RegistrationError) as error:
        payments.check_refund(order(refunded=10_000, status=S.PARTLY_REFUNDED), 20_001)
    assert error.value.status == 400 and "At most 200.00 CHF" in error.value.message
    with pytest.raises(RegistrationError):
        payments.check_refund(order(), 0)
    for status in (S.OPEN, S.FAILED, S.CANCELLED, S.REFUNDED):
        with pytest.raises(RegistrationError) as error:
            payments.check_refund(order(status=status), 1)
        assert error.value.status == 409


def test_status_after_refunds():
    assert payments.status_after_refunds(30_000, 0) == S.PAID
    assert payments.status_after_refunds(30_000, 1) == S.PARTLY_REFUNDED
    assert payments.status_after_refunds(30_000, 29_999) == S.PARTLY_REFUNDED
    assert payments.status_after_refunds(30_000, 30_000) == S.REFUNDED


def test_audience():
    registration = Registration(
        category=RegistrationCategory.MEDIA, mode=AttendanceMode.ONLINE, approval=Approval.PENDING
    )
    everyone = PaidItem(audience={})
    online = PaidItem(audience={"modes": ["online"], "categories": []})
    in_person = PaidItem(audience={"modes": ["in_person"]})
    media = PaidItem(audience={"modes": [], "categories": ["media", "observer"]})
    members = PaidItem(audience={"categories": ["member_state"]})
    both = PaidItem(audience={"modes": ["online"], "categories": ["member_state"]})
    assert payments.audience_allows(everyone, registration)
    assert payments.audience_allows(online, registration)
    assert payments.audience_allows(media, registration)
    assert not payments.audience_allows(in_person, registration)
    assert not payments.audience_allows(members, registration)
    assert not payments.audience_allows(both, registration)
    assert not payments.audience_allows(everyone, None)


def test_needs_attention():
    assert payments.needs_attention(Order(status=S.PAID, reserved=False))
    assert not payments.needs_attention(Order(status=S.PAID, reserved=True))
    assert not payments.needs_attention(Order(status=S.REFUNDED, reserved=False))
    assert not payments.needs_attention(Order(status=S.FAILED, reserved=False))


# ------------------------------------------------------- reservation (database)


@pytest.fixture
def shop(app, ctx, make_event, make_user):
    """An event, a registered buyer, an item with 3 units (2 per order)."""
    event = db.session.get(Event, make_event("UNIT-PAY"))
    buyer = db.session.get(User, make_user("buyer@x.org", "Bea Buyer"))
    registration = Registration(
        event_id=event.id,
        user_id=buyer.id,
        category=RegistrationCategory.OBSERVER,
        mode=AttendanceMode.IN_PERSON,
        last_name="Buyer",
        email=buyer.email,
    )
    item = PaidItem(
        event_id=event.id,
        name="Stand",
        price_cents=10_000,
        currency="CHF",
        quantity_limit=3,
        max_per_order=2,
    )
    db.session.add_all([registration, item])
    db.session.commit()
    return {"event": event, "buyer": buyer, "registration": registration, "item": item}


def test_reserve_never_oversells_and_release_never_goes_below_zero(shop):
    item = shop["item"]
    assert payments.reserve(item.id, 2)
    assert not payments.reserve(item.id, 2)  # only 1 left: nothing taken
    assert item.sold == 2
    assert payments.reserve(item.id, 1)
    assert not payments.reserve(item.id, 1)
    assert item.sold == 3 and payments.left(item) == 0
    payments.release(item.id, 3)
    payments.release(item.id, 1)  # nothing more to give back
    assert item.sold == 0
    item.quantity_limit = None
    db.session.flush()
    assert payments.reserve(item.id, 1000) and payments.left(item) is None


def test_buy_reserves_and_cancel_gives_back_once(shop):
    first = payments.buy(shop["buyer"], shop["event"], shop["item"].id, "2")
    assert first.status == S.OPEN and first.reserved and first.amount_cents == 20_000
    assert first.method == PaymentMethod.BANK_TRANSFER  # no Stripe key
    with pytest.raises(RegistrationError) as error:
        payments.buy(shop["buyer"], shop["event"], shop["item"].id, "2")
    assert error.value.status == 409 and error.value.message == "Only 1 left."
    payments.cancel(shop["buyer"], first)
    assert first.status == S.CANCELLED and not first.reserved and shop["item"].sold == 0
    with pytest.raises(RegistrationError):
        payments.cancel(shop["buyer"], first)
    assert shop["item"].sold == 0


def test_the_limit_cannot_drop_below_sold(shop):
    payments.buy(shop["buyer"], shop["event"], shop["item"].id, 2)
    db.session.commit()
    fields = {"name": "Stand", "price": "100", "currency": "CHF", "max_per_order": "2"}
    with pytest.raises(RegistrationError) as error:
        payments.save_item(shop["buyer"], shop["event"], shop["item"], quantity_limit="1", **fields)
    assert error.value.field == "quantity_limit" and error.value.status == 409
    db.session.rollback()
    item = payments.save_item(
        shop["buyer"], shop["event"], shop["item"], quantity_limit="2", **fields
    )
    assert item.quantity_limit == 2 and payments.left(item) == 0


# ------------------------------------------------------------------- state moves


def open_order(shop, quantity=1, intent="pi_unit") -> Order:
    o = payments.buy(shop["buyer"], shop["event"], shop["item"].id, quantity)
    o.method = PaymentMethod.STRIPE
    o.stripe_payment_intent = intent
    db.session.flush()
    return o


def test_paid_once_with_sequential_receipts(shop):
    first = open_order(shop, intent="pi_1")
    assert payments.mark_paid(first, actor=None, method=PaymentMethod.STRIPE)
    assert first.receipt_number == "UNIT-PAY-R-00001" and first.paid_at is not None
    paid_at = first.paid_at
    assert not payments.mark_paid(first, actor=None, method=PaymentMethod.STRIPE)
    assert first.paid_at == paid_at and first.receipt_number == "UNIT-PAY-R-00001"
    second = open_order(shop, intent="pi_2")
    payments.mark_paid(second, actor=None, method=PaymentMethod.CASH, reference="desk")
    assert second.receipt_number == "UNIT-PAY-R-00002"


def test_failure_after_success_changes_nothing(shop):
    o = open_order(shop)
    payments.mark_paid(o, actor=None, method=PaymentMethod.STRIPE)
    assert not payments.mark_failed(o, "declined")
    assert not payments.mark_failed(o, "gone", status=S.CANCELLED)
    assert o.status == S.PAID and o.reserved and shop["item"].sold == 1


def test_success_after_failure_takes_units_back_or_flags(shop):
    o = open_order(shop, quantity=2)
    assert payments.mark_failed(o, "declined")
    assert o.status == S.FAILED and not o.reserved and shop["item"].sold == 0
    payments.mark_paid(o, actor=None, method=PaymentMethod.STRIPE)
    assert o.status == S.PAID and o.reserved and shop["item"].sold == 2

    late = open_order(shop, quantity=1, intent="pi_late")
    payments.mark_failed(late, "declined")
    payments.buy(shop["buyer"], shop["event"], shop["item"].id, 1)  # the last unit goes
    assert shop["item"].sold == 3
    payments.mark_paid(late, actor=None, method=PaymentMethod.STRIPE)
    assert late.status == S.PAID and not late.reserved
    assert payments.needs_attention(late) and late.failure_reason == payments.SOLD_OUT_NOTE
    assert shop["item"].sold == 3


def test_full_refund_gives_units_back_once(shop):
    o = open_order(shop, quantity=2)
    payments.record_offline_payment(shop["buyer"], o, "bank_transfer", "REF-1")
    payments.refund(shop["buyer"], o, "50")
    assert o.status == S.PARTLY_REFUNDED and shop["item"].sold == 2
    with pytest.raises(RegistrationError):
        payments.refund(shop["buyer"], o, "150.01")
    payments.refund(shop["buyer"], o, "150")
    assert o.status == S.REFUNDED and o.refunded_cents == 20_000
    assert not o.reserved and shop["item"].sold == 0


# ----------------------------------------------------------------------- webhook


def event(kind: str, obj: dict, event_id: str = "evt_unit_1") -> dict:
    return {"id": event_id, "type": kind, "data": {"object": obj}}


def intent(o: Order, intent_id: str = "pi_unit") -> dict:
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": o.amount_cents,
        "amount_received": o.amount_cents,
        "currency": o.currency.lower(),
        "metadata": {"order_id": str(o.id), "event_id": str(o.event_id)},
    }


def test_process_event_is_idempotent(shop):
    o = open_order(shop)
    outcome = payments.process_event(event("payment_intent.succeeded", intent(o)))
    assert (outcome.status, outcome.result, outcome.order_id) == (200, "paid", o.id)
    again = payments.process_event(event("payment_intent.succeeded", intent(o)))
    assert again.result == "duplicate"
    assert db.session.scalars(select(WebhookEvent.event_key)).all() == ["evt_unit_1"]


def test_process_event_unknown_order_records_nothing(shop):
    o = open_order(shop)
    outcome = payments.process_event(event("payment_intent.succeeded", intent(o, "pi_other")))
    assert outcome.status == 404
    assert db.session.scalars(select(WebhookEvent)).all() == []
    assert o.status == S.OPEN


def test_verify_webhook_uses_the_library(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    payload = json.dumps(event("payment_intent.succeeded", {"id": "pi_1", "object": "x"}))
    data = stripe_gateway.verify_webhook(payload.encode(), signed(payload))
    assert data["id"] == "evt_unit_1" and data["data"]["object"]["id"] == "pi_1"
    bad = [
        signed(payload, secret="whsec_other"),
        signed(payload, timestamp=int(time.time()) - stripe_gateway.WEBHOOK_TOLERANCE - 60),
        "t=abc,v1=def",
        "",
        None,
    ]
    for header in bad:
        with pytest.raises(stripe_gateway.WebhookRejected) as error:
            stripe_gateway.verify_webhook(payload.encode(), header)
        assert error.value.status == 400
    with pytest.raises(stripe_gateway.WebhookRejected):
        stripe_gateway.verify_webhook(payload.replace("pi_1", "pi_2").encode(), signed(payload))
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", "")
    with pytest.raises(stripe_gateway.WebhookRejected) as error:
        stripe_gateway.verify_webhook(payload.encode(), signed(payload))
    assert error.value.status == 503


def test_concurrent_buyers_never_take_more_than_is_left(app, make_event):
    """Eight buyers at once for 3 units: exactly 3 reservations succeed (PostgreSQL in CI
    runs this for real; SQLite serializes the writers)."""
    import threading

    event_id = make_event("UNIT-RACE")
    with app.app_context():
        item = PaidItem(
            event_id=event_id, name="Last", price_cents=100, currency="CHF", quantity_limit=3
        )
        db.session.add(item)
        db.session.commit()
        item_id = item.id
    barrier = threading.Barrier(8)
    results: list[bool] = []
    lock = threading.Lock()

    def attempt():
        with app.app_context():
            barrier.wait()
            taken = payments.reserve(item_id, 1)
            db.session.commit()
            with lock:
                results.append(taken)
            db.session.remove()

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [False] * 5 + [True] * 3
    with app.app_context():
        assert db.session.get(PaidItem, item_id).sold == 3


@pytest.mark.parametrize("fonts", ["system", "none"])
def test_receipt_pdf_with_any_name(shop, monkeypatch, fonts):
    """Names in any script make a PDF: printed with a Unicode font when one is installed,
    with "?" for what no font has (the PDF core font, Latin-1 only, when none is)."""
    from registration import receipts
    from registration.pdf import FontSet, PdfDocument, find_fonts

    font_set = FontSet() if fonts == "none" else find_fonts()
    shop["registration"].first_name = "Zoë"
    shop["registration"].last_name = "Ñúñez-Владимирова 张三 عربي"
    o = open_order(shop, quantity=2)
    payments.mark_paid(o, actor=None, method=PaymentMethod.CASH, reference="Desk 1")
    payments.refund(shop["buyer"], o, "10")
    pdf = receipts.receipt_pdf(o, fonts=font_set, compress=False)
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    assert o.receipt_number.encode() in pdf
    # The receipt writes with the fonts and safe text badges and letters use.
    writer = PdfDocument("A4", fonts=font_set)
    assert writer.clean("Zoë\x00") == "Zoë"
    if fonts == "none":
        assert writer.clean("Влад") == "????"
        assert "(Zoë Ñúñez-??????????? ?? ????)" in pdf.decode("latin-1")
    writer.output()  # closes the font files
