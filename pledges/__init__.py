"""The Digital Coalition pledge registry: signatures, pledges and their moderation, the
public registry and open data, and follow-up reporting.

Services (rules): core, coalition, pledging, moderation, registry, reporting, importing.
Views: one module per area, all on the one blueprint `bp`.
"""

from . import views  # noqa: F401 - registers the routes
from .blueprint import bp

__all__ = ["bp"]
