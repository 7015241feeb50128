"""The registration blueprint; the view modules add their routes to it."""

from flask import Blueprint

bp = Blueprint("registration", __name__)
