"""Administration pages (stub, to be completed)."""

from flask import Blueprint, render_template

from ..permissions import require

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
def index():
    """Site administration."""
    require("site.admin")
    return render_template("admin/index.html")
