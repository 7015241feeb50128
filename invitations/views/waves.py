"""Invitations views: waves — list, form, page, preview, test, send, schedule, delete."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from models import Delivery, Event, Invitation, RsvpAnswer, TargetEntry, Wave
from webapp.events.services import describe_distance, describe_offset, event_today
from webapp.extensions import db
from webapp.forms import show_error
from webapp.pagination import page_arg, paginate
from webapp.permissions import require

from .. import reminders, sending, waves  # noqa: F401 - reminders registers its sweep
from ..blueprint import bp
from ..letters import PLACEHOLDERS
from ..target_forms import STATUS_LABELS
from ..wave_forms import ScheduleForm, wave_form

#: Entries offered in the preview's recipient chooser.
PREVIEW_CHOICES = 200


def _event(event_id: int) -> Event:
    """The event, if the current user manages its invitations (403/404 otherwise)."""
    event = db.get_or_404(Event, event_id)
    require("invitations.manage", event)
    return event


def _wave(event: Event, wave_id: int) -> Wave:
    """The event's wave; another event's wave is as unknown as a missing one."""
    wave = waves.wave_of(event, wave_id)
    if wave is None:
        abort(404)
    return wave


def _status() -> int:
    return 400 if request.method == "POST" else 200


def _dates(event: Event, wave: Wave) -> dict:
    """Absolute and relative dates of the wave's two deadlines."""
    today = event_today(event)
    send_by, rsvp_by = waves.deadline_dates(wave)
    return {
        "send_by": send_by,
        "rsvp_by": rsvp_by,
        "send_by_offset": describe_offset(wave.send_by_days),
        "rsvp_by_offset": describe_offset(wave.rsvp_by_days),
        "send_by_distance": describe_distance((send_by - today).days),
        "rsvp_by_distance": describe_distance((rsvp_by - today).days),
    }


@bp.get("/events/<int:event_id>/waves", endpoint="waves")
def waves_index(event_id: int):
    """The event's invitation waves with their state, deadlines and counts."""
    event = _event(event_id)
    rows = waves.waves_of(event)
    return render_template(
        "invitations/waves/index.html",
        event=event,
        waves=rows,
        audience=waves.audience_counts(rows),
        invited=waves.invitation_counts(rows),
        dates={w.id: _dates(event, w) for w in rows},
        late={w.id: waves.late_for_members(w) for w in rows},
    )


def _render_form(event: Event, form, wave: Wave | None):
    return render_template(
        "invitations/waves/form.html",
        event=event,
        form=form,
        wave=wave,
        placeholders=PLACEHOLDERS,
        locked=wave is not None and wave.state in waves.SENT_STATES,
    ), _status()


@bp.route("/events/<int:event_id>/waves/new", methods=["GET", "POST"])
def wave_new(event_id: int):
    """Create a draft wave: audience, letters, deadlines, reminders."""
    event = _event(event_id)
    form = wave_form(event)
    if request.method == "GET":
        form.send_by_days.data = 400
        form.rsvp_by_days.data = 300
        form.reminder_days.data = "30, 14, 3"
    if form.validate_on_submit():
        try:
            wave = waves.create_wave(current_user, event, **form.values())
        except waves.WaveError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The wave “%(name)s” is saved as a draft.", name=wave.name), "success")
            return redirect(url_for("invitations.wave", event_id=event.id, wave_id=wave.id))
    return _render_form(event, form, None)


@bp.route("/events/<int:event_id>/waves/<int:wave_id>/edit", methods=["GET", "POST"])
def wave_edit(event_id: int, wave_id: int):
    """Change a wave; once sent, only its name, deadlines, reminders and escalation."""
    event = _event(event_id)
    wave = _wave(event, wave_id)
    form = wave_form(event)
    if request.method == "GET":
        form.fill_from(wave)
    if form.validate_on_submit():
        try:
            waves.update_wave(current_user, wave, **form.values())
        except waves.WaveError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The wave is saved."), "success")
            return redirect(url_for("invitations.wave", event_id=event.id, wave_id=wave.id))
    return _render_form(event, form, wave)


def _wave_counts(wave: Wave) -> dict:
    """Invitations by answer and by delivery, two grouped queries."""
    by_answer = dict.fromkeys(RsvpAnswer, 0)
    by_answer.update(
        db.session.execute(
            select(Invitation.answer, func.count())
            .where(Invitation.wave_id == wave.id)
            .group_by(Invitation.answer)
        ).all()
    )
    by_delivery = dict.fromkeys(Delivery, 0)
    by_delivery.update(
        db.session.execute(
            select(Invitation.delivery, func.count())
            .where(Invitation.wave_id == wave.id)
            .group_by(Invitation.delivery)
        ).all()
    )
    return {"answer": by_answer, "delivery": by_delivery}


@bp.get("/events/<int:event_id>/waves/<int:wave_id>", endpoint="wave")
def wave_page(event_id: int, wave_id: int):
    """A wave: summary, deadlines, counts, recipients and flagged stars, with its actions."""
    event = _event(event_id)
    wave = _wave(event, wave_id)
    audience = waves.audience_counts([wave])[wave.id]
    page = paginate(waves.audience_entries_query(wave), page_arg(), per_page=100)
    invitations = {
        inv.entry_id: inv
        for inv in db.session.scalars(
            select(Invitation).where(
                Invitation.wave_id == wave.id,
                Invitation.entry_id.in_([e.id for e in page.items]),
            )
        )
    }
    return render_template(
        "invitations/waves/detail.html",
        event=event,
        wave=wave,
        audience=audience,
        pending=sending.pending_count(wave),
        counts=_wave_counts(wave),
        dates=_dates(event, wave),
        late=waves.late_for_members(wave),
        page=page,
        invitations=invitations,
        flagged=waves.flagged_stars(wave),
        status_labels=STATUS_LABELS,
        schedule_form=ScheduleForm(formdata=None),
    )


def _entry_arg(event: Event) -> TargetEntry | None:
    """The `entry` query or form argument: an entry of this event, else 404."""
    value = request.values.get("entry", "")
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        abort(404)
    entry = db.session.get(TargetEntry, int(value))
    if entry is None or entry.event_id != event.id:
        abort(404)
    return entry


@bp.get("/events/<int:event_id>/waves/<int:wave_id>/preview")
def wave_preview(event_id: int, wave_id: int):
    """The letter as one recipient gets it: subject, text, and the HTML in a sandbox."""
    event = _event(event_id)
    wave = _wave(event, wave_id)
    entry = _entry_arg(event) or sending.sample_entry(wave, current_user)
    lang = request.args.get("lang") or None
    if lang is not None and lang not in wave.letters:
        lang = None
    rendered = sending.preview(wave, entry, lang)
    choices = db.session.scalars(waves.audience_entries_query(wave).limit(PREVIEW_CHOICES)).all()
    return render_template(
        "invitations/waves/preview.html",
        event=event,
        wave=wave,
        entry=entry,
        rendered=rendered,
        choices=choices,
    )


@bp.post("/events/<int:event_id>/waves/<int:wave_id>/test")
def wave_test(event_id: int, wave_id: int):
    """Send the letter to the current user's own address, marked as a test."""
    event = _event(event_id)
    wave = _wave(event, wave_id)
    lang = request.form.get("lang") or None
    sending.send_test(current_user, wave, _entry_arg(event), lang if lang in wave.letters else None)
    db.session.commit()
    flash(_("A test is on its way to %(email)s.", email=current_user.email), "success")
    return redirect(url_for("invitations.wave", event_id=event.id, wave_id=wave.id))


@bp.route("/events/<int:event_id>/waves/<int:wave_id>/send", methods=["GET", "POST"])
def wave_send(event_id: int, wave_id: int):
    """Confirm, then send the wave now: a job with a progress bar."""
    event = _event(event_id)
    wave = _wave(event, wave_id)
    if request.method == "GET":
        return render_template(
            "invitations/waves/send.html",
            event=event,
            wave=wave,
            pending=sending.pending_count(wave),
            audience=waves.audience_counts([wave])[wave.id],
        )
    try:
        run = sending.start_sending(current_user, wave)
    except waves.WaveError as error:
        db.session.rollback()
        return render_template(
            "invitations/waves/send.html",
            event=event,
            wave=wave,
            pending=0,
            audience=waves.audience_counts([wave])[wave.id],
            error=str(error),
        ), 400
    db.session.commit()
    return redirect(url_for("admin.job", job_id=run.id))


@bp.post("/events/<int:event_id>/waves/<int:wave_id>/schedule")
def wave_schedule(event_id: int, wave_id: int):
    """Schedule the wave for a later time, or (with `cancel`) take it back to a draft."""
    event = _event(event_id)
    wave = _wave(event, wave_id)
    if request.form.get("cancel"):
        try:
            sending.unschedule_wave(current_user, wave)
        except waves.WaveError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("The wave is a draft again."), "success")
        return redirect(url_for("invitations.wave", event_id=event.id, wave_id=wave.id))
    form = ScheduleForm()
    if form.validate_on_submit():
        try:
            sending.schedule_wave(current_user, wave, form.scheduled_for.data)
        except waves.WaveError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The wave is scheduled."), "success")
            return redirect(url_for("invitations.wave", event_id=event.id, wave_id=wave.id))
    return render_template(
        "invitations/waves/schedule.html", event=event, wave=wave, form=form
    ), 400


@bp.post("/events/<int:event_id>/waves/<int:wave_id>/delete")
def wave_delete(event_id: int, wave_id: int):
    """Delete a draft wave and its deadlines."""
    event = _event(event_id)
    wave = _wave(event, wave_id)
    name = wave.name
    try:
        waves.delete_wave(current_user, wave)
    except waves.WaveError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("invitations.wave", event_id=event.id, wave_id=wave.id))
    db.session.commit()
    flash(_("The wave “%(name)s” is deleted.", name=name), "success")
    return redirect(url_for("invitations.waves", event_id=event.id))
