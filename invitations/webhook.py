"""Delivery tracking: SendGrid's Event Webhook, verified by its ECDSA signature.

SendGrid signs the timestamp header followed by the raw body with ECDSA (P-256, SHA-256);
we verify with the sendgrid library's own EventWebhook. Unsigned, tampered and stale
(older than REPLAY_WINDOW) posts are refused. Each event's sg_event_id is stored in
WebhookEvent, so a replayed event changes nothing. Events reach invitations through the
custom args SendGrid returns at the top level of each event ("invitation_id", and
"outbox_id" for the outbox message), and never move a delivery state backwards.
"""

from __future__ import annotations

import binascii
import json
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from models import (
    Delivery,
    Event,
    Invitation,
    OutboxMessage,
    OutboxState,
    Wave,
    WebhookEvent,
    utcnow,
)
from webapp.extensions import db

PROVIDER = "sendgrid"
#: Signed timestamps further than this from now (seconds) are refused: replays.
REPLAY_WINDOW = 600
#: Largest body accepted; SendGrid posts batches of well under 1 MB.
MAX_BODY = 4 * 1024 * 1024
#: Keys per IN (...) list.
CHUNK = 500

#: SendGrid event type -> delivery state.
EVENT_DELIVERY = {
    "delivered": Delivery.DELIVERED,
    "open": Delivery.OPENED,
    "bounce": Delivery.BOUNCED,
    "blocked": Delivery.BOUNCED,
    "dropped": Delivery.DROPPED,
    "spamreport": Delivery.SPAM,
}
#: Known types that change nothing here.
IGNORED_TYPES = {
    "processed",
    "deferred",
    "click",
    "unsubscribe",
    "group_unsubscribe",
    "group_resubscribe",
}
#: Higher beats lower; the last three are final.
RANK = {
    Delivery.QUEUED: 0,
    Delivery.SENT: 1,
    Delivery.DELIVERED: 2,
    Delivery.OPENED: 3,
    Delivery.BOUNCED: 4,
    Delivery.DROPPED: 4,
    Delivery.SPAM: 4,
}
FINAL = {Delivery.BOUNCED, Delivery.DROPPED, Delivery.SPAM}
PROBLEMS = FINAL


class WebhookError(Exception):
    """The post is refused; `status` is the HTTP status to answer."""

    def __init__(self, message, status: int):
        super().__init__(str(message))
        self.message = message
        self.status = status


def verify(
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    public_key: str | None,
    now: float | None = None,
) -> None:
    """Check SendGrid's signature of `timestamp + body`; WebhookError otherwise.

    503 when no key is configured (unsigned events are never accepted), 413 for a body over
    MAX_BODY, 403 for a missing, malformed, stale or wrong signature.
    """
    from cryptography.exceptions import UnsupportedAlgorithm
    from sendgrid.helpers.eventwebhook import EventWebhook

    if not (public_key or "").strip():
        raise WebhookError(
            _l("The SendGrid webhook is not configured: set SENDGRID_WEBHOOK_PUBLIC_KEY."), 503
        )
    if len(body) > MAX_BODY:
        raise WebhookError(_l("The request body is too large."), 413)
    if not signature or not timestamp:
        raise WebhookError(_l("The request is not signed."), 403)
    try:
        signed_at = int(timestamp)
    except ValueError:
        raise WebhookError(_l("The signature timestamp is not valid."), 403) from None
    if abs((now if now is not None else time.time()) - signed_at) > REPLAY_WINDOW:
        raise WebhookError(_l("The signature timestamp is too old or in the future."), 403)
    webhook = EventWebhook()
    try:
        key = webhook.convert_public_key_to_ecdsa(public_key.strip())
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise WebhookError(
            _l("SENDGRID_WEBHOOK_PUBLIC_KEY is not a valid public key."), 503
        ) from None
    try:
        payload = body.decode("utf-8")
        valid = webhook.verify_signature(payload, signature, timestamp, key)
    except (UnicodeDecodeError, binascii.Error, ValueError):
        valid = False
    if not valid:
        raise WebhookError(_l("The signature does not match."), 403)


def parse(body: bytes) -> list[Any]:
    """The events of a verified body; WebhookError(400) unless it is a JSON list."""
    try:
        events = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise WebhookError(_l("The body is not valid JSON."), 400) from None
    if not isinstance(events, list):
        raise WebhookError(_l("The body must be a JSON list of events."), 400)
    return events


def _int(value: Any) -> int | None:
    """A positive id from a custom arg (SendGrid returns them as strings)."""
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _when(event: dict) -> datetime:
    try:
        return datetime.fromtimestamp(int(event.get("timestamp")), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return utcnow()


def _detail(event: dict) -> str:
    detail = event.get("reason") or event.get("response") or event.get("type") or ""
    return str(detail)[:500]


def _chunks(values: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _seen(keys: list[str]) -> set[str]:
    seen: set[str] = set()
    for chunk in _chunks(keys):
        seen.update(
            db.session.scalars(
                select(WebhookEvent.event_key).where(
                    WebhookEvent.provider == PROVIDER, WebhookEvent.event_key.in_(chunk)
                )
            )
        )
    return seen


def _invitations(ids: set[int], outbox_ids: set[int]) -> list[Invitation]:
    found: dict[int, Invitation] = {}
    for chunk in _chunks(sorted(ids)):
        for invitation in db.session.scalars(select(Invitation).where(Invitation.id.in_(chunk))):
            found[invitation.id] = invitation
    for chunk in _chunks(sorted(outbox_ids)):
        for invitation in db.session.scalars(
            select(Invitation).where(Invitation.outbox_message_id.in_(chunk))
        ):
            found[invitation.id] = invitation
    return list(found.values())


def _messages(ids: set[int]) -> dict[int, OutboxMessage]:
    found: dict[int, OutboxMessage] = {}
    for chunk in _chunks(sorted(ids)):
        for message in db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(chunk))):
            found[message.id] = message
    return found


def apply_delivery(invitation: Invitation, state: Delivery, detail: str, when: datetime) -> bool:
    """Move the invitation's delivery forward; never back, never out of a final state."""
    if invitation.delivery in FINAL or RANK[state] <= RANK[invitation.delivery]:
        return False
    invitation.delivery = state
    invitation.delivery_detail = detail if state in FINAL else ""
    invitation.delivery_at = when
    return True


def apply_outbox(message: OutboxMessage, state: Delivery, detail: str) -> bool:
    """Delivered (or opened) and bounced (or dropped) reach the outbox message too."""
    if state in (Delivery.BOUNCED, Delivery.DROPPED):
        if message.state == OutboxState.BOUNCED:
            return False
        message.state = OutboxState.BOUNCED
        message.last_error = detail
        return True
    if state in (Delivery.DELIVERED, Delivery.OPENED) and message.state in (
        OutboxState.QUEUED,
        OutboxState.SENDING,
        OutboxState.SENT,
    ):
        message.state = OutboxState.DELIVERED
        return True
    return False


def _kind(event: dict) -> str:
    """The event's type; anything but text (a forged or broken event) is of no interest."""
    kind = event.get("event")
    return kind if isinstance(kind, str) else ""


def process(events: list[Any]) -> dict[str, int]:
    """Apply a verified batch of events; a few queries per batch, none per event.

    Returns counts: processed (new events recorded), duplicates (seen before), ignored
    (malformed or of no interest), updated (invitations whose delivery changed).
    """
    counts = {"processed": 0, "duplicates": 0, "ignored": 0, "updated": 0}
    fresh: list[dict] = []
    keys_in_batch: set[str] = set()
    for event in events:
        key = event.get("sg_event_id") if isinstance(event, dict) else None
        if not isinstance(key, str) or not key or len(key) > 120:
            counts["ignored"] += 1
            continue
        if key in keys_in_batch:
            counts["duplicates"] += 1
            continue
        keys_in_batch.add(key)
        fresh.append(event)
    seen = _seen(sorted(keys_in_batch))
    new = [e for e in fresh if e["sg_event_id"] not in seen]
    counts["duplicates"] += len(fresh) - len(new)

    wanted = [e for e in new if _kind(e) in EVENT_DELIVERY]
    invitation_ids = {n for e in wanted if (n := _int(e.get("invitation_id")))}
    outbox_ids = {n for e in wanted if (n := _int(e.get("outbox_id")))}
    invitations = _invitations(invitation_ids, outbox_ids)
    by_id = {i.id: i for i in invitations}
    by_outbox = {i.outbox_message_id: i for i in invitations if i.outbox_message_id}
    messages = _messages(outbox_ids)

    # Oldest first, so that a batch holding "delivered" then "open" ends on "opened".
    for event in sorted(new, key=lambda e: _when(e)):
        db.session.add(WebhookEvent(provider=PROVIDER, event_key=event["sg_event_id"]))
        counts["processed"] += 1
        state = EVENT_DELIVERY.get(_kind(event))
        if state is None:
            counts["ignored"] += 1
            continue
        detail, when = _detail(event), _when(event)
        outbox_id = _int(event.get("outbox_id"))
        invitation = by_id.get(_int(event.get("invitation_id")) or 0) or by_outbox.get(outbox_id)
        if invitation is not None and apply_delivery(invitation, state, detail, when):
            counts["updated"] += 1
        message = messages.get(outbox_id or 0)
        if message is not None:
            apply_outbox(message, state, detail)
    db.session.flush()
    return counts


def problems_query(event: Event) -> Select:
    """The event's invitations that bounced, were dropped or reported as spam, newest
    first, with person and wave loaded in the same query."""
    return (
        select(Invitation)
        .join(Wave, Wave.id == Invitation.wave_id)
        .where(Wave.event_id == event.id, Invitation.delivery.in_(list(PROBLEMS)))
        .options(joinedload(Invitation.entry), joinedload(Invitation.wave))
        .order_by(Invitation.delivery_at.desc(), Invitation.id.desc())
    )
