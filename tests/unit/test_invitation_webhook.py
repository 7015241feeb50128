"""SendGrid webhook rules without HTTP: the signature check and the delivery ladder."""

from __future__ import annotations

import base64
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from invitations import webhook
from invitations.webhook import WebhookError, apply_delivery, apply_outbox, parse, verify
from models import Delivery, Invitation, OutboxMessage, OutboxState, utcnow

NOW = 1_750_000_000


@pytest.fixture(scope="module")
def keys():
    """(private key, SendGrid-style base64 DER public key)."""
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, base64.b64encode(der).decode()


def sign(private, body: bytes, stamp: str) -> str:
    return base64.b64encode(private.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()


def test_a_good_signature_passes(keys):
    private, public = keys
    body = b'[{"event": "delivered"}]'
    verify(body, sign(private, body, str(NOW)), str(NOW), public, now=NOW + 599)


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"public": ""}, 503),
        ({"public": "   "}, 503),
        ({"public": "bm90IGEga2V5"}, 503),
        ({"signature": None}, 403),
        ({"stamp": None}, 403),
        ({"stamp": "noon"}, 403),
        ({"now": NOW + 601}, 403),
        ({"now": NOW - 601}, 403),
        ({"body": b'[{"event": "bounce"}]'}, 403),
        ({"signature": "%%%"}, 403),
        ({"body": b"[" + b" " * webhook.MAX_BODY + b"]"}, 413),
    ],
)
def test_refusals(keys, change, status):
    private, public = keys
    body = b'[{"event": "delivered"}]'
    args = {
        "body": body,
        "signature": sign(private, body, str(NOW)),
        "stamp": str(NOW),
        "public": public,
        "now": NOW,
    }
    args.update(change)
    with pytest.raises(WebhookError) as caught:
        verify(args["body"], args["signature"], args["stamp"], args["public"], now=args["now"])
    assert caught.value.status == status


def test_another_keys_signature_fails(keys):
    _private, public = keys
    other = ec.generate_private_key(ec.SECP256R1())
    body = b"[]"
    with pytest.raises(WebhookError):
        verify(body, sign(other, body, str(NOW)), str(NOW), public, now=NOW)


def test_real_clock_is_the_default(keys):
    private, public = keys
    stamp = str(int(time.time()))
    verify(b"[]", sign(private, b"[]", stamp), stamp, public)


@pytest.mark.parametrize("body", [b"{}", b"1", b"nope", b'"[]"'])
def test_parse_wants_a_list(body):
    with pytest.raises(WebhookError) as caught:
        parse(body)
    assert caught.value.status == 400


def _invitation(delivery: Delivery) -> Invitation:
    return Invitation(delivery=delivery, delivery_detail="")


@pytest.mark.parametrize(
    ("current", "new", "result"),
    [
        (Delivery.QUEUED, Delivery.DELIVERED, Delivery.DELIVERED),
        (Delivery.DELIVERED, Delivery.OPENED, Delivery.OPENED),
        (Delivery.OPENED, Delivery.DELIVERED, Delivery.OPENED),
        (Delivery.OPENED, Delivery.SPAM, Delivery.SPAM),
        (Delivery.DELIVERED, Delivery.BOUNCED, Delivery.BOUNCED),
        (Delivery.BOUNCED, Delivery.OPENED, Delivery.BOUNCED),
        (Delivery.BOUNCED, Delivery.DROPPED, Delivery.BOUNCED),
        (Delivery.SPAM, Delivery.BOUNCED, Delivery.SPAM),
    ],
)
def test_delivery_never_goes_back(current, new, result):
    invitation = _invitation(current)
    changed = apply_delivery(invitation, new, "reason", utcnow())
    assert invitation.delivery == result
    assert changed == (result != current)
    if changed and result in webhook.FINAL:
        assert invitation.delivery_detail == "reason"


@pytest.mark.parametrize(
    ("current", "new", "result"),
    [
        (OutboxState.SENT, Delivery.DELIVERED, OutboxState.DELIVERED),
        (OutboxState.SENT, Delivery.OPENED, OutboxState.DELIVERED),
        (OutboxState.DELIVERED, Delivery.BOUNCED, OutboxState.BOUNCED),
        (OutboxState.BOUNCED, Delivery.DELIVERED, OutboxState.BOUNCED),
        (OutboxState.SENT, Delivery.SPAM, OutboxState.SENT),
    ],
)
def test_outbox_state(current, new, result):
    message = OutboxMessage(state=current, last_error="")
    apply_outbox(message, new, "why")
    assert message.state == result
