"""Invitations views: the dashboard, delivery problems, and SendGrid's event webhook."""

from __future__ import annotations

from flask import current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from models import Event
from webapp.errors import error_response
from webapp.extensions import csrf, db
from webapp.pagination import page_arg, paginate
from webapp.permissions import can, require

from .. import dashboard as services
from .. import webhook
from ..blueprint import bp
from ..target_forms import STATUS_LABELS

BADGES = {
    "identified": "badge-muted",
    "invited": "",
    "reminded": "badge-warn",
    "accepted": "badge-ok",
    "declined": "badge-bad",
    "no_answer": "badge-warn",
    "registered": "badge-ok",
    "attended": "badge-ok",
}


@bp.get("/events/<int:event_id>/invitations")
def dashboard(event_id: int):
    """Targets against progress per group, the accepted mix, the stars, the deadlines."""
    event = db.get_or_404(Event, event_id)
    require("invitations.follow_up", event)
    board = services.build(event)
    return render_template(
        "invitations/dashboard.html",
        event=event,
        board=board,
        badges=BADGES,
        labels=STATUS_LABELS,
        manage=can(current_user, "invitations.manage", event),
        me=current_user.id,
    )


@bp.get("/events/<int:event_id>/invitations/bounces")
def bounces(event_id: int):
    """Invitations that bounced, were dropped or reported as spam, to correct addresses."""
    event = db.get_or_404(Event, event_id)
    require("invitations.manage", event)
    page = paginate(webhook.problems_query(event), page_arg(), per_page=100)
    labels = {"bounced": _("Bounced"), "dropped": _("Dropped"), "spam": _("Reported as spam")}
    return render_template("invitations/bounces.html", event=event, page=page, labels=labels)


@bp.post("/webhooks/sendgrid")
def sendgrid_webhook():
    """SendGrid's Event Webhook: verified by signature, idempotent, updates invitations."""
    from sendgrid.helpers.eventwebhook import EventWebhookHeader

    if (request.content_length or 0) > webhook.MAX_BODY:
        return error_response(413, "The request body is too large.", "too_large")
    body = request.get_data(cache=False)
    try:
        webhook.verify(
            body,
            request.headers.get(EventWebhookHeader.SIGNATURE),
            request.headers.get(EventWebhookHeader.TIMESTAMP),
            current_app.config.get("SENDGRID_WEBHOOK_PUBLIC_KEY"),
        )
        events = webhook.parse(body)
    except webhook.WebhookError as error:
        return error_response(error.status, str(error.message))
    try:
        counts = webhook.process(events)
        db.session.commit()
    except IntegrityError:
        # The same events arrived twice at once and the other request recorded them first:
        # run again, and the events it took now count as duplicates.
        db.session.rollback()
        counts = webhook.process(events)
        db.session.commit()
    return jsonify(counts)


csrf.exempt(sendgrid_webhook)
