"""Directory pages (stub, to be completed)."""

from flask import Blueprint, render_template

from ..permissions import require

bp = Blueprint("directory", __name__, url_prefix="/directory")


@bp.get("/people")
def people():
    """People in the directory."""
    require("directory.view")
    return render_template("directory/people.html")
