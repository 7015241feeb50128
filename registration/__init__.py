"""Registration: the registration form, accreditation by focal points, seats per mode
with a waiting list, badges and check-in, paid items with Stripe and offline payments,
participants' self-service, and the organizers' lists.

Services (rules): core, seats, registering, accreditation, selfservice, badges, checkin,
payments, stripe_gateway, lists. Views: one module per area on the one blueprint `bp`.
"""

from . import views  # noqa: F401 - registers the routes
from .blueprint import bp

__all__ = ["bp"]
