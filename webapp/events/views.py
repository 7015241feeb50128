"""Event pages (stub, to be completed)."""

from flask import Blueprint, render_template
from sqlalchemy import select

from models import Event

from ..extensions import db

bp = Blueprint("events", __name__, url_prefix="/events")


@bp.get("/")
def index():
    """All events."""
    events = db.session.scalars(select(Event).order_by(Event.opening_date.desc()))
    return render_template("events/index.html", events=list(events))
