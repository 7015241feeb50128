"""The invitations blueprint; the view modules add their routes to it."""

from flask import Blueprint

bp = Blueprint("invitations", __name__)
