"""Home page and the language switcher."""

from datetime import date

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select

from models import Event

from . import reference
from .auth.services import set_locale
from .config import LANGUAGES
from .extensions import db
from .permissions import events_for
from .security import safe_next

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    """The event in a few lines, and for each role the way to its work."""
    today = date.today()
    upcoming = list(
        db.session.scalars(
            select(Event).where(Event.closing_date >= today).order_by(Event.opening_date)
        )
    )
    grants = list(current_user.grants) if current_user.is_authenticated else []
    return render_template(
        "home.html",
        events=upcoming,
        featured=upcoming[0] if upcoming else None,
        my_events=events_for(current_user),
        grants=sorted(grants, key=lambda g: (g.event_id, g.role)),
        focus_area_names=dict(reference.choices("focus_area")),
    )


@bp.post("/language")
def set_language():
    """Remember the chosen language in the session and, when logged in, on the account."""
    lang = request.form.get("lang", "")
    if lang in LANGUAGES:
        session["lang"] = lang
        if current_user.is_authenticated:
            set_locale(current_user, lang)
            db.session.commit()
    return redirect(safe_next(request.form.get("next"), url_for("home.index")))
