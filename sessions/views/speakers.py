"""Sessions views: the people on a session (add from the directory, remove, ask again) and
the public page where a person asked by mail confirms or declines.

The answer page needs no login: the token in the address is the proof. A link that
cannot be used (forged: 404; expired or already answered: 410) gets a page saying why,
never a 500. Answers are rate-limited per client address.
"""

from __future__ import annotations

from flask import abort, current_app, flash, g, render_template, request
from flask import session as browser_session
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import login_required

from webapp.extensions import db, limiter

from .. import curation
from ..blueprint import bp
from ..core import ProgrammeError, event_or_404, labels, session_or_404
from ..curation import LinkError, NotPublishable
from ..session_forms import PersonForm
from .sessions import actor, back_to, fail, manage_page


def _limit() -> str:
    """Read per request, so tests and deployments may change it."""
    return current_app.config["RATELIMIT_RSVP"]


def _entry(session, entry_id: int):
    try:
        return curation.person_or_404(session, entry_id)
    except ProgrammeError:
        abort(404)


@bp.post("/events/<int:event_id>/p2c/sessions/<int:session_id>/people")
@login_required
def person_add(event_id: int, session_id: int):
    """Put a directory person on the session and ask them by mail to confirm."""
    event = event_or_404(event_id)
    session = session_or_404(event, session_id)
    form = PersonForm()
    if not form.validate():
        return manage_page(event, session, 400, person_form=form)
    try:
        person = curation.find_person(form.person.data, form.email.data)
        entry = curation.add_person(
            actor(), session, person, form.part.data, form.stakeholder_role.data or None
        )
    except NotPublishable as error:
        db.session.rollback()
        return manage_page(
            event, session_or_404(event, session_id), 409, person_form=form, not_publishable=error
        )
    except ProgrammeError as error:
        status = fail(error, form)
        return manage_page(event, session_or_404(event, session_id), status, person_form=form)
    db.session.commit()
    flash(
        _("%(name)s was added and asked by mail to confirm.", name=entry.person.full_name),
        "success",
    )
    return back_to(event, session, "people")


@bp.post("/events/<int:event_id>/p2c/sessions/<int:session_id>/people/<int:entry_id>/remove")
@login_required
def person_remove(event_id: int, session_id: int, entry_id: int):
    """Take a person off the session."""
    event = event_or_404(event_id)
    session = session_or_404(event, session_id)
    entry = _entry(session, entry_id)
    name = entry.person.full_name
    curation.remove_person(actor(), entry)
    db.session.commit()
    flash(_("%(name)s was removed from the session.", name=name), "success")
    return back_to(event, session, "people")


@bp.post("/events/<int:event_id>/p2c/sessions/<int:session_id>/people/<int:entry_id>/resend")
@login_required
def person_resend(event_id: int, session_id: int, entry_id: int):
    """Ask the person again, with a fresh link."""
    event = event_or_404(event_id)
    session = session_or_404(event, session_id)
    entry = _entry(session, entry_id)
    try:
        curation.resend(actor(), entry)
    except NotPublishable as error:
        db.session.rollback()
        return manage_page(event, session_or_404(event, session_id), 409, not_publishable=error)
    except ProgrammeError as error:
        status = fail(error)
        return manage_page(event, session_or_404(event, session_id), status, error=error)
    db.session.commit()
    flash(_("%(name)s was asked again.", name=entry.person.full_name), "success")
    return back_to(event, session, "people")


# --- the public answer page ----------------------------------------------------------------


def _speak_their_language(entry) -> None:
    """The person's language unless they picked one on this site."""
    if entry is not None and not (request.args.get("lang") or browser_session.get("lang")):
        g.force_locale = curation.person_locale(entry)
        refresh()


def _unusable(error: LinkError):
    _speak_their_language(error.person)
    return (
        render_template(
            "sessions/speakers/unavailable.html",
            error=error,
            entry=error.person,
            session=error.person.session if error.person else None,
            **labels(),
        ),
        error.status,
    )


@bp.route("/p2c/speaker/<token>", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"])
def speaker_answer(token: str):
    """The ask: the session, its time and room, the person's part; Confirm or Decline."""
    try:
        entry = curation.find_by_token(token)
    except LinkError as error:
        return _unusable(error)
    _speak_their_language(entry)
    if request.method == "POST":
        choice = request.form.get("answer")
        if choice not in ("confirm", "decline"):
            return _page(entry, token, 400, _("Choose Confirm or Decline."))
        try:
            entry = curation.answer(token, choice == "confirm")
        except LinkError as error:
            db.session.rollback()
            return _unusable(error)
        db.session.commit()
        return render_template(
            "sessions/speakers/answered.html", entry=entry, session=entry.session, **labels()
        )
    return _page(entry, token)


def _page(entry, token: str, status: int = 200, message: str = ""):
    return (
        render_template(
            "sessions/speakers/answer.html",
            entry=entry,
            session=entry.session,
            token=token,
            message=message,
            **labels(),
        ),
        status,
    )
