"""Mail: rendering per language, the outbox, SendGrid delivery after commit, retries."""

import pytest
from sqlalchemy import func, select

from models import OutboxMessage, OutboxState
from tests.fakes import FakeSendGrid
from webapp import mail
from webapp.extensions import db


@pytest.fixture
def sendgrid(app):
    """A local SendGrid endpoint, with the app configured to use it."""
    fake = FakeSendGrid()
    app.config.update(SENDGRID_API_KEY="SG.test", SENDGRID_API_HOST=fake.url)
    yield fake
    app.config.update(SENDGRID_API_KEY="", SENDGRID_API_HOST="https://api.sendgrid.com")
    fake.close()


def _send(n=1, **kw):
    for i in range(n):
        mail.send(
            f"p{i}@example.org",
            "auth/verify_email",
            to_name=f"P {i}",
            link=f"http://x/{i}",
            hours=48,
            **kw,
        )


def test_without_provider_messages_are_kept(app, ctx):
    _send()
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage))
    assert message.state == OutboxState.KEPT
    assert message.subject == "Confirm your email address"
    assert "http://x/0" in message.body_text and "http://x/0" in message.body_html


def test_rendered_in_recipient_language(app, ctx):
    _send(locale="zh")
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage))
    assert message.locale == "zh"
    assert message.subject != "Confirm your email address"  # Chinese catalogue used
    assert 'lang="zh"' in message.body_html


def test_delivery_happens_after_commit_only(app, ctx, sendgrid):
    _send()
    db.session.flush()
    assert sendgrid.requests == []
    db.session.rollback()
    assert sendgrid.requests == []
    _send()
    db.session.commit()
    assert len(sendgrid.requests) == 1
    assert db.session.scalar(select(OutboxMessage.state)) == OutboxState.SENT
    assert sendgrid.headers[0]["Authorization"] == "Bearer SG.test"


def test_batches_of_at_most_1000_with_own_content(app, ctx, sendgrid):
    _send(1001)
    db.session.commit()
    assert [len(r["personalizations"]) for r in sendgrid.requests] == [1000, 1]
    first = sendgrid.personalizations[0]
    assert first["to"] == [{"email": "p0@example.org", "name": "P 0"}]
    assert "http://x/0" in first["substitutions"]["-text-"]
    assert first["custom_args"]["outbox_id"].isdigit()
    states = set(db.session.scalars(select(OutboxMessage.state)))
    assert states == {OutboxState.SENT}


def test_large_message_is_sent_alone(app, ctx, sendgrid):
    mail.send("big@example.org", "auth/verify_email", link="http://x/" + "y" * 9000, hours=1)
    db.session.commit()
    [request] = sendgrid.requests
    assert "substitutions" not in request["personalizations"][0]
    assert "y" * 9000 in request["content"][0]["value"]


def test_retryable_error_is_retried_by_the_sweep(app, ctx, sendgrid):
    from webapp.jobs import run_periodic

    sendgrid.statuses = [503]
    _send()
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage))
    assert message.state == OutboxState.QUEUED and message.attempts == 1
    assert "503" in message.last_error or "Service" in message.last_error
    # Not due yet: the sweep leaves it.
    run_periodic()
    assert len(sendgrid.requests) == 1
    message.next_attempt_at = None
    db.session.commit()
    run_periodic()
    run_periodic()  # twice is safe: nothing is sent twice
    db.session.refresh(message)
    assert message.state == OutboxState.SENT
    assert len(sendgrid.requests) == 2


def test_permanent_error_fails(app, ctx, sendgrid):
    sendgrid.statuses = [400]
    _send()
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage))
    assert message.state == OutboxState.FAILED
    assert message.last_error


def test_gives_up_after_the_retry_limit(app, ctx, sendgrid):
    app.config["MAIL_RETRY_LIMIT"] = 2
    try:
        sendgrid.statuses = [500, 500]
        _send()
        db.session.commit()
        message = db.session.scalar(select(OutboxMessage))
        message.next_attempt_at = None
        db.session.commit()
        mail.deliver_pending()
        db.session.refresh(message)
    finally:
        app.config["MAIL_RETRY_LIMIT"] = 5
    assert message.state == OutboxState.FAILED
    assert message.attempts == 2


def test_network_error_is_retryable(app, ctx):
    app.config.update(SENDGRID_API_KEY="SG.test", SENDGRID_API_HOST="http://127.0.0.1:9")
    try:
        _send()
        db.session.commit()
    finally:
        app.config.update(SENDGRID_API_KEY="", SENDGRID_API_HOST="https://api.sendgrid.com")
    message = db.session.scalar(select(OutboxMessage))
    assert message.state == OutboxState.QUEUED
    assert message.next_attempt_at is not None


def test_deliver_twice_sends_once(app, ctx, sendgrid):
    _send(3)
    db.session.commit()
    mail.deliver_pending()
    assert len(sendgrid.personalizations) == 3
    assert (
        db.session.scalar(select(func.count()).where(OutboxMessage.state == OutboxState.SENT)) == 3
    )


def test_one_bad_address_does_not_fail_the_batch(app, ctx, sendgrid):
    # SendGrid refuses the 4-message batch, then each half, then accepts the good ones.
    sendgrid.statuses = [400, 202, 400, 202, 400]
    _send(4)
    db.session.commit()
    states = dict(db.session.execute(select(OutboxMessage.to_email, OutboxMessage.state)).all())
    assert states == {
        "p0@example.org": OutboxState.SENT,
        "p1@example.org": OutboxState.SENT,
        "p2@example.org": OutboxState.SENT,
        "p3@example.org": OutboxState.FAILED,
    }


def test_two_senders_never_share_a_message(app, ctx, sendgrid):
    from webapp.mail import _claim

    app.config["SENDGRID_API_KEY"] = ""  # queue without sending
    _send(3)
    db.session.commit()
    app.config["SENDGRID_API_KEY"] = "SG.test"
    db.session.execute(OutboxMessage.__table__.update().values(state=OutboxState.QUEUED))
    db.session.commit()
    first = [m.id for m in _claim(2)]
    second = [m.id for m in _claim(10)]
    assert len(first) == 2 and len(second) == 1
    assert not set(first) & set(second)


def test_stale_claims_are_released_by_the_sweep(app, ctx, sendgrid):
    from datetime import timedelta

    from models import utcnow
    from webapp.jobs import run_periodic

    app.config["SENDGRID_API_KEY"] = ""
    _send()
    db.session.commit()
    app.config["SENDGRID_API_KEY"] = "SG.test"
    message = db.session.scalar(select(OutboxMessage))
    message.state = OutboxState.SENDING
    message.next_attempt_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    run_periodic()
    db.session.refresh(message)
    assert message.state == OutboxState.SENT
