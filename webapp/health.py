"""GET /healthz: 200 with the database's state, 503 when it does not answer."""

from flask import Blueprint, jsonify
from sqlalchemy import text

from .extensions import db, limiter

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """Liveness and database check for load balancers."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as error:  # noqa: BLE001 - any driver error means "down"
        db.session.rollback()
        return jsonify(status="error", database="unavailable", detail=type(error).__name__), 503
    return jsonify(status="ok", database=database, dialect=db.engine.dialect.name)
