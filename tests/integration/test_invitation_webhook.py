"""SendGrid's event webhook through the HTTP client: signed, tampered, replayed, stale."""

from __future__ import annotations

import base64
import json
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select

from models import Delivery, Invitation, OutboxMessage, OutboxState, WebhookEvent
from tests.integration.test_invitation_rsvp import invite
from webapp.extensions import db

URL = "/webhooks/sendgrid"
SIGNATURE = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP = "X-Twilio-Email-Event-Webhook-Timestamp"


@pytest.fixture(scope="module")
def private_key():
    """A P-256 key pair made for the test, as SendGrid has its own."""
    return ec.generate_private_key(ec.SECP256R1())


def public_key_b64(private_key) -> str:
    """The public key as SendGrid shows it: base64 DER SubjectPublicKeyInfo."""
    der = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


@pytest.fixture
def signed(app, private_key, monkeypatch):
    """Configure the key; returns post(events_or_bytes, timestamp=None, tamper=False)."""
    monkeypatch.setitem(app.config, "SENDGRID_WEBHOOK_PUBLIC_KEY", public_key_b64(private_key))
    client = app.test_client()

    def post(events, timestamp=None, body=None):
        payload = events if isinstance(events, bytes) else json.dumps(events).encode()
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signature = private_key.sign(stamp.encode() + payload, ec.ECDSA(hashes.SHA256()))
        return client.post(
            URL,
            data=payload if body is None else body,
            content_type="application/json",
            headers={SIGNATURE: base64.b64encode(signature).decode(), TIMESTAMP: stamp},
        )

    return post


@pytest.fixture
def sent(app, make_event, make_user):
    """One invitation whose letter went out: (invitation id, outbox message id)."""
    eid = make_event()
    make_user("organizer@x.org", organizer_of=eid)
    ids = invite(app, eid)
    with app.app_context():
        invitation = db.session.get(Invitation, ids["invitation_id"])
        message = db.session.get(OutboxMessage, invitation.outbox_message_id)
        message.state = OutboxState.SENT
        db.session.commit()
        return invitation.id, message.id


def event(kind, invitation_id, outbox_id, key, ts=None, **extra):
    """One SendGrid event with our custom args at the top level, as SendGrid sends them."""
    return {
        "email": "guest@x.org",
        "timestamp": ts or int(time.time()),
        "event": kind,
        "sg_event_id": key,
        "sg_message_id": "abc.filter0001",
        "invitation_id": str(invitation_id),
        "outbox_id": str(outbox_id),
        **extra,
    }


def state(app, invitation_id, outbox_id):
    with app.app_context():
        invitation = db.session.get(Invitation, invitation_id)
        message = db.session.get(OutboxMessage, outbox_id)
        return invitation.delivery, invitation.delivery_detail, message.state


def test_delivered_then_open(app, signed, sent):
    invitation_id, outbox_id = sent
    now = int(time.time())
    response = signed(
        [
            event("open", invitation_id, outbox_id, "e2", now),
            event("processed", invitation_id, outbox_id, "e0", now - 20),
            event("delivered", invitation_id, outbox_id, "e1", now - 10),
            event("deferred", invitation_id, outbox_id, "e3", now - 5),
        ]
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["processed"] == 4
    assert state(app, invitation_id, outbox_id) == (Delivery.OPENED, "", OutboxState.DELIVERED)
    with app.app_context():
        assert db.session.scalar(select(func.count(WebhookEvent.id))) == 4


def test_bounce_is_final_and_listed(app, client, signed, sent, login):
    invitation_id, outbox_id = sent
    reason = "550 5.1.1 The email account does not exist"
    signed([event("bounce", invitation_id, outbox_id, "b1", reason=reason, type="bounce")])
    assert state(app, invitation_id, outbox_id) == (Delivery.BOUNCED, reason, OutboxState.BOUNCED)
    # A late "delivered" or "open" never undoes a bounce.
    signed(
        [
            event("delivered", invitation_id, outbox_id, "b2"),
            event("open", invitation_id, outbox_id, "b3"),
        ]
    )
    assert state(app, invitation_id, outbox_id)[0] == Delivery.BOUNCED

    login("organizer@x.org")
    with app.app_context():
        invitation = db.session.get(Invitation, invitation_id)
        event_id, person_id = invitation.wave.event_id, invitation.entry.person_id
    body = client.get(f"/events/{event_id}/invitations/bounces").get_data(as_text=True)
    assert "guest@x.org" in body and reason in body
    assert f"/directory/people/{person_id}/edit" in body


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("dropped", Delivery.DROPPED), ("spamreport", Delivery.SPAM)],
)
def test_dropped_and_spam(app, signed, sent, kind, expected):
    invitation_id, outbox_id = sent
    signed(
        [
            event("delivered", invitation_id, outbox_id, "d0"),
            event(kind, invitation_id, outbox_id, "d1", reason="Bounced Address"),
        ]
    )
    assert state(app, invitation_id, outbox_id)[0] == expected


def test_replayed_event_changes_nothing(app, signed, sent):
    invitation_id, outbox_id = sent
    payload = [event("delivered", invitation_id, outbox_id, "same-id")]
    assert signed(payload).get_json()["processed"] == 1
    with app.app_context():
        # Someone corrects the record by hand; the replay must not redo the update.
        db.session.get(Invitation, invitation_id).delivery = Delivery.SENT
        db.session.commit()
    again = signed(payload)
    assert again.status_code == 200
    assert again.get_json() == {"processed": 0, "duplicates": 1, "ignored": 0, "updated": 0}
    assert state(app, invitation_id, outbox_id)[0] == Delivery.SENT
    with app.app_context():
        assert db.session.scalar(select(func.count(WebhookEvent.id))) == 1


def test_tampered_body_is_refused(app, signed, sent):
    invitation_id, outbox_id = sent
    good = json.dumps([event("delivered", invitation_id, outbox_id, "t1")]).encode()
    bad = good.replace(b"delivered", b"spamreport")
    response = signed(good, body=bad)
    assert response.status_code == 403
    assert "signature" in response.get_json()["error"]["message"]
    assert state(app, invitation_id, outbox_id)[0] == Delivery.QUEUED
    with app.app_context():
        assert db.session.scalar(select(func.count(WebhookEvent.id))) == 0


@pytest.mark.parametrize("age", [601, 3600, -3600])
def test_stale_or_future_timestamp_is_refused(app, signed, sent, age):
    invitation_id, outbox_id = sent
    response = signed(
        [event("delivered", invitation_id, outbox_id, "s1")], timestamp=int(time.time()) - age
    )
    assert response.status_code == 403
    assert state(app, invitation_id, outbox_id)[0] == Delivery.QUEUED


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {SIGNATURE: "", TIMESTAMP: ""},
        {SIGNATURE: "not base64 !!", TIMESTAMP: "{now}"},
        {SIGNATURE: base64.b64encode(b"junk").decode(), TIMESTAMP: "{now}"},
        {SIGNATURE: base64.b64encode(b"junk").decode(), TIMESTAMP: "yesterday"},
    ],
)
def test_unsigned_or_badly_signed_is_refused(app, signed, sent, headers):
    now = str(int(time.time()))
    headers = {k: v.replace("{now}", now) for k, v in headers.items()}
    response = app.test_client().post(
        URL, data=b"[]", content_type="application/json", headers=headers
    )
    assert response.status_code == 403


def test_without_a_key_nothing_is_accepted(app, client, private_key, monkeypatch):
    monkeypatch.setitem(app.config, "SENDGRID_WEBHOOK_PUBLIC_KEY", "")
    response = client.post(URL, data=b"[]", content_type="application/json")
    assert response.status_code == 503
    assert "SENDGRID_WEBHOOK_PUBLIC_KEY" in response.get_json()["error"]["message"]


def test_a_malformed_key_is_a_503_not_a_500(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SENDGRID_WEBHOOK_PUBLIC_KEY", "bm90IGEga2V5")
    stamp = str(int(time.time()))
    response = client.post(URL, data=b"[]", headers={SIGNATURE: "c2ln", TIMESTAMP: stamp})
    assert response.status_code == 503


@pytest.mark.parametrize(
    ("payload", "status"),
    [(b'{"event": "delivered"}', 400), (b"not json", 400), (b"\xff\xfe", 403), (b'"x"', 400)],
)
def test_body_must_be_a_json_list(signed, payload, status):
    assert signed(payload).status_code == status


def test_huge_body_is_413(signed):
    assert signed(b"[" + b" " * (5 * 1024 * 1024) + b"]").status_code == 413


def test_odd_events_are_ignored(app, signed, sent):
    invitation_id, outbox_id = sent
    response = signed(
        [
            "a string",
            {"event": "delivered"},  # no sg_event_id
            event("delivered", "abc", "-1", "o1"),  # ids that are no ids
            event("delivered", 10**30, 99999, "o2"),  # unknown invitation and message
            event("click", invitation_id, outbox_id, "o3"),
            event("delivered", invitation_id, outbox_id, "o4", timestamp="soon"),
        ]
    )
    assert response.status_code == 200
    assert response.get_json()["ignored"] == 3
    assert state(app, invitation_id, outbox_id)[0] == Delivery.DELIVERED


def test_maps_by_outbox_id_when_the_invitation_tag_is_missing(app, signed, sent):
    invitation_id, outbox_id = sent
    payload = event("delivered", invitation_id, outbox_id, "m1")
    del payload["invitation_id"]
    signed([payload])
    assert state(app, invitation_id, outbox_id)[0] == Delivery.DELIVERED


def test_an_event_type_that_is_not_text_is_ignored(app, signed, sent):
    invitation_id, outbox_id = sent
    weird = event("bounce", invitation_id, outbox_id, "weird-1")
    weird["event"] = ["bounce"]
    response = signed([weird])
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(Invitation, invitation_id).delivery.value != "bounced"
