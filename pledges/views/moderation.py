"""Pledges views: moderation — the organizers' review queue, one pledge's review with its
steps, the announcement at a plenary session, and the public pledge counter for the hall.
"""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import func, select

from models import Pledge, PledgeState
from webapp.extensions import db
from webapp.pagination import page_arg, paginate
from webapp.permissions import require

from .. import core, moderation, pledging
from ..blueprint import bp
from ..pledge_forms import AnnounceForm, QueueFilterForm
from ..pledging import PledgeError, PledgeForbidden
from .pledger import _actor, event_or_404, labels, pledge_or_404, reference_names

PER_PAGE = 50


def _organizer_event(event_id: int):
    """The event, if the current user moderates its pledges (403 otherwise)."""
    event = event_or_404(event_id)
    require("pledges.moderate", event)
    return event


def state_counts(event) -> dict[PledgeState, int]:
    """How many of the event's pledges are in each state (one GROUP BY query)."""
    counts = dict.fromkeys(PledgeState, 0)
    rows = db.session.execute(
        select(Pledge.state, func.count()).where(Pledge.event_id == event.id).group_by(Pledge.state)
    ).all()
    for state, n in rows:
        counts[state] = n
    return counts


def counter_figures(event) -> dict:
    """The live count and total US dollar value of the event's public pledges."""
    count, total = db.session.execute(
        select(func.count(Pledge.id), func.coalesce(func.sum(Pledge.usd_value), 0)).where(
            Pledge.event_id == event.id, Pledge.state.in_(core.PUBLIC_STATES)
        )
    ).one()
    return {"count": int(count), "total_usd": int(total or 0)}


@bp.get("/events/<int:event_id>/pledges/review")
@login_required
def review_queue(event_id: int):
    """The review queue: pledges in one state (submitted by default), oldest submitted
    first, with counts per state."""
    event = _organizer_event(event_id)
    form = QueueFilterForm(request.args)
    states = form.states()
    query = select(Pledge).where(Pledge.event_id == event.id)
    if states:
        query = query.where(Pledge.state.in_(states))
    query = query.order_by(
        Pledge.submitted_at.is_(None), Pledge.submitted_at, Pledge.created_at, Pledge.id
    )
    page = paginate(query, page_arg(), PER_PAGE)
    return render_template(
        "pledges/moderation/queue.html",
        event=event,
        form=form,
        page=page,
        counts=state_counts(event),
        current=states[0] if states else None,
        **labels(),
    )


@bp.route("/events/<int:event_id>/pledges/<int:pledge_id>/review", methods=["GET", "POST"])
@login_required
def pledge_review(event_id: int, pledge_id: int):
    """Review one pledge: its content, SMART checklist and history, a comment to the
    pledger, and the steps the organizer may take now."""
    event = _organizer_event(event_id)
    pledge = pledge_or_404(event, pledge_id)
    error_message, field = None, None
    status = 200
    if request.method == "POST":
        step = request.form.get("to", "")
        comment = request.form.get("comment", "")
        try:
            moderation.move(_actor(), pledge, step, comment)
        except PledgeForbidden as error:
            db.session.rollback()
            abort(403, str(error))
        except PledgeError as error:
            db.session.rollback()
            error_message, field, status = str(error), error.field, 400
        else:
            db.session.commit()
            flash(
                _(
                    "The pledge is now %(state)s.",
                    state=pledging.state_label(pledge.state),
                ),
                "success",
            )
            return redirect(
                url_for("pledges.pledge_review", event_id=event.id, pledge_id=pledge.id)
            )
    return (
        render_template(
            "pledges/moderation/review.html",
            event=event,
            pledge=pledge,
            geo=pledging.geography(pledge),
            history=moderation.history(pledge),
            moves=moderation.allowed_moves(_actor(), pledge),
            missing=pledging.check_complete(pledge),
            smart=pledging.SMART_CRITERIA,
            reference_names=reference_names(),
            comment=request.form.get("comment", "") if request.method == "POST" else "",
            error_message=error_message,
            error_field=field,
            announce_form=AnnounceForm(formdata=None),
            **labels(),
        ),
        status,
    )


@bp.post("/events/<int:event_id>/pledges/<int:pledge_id>/announce")
@login_required
def pledge_announce(event_id: int, pledge_id: int):
    """Record the plenary session where a published pledge was announced."""
    event = _organizer_event(event_id)
    pledge = pledge_or_404(event, pledge_id)
    form = AnnounceForm()
    if form.validate_on_submit():
        try:
            moderation.announce(_actor(), pledge, form.session.data or "")
        except PledgeError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("The announcement was recorded."), "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
    return redirect(url_for("pledges.pledge_review", event_id=event.id, pledge_id=pledge.id))


@bp.get("/events/<int:event_id>/pledges/counter")
def pledge_counter(event_id: int):
    """The full-screen counter for the hall: published pledges and their value, live."""
    event = event_or_404(event_id)
    return render_template("pledges/counter.html", event=event, figures=counter_figures(event))


@bp.get("/events/<int:event_id>/pledges/counter.json")
def pledge_counter_json(event_id: int):
    """The counter's figures, polled by the counter page."""
    event = event_or_404(event_id)
    response = jsonify(counter_figures(event))
    response.headers["Cache-Control"] = "no-store"
    return response
