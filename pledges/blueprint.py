"""The pledges blueprint; the view modules add their routes to it."""

from flask import Blueprint

bp = Blueprint("pledges", __name__)
