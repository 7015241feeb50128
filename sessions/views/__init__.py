"""Importing the view modules adds their routes to the blueprint."""

from . import areas, cochairs, public, schedule, sessions, speakers, venue, videos  # noqa: F401
