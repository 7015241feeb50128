"""Settings from the environment, checked once at start-up.

A missing or malformed required setting raises ConfigError with one sentence that says
what to set; create_app lets it stop the process.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlparse

LANGUAGES = ["en", "zh", "fr", "es", "ru", "ar"]
RTL_LANGUAGES = {"ar"}


class ConfigError(RuntimeError):
    """A setting is missing or malformed."""


def _secret_key(instance_path: Path, production: bool) -> str:
    key = os.environ.get("SECRET_KEY", "")
    if key:
        if len(key) < 16:
            raise ConfigError("SECRET_KEY must be at least 16 characters long.")
        return key
    if production:
        raise ConfigError(
            "SECRET_KEY is required when CONVENE_ENV=production: set it to a long random string."
        )
    # Embedded default: generate once and keep it, so sessions survive restarts. O_EXCL:
    # of several processes starting at once, one writes and all read the same key.
    path = instance_path / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _database_url(instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return f"sqlite:///{instance_path / 'convene.sqlite3'}"
    # Heroku-style URLs name the scheme "postgres"; SQLAlchemy wants the driver spelled out.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if not url.startswith(("sqlite:", "postgresql+psycopg:")):
        raise ConfigError(
            f"DATABASE_URL must be a postgresql:// or sqlite:/// URL, not {url.split(':')[0]!r}."
        )
    return url


def _url(name: str, schemes: tuple[str, ...]) -> str:
    value = os.environ.get(name, "")
    parts = urlparse(value)
    if value and (parts.scheme not in schemes or not (parts.netloc or parts.scheme == "unix")):
        raise ConfigError(f"{name} must be a URL starting with {' or '.join(schemes)}://.")
    return value


def from_environment(instance_path: Path) -> dict:
    """Build the Flask config mapping from os.environ."""
    env = os.environ.get("CONVENE_ENV", "development")
    if env not in ("development", "production", "test"):
        raise ConfigError("CONVENE_ENV must be development, production or test.")
    production = env == "production"
    instance_path.mkdir(parents=True, exist_ok=True)
    secret_key = _secret_key(instance_path, production)
    base_url = _url("BASE_URL", ("http", "https"))
    server_name = os.environ.get("SERVER_NAME", "")
    if production and not (base_url or server_name):
        raise ConfigError(
            "BASE_URL (e.g. https://convene.example.org) is required when CONVENE_ENV=production,"
            " so links in mail point to the right place."
        )
    if not base_url and server_name:
        base_url = f"https://{server_name}"
    sendgrid_key = os.environ.get("SENDGRID_API_KEY", "")
    if production and os.environ.get("REDIS_URL", "") == "":
        raise ConfigError("REDIS_URL is required when CONVENE_ENV=production (jobs and limits).")
    proxies = os.environ.get("TRUSTED_PROXIES", "0")
    if not proxies.isdigit() or int(proxies) > 5:
        raise ConfigError(
            "TRUSTED_PROXIES must be the number of proxies in front of the app (0-5)."
        )
    video_mb = os.environ.get("VIDEO_MAX_MB", "200")
    if not video_mb.isdigit() or not 1 <= int(video_mb) <= 4096:
        raise ConfigError("VIDEO_MAX_MB must be a whole number of megabytes (1-4096).")
    return {
        "CONVENE_ENV": env,
        "TRUSTED_PROXIES": int(proxies),
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        "REDIS_URL": _url("REDIS_URL", ("redis", "rediss", "unix")),
        "SENDGRID_API_KEY": sendgrid_key,
        "SENDGRID_API_HOST": _url("SENDGRID_API_HOST", ("http", "https"))
        or "https://api.sendgrid.com",
        "SENDGRID_WEBHOOK_PUBLIC_KEY": os.environ.get("SENDGRID_WEBHOOK_PUBLIC_KEY", ""),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "convene@localhost"),
        "MAIL_FROM_NAME": os.environ.get("MAIL_FROM_NAME", "Convene"),
        "BASE_URL": base_url or "http://localhost:5000",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL") or "memory://",
        "RATELIMIT_LOGIN": os.environ.get("RATELIMIT_LOGIN", "10 per minute;50 per hour"),
        "RATELIMIT_RSVP": os.environ.get("RATELIMIT_RSVP", "30 per minute"),
        "LANGUAGES": LANGUAGES,
        "BABEL_DEFAULT_LOCALE": "en",
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        # Video messages: only their upload form lifts the request limit to this size.
        "VIDEO_MAX_BYTES": int(video_mb) * 1024 * 1024,
        "VIDEO_UPLOAD_DIR": os.environ.get("VIDEO_UPLOAD_DIR", ""),
        # Payments: without a secret key, only offline payments recorded by organizers.
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY", ""),
        "STRIPE_PUBLISHABLE_KEY": os.environ.get("STRIPE_PUBLISHABLE_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        "STRIPE_API_BASE": _url("STRIPE_API_BASE", ("http", "https")) or "https://api.stripe.com",
        "STRIPE_JS_URL": _url("STRIPE_JS_URL", ("http", "https")) or "https://js.stripe.com/v3/",
        # argon2id parameters; tests lower them because hashing is slow on purpose.
        "ARGON2_TIME_COST": 3,
        "ARGON2_MEMORY_COST": 65536,
        "TOKEN_HOURS": {"verify_email": 48, "reset_password": 2, "change_email": 24},
        "MAIL_RETRY_LIMIT": 5,
        "JOBS_INLINE": False,
    }
