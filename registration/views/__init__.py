"""Importing the view modules adds their routes to the blueprint."""

from . import accreditation, badges, lists, payments, register, selfservice  # noqa: F401
