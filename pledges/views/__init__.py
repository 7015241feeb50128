"""Importing the view modules adds their routes to the blueprint."""

from . import coalition, imports, moderation, pledger, registry, reports  # noqa: F401
