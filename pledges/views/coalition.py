"""Pledges views: the Digital Coalition statement, its signatories, signing and revoking."""

from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import CoalitionSignature, Event, Organization, User
from webapp.extensions import db
from webapp.forms import options, show_error
from webapp.permissions import require

from .. import coalition
from ..blueprint import bp
from ..coalition_forms import RevokeForm, SignForm


def _actor() -> User:
    """The logged-in user as a plain model object, for services and the audit log."""
    return current_user._get_current_object()


def _signatures_page(
    event: Event, forms: dict[int, RevokeForm] | None = None, status=200, alert: str = ""
):
    """The organizers' list of every signature, with a revoke form per active one."""
    signatures, users = coalition.all_signatures(event)
    forms = forms or {}
    for signature in signatures:
        if signature.revoked_at is None and signature.id not in forms:
            forms[signature.id] = RevokeForm(formdata=None, prefix=f"s{signature.id}")
    return render_template(
        "pledges/coalition/signatures.html",
        event=event,
        signatures=signatures,
        users=users,
        forms=forms,
        alert=alert,
    ), status


@bp.get("/events/<int:event_id>/coalition")
def coalition_page(event_id: int):
    """The Digital Coalition statement and its signatories (public, no login)."""
    event = db.get_or_404(Event, event_id)
    sort = request.args.get("sort", "date")
    if sort not in coalition.SORTS:
        sort = "date"
    signatures = coalition.public_signatories(event, sort)
    return render_template(
        "pledges/coalition/public.html",
        event=event,
        signatures=signatures,
        sort=sort,
        statement=coalition.STATEMENT,
        organizations=coalition.organizations_of(current_user)
        if current_user.is_authenticated
        else [],
    )


@bp.route("/events/<int:event_id>/coalition/sign", methods=["GET", "POST"])
@login_required
def coalition_sign(event_id: int):
    """Sign the statement for one of the user's organizations; errors beside the fields."""
    event = db.get_or_404(Event, event_id)
    organizations = coalition.organizations_of(_actor())
    form = SignForm()
    form.organization.choices = options(
        ((str(o.id), o.name) for o in organizations),
        blank=_("Choose your organization") if len(organizations) != 1 else None,
    )
    if request.method == "GET" and not form.signer_name.data:
        form.signer_name.data = current_user.name
    status = 200
    if not organizations:
        status = 403 if request.method == "POST" else 200
    elif form.validate_on_submit():
        chosen = request.form.get("organization", "")
        valid = re.fullmatch(r"[0-9]{1,18}", chosen)
        organization = db.session.get(Organization, int(chosen)) if valid else None
        try:
            coalition.sign(
                _actor(),
                event,
                organization,
                form.signer_name.data,
                form.signer_function.data,
                form.signed_on.data,
                form.confirmed.data,
            )
        except coalition.CoalitionForbidden as error:
            show_error(form, error)
            status = 403
        except coalition.CoalitionError as error:
            show_error(form, error)
            status = 400
        else:
            db.session.commit()
            flash(
                _("%(name)s signed the Digital Coalition statement.", name=organization.name),
                "success",
            )
            return redirect(url_for("pledges.coalition_page", event_id=event.id))
    elif request.method == "POST":
        status = 400
    return render_template(
        "pledges/coalition/sign.html",
        event=event,
        form=form,
        organizations=organizations,
        statement=coalition.STATEMENT,
    ), status


@bp.get("/events/<int:event_id>/coalition/signatures")
def coalition_signatures(event_id: int):
    """Every signature of the event, revoked ones too, with revoke forms (organizers)."""
    event = db.get_or_404(Event, event_id)
    require("pledges.moderate", event)
    return _signatures_page(event)


@bp.post("/events/<int:event_id>/coalition/signatures/<int:signature_id>/revoke")
def coalition_revoke(event_id: int, signature_id: int):
    """Revoke a signature with a reason (organizers)."""
    event = db.get_or_404(Event, event_id)
    require("pledges.moderate", event)
    signature = db.session.get(CoalitionSignature, signature_id)
    if signature is None or signature.event_id != event.id:
        abort(404)
    form = RevokeForm(prefix=f"s{signature.id}")
    if signature.revoked_at is not None:
        return _signatures_page(event, status=400, alert=_("This signature is already revoked."))
    if form.validate_on_submit():
        try:
            coalition.revoke(_actor(), signature, form.reason.data)
        except coalition.CoalitionForbidden:
            abort(403)
        except coalition.CoalitionError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(
                _("The signature of %(name)s is revoked.", name=signature.organization.name),
                "success",
            )
            return redirect(url_for("pledges.coalition_signatures", event_id=event.id))
    return _signatures_page(event, {signature.id: form}, 400)
