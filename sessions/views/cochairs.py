"""Sessions views: co-chairs — the organizers' page (appointments per area, the rule
checker, the appointment form with a directory search), the rule preview the page's
script asks for, withdraw and resend, and the appointee's public accept/decline page.

A refused appointment answers 400 (a value to correct) or 409 (it clashes with the
rules or an appointment), with the message beside the field and the values kept.
"""

from __future__ import annotations

from flask import (
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required, login_user

from models import CochairAppointment, Event
from webapp.config import LANGUAGES
from webapp.directory import services as directory
from webapp.errors import error_response
from webapp.extensions import db, limiter
from webapp.forms import show_error
from webapp.permissions import require

from .. import cochairs, core
from ..blueprint import bp
from ..cochair_forms import AcceptForm, ActionForm, AppointForm, DeclineForm

#: People listed by the directory search of the appointment form.
SEARCH_LIMIT = 20
MAX_QUERY = 200
#: HTTP status of an answer link that cannot be used.
LINK_STATUS = {"invalid": 404, "expired": 410, "used": 410}


def _managed_event(event_id: int) -> Event:
    event = core.event_or_404(event_id)
    require("programme.manage", event)
    return event


def _user():
    return current_user._get_current_object()


def _area_from(event: Event, value: object):
    """The event's focus area from a form value: not a number → 400, unknown → 404."""
    try:
        area_id = int(str(value))
    except ValueError:
        raise core.ProgrammeError(_("Choose a focus area."), "focus_area") from None
    if not 0 < area_id <= core.MAX_ID:
        raise core.ProgrammeError(_("Choose a focus area."), "focus_area")
    return core.area_or_404(event, area_id)


def _page(event: Event, form: AppointForm, status: int = 200):
    areas = core.focus_areas(event)
    appointments = cochairs.appointments(event)
    q = (request.args.get("q") or "").strip()[:MAX_QUERY]
    found = directory.search_people(q, per_page=SEARCH_LIMIT) if q else None
    return render_template(
        "sessions/cochairs/list.html",
        event=event,
        areas=areas,
        appointments=appointments,
        rules=cochairs.report(areas, appointments),
        form=form,
        q=q,
        found=found,
        region_of=cochairs.region_of,
        region_labels=cochairs.REGION_LABELS,
        **core.labels(),
    ), status


@bp.route("/events/<int:event_id>/p2c/cochairs", methods=["GET", "POST"], endpoint="cochairs")
@login_required
def cochairs_page(event_id: int):
    """Appointments per area with the rules; the appointment form (POST appoints)."""
    event = _managed_event(event_id)
    areas = core.focus_areas(event)
    if request.method == "GET":
        db.session.commit()  # keep the areas seeded on the first visit
        form = AppointForm(
            formdata=None,
            areas=areas,
            data={
                "email": (request.args.get("email") or "")[: cochairs.MAX_EMAIL],
                "focus_area": request.args.get("area", ""),
                "seat": request.args.get("seat", ""),
            },
        )
        return _page(event, form)
    form = AppointForm(areas=areas)
    if not form.validate_on_submit():
        return _page(event, form, 400)
    try:
        area = _area_from(event, form.focus_area.data)
        seat = cochairs.parse_seat(form.seat.data)
        person = cochairs.find_person(form.person_id.data, form.email.data)
        appointment = cochairs.appoint(_user(), event, area, person, seat)
    except core.ProgrammeError as error:
        db.session.rollback()
        show_error(form, error)
        return _page(event, form, error.status)
    db.session.commit()
    flash(
        _(
            "%(name)s was appointed to %(area)s; the invitation to accept is on its way.",
            name=appointment.person.full_name,
            area=appointment.focus_area.label,
        ),
        "success",
    )
    return redirect(url_for("sessions.cochairs", event_id=event.id))


def _rules_json(rules: cochairs.RuleReport, areas) -> dict:
    labels = {a.code: (a.id, a.label) for a in areas}
    return {
        "met": rules.met,
        "areas": [
            {
                "id": labels[s.code][0],
                "code": s.code,
                "label": labels[s.code][1],
                "met": s.met,
                "held": s.held,
                "awaiting": s.awaiting,
                "rules": [{"key": r.key, "met": r.met, "message": r.message} for r in s.rules],
            }
            for s in rules.areas
        ],
        "regions": {
            "met": rules.regions.met,
            "message": rules.regions.message,
            "uncovered": list(rules.uncovered),
        },
    }


@bp.get("/events/<int:event_id>/p2c/cochairs/check")
@login_required
def cochair_check(event_id: int):
    """The rules as they would stand after appointing (area_id, seat, person_id or
    email): the live preview beside the form. A refusal is part of the answer (200);
    malformed arguments are 400, unknown ids 404."""
    event = _managed_event(event_id)
    areas = core.focus_areas(event)
    person_id, email = request.args.get("person_id"), request.args.get("email")
    try:
        area = _area_from(event, request.args.get("area_id", ""))
        seat = cochairs.parse_seat(request.args.get("seat", ""))
        if person_id and not (person_id.isascii() and person_id.isdigit()):
            raise core.ProgrammeError(_("Choose a person from the directory."), "person_id")
    except core.ProgrammeError as error:
        return error_response(400, str(error.message), field=error.field)
    current = cochairs.appointments(event)
    person, refusal = None, None
    try:
        if person_id or email:
            person = cochairs.find_person(person_id, email)
        if person is not None:
            cochairs.check_appointment(area, person, seat, current)
        else:  # no one chosen yet: what the seat alone would do
            held = [cochairs.seat_of(a) for a in current if a.focus_area_id == area.id]
            message = cochairs.refusal(held, seat)
            if message:
                raise core.ProgrammeConflict(message, "seat")
    except core.ProgrammeError as error:
        refusal = {"message": str(error.message), "field": error.field, "status": error.status}
    rules = cochairs.preview(areas, current, area, seat, person)
    body = _rules_json(rules, areas)
    body.update(
        area_id=area.id,
        seat=seat.value,
        person={"id": person.id, "name": person.full_name} if person else None,
        refusal=refusal,
    )
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


def _appointment_action(event_id: int, appointment_id: int, change, done: str):
    event = _managed_event(event_id)
    appointment = cochairs.appointment_or_404(event, appointment_id)
    form = ActionForm()
    if not form.validate_on_submit():
        flash(_("The form expired; please try again."), "error")
        return _page(event, AppointForm(formdata=None, areas=core.focus_areas(event)), 400)
    try:
        change(_user(), appointment)
    except core.ProgrammeError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        form = AppointForm(formdata=None, areas=core.focus_areas(event))
        return _page(event, form, error.status)
    db.session.commit()
    flash(done % {"name": appointment.person.full_name}, "success")
    return redirect(url_for("sessions.cochairs", event_id=event.id))


@bp.post("/events/<int:event_id>/p2c/cochairs/<int:appointment_id>/withdraw")
@login_required
def cochair_withdraw(event_id: int, appointment_id: int):
    """Withdraw an appointment; the co-chair role of the area is taken back."""
    return _appointment_action(
        event_id,
        appointment_id,
        cochairs.withdraw,
        _("The appointment of %(name)s was withdrawn."),
    )


@bp.post("/events/<int:event_id>/p2c/cochairs/<int:appointment_id>/resend")
@login_required
def cochair_resend(event_id: int, appointment_id: int):
    """Send a new link to someone who has not answered yet (the old link stops working)."""
    return _appointment_action(
        event_id,
        appointment_id,
        cochairs.resend,
        _("A new invitation was sent to %(name)s."),
    )


# --- the appointee's page ---------------------------------------------------------------


def _limit() -> str:
    return current_app.config["RATELIMIT_RSVP"]


def _language(appointment: CochairAppointment | None) -> str:
    """?lang, then the language picked on this site, then the one the mail went out in."""
    chosen = request.args.get("lang") or session.get("lang")
    if chosen in LANGUAGES:
        locale = chosen
    elif appointment is not None:
        locale = cochairs.mail_locale(appointment.person, appointment.event)
    else:
        return ""
    g.force_locale = locale
    refresh()
    return locale


def _link_problem(error: cochairs.CochairLinkError):
    appointment = error.appointment
    _language(appointment)
    return render_template(
        "sessions/cochairs/unavailable.html",
        kind=error.kind,
        message=str(error.message),
        appointment=appointment,
        event=appointment.event if appointment else None,
    ), LINK_STATUS[error.kind]


@bp.route("/p2c/cochair/<token>", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"])
def cochair_answer(token: str):
    """The appointee accepts (creating their account if they have none) or declines."""
    try:
        appointment = cochairs.find_by_token(token)
    except cochairs.CochairLinkError as error:
        return _link_problem(error)
    lang = _language(appointment)
    forms = {"accept": AcceptForm(formdata=None), "decline": DeclineForm(formdata=None)}
    status = 200
    choice = request.form.get("answer") if request.method == "POST" else None
    if request.method == "POST" and choice not in forms:
        forms["decline"].form_errors.append(_("Choose to accept or to decline."))
        status = 400
    elif choice is not None:
        form = forms[choice] = AcceptForm() if choice == "accept" else DeclineForm()
        status = 400
        if form.validate_on_submit():
            try:
                if choice == "accept":
                    user, created = cochairs.accept(appointment, form.password.data, lang or "en")
                    return _accepted(appointment, user, created)
                cochairs.decline(appointment, form.reason.data or "")
                return _declined()
            except cochairs.CochairLinkError as error:
                db.session.rollback()
                return _link_problem(error)
            except core.ProgrammeError as error:
                db.session.rollback()
                appointment = cochairs.find_by_token(token)
                show_error(form, error)
                status = error.status
    return render_template(
        "sessions/cochairs/answer.html",
        appointment=appointment,
        event=appointment.event,
        area=appointment.focus_area,
        person=appointment.person,
        account=cochairs.account_for(appointment.person),
        accept_form=forms["accept"],
        decline_form=forms["decline"],
        token=token,
        lang=lang,
        locale=lang or "en",
        **core.labels(),
    ), status


def _accepted(appointment: CochairAppointment, user, created: bool):
    """Commit the acceptance; a new account is logged in, an existing one logs in."""
    event_id, area_label = appointment.event_id, appointment.focus_area.label
    if created:
        login_user(user)
    db.session.commit()
    flash(_("Thank you: you are now a co-chair of %(area)s.", area=area_label), "success")
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect(url_for("sessions.p2c_overview", event_id=event_id))
    flash(_("Log in with %(email)s to curate the sessions of your area.", email=user.email), "info")
    return redirect(url_for("auth.login"))


def _declined():
    db.session.commit()
    flash(_("Your answer is recorded: you decline. Thank you for letting us know."), "success")
    return redirect(url_for("home.index"))
