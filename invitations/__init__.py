"""Target lists per constituent group and deadline-driven invitation waves, with RSVP.

Services (rules): targets, importing, waves, letters, sending, reminders, rsvp, webhook,
dashboard. Views: one module per area, all on the one blueprint `bp`.
"""

from . import views  # noqa: F401 - registers the routes
from .blueprint import bp

__all__ = ["bp"]
