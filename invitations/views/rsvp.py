"""Invitations views: RSVP — the public pages an invitee reaches from the link in a letter.

No login: the token in the address is the proof. Bad tokens (forged, too long, non-ASCII,
expired, used) get a page saying why and whom to contact, never a 500. POSTs are
rate-limited per client address.
"""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_user

from models import Invitation, RsvpAnswer
from webapp.config import LANGUAGES
from webapp.extensions import db, limiter
from webapp.forms import show_error

from .. import rsvp as services
from ..blueprint import bp
from ..rsvp_forms import AcceptForm, AccountForm, DeclineForm, DelegateForm
from ..targets import TargetError
from ..waves import WaveError

#: HTTP status of a link that cannot be used, by RsvpError kind.
LINK_STATUS = {"invalid": 404, "expired": 410, "used": 409}


def _limit() -> str:
    """Read per request, so tests and deployments may change it."""
    return current_app.config["RATELIMIT_RSVP"]


_limited = limiter.limit(_limit, methods=["POST"])


def _language(invitation: Invitation | None) -> str:
    """?lang, then the language picked on this site, then the letter's language."""
    chosen = request.args.get("lang") or session.get("lang")
    if chosen in LANGUAGES:
        locale = chosen
    elif invitation is not None:
        locale = services.invitee_locale(invitation)
    else:
        return ""
    g.force_locale = locale
    refresh()
    return locale


def _here(endpoint: str, token: str, lang: str) -> str:
    return url_for(endpoint, token=token, lang=lang or None)


def _link_problem(error: services.RsvpError, status: int | None = None):
    """The page for a link that cannot be used: why, and whom to contact."""
    invitation = error.invitation
    lang = _language(invitation)
    event = invitation.wave.event if invitation is not None else None
    if error.kind == "used" and invitation is not None:
        return _answered(invitation, lang, status or LINK_STATUS["used"], str(error.message))
    deadline = services.rsvp_day(invitation.wave, event) if invitation is not None else None
    return render_template(
        "invitations/rsvp/unavailable.html",
        kind=error.kind,
        message=str(error.message),
        event=event,
        deadline=deadline,
        contacts=services.contacts(event),
    ), status or LINK_STATUS.get(error.kind, 400)


def _answered(invitation: Invitation, lang: str, status: int = 200, message: str = ""):
    """What the invitee answered, how to change it, and the account offer after accepting."""
    event = invitation.wave.event
    account = services.account_for(invitation)
    delegate = None
    if invitation.answer == RsvpAnswer.DELEGATED:
        delegate = db.session.scalar(
            db.select(Invitation).where(Invitation.delegate_of_id == invitation.id).limit(1)
        )
    return render_template(
        "invitations/rsvp/answered.html",
        invitation=invitation,
        event=event,
        person=invitation.entry.person,
        delegate=delegate,
        message=message,
        account=account,
        token=request.view_args["token"],
        lang=lang,
        contacts=services.contacts(event),
    ), status


def _page(invitation: Invitation, token: str, lang: str, status: int = 200, **forms):
    """The three choices, with any form that failed keeping what was typed."""
    event = invitation.wave.event
    return render_template(
        "invitations/rsvp/answer.html",
        invitation=invitation,
        event=event,
        person=invitation.entry.person,
        deadline=services.rsvp_day(invitation.wave, event),
        token=token,
        lang=lang,
        accept_form=forms.get("accept_form") or AcceptForm(formdata=None),
        decline_form=forms.get("decline_form") or DeclineForm(formdata=None),
        delegate_form=forms.get("delegate_form") or DelegateForm(formdata=None),
        contacts=services.contacts(event),
    ), status


def _open(token: str) -> Invitation:
    """The pending invitation of the token (RsvpError otherwise)."""
    return services.find_invitation(token)


@bp.get("/rsvp/<token>")
def rsvp(token: str):
    """The invitation: the event, the person, the deadline and the three choices."""
    try:
        invitation = services.find_invitation(token, answered_ok=True)
    except services.RsvpError as error:
        answered = error.invitation is not None and error.invitation.answer != RsvpAnswer.PENDING
        if error.kind == "expired" and answered:
            # Nothing left to do with the link, but the invitee may still read their answer.
            return _answered(error.invitation, _language(error.invitation))
        return _link_problem(error)
    lang = _language(invitation)
    if invitation.answer != RsvpAnswer.PENDING:
        return _answered(invitation, lang)
    return _page(invitation, token, lang)


@bp.post("/rsvp/<token>/accept")
@_limited
def rsvp_accept(token: str):
    """Accept the invitation."""
    try:
        invitation = _open(token)
    except services.RsvpError as error:
        return _link_problem(error)
    lang = _language(invitation)
    form = AcceptForm()
    if not form.validate_on_submit():
        return _page(invitation, token, lang, 400, accept_form=form)
    try:
        services.accept(invitation)
    except services.RsvpError as error:
        db.session.rollback()
        return _link_problem(error)
    db.session.commit()
    flash(_("Thank you: your acceptance is recorded. A confirmation is on its way."), "success")
    return redirect(_here("invitations.rsvp", token, lang))


@bp.post("/rsvp/<token>/decline")
@_limited
def rsvp_decline(token: str):
    """Decline the invitation, with an optional reason."""
    try:
        invitation = _open(token)
    except services.RsvpError as error:
        return _link_problem(error)
    lang = _language(invitation)
    form = DeclineForm()
    if not form.validate_on_submit():
        return _page(invitation, token, lang, 400, decline_form=form)
    try:
        services.decline(invitation, form.reason.data or "")
    except services.RsvpError as error:
        db.session.rollback()
        if error.kind != "input":
            return _link_problem(error)
        show_error(form, error)
        return _page(invitation, token, lang, 400, decline_form=form)
    db.session.commit()
    flash(_("Your answer is recorded: you decline the invitation. Thank you."), "success")
    return redirect(_here("invitations.rsvp", token, lang))


@bp.post("/rsvp/<token>/delegate")
@_limited
def rsvp_delegate(token: str):
    """Name a delegate, who receives an invitation of their own."""
    try:
        invitation = _open(token)
    except services.RsvpError as error:
        return _link_problem(error)
    lang = _language(invitation)
    form = DelegateForm()
    if not form.validate_on_submit():
        return _page(invitation, token, lang, 400, delegate_form=form)
    try:
        services.delegate(
            invitation,
            form.name.data,
            form.email.data,
            form.function.data or "",
            form.organization.data or "",
        )
    except (services.RsvpError, TargetError, WaveError) as error:
        db.session.rollback()
        if getattr(error, "kind", "input") != "input":
            return _link_problem(error)
        # The rollback expired what was loaded; read the invitation again to show the page.
        invitation = _open(token)
        show_error(form, error)
        return _page(invitation, token, lang, 400, delegate_form=form)
    db.session.commit()
    flash(
        _("Thank you: %(name)s will receive an invitation of their own.", name=form.name.data),
        "success",
    )
    return redirect(_here("invitations.rsvp", token, lang))


@bp.route("/rsvp/<token>/account", methods=["GET", "POST"])
@_limited
def rsvp_account(token: str):
    """Create a Convene account after accepting: the link proved the address."""
    try:
        invitation = services.find_invitation(token, answered_ok=True)
    except services.RsvpError as error:
        return _link_problem(error)
    lang = _language(invitation)
    if invitation.answer != RsvpAnswer.ACCEPTED:
        return redirect(_here("invitations.rsvp", token, lang))
    existing = services.account_for(invitation)
    if existing is not None:
        if current_user.is_authenticated and current_user.id == existing.id:
            return redirect(url_for("home.index"))
        return render_template(
            "invitations/rsvp/account_exists.html",
            invitation=invitation,
            event=invitation.wave.event,
            email=existing.email,
        ), (409 if request.method == "POST" else 200)
    form = AccountForm()
    if form.validate_on_submit():
        try:
            user = services.create_account(invitation, form.password.data, lang or "en")
        except services.RsvpError as error:
            db.session.rollback()
            invitation = services.find_invitation(token, answered_ok=True)
            show_error(form, error)
        else:
            login_user(user)
            db.session.commit()
            flash(_("Your Convene account is ready, %(name)s.", name=user.name), "success")
            # An invitee who accepted goes on to register, on the form prefilled for them,
            # once registration is open.
            from registration.core import is_open

            event = invitation.wave.event
            if invitation.answer == RsvpAnswer.ACCEPTED and is_open(event):
                return redirect(url_for("registration.register", event_id=event.id))
            return redirect(url_for("home.index"))
    return render_template(
        "invitations/rsvp/account.html",
        form=form,
        invitation=invitation,
        event=invitation.wave.event,
        token=token,
        lang=lang,
    ), 400 if form.errors else 200
