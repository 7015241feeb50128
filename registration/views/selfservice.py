"""Registration views: self-service of personal data — the JSON download of everything
stored about the user, and the deletion of their account."""

from __future__ import annotations

import json

from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from models import Registration
from webapp.extensions import db
from webapp.forms import show_error

from .. import selfservice
from ..blueprint import bp
from ..core import RegistrationError
from ..register_forms import DeleteAccountForm


@bp.get("/account/data.json")
@login_required
def my_data():
    """Everything stored about the user, as a JSON download."""
    user = current_user._get_current_object()
    data = selfservice.personal_data(user)
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="convene-my-data-{user.id}.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    """Delete one's account: asks for the password; registrations are cancelled and
    anonymized, pledges stay with their organizations."""
    user = current_user._get_current_object()
    form = DeleteAccountForm()
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            try:
                selfservice.delete_account(user, form.password.data)
            except RegistrationError as error:
                db.session.rollback()
                status = error.status
                show_error(form, error)
            else:
                db.session.commit()
                logout_user()
                flash(_("Your account is deleted. Thank you for having taken part."), "success")
                return redirect(url_for("home.index"))
    active = (
        db.session.query(Registration)
        .filter(Registration.user_id == user.id, Registration.cancelled_at.is_(None))
        .count()
    )
    return render_template(
        "registration/mine/delete_account.html", form=form, active_registrations=active
    ), status
