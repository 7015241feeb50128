"""The one adapter to Stripe: PaymentIntents, their cancellation, refunds, and the
verification of Stripe's signed webhooks.

Configuration is read per call from the app config, so a test (or a key rotated at run
time) takes effect at once: STRIPE_SECRET_KEY (no key: online payment is off, organizers
record offline payments), STRIPE_API_BASE (localstripe in tests), STRIPE_WEBHOOK_SECRET.
Every call goes through a `stripe.StripeClient` built for that call: no global state of the
stripe module is touched, so two apps in one process (tests) never see each other's keys.

Money is in the currency's smallest unit (cents), as Stripe counts. Every call that
creates something at Stripe carries an idempotency key, so a retry after a lost answer
never charges or refunds twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import stripe
from flask import current_app
from flask_babel import lazy_gettext as _l

log = logging.getLogger(__name__)

#: Largest webhook body accepted; Stripe's events are a few kilobytes.
MAX_WEBHOOK_BODY = 512 * 1024
#: Signed timestamps older than this (seconds) are refused: replays of old deliveries.
WEBHOOK_TOLERANCE = 300
#: PaymentIntent states in which the money is taken or being taken: too late to cancel.
UNDER_WAY = frozenset({"succeeded", "processing", "requires_capture"})


class GatewayError(Exception):
    """Stripe refused or could not be reached; the message is for the user. `status` is
    the HTTP status to answer (502: Stripe's side, 409: the payment is already under way,
    503: not configured)."""

    def __init__(self, message: Any, status: int = 502, code: str = ""):
        super().__init__(str(message))
        self.message = message
        self.status = status
        self.code = code


class WebhookRejected(Exception):
    """A webhook post that is not a verified Stripe event; nothing is changed."""

    def __init__(self, message: Any, status: int = 400):
        super().__init__(str(message))
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Intent:
    id: str
    status: str
    client_secret: str
    amount: int
    currency: str


@dataclass(frozen=True)
class StripeRefund:
    id: str
    amount: int
    status: str


def enabled() -> bool:
    """Whether online payment is on (a secret key is configured)."""
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def publishable_key() -> str:
    return current_app.config.get("STRIPE_PUBLISHABLE_KEY") or ""


def _client() -> stripe.StripeClient:
    key = current_app.config.get("STRIPE_SECRET_KEY")
    if not key:
        raise GatewayError(_l("Online payment is not configured."), 503)
    base = (current_app.config.get("STRIPE_API_BASE") or stripe.DEFAULT_API_BASE).rstrip("/")
    # One retry on network errors and 409/5xx answers; safe with the idempotency keys.
    return stripe.StripeClient(key, base_addresses={"api": base}, max_network_retries=1)


def _get(obj: Any, key: str, default: Any = None) -> Any:
    try:
        value = obj[key]
    except (KeyError, TypeError, IndexError):
        return default
    return default if value is None else value


def _intent(pi: Any) -> Intent:
    return Intent(
        id=pi.id,
        status=_get(pi, "status", ""),
        client_secret=_get(pi, "client_secret", ""),
        amount=int(_get(pi, "amount", 0)),
        currency=str(_get(pi, "currency", "")).upper(),
    )


def _fail(error: stripe.StripeError, what: str) -> GatewayError:
    """A StripeError as a message for the user; the details go to the log."""
    log.warning("stripe %s failed: %s (%s)", what, error, type(error).__name__)
    if isinstance(error, stripe.APIConnectionError):
        return GatewayError(
            _l("The card processor could not be reached. Please try again in a moment.")
        )
    if isinstance(error, stripe.AuthenticationError | stripe.PermissionError):
        return GatewayError(_l("Online payment is misconfigured; the organizers were told."))
    message = getattr(error, "user_message", None) or ""
    if message:
        return GatewayError(
            _l("The card processor refused: %(message)s", message=message),
            code=getattr(error, "code", "") or "",
        )
    return GatewayError(_l("The card processor refused the request."))


def create_payment_intent(order_id: int, event_id: int, amount_cents: int, currency: str) -> Intent:
    """A PaymentIntent for the order, with its ids in the metadata (the webhook finds the
    order by them). The idempotency key is the order's: calling again (a reload after a
    lost answer) returns the same PaymentIntent for Stripe's 24 hours of key memory."""
    try:
        pi = _client().v1.payment_intents.create(
            params={
                "amount": int(amount_cents),
                "currency": currency.lower(),
                "metadata": {"order_id": str(order_id), "event_id": str(event_id)},
            },
            options={"idempotency_key": f"convene-order-{order_id}-intent"},
        )
    except stripe.StripeError as error:
        raise _fail(error, "create_payment_intent") from error
    return _intent(pi)


def retrieve_payment_intent(intent_id: str) -> Intent:
    try:
        pi = _client().v1.payment_intents.retrieve(intent_id)
    except stripe.StripeError as error:
        raise _fail(error, "retrieve_payment_intent") from error
    return _intent(pi)


def cancel_payment_intent(intent_id: str) -> None:
    """Cancel the PaymentIntent so it can no longer be paid; already cancelled is fine.
    GatewayError(409) when the payment is under way or done: too late to cancel."""
    client = _client()
    try:
        client.v1.payment_intents.cancel(intent_id)
        return
    except stripe.InvalidRequestError as error:
        refused = error
    except stripe.StripeError as error:
        raise _fail(error, "cancel_payment_intent") from error
    # Refused: find out why (already cancelled, or already paid).
    status = retrieve_payment_intent(intent_id).status
    if status == "canceled":
        return
    if status in UNDER_WAY:
        raise GatewayError(
            _l("The payment is already under way; wait for its confirmation."), 409
        ) from refused
    raise _fail(refused, "cancel_payment_intent") from refused


def refund(intent_id: str, amount_cents: int, idempotency_key: str, order_id: int) -> StripeRefund:
    """Refund part or all of a PaymentIntent's charge."""
    try:
        result = _client().v1.refunds.create(
            params={
                "payment_intent": intent_id,
                "amount": int(amount_cents),
                "metadata": {"order_id": str(order_id)},
            },
            options={"idempotency_key": idempotency_key},
        )
    except stripe.StripeError as error:
        raise _fail(error, "refund") from error
    return StripeRefund(
        id=result.id, amount=int(_get(result, "amount", 0)), status=_get(result, "status", "")
    )


def list_refunds(intent_id: str) -> list[StripeRefund]:
    """Every refund of the PaymentIntent (used when a `charge.refunded` event does not
    list them)."""
    try:
        page = _client().v1.refunds.list(params={"payment_intent": intent_id, "limit": 100})
    except stripe.StripeError as error:
        raise _fail(error, "list_refunds") from error
    return [
        StripeRefund(id=r.id, amount=int(_get(r, "amount", 0)), status=_get(r, "status", ""))
        for r in page.data
    ]


def verify_webhook(payload: bytes, signature: str | None) -> dict[str, Any]:
    """The event of a webhook post, verified with stripe's own `Webhook.construct_event`
    against STRIPE_WEBHOOK_SECRET; WebhookRejected otherwise (400: missing, malformed,
    wrong or stale signature, or a body that is not an event; 503: no secret configured).
    """
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET") or ""
    if not secret.strip():
        raise WebhookRejected(
            _l("The Stripe webhook is not configured: set STRIPE_WEBHOOK_SECRET."), 503
        )
    if len(payload) > MAX_WEBHOOK_BODY:
        raise WebhookRejected(_l("The request body is too large."), 413)
    if not signature:
        raise WebhookRejected(_l("The request is not signed."))
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, secret, tolerance=WEBHOOK_TOLERANCE
        )
    except stripe.SignatureVerificationError:
        raise WebhookRejected(_l("The signature does not match.")) from None
    except (ValueError, TypeError, AttributeError, KeyError, IndexError):
        # Not UTF-8, not JSON, or JSON that is not an event object (the signature matched:
        # someone holding the secret sent nonsense).
        raise WebhookRejected(_l("The body is not a Stripe event.")) from None
    data = event.to_dict(for_json=True)
    if not isinstance(data.get("id"), str) or not isinstance(data.get("type"), str):
        raise WebhookRejected(_l("The body is not a Stripe event."))
    body = data.get("data")
    if not isinstance(body, dict) or not isinstance(body.get("object"), dict):
        raise WebhookRejected(_l("The body is not a Stripe event."))
    return data
