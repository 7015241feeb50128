"""Accounts: sign-up, email verification, login, password reset and changes.

Rules live here; views only parse forms and render. Every function flushes; the caller
commits. Answers never tell whether an email has an account.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from models import TokenPurpose, User, UserToken, utcnow

from .. import audit, mail
from ..config import LANGUAGES
from ..extensions import db
from ..security import burn_password_check, hash_password, hash_token, new_token, verify_password

MIN_PASSWORD = 10
MAX_PASSWORD = 200


class AuthError(Exception):
    """A rule of accounts was not met; the message is for the user."""


class InvalidCredentials(AuthError):
    pass


class EmailNotVerified(AuthError):
    def __init__(self, user: User):
        super().__init__(str(_l("Please confirm your email address first.")))
        self.user = user


class TokenInvalid(AuthError):
    """Unknown, used or expired link."""


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def check_password_rules(password: str, email: str = "") -> None:
    """Raise AuthError when the password is too weak."""
    if len(password) < MIN_PASSWORD:
        raise AuthError(str(_l("Use at least %(n)d characters.", n=MIN_PASSWORD)))
    if len(password) > MAX_PASSWORD:
        raise AuthError(str(_l("Use at most %(n)d characters.", n=MAX_PASSWORD)))
    if len(set(password)) < 4:
        raise AuthError(str(_l("Use more different characters.")))
    if email and password.lower() == normalize_email(email):
        raise AuthError(str(_l("The password must not be your email address.")))


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def load_user_from_id(user_id: str) -> User | None:
    """Flask-Login loader: "id:session_version", so a password change ends old sessions."""
    try:
        raw_id, version = user_id.split(":")
        user = db.session.get(User, int(raw_id))
    except (ValueError, TypeError):
        return None
    if user is None or not user.is_active or str(user.session_version) != version:
        return None
    return user


def _link(endpoint: str, token: str) -> str:
    """Absolute link for mail, on the configured base URL."""
    path = url_for(endpoint, token=token, _external=False)
    return current_app.config["BASE_URL"].rstrip("/") + path


def issue_token(user: User, purpose: TokenPurpose, new_email: str | None = None) -> str:
    """A new random token for `user`; earlier unused ones of the same purpose stop working."""
    now = utcnow()
    db.session.execute(
        update(UserToken)
        .where(
            UserToken.user_id == user.id,
            UserToken.purpose == purpose,
            UserToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    token, digest = new_token()
    hours = current_app.config["TOKEN_HOURS"][purpose.value]
    db.session.add(
        UserToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=digest,
            new_email=new_email,
            expires_at=now + timedelta(hours=hours),
        )
    )
    db.session.flush()
    return token


def consume_token(token: str, purpose: TokenPurpose) -> UserToken:
    """Mark the token used and return it; TokenInvalid when unknown, used or expired."""
    if not token or len(token) > 200:
        raise TokenInvalid(str(_l("This link is not valid.")))
    record = db.session.scalar(
        select(UserToken).where(
            UserToken.token_hash == hash_token(token), UserToken.purpose == purpose
        )
    )
    if record is None:
        raise TokenInvalid(str(_l("This link is not valid.")))
    if record.used_at is not None:
        raise TokenInvalid(str(_l("This link has already been used.")))
    if record.expires_at < utcnow():
        raise TokenInvalid(str(_l("This link has expired.")))
    # Single use even under a double click: only one UPDATE finds it unused.
    taken = db.session.execute(
        update(UserToken)
        .where(UserToken.id == record.id, UserToken.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    if not taken:
        raise TokenInvalid(str(_l("This link has already been used.")))
    db.session.refresh(record)
    return record


def send_verification(user: User) -> None:
    token = issue_token(user, TokenPurpose.VERIFY_EMAIL)
    mail.send(
        user.email,
        "auth/verify_email",
        to_name=user.name,
        locale=user.locale,
        link=_link("auth.verify_email", token),
        hours=current_app.config["TOKEN_HOURS"]["verify_email"],
    )


def register(email: str, name: str, password: str, locale: str = "en") -> User | None:
    """Create an unverified account and mail a confirmation link.

    If the email already has an account, that account's owner gets a notice instead and
    None is returned: the page says the same either way.
    """
    email = normalize_email(email)
    check_password_rules(password, email)
    existing = user_by_email(email)
    if existing is not None:
        hash_password(password)  # the same effort as a new account: timing tells nothing
        mail.send(
            existing.email,
            "auth/account_exists",
            to_name=existing.name,
            locale=existing.locale,
            login_link=current_app.config["BASE_URL"].rstrip("/") + url_for("auth.login"),
            reset_link=current_app.config["BASE_URL"].rstrip("/") + url_for("auth.forgot"),
        )
        return None
    user = User(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        locale=locale if locale in LANGUAGES else "en",
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user.signed_up", actor=user, obj=user, summary=email)
    send_verification(user)
    return user


def verify_email(token: str) -> User:
    record = consume_token(token, TokenPurpose.VERIFY_EMAIL)
    user = record.user
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        audit.record("user.email_verified", actor=user, obj=user, summary=user.email)
    return user


def resend_verification(email: str) -> None:
    """Send a new confirmation link if an unverified account has this email."""
    user = user_by_email(email)
    if user is not None and user.email_verified_at is None:
        send_verification(user)


def authenticate(email: str, password: str) -> User:
    """The user for these credentials, or InvalidCredentials / EmailNotVerified."""
    user = user_by_email(email)
    if user is None or len(password) > MAX_PASSWORD:
        burn_password_check(password[:MAX_PASSWORD])
        raise InvalidCredentials(str(_l("Email or password is not correct.")))
    if not verify_password(user.password_hash, password) or not user.is_active:
        audit.record("user.login_failed", actor=None, obj=user, summary=user.email)
        raise InvalidCredentials(str(_l("Email or password is not correct.")))
    if user.email_verified_at is None:
        raise EmailNotVerified(user)
    user.last_login_at = utcnow()
    audit.record("user.logged_in", actor=user, obj=user, summary=user.email)
    return user


def request_password_reset(email: str) -> None:
    """Mail a reset link if the account exists; do nothing visible otherwise."""
    user = user_by_email(email)
    if user is None or not user.is_active:
        return
    token = issue_token(user, TokenPurpose.RESET_PASSWORD)
    mail.send(
        user.email,
        "auth/reset_password",
        to_name=user.name,
        locale=user.locale,
        link=_link("auth.reset", token),
        hours=current_app.config["TOKEN_HOURS"]["reset_password"],
    )
    audit.record("user.password_reset_requested", actor=None, obj=user, summary=user.email)


def check_reset_token(token: str) -> UserToken:
    """The unexpired, unused reset token, without using it (to show the form)."""
    record = db.session.scalar(
        select(UserToken).where(
            UserToken.token_hash == hash_token(token or ""),
            UserToken.purpose == TokenPurpose.RESET_PASSWORD,
        )
    )
    if record is None or record.used_at is not None or record.expires_at < utcnow():
        raise TokenInvalid(str(_l("This password reset link is not valid any more.")))
    return record


def _set_password(user: User, password: str) -> None:
    check_password_rules(password, user.email)
    user.password_hash = hash_password(password)
    user.session_version += 1  # logs out other sessions and remember-me cookies
    # Links mailed before the change (a pending email change, say) stop working.
    db.session.execute(
        update(UserToken)
        .where(UserToken.user_id == user.id, UserToken.used_at.is_(None))
        .values(used_at=utcnow())
    )


def reset_password(token: str, password: str) -> User:
    check_password_rules(password)
    record = consume_token(token, TokenPurpose.RESET_PASSWORD)
    user = record.user
    _set_password(user, password)
    # A reset link proves the address too.
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    audit.record("user.password_reset", actor=user, obj=user, summary=user.email)
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise InvalidCredentials(str(_l("Your current password is not correct.")))
    _set_password(user, new)
    audit.record("user.password_changed", actor=user, obj=user, summary=user.email)


def request_email_change(user: User, password: str, new_email: str) -> None:
    """Mail a confirmation link to the new address; the change happens on confirmation."""
    if not verify_password(user.password_hash, password):
        raise InvalidCredentials(str(_l("Your current password is not correct.")))
    new_email = normalize_email(new_email)
    if new_email == user.email:
        raise AuthError(str(_l("This is already your email address.")))
    token = issue_token(user, TokenPurpose.CHANGE_EMAIL, new_email=new_email)
    if user_by_email(new_email) is None:
        mail.send(
            new_email,
            "auth/change_email",
            to_name=user.name,
            locale=user.locale,
            link=_link("auth.confirm_email_change", token),
            hours=current_app.config["TOKEN_HOURS"]["change_email"],
        )
    audit.record("user.email_change_requested", actor=user, obj=user, summary=new_email)


def confirm_email_change(token: str) -> User:
    record = consume_token(token, TokenPurpose.CHANGE_EMAIL)
    user = record.user
    if user_by_email(record.new_email or "") is not None:
        raise AuthError(str(_l("That email address is already in use.")))
    old = user.email
    user.email = record.new_email
    user.email_verified_at = utcnow()
    audit.record("user.email_changed", actor=user, obj=user, summary=f"{old} → {user.email}")
    # The old address hears of it, so a hijacked account does not change hands silently.
    mail.send(
        old,
        "auth/email_changed",
        to_name=user.name,
        locale=user.locale,
        new_email=user.email,
        reset_link=current_app.config["BASE_URL"].rstrip("/") + url_for("auth.forgot"),
    )
    return user


def set_locale(user: User, locale: str) -> None:
    if locale not in LANGUAGES:
        raise AuthError(str(_l("Unknown language.")))
    user.locale = locale


def update_profile(user: User, name: str, locale: str) -> None:
    """Change the account's name and preferred language."""
    set_locale(user, locale)
    if name != user.name:
        audit.record("user.renamed", actor=user, obj=user, summary=f"{user.name} → {name}")
        user.name = name


def create_admin(email: str, name: str, password: str) -> User:
    """A verified site administrator (CLI)."""
    check_password_rules(password, email)
    user = user_by_email(email)
    if user is None:
        user = User(email=normalize_email(email), name=name, password_hash="")
        db.session.add(user)
    user.password_hash = hash_password(password)
    user.is_admin = True
    user.email_verified_at = user.email_verified_at or utcnow()
    db.session.flush()
    audit.record("user.made_admin", actor=None, obj=user, summary=user.email)
    return user
