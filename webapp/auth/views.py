"""Account pages: sign up, verify, log in/out, reset, change password/email, preferences."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, limiter
from ..security import safe_next
from . import services
from .forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    EmailOnlyForm,
    LoginForm,
    PreferencesForm,
    ResetForm,
    SignupForm,
)

bp = Blueprint("auth", __name__, url_prefix="/account")


def _email_key() -> str:
    """Rate-limit key: the address being tried, so one account cannot be brute-forced
    (or flooded with mail) from many addresses."""
    return f"{request.endpoint}:" + services.normalize_email(request.form.get("email", ""))[:254]


def _limited(view):
    """Limit POSTs per client address and per email address (RATELIMIT_LOGIN)."""
    limit = lambda: current_app.config["RATELIMIT_LOGIN"]  # noqa: E731 - read per request
    view = limiter.limit(limit, methods=["POST"], key_func=_email_key)(view)
    return limiter.limit(limit, methods=["POST"])(view)


@bp.route("/signup", methods=["GET", "POST"])
@_limited
def signup():
    """Create an account; a confirmation link goes to the address."""
    form = SignupForm()
    if request.method == "GET":
        form.locale.data = str(
            request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "en"
        )
    if form.validate_on_submit():
        try:
            services.register(form.email.data, form.name.data, form.password.data, form.locale.data)
        except services.AuthError as error:
            form.password.errors.append(str(error))
        else:
            db.session.commit()
            return render_template("auth/check_email.html", email=form.email.data)
    return render_template("auth/signup.html", form=form), 400 if form.errors else 200


@bp.get("/verify/<token>")
def verify_email(token: str):
    """Confirm the address from the emailed link."""
    try:
        services.verify_email(token)
    except services.TokenInvalid as error:
        db.session.commit()
        return render_template("auth/token_invalid.html", message=str(error), resend=True), 400
    db.session.commit()
    flash(_("Your email address is confirmed. You can log in now."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/verify/resend", methods=["GET", "POST"])
@_limited
def resend_verification():
    """Send a new confirmation link."""
    form = EmailOnlyForm()
    if form.validate_on_submit():
        services.resend_verification(form.email.data)
        db.session.commit()
        return render_template("auth/check_email.html", email=form.email.data)
    return render_template("auth/resend.html", form=form), 400 if form.errors else 200


@bp.route("/login", methods=["GET", "POST"])
@_limited
def login():
    """Log in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except services.EmailNotVerified:
            db.session.commit()
            form.email.errors.append(_("Please confirm your email address first."))
            return render_template("auth/login.html", form=form, unverified=True), 400
        except services.InvalidCredentials as error:
            db.session.commit()
            form.password.errors.append(str(error))
            return render_template("auth/login.html", form=form), 400
        login_user(user, remember=form.remember.data)
        db.session.commit()
        flash(_("Welcome, %(name)s.", name=user.name), "success")
        return redirect(safe_next(request.args.get("next"), url_for("home.index")))
    return render_template("auth/login.html", form=form), 400 if form.errors else 200


@bp.post("/logout")
def logout():
    """Log out."""
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("home.index"))


@bp.route("/forgot", methods=["GET", "POST"])
@_limited
def forgot():
    """Ask for a password reset link; the answer is the same for every address."""
    form = EmailOnlyForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        return render_template("auth/reset_sent.html", email=form.email.data)
    return render_template("auth/forgot.html", form=form), 400 if form.errors else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    """Choose a new password from the emailed link."""
    try:
        services.check_reset_token(token)
    except services.TokenInvalid as error:
        return render_template("auth/token_invalid.html", message=str(error), forgot=True), 400
    form = ResetForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except services.TokenInvalid as error:
            db.session.rollback()
            return render_template("auth/token_invalid.html", message=str(error), forgot=True), 400
        except services.AuthError as error:
            db.session.rollback()
            form.password.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Your password has been changed. Please log in."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form), 400 if form.errors else 200


@bp.route("/", methods=["GET", "POST"])
@login_required
def account():
    """Your account: name, language, password and email."""
    which = request.form.get("form") if request.method == "POST" else None

    def data_for(name):  # only the submitted form reads the request; the others stay filled
        return request.form if which == name else None

    prefs = PreferencesForm(prefix="prefs", obj=current_user, formdata=data_for("prefs"))
    password_form = ChangePasswordForm(prefix="pw", formdata=data_for("password"))
    email_form = ChangeEmailForm(prefix="em", formdata=data_for("email"))
    status = 200
    if which:
        if which == "prefs" and prefs.validate_on_submit():
            services.update_profile(current_user, prefs.name.data, prefs.locale.data)
            db.session.commit()
            flash(_("Your preferences are saved."), "success")
            return redirect(url_for("auth.account"))
        if which == "password" and password_form.validate_on_submit():
            try:
                services.change_password(
                    current_user, password_form.current.data, password_form.password.data
                )
            except services.InvalidCredentials as error:
                password_form.current.errors.append(str(error))
            except services.AuthError as error:
                password_form.password.errors.append(str(error))
            else:
                db.session.commit()
                # The stored id carries the session version, which just changed.
                login_user(current_user._get_current_object())
                flash(_("Your password has been changed."), "success")
                return redirect(url_for("auth.account"))
        if which == "email" and email_form.validate_on_submit():
            try:
                services.request_email_change(
                    current_user, email_form.current.data, email_form.new_email.data
                )
            except services.InvalidCredentials as error:
                email_form.current.errors.append(str(error))
            except services.AuthError as error:
                email_form.new_email.errors.append(str(error))
            else:
                db.session.commit()
                flash(
                    _(
                        "We sent a confirmation link to %(email)s. Your address changes "
                        "when you open it.",
                        email=email_form.new_email.data,
                    ),
                    "info",
                )
                return redirect(url_for("auth.account"))
        status = 400
    return render_template(
        "auth/account.html", prefs=prefs, password_form=password_form, email_form=email_form
    ), status


@bp.get("/email/<token>")
def confirm_email_change(token: str):
    """Confirm a new email address from the emailed link."""
    try:
        services.confirm_email_change(token)
    except services.AuthError as error:
        db.session.commit()
        return render_template("auth/token_invalid.html", message=str(error)), 400
    db.session.commit()
    flash(_("Your email address has been changed."), "success")
    return redirect(
        url_for("auth.account") if current_user.is_authenticated else url_for("auth.login")
    )
