"""One way to send mail: render in the recipient's language, record in the outbox,
deliver after commit through SendGrid's v3 API, in batches of at most 1,000.

Without SENDGRID_API_KEY a message is kept in the outbox (state "kept"), where organizers
read it. Retryable errors (network, 429, 5xx) are retried with back-off by the periodic
sweep; permanent ones mark the message failed with the reason.
"""

from __future__ import annotations

import logging
import secrets
import urllib.error
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import event as sa_event
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from models import OutboxMessage, OutboxState, utcnow

from .extensions import db
from .jobs import enqueue, job, periodic

log = logging.getLogger(__name__)

BATCH_SIZE = 1000  # SendGrid's limit of personalizations per request
#: SendGrid caps substitutions at 10,000 bytes per personalization; larger mails go alone.
SUBSTITUTION_LIMIT = 9000
_DELIVERY_QUEUED_KEY = "convene_mail_delivery_queued"


def render(template: str, locale: str, **context: Any) -> tuple[str, str, str]:
    """Subject, plain text and HTML of `mail/<template>` in `locale`.

    The .txt template's first line is the subject, then a blank line, then the body.
    """
    with force_locale(locale):
        text = render_template(f"mail/{template}.txt", **context)
        html = render_template(f"mail/{template}.html", **context)
    subject, _, body = text.lstrip().partition("\n")
    return subject.strip(), body.strip() + "\n", html


def send(
    to_email: str,
    template: str,
    *,
    to_name: str = "",
    locale: str = "en",
    event_id: int | None = None,
    tags: dict[str, Any] | None = None,
    **context: Any,
) -> OutboxMessage:
    """Queue a templated message; it leaves only after the caller's transaction commits."""
    subject, text, html = render(template, locale, to_name=to_name, **context)
    provider = bool(current_app.config["SENDGRID_API_KEY"])
    message = OutboxMessage(
        to_email=to_email,
        to_name=to_name,
        template=template,
        locale=locale,
        subject=subject,
        body_text=text,
        body_html=html,
        event_id=event_id,
        tags=tags or {},
        state=OutboxState.QUEUED if provider else OutboxState.KEPT,
    )
    db.session.add(message)
    db.session.flush()
    if provider and not db.session.info.get(_DELIVERY_QUEUED_KEY):
        db.session.info[_DELIVERY_QUEUED_KEY] = True
        enqueue("mail.deliver")
    return message


@sa_event.listens_for(Session, "after_transaction_end")
def _reset(session: Session, transaction) -> None:
    """A new transaction may queue delivery again."""
    if transaction.parent is None:
        session.info.pop(_DELIVERY_QUEUED_KEY, None)


def _client():
    from sendgrid import SendGridAPIClient

    cfg = current_app.config
    return SendGridAPIClient(api_key=cfg["SENDGRID_API_KEY"], host=cfg["SENDGRID_API_HOST"])


def _claim(limit: int) -> list[OutboxMessage]:
    """Take due queued messages for this sender only.

    SKIP LOCKED keeps two senders apart on PostgreSQL; the claim token does it everywhere
    (SQLite ignores row locks): each sender re-reads only the rows its own UPDATE took.
    """
    now = utcnow()
    token = secrets.token_hex(16)
    ids = list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.state == OutboxState.QUEUED,
                or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.state == OutboxState.QUEUED)
            .values(
                state=OutboxState.SENDING,
                claim=token,
                attempts=OutboxMessage.attempts + 1,
                next_attempt_at=now,  # while sending: when it was last touched
            )
        )
    db.session.commit()
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.claim == token, OutboxMessage.state == OutboxState.SENDING)
            .order_by(OutboxMessage.id)
        )
    )


def _personalization(message: OutboxMessage, inline: bool) -> dict[str, Any]:
    to = {"email": message.to_email}
    if message.to_name:
        to["name"] = message.to_name
    item: dict[str, Any] = {
        "to": [to],
        "subject": message.subject,
        "custom_args": {"outbox_id": str(message.id)}
        | {k: str(v) for k, v in message.tags.items()},
    }
    if not inline:
        item["substitutions"] = {"-text-": message.body_text, "-html-": message.body_html}
    return item


def _fits_substitutions(message: OutboxMessage) -> bool:
    return len(message.body_text.encode()) + len(message.body_html.encode()) <= SUBSTITUTION_LIMIT


def batches(messages: list[OutboxMessage]) -> Iterable[list[OutboxMessage]]:
    """Shared requests of up to 1,000 messages whose bodies fit as substitutions, and one
    request for each message too large for that."""
    small = [m for m in messages if _fits_substitutions(m)]
    for start in range(0, len(small), BATCH_SIZE):
        yield small[start : start + BATCH_SIZE]
    for message in messages:
        if not _fits_substitutions(message):
            yield [message]


def payload(chunk: list[OutboxMessage]) -> dict[str, Any]:
    """The v3 request for a batch: bodies as substitutions, or inline for a lone message."""
    cfg = current_app.config
    inline = len(chunk) == 1 and not _fits_substitutions(chunk[0])
    content = (
        [
            {"type": "text/plain", "value": chunk[0].body_text},
            {"type": "text/html", "value": chunk[0].body_html},
        ]
        if inline
        else [{"type": "text/plain", "value": "-text-"}, {"type": "text/html", "value": "-html-"}]
    )
    return {
        "from": {"email": cfg["MAIL_FROM"], "name": cfg["MAIL_FROM_NAME"]},
        "personalizations": [_personalization(m, inline) for m in chunk],
        "content": content,
    }


def _is_retryable(error: Exception) -> bool:
    status = getattr(error, "status_code", None)
    if status is None:
        return isinstance(error, (urllib.error.URLError, OSError, TimeoutError))
    return status == 429 or status >= 500


def _fail(chunk: list[OutboxMessage], error: Exception) -> None:
    limit = current_app.config["MAIL_RETRY_LIMIT"]
    detail = getattr(error, "body", b"") or str(error)
    if isinstance(detail, bytes):
        detail = detail.decode(errors="replace")
    for message in chunk:
        message.last_error = f"{type(error).__name__}: {detail}"[:2000]
        if _is_retryable(error) and message.attempts < limit:
            message.state = OutboxState.QUEUED
            message.next_attempt_at = utcnow() + timedelta(minutes=2**message.attempts)
        else:
            message.state = OutboxState.FAILED


def _send(client, chunk: list[OutboxMessage], counts: dict[str, int]) -> None:
    """Send one batch. A permanent error in a batch of several is usually one bad address:
    split the batch until the bad message is alone, so the good ones still go."""
    # Built before the commit below expires the rows: no reload of each message.
    body = payload(chunk)
    now = utcnow()
    for message in chunk:
        message.next_attempt_at = now  # still being sent: not stale
    db.session.commit()
    try:
        client.client.mail.send.post(request_body=body)
    except Exception as error:  # noqa: BLE001 - the client raises HTTPError subclasses and URLError
        if len(chunk) > 1 and not _is_retryable(error):
            middle = len(chunk) // 2
            _send(client, chunk[:middle], counts)
            _send(client, chunk[middle:], counts)
            return
        _fail(chunk, error)
        for message in chunk:
            counts["retry" if message.state == OutboxState.QUEUED else "failed"] += 1
        log.warning("mail batch of %d failed: %s", len(chunk), error)
    else:
        for message in chunk:
            message.state = OutboxState.SENT
            message.sent_at = utcnow()
            message.last_error = ""
        counts["sent"] += len(chunk)
    db.session.commit()


def deliver_pending(limit: int = 5000, progress=None) -> dict[str, int]:
    """Send due queued messages; returns counts by outcome."""
    counts = {"sent": 0, "retry": 0, "failed": 0}
    if not current_app.config["SENDGRID_API_KEY"]:
        return counts
    messages = _claim(limit)
    client = _client() if messages else None
    done = 0
    for chunk in batches(messages):
        _send(client, chunk, counts)
        done += len(chunk)
        if progress is not None:
            progress.update(done, len(messages))
    return counts


@job("mail.deliver")
def deliver_job(progress) -> None:
    counts = deliver_pending(progress=progress)
    progress.update(progress.run.done, message=", ".join(f"{k}: {v}" for k, v in counts.items()))


@periodic("mail.retry")
def retry_due() -> dict[str, int]:
    """Release messages a crashed sender left claimed, then send what is due."""
    stale = utcnow() - timedelta(minutes=15)
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.state == OutboxState.SENDING, OutboxMessage.next_attempt_at < stale)
        .values(state=OutboxState.QUEUED)
    )
    db.session.commit()
    return deliver_pending()
