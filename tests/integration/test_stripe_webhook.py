"""Card payments against localstripe: the PaymentIntent made through the gateway
(stripe.api_base → localstripe), confirmed with test cards through its API, and Stripe's
webhook — localstripe's own signed events handed to the app as they were posted, plus
events signed here the way Stripe signs (for what localstripe never sends: refund events,
out-of-order deliveries, unknown orders). The app verifies every one with the stripe
library. Valid, tampered, replayed, stale, out-of-order and unknown-order webhooks,
refunds through Stripe (and above the amount), cancellation."""

from __future__ import annotations

import json
import re
import time

from sqlalchemy import func, select

from models import AuditEntry, Order, OrderStatus, PaidItem, PaymentMethod, Refund, WebhookEvent
from tests.conftest import outbox
from tests.integration.test_registration_payments import (  # noqa: F401 - a fixture
    audits,
    get_order,
    make_order,
    sold,
    world_fixture,
)
from tests.stripe_server import (  # noqa: F401 - fixtures
    caught_fixture,
    localstripe_fixture,
    signed,
    stripe_on_fixture,
    webhook_catcher_fixture,
)
from webapp.extensions import db

S = OrderStatus


def buy_by_card(client, world, quantity=1) -> tuple[int, str, str]:
    """Buy the world's item as the logged-in user; returns (order id, PaymentIntent id,
    the payment page's HTML)."""
    response = client.post(
        f"/events/{world['event']}/shop/buy",
        data={"item": world["item"], "quantity": str(quantity)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    match = re.search(r"/orders/(\d+)/pay$", location)
    assert match, location
    page = client.get(location)
    assert page.status_code == 200, page.get_data(as_text=True)
    order_id = int(match.group(1))
    intent = get_order(client.application, order_id).stripe_payment_intent
    assert intent and intent.startswith("pi_")
    return order_id, intent, page.get_data(as_text=True)


def post_event(client, body: bytes | str, signature: str | None):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return client.post("/webhooks/stripe", data=body, headers=headers)


def event_payload(kind: str, obj: dict, event_id: str | None = None) -> str:
    """A Stripe event as Stripe posts it."""
    return json.dumps(
        {
            "id": event_id or f"evt_test_{time.monotonic_ns()}",
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "livemode": False,
            "api_version": "2026-10-28.endive",
            "data": {"object": obj},
        }
    )


def intent_object(order: Order, intent_id: str, status: str = "succeeded", **fields) -> dict:
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": order.amount_cents,
        "amount_received": order.amount_cents if status == "succeeded" else 0,
        "currency": order.currency.lower(),
        "status": status,
        "metadata": {"order_id": str(order.id), "event_id": str(order.event_id)},
        **fields,
    }


def send(client, kind: str, obj: dict, event_id: str | None = None):
    payload = event_payload(kind, obj, event_id)
    return post_event(client, payload, signed(payload))


def webhook_events(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(WebhookEvent.id)))


# ------------------------------------------------------------------ the payment page


def test_payment_page_loads_stripe_js_and_reuses_the_intent(app, client, login, world, stripe_on):
    login("buyer@x.org")
    order_id, intent, html = buy_by_card(client, world)
    order = get_order(app, order_id)
    assert order.method == PaymentMethod.STRIPE and order.status == S.OPEN
    assert f'<script src="{stripe_on.js_url}"></script>' in html
    assert 'data-key="pk_test_convene_localstripe"' in html
    assert f'data-client-secret="{intent}_secret_' in html
    assert "registration-pay.js" in html
    # The PaymentIntent at localstripe carries the order's ids.
    status, body = stripe_on.api("GET", f"/v1/payment_intents/{intent}")
    assert status == 200
    assert body["metadata"] == {"order_id": str(order_id), "event_id": str(world["event"])}
    assert body["amount"] == 150_000 and body["currency"] == "chf"
    # A reload reuses it.
    client.get(f"/events/{world['event']}/orders/{order_id}/pay")
    assert get_order(app, order_id).stripe_payment_intent == intent
    # No other page loads Stripe.js.
    for path in (
        f"/events/{world['event']}/orders/{order_id}",
        f"/events/{world['event']}/shop",
    ):
        assert stripe_on.js_url not in client.get(path).get_data(as_text=True)
    assert [a.data["payment_intent"] for a in audits(app, "order.payment_started")] == [intent]


def test_payment_page_when_stripe_cannot_be_reached(app, client, login, world, stripe_on):
    login("buyer@x.org")
    response = client.post(
        f"/events/{world['event']}/shop/buy", data={"item": world["item"], "quantity": "1"}
    )
    app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"  # nothing listens there
    page = client.get(response.headers["Location"])
    assert page.status_code == 502
    assert "could not be reached" in page.get_data(as_text=True)
    order_id = int(response.headers["Location"].split("/")[-2])
    order = get_order(app, order_id)
    assert order.status == S.OPEN and order.stripe_payment_intent is None and order.reserved


# ------------------------------------------------------------- localstripe's webhooks


def test_paid_only_by_localstripes_signed_webhook_and_replay_changes_nothing(
    app, client, login, world, caught, localstripe
):
    login("buyer@x.org")
    order_id, intent, _ = buy_by_card(client, world, quantity=2)
    status, body = localstripe.pay(intent)
    assert status == 200 and body["status"] == "succeeded"
    # Confirmed at Stripe, but not paid here until the webhook arrives.
    assert get_order(app, order_id).status == S.OPEN
    page = client.get(f"/events/{world['event']}/orders/{order_id}").get_data(as_text=True)
    assert "Processing: waiting for the card processor" in page
    payload, signature, event = caught.wait("payment_intent.succeeded", intent)
    assert signature.startswith("t=") and ",v1=" in signature
    response = post_event(client, payload, signature)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["result"] == "paid"
    order = get_order(app, order_id)
    assert order.status == S.PAID and order.receipt_number == "PAY-1-R-00001"
    assert order.paid_at is not None and order.payment_reference == intent
    assert order.reserved and sold(app, world["item"]) == 2
    assert (
        client.get(f"/events/{world['event']}/orders/{order_id}/status.json").get_json()["status"]
        == "paid"
    )
    [mail] = outbox(app, "buyer@x.org")
    assert "payment received" in mail.subject
    [entry] = audits(app, "order.paid")
    assert entry.actor_id is None and entry.data["source"] == "stripe"
    # The same delivery again: 200, nothing changes.
    again = post_event(client, payload, signature)
    assert again.status_code == 200 and again.get_json()["result"] == "duplicate"
    assert len(outbox(app, "buyer@x.org")) == 1 and len(audits(app, "order.paid")) == 1
    assert webhook_events(app) == 1
    receipt = client.get(f"/events/{world['event']}/orders/{order_id}/receipt.pdf")
    assert receipt.status_code == 200 and receipt.data.startswith(b"%PDF")


def test_declined_card_fails_the_order_and_gives_units_back(
    app, client, login, world, caught, localstripe
):
    login("buyer@x.org")
    order_id, intent, _ = buy_by_card(client, world, quantity=2)
    assert sold(app, world["item"]) == 2
    status, body = localstripe.pay(intent, "pm_card_chargeCustomerFail")
    assert status == 402
    payload, signature, _ = caught.wait("payment_intent.payment_failed", intent)
    response = post_event(client, payload, signature)
    assert response.status_code == 200 and response.get_json()["result"] == "failed"
    order = get_order(app, order_id)
    assert order.status == S.FAILED and not order.reserved
    assert "declined" in order.failure_reason
    assert sold(app, world["item"]) == 0
    [mail] = outbox(app, "buyer@x.org")
    assert "did not go through" in mail.subject
    assert client.get(f"/events/{world['event']}/orders/{order_id}/receipt.pdf").status_code == 404


# --------------------------------------------------------------- signature problems


def test_tampered_missing_wrong_and_stale_signatures_are_400(
    app, client, login, world, caught, localstripe
):
    login("buyer@x.org")
    order_id, intent, _ = buy_by_card(client, world)
    localstripe.pay(intent)
    payload, signature, _ = caught.wait("payment_intent.succeeded", intent)
    tampered = payload.replace(b'"amount": 150000', b'"amount": 1')
    assert tampered != payload
    cases = [
        (tampered, signature),  # body changed after signing
        (payload, None),  # no signature
        (payload, ""),
        (payload, "garbage"),
        (payload, signed(payload, secret="whsec_someone_else")),
        (payload, signed(payload, timestamp=int(time.time()) - 3600)),  # an old replay
        (b"\xff\xfe not utf-8", signed(b"x")),
    ]
    for body, header in cases:
        response = post_event(client, body, header)
        assert response.status_code == 400, (body[:40], header)
        assert response.get_json()["error"]["message"]
    # Correctly signed nonsense is refused too.
    for nonsense in ("[]", "not json", '{"id": 5}', '{"id": "evt_1", "type": "x", "data": 1}'):
        assert post_event(client, nonsense, signed(nonsense)).status_code == 400
    assert get_order(app, order_id).status == S.OPEN
    assert webhook_events(app) == 0 and outbox(app, "buyer@x.org") == []


def test_webhook_body_too_large_is_413(app, client, stripe_on):
    body = b"{" + b" " * (600 * 1024) + b"}"
    assert post_event(client, body, signed(body)).status_code == 413


# ---------------------------------------------------------------- out of order


def test_failure_after_success_changes_nothing(app, client, login, world, stripe_on):
    order_id = make_order(app, world, method=PaymentMethod.STRIPE, stripe_payment_intent="pi_A1")
    order = get_order(app, order_id)
    assert (
        send(client, "payment_intent.succeeded", intent_object(order, "pi_A1")).status_code == 200
    )
    failed = intent_object(
        order, "pi_A1", "requires_payment_method", last_payment_error={"message": "Declined"}
    )
    response = send(client, "payment_intent.payment_failed", failed)
    assert response.status_code == 200 and response.get_json()["result"] == "unchanged"
    response = send(client, "payment_intent.canceled", intent_object(order, "pi_A1", "canceled"))
    assert response.get_json()["result"] == "unchanged"
    order = get_order(app, order_id)
    assert order.status == S.PAID and order.reserved and sold(app, world["item"]) == 1


def test_success_after_failure_pays_again_and_takes_units_back(
    app, client, login, world, stripe_on
):
    order_id = make_order(app, world, method=PaymentMethod.STRIPE, stripe_payment_intent="pi_B1")
    order = get_order(app, order_id)
    failed = intent_object(order, "pi_B1", "requires_payment_method")
    send(client, "payment_intent.payment_failed", failed)
    assert get_order(app, order_id).status == S.FAILED and sold(app, world["item"]) == 0
    response = send(client, "payment_intent.succeeded", intent_object(order, "pi_B1"))
    assert response.get_json()["result"] == "paid"
    order = get_order(app, order_id)
    assert order.status == S.PAID and order.reserved and order.failure_reason == ""
    assert sold(app, world["item"]) == 1


def test_success_after_failure_when_sold_out_is_paid_and_flagged(
    app, client, login, world, stripe_on
):
    order_id = make_order(
        app, world, quantity=2, method=PaymentMethod.STRIPE, stripe_payment_intent="pi_C1"
    )
    order = get_order(app, order_id)
    send(client, "payment_intent.payment_failed", intent_object(order, "pi_C1", "canceled"))
    make_order(app, world, email="other@x.org", quantity=2)  # takes the units meanwhile
    make_order(app, world, email="other@x.org", quantity=1)
    assert sold(app, world["item"]) == 3
    response = send(client, "payment_intent.succeeded", intent_object(order, "pi_C1"))
    assert response.status_code == 200 and response.get_json()["result"] == "paid"
    order = get_order(app, order_id)
    assert order.status == S.PAID and not order.reserved and order.receipt_number
    assert sold(app, world["item"]) == 3  # never oversold
    [flag] = audits(app, "order.paid_when_sold_out")
    assert "sold out" in flag.summary
    login("org@x.org")
    page = client.get(f"/events/{world['event']}/orders?status=attention").get_data(as_text=True)
    assert "Needs attention" in page and "1 order," in page
    detail = client.get(f"/events/{world['event']}/orders/{order_id}").get_data(as_text=True)
    assert "refund it or raise the quantity" in detail


def test_refund_before_its_payment_is_retried_and_counted(app, client, login, world, stripe_on):
    """Stripe delivers a refund before the payment it refunds: refused (409) and not
    remembered, so Stripe's retry counts it once the payment is in."""
    order_id = make_order(app, world, method=PaymentMethod.STRIPE, stripe_payment_intent="pi_R0")
    order = get_order(app, order_id)
    refund = {
        "id": "re_R0",
        "object": "refund",
        "amount": 1000,
        "status": "succeeded",
        "payment_intent": "pi_R0",
    }
    response = send(client, "refund.created", refund, "evt_refund_R0")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "not_paid_yet"
    assert webhook_events(app) == 0 and get_order(app, order_id).status == S.OPEN
    assert (
        send(client, "payment_intent.succeeded", intent_object(order, "pi_R0")).status_code == 200
    )
    # Stripe's retry of the same event.
    response = send(client, "refund.created", refund, "evt_refund_R0")
    assert response.status_code == 200 and response.get_json()["result"] == "refunds synced"
    order = get_order(app, order_id)
    assert order.status == S.PARTLY_REFUNDED and order.refunded_cents == 1000


# ------------------------------------------------------------------ unknown orders


def test_events_for_unknown_orders_are_404_and_change_nothing(app, client, login, world, stripe_on):
    order_id = make_order(app, world, method=PaymentMethod.STRIPE, stripe_payment_intent="pi_K1")
    order = get_order(app, order_id)
    unknown = [
        intent_object(order, "pi_unknown", metadata={}),
        intent_object(order, "pi_unknown", metadata={"order_id": "999999", "event_id": "1"}),
        # The right order id, another event: not ours.
        intent_object(
            order,
            "pi_unknown",
            metadata={"order_id": str(order_id), "event_id": str(world["other_event"])},
        ),
        # The right order id, but the order has another PaymentIntent.
        intent_object(order, "pi_other"),
        intent_object(order, "pi_unknown", metadata={"order_id": "x' or 1=1", "event_id": []}),
    ]
    for obj in unknown:
        response = send(client, "payment_intent.succeeded", obj)
        assert response.status_code == 404, obj
        assert response.get_json()["error"]["code"] == "unknown_order"
    refund = {"id": "re_x", "object": "refund", "amount": 100, "status": "succeeded"}
    assert (
        send(client, "refund.created", {**refund, "payment_intent": "pi_nope"}).status_code == 404
    )
    assert send(client, "charge.refunded", {"id": "ch_x", "object": "charge"}).status_code == 404
    assert get_order(app, order_id).status == S.OPEN
    assert webhook_events(app) == 0
    # Event types of no interest are acknowledged and remembered.
    response = send(client, "customer.created", {"id": "cus_1", "object": "customer"}, "evt_c")
    assert response.status_code == 200 and response.get_json()["result"] == "ignored"
    assert webhook_events(app) == 1


def test_an_order_found_by_its_metadata_keeps_the_intent_id(app, client, world, stripe_on):
    """The PaymentIntent was made but its id never stored (a crash): the metadata finds
    the order, which adopts the id."""
    order_id = make_order(app, world, method=PaymentMethod.STRIPE)
    order = get_order(app, order_id)
    response = send(client, "payment_intent.succeeded", intent_object(order, "pi_lost"))
    assert response.status_code == 200
    order = get_order(app, order_id)
    assert order.status == S.PAID and order.stripe_payment_intent == "pi_lost"


def test_amount_mismatch_is_not_paid(app, client, world, stripe_on):
    order_id = make_order(app, world, method=PaymentMethod.STRIPE, stripe_payment_intent="pi_M")
    order = get_order(app, order_id)
    obj = intent_object(order, "pi_M", amount=100, amount_received=100)
    response = send(client, "payment_intent.succeeded", obj)
    assert response.status_code == 200 and response.get_json()["result"] == "amount mismatch"
    assert get_order(app, order_id).status == S.OPEN
    assert len(audits(app, "order.payment_mismatch")) == 1


# -------------------------------------------------------------------------- refunds


def paid_by_card(app, client, world, caught, localstripe, quantity=2) -> tuple[int, str]:
    order_id, intent, _ = buy_by_card(client, world, quantity=quantity)
    localstripe.pay(intent)
    payload, signature, _ = caught.wait("payment_intent.succeeded", intent)
    assert post_event(client, payload, signature).status_code == 200
    return order_id, intent


def test_refunds_through_stripe_partial_above_and_synced(
    app, client, login, world, caught, localstripe
):
    login("buyer@x.org")
    order_id, intent = paid_by_card(app, client, world, caught, localstripe)
    client.post("/account/logout")
    login("org@x.org")
    url = f"/events/{world['event']}/orders/{order_id}/refund"
    response = client.post(url, data={"amount": "1000", "reason": "Half a stand"})
    assert response.status_code == 302, response.get_data(as_text=True)
    order = get_order(app, order_id)
    assert order.status == S.PARTLY_REFUNDED and order.refunded_cents == 100_000
    server = localstripe
    status, refunds = server.api("GET", f"/v1/refunds?payment_intent={intent}")
    assert [r["amount"] for r in refunds["data"]] == [100_000]
    stripe_refund = refunds["data"][0]["id"]
    with app.app_context():
        assert db.session.scalar(select(Refund.stripe_refund_id)) == stripe_refund
    # Above what is left: 400, nothing asked of Stripe, nothing stored.
    response = client.post(url, data={"amount": "2000.01"})
    assert response.status_code == 400
    assert "At most 2000.00 CHF" in response.get_data(as_text=True)
    assert len(server.api("GET", f"/v1/refunds?payment_intent={intent}")[1]["data"]) == 1
    # Stripe's echo of the app's refund counts once.
    echo = {
        "id": stripe_refund,
        "object": "refund",
        "amount": 100_000,
        "status": "succeeded",
        "payment_intent": intent,
    }
    assert send(client, "refund.created", echo).get_json()["result"] == "unchanged"
    assert get_order(app, order_id).refunded_cents == 100_000
    # A refund made in Stripe's dashboard arrives by webhook and is counted.
    status, dashboard = server.api(
        "POST", "/v1/refunds", {"payment_intent": intent, "amount": "50000"}
    )
    assert status == 200
    obj = {**echo, "id": dashboard["id"], "amount": 50_000}
    assert send(client, "refund.created", obj).get_json()["result"] == "refunds synced"
    order = get_order(app, order_id)
    assert order.refunded_cents == 150_000 and order.status == S.PARTLY_REFUNDED
    # It fails after all: taken back out.
    failed = {**obj, "status": "failed"}
    assert send(client, "refund.updated", failed).get_json()["result"] == "refunds synced"
    assert get_order(app, order_id).refunded_cents == 100_000
    [entry] = audits(app, "order.refunded")
    assert entry.data["stripe_refund_id"] == stripe_refund


def test_charge_refunded_without_a_list_asks_stripe(app, client, login, world, caught, localstripe):
    login("buyer@x.org")
    order_id, intent = paid_by_card(app, client, world, caught, localstripe, quantity=1)
    server = localstripe
    status, made = server.api("POST", "/v1/refunds", {"payment_intent": intent})  # all of it
    assert status == 200 and made["amount"] == 150_000
    charge = {
        "id": "ch_whatever",
        "object": "charge",
        "payment_intent": intent,
        "amount": 150_000,
        "amount_refunded": 150_000,
        "refunded": True,
    }
    response = send(client, "charge.refunded", charge)
    assert response.status_code == 200 and response.get_json()["result"] == "refunds synced"
    order = get_order(app, order_id)
    assert order.status == S.REFUNDED and order.refunded_cents == 150_000
    assert not order.reserved and sold(app, world["item"]) == 0
    # The same charge again (another event id): counted once.
    assert send(client, "charge.refunded", charge).get_json()["result"] == "unchanged"


# ------------------------------------------------------------------- cancellations


def test_buyer_cancels_a_card_order_and_the_intent_is_cancelled(
    app, client, login, world, stripe_on
):
    login("buyer@x.org")
    order_id, intent, _ = buy_by_card(client, world, quantity=2)
    response = client.post(f"/events/{world['event']}/orders/{order_id}/cancel")
    assert response.status_code == 302
    assert get_order(app, order_id).status == S.CANCELLED and sold(app, world["item"]) == 0
    status, body = stripe_on.api("GET", f"/v1/payment_intents/{intent}")
    assert body["status"] == "canceled"
    # The pay page no longer offers to pay.
    pay = client.get(f"/events/{world['event']}/orders/{order_id}/pay")
    assert pay.status_code == 302


def test_cancel_is_refused_once_the_payment_is_under_way(
    app, client, login, world, caught, localstripe
):
    login("buyer@x.org")
    order_id, intent, _ = buy_by_card(client, world)
    localstripe.pay(intent)  # succeeded at Stripe, webhook not yet here
    response = client.post(f"/events/{world['event']}/orders/{order_id}/cancel")
    assert response.status_code == 409
    assert "already under way" in response.get_data(as_text=True)
    assert get_order(app, order_id).status == S.OPEN and sold(app, world["item"]) == 1
    pay = client.get(f"/events/{world['event']}/orders/{order_id}/pay")
    assert pay.status_code == 302  # to the order page, which says "processing"


def test_offline_payment_of_a_card_order_cancels_its_intent(app, client, login, world, stripe_on):
    login("buyer@x.org")
    order_id, intent, _ = buy_by_card(client, world)
    client.post("/account/logout")
    login("org@x.org")
    response = client.post(
        f"/events/{world['event']}/orders/{order_id}/record-payment",
        data={"method": "bank_transfer", "reference": "Wire 88"},
    )
    assert response.status_code == 302
    order = get_order(app, order_id)
    assert order.status == S.PAID and order.method == PaymentMethod.BANK_TRANSFER
    assert stripe_on.api("GET", f"/v1/payment_intents/{intent}")[1]["status"] == "canceled"
    # A late success for that intent changes nothing.
    response = send(client, "payment_intent.succeeded", intent_object(order, intent))
    assert response.get_json()["result"] == "already paid"
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(AuditEntry.id)).where(AuditEntry.action == "order.paid")
            )
            == 1
        )
        assert db.session.get(PaidItem, world["item"]).sold == 1
