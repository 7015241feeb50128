"""Language selection: explicit choice, then the account's preference, then the browser."""

from __future__ import annotations

from flask import Flask, current_app, g, request, session
from flask_babel import get_locale
from flask_login import current_user

from .config import LANGUAGES, RTL_LANGUAGES

LANGUAGE_NAMES = {
    "en": "English",
    "zh": "中文",
    "fr": "Français",
    "es": "Español",
    "ru": "Русский",
    "ar": "العربية",
}


def select_locale() -> str:
    """Pick the locale for this request."""
    forced = getattr(g, "force_locale", None)
    if forced:
        return forced
    if request:
        chosen = request.args.get("lang") or session.get("lang")
        if chosen in LANGUAGES:
            return chosen
        if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
            return current_user.locale
        return request.accept_languages.best_match(LANGUAGES) or "en"
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def text_direction() -> str:
    return "rtl" if str(get_locale()) in RTL_LANGUAGES else "ltr"


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(app.root_path + "/translations"))

    @app.context_processor
    def _language_context():
        return {
            "current_locale": str(get_locale()),
            "text_direction": text_direction(),
            "language_names": LANGUAGE_NAMES,
        }
