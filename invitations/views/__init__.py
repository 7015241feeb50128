"""Importing the view modules adds their routes to the blueprint."""

from . import dashboard, rsvp, targets, waves  # noqa: F401
