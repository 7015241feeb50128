"""The Partner2Connect programme: focus areas and co-chairs, sessions curated by the
co-chairs, rooms, breaks and plenary blocks with conflict detection, video messages for
the breaks, and the public programme with personal agendas and exports.

Services (rules): core, focus_areas, cochairs, curation, balance, venue, scheduling,
conflicts, videos, playlists, programme, exports.
Views: one module per area, all on the one blueprint `bp`; `api` adds /api/v1/sessions.
"""

from . import api, views  # noqa: F401 - registers the routes
from .blueprint import bp

__all__ = ["bp"]
