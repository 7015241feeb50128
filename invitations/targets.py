"""Target lists: who is on an event's list, in which group, and where they stand.

The status pipeline lives here; sending, reminders, RSVP and (later) registration move
entries along it through `set_status`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select

from models import Country, EntryStatus, Event, Organization, Person, TargetEntry, User, utcnow
from webapp import audit

S = EntryStatus

#: Moves the pipeline makes by itself; organizers may set any status by hand (`manual`).
TRANSITIONS: dict[EntryStatus, set[EntryStatus]] = {
    S.IDENTIFIED: {S.INVITED},
    S.INVITED: {S.REMINDED, S.ACCEPTED, S.DECLINED, S.NO_ANSWER},
    S.REMINDED: {S.REMINDED, S.ACCEPTED, S.DECLINED, S.NO_ANSWER},
    S.NO_ANSWER: {S.INVITED, S.ACCEPTED, S.DECLINED},
    S.DECLINED: {S.INVITED, S.ACCEPTED},
    S.ACCEPTED: {S.DECLINED, S.REGISTERED},
    S.REGISTERED: {S.ATTENDED, S.DECLINED},
    S.ATTENDED: set(),
}

#: Statuses that count as "invited" (or further) on the dashboard.
INVITED_OR_LATER = {
    S.INVITED,
    S.REMINDED,
    S.ACCEPTED,
    S.DECLINED,
    S.NO_ANSWER,
    S.REGISTERED,
    S.ATTENDED,
}
#: Statuses that count as "accepted" (or further).
ACCEPTED_OR_LATER = {S.ACCEPTED, S.REGISTERED, S.ATTENDED}
#: Still waiting for an answer.
AWAITING_ANSWER = {S.INVITED, S.REMINDED}


class TargetError(Exception):
    """A target-list rule was not met; the message is for the user, `field` says where."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.field = field


def set_status(
    entry: TargetEntry, status: EntryStatus, *, actor: User | None = None, manual: bool = False
) -> bool:
    """Move an entry along the pipeline; True when it changed. Automatic moves must follow
    TRANSITIONS (a late reminder never undoes an acceptance); organizers may override."""
    if entry.status == status:
        return False
    if not manual and status not in TRANSITIONS[entry.status]:
        raise TargetError(
            _l(
                "%(person)s cannot go from %(old)s to %(new)s.",
                person=entry.person.full_name,
                old=entry.status.value,
                new=status.value,
            ),
            "status",
        )
    old = entry.status
    entry.status = status
    entry.status_changed_at = utcnow()
    audit.record(
        "target.status_changed",
        actor=actor,
        event_id=entry.event_id,
        obj=entry,
        summary=f"{entry.person.full_name}: {old.value} → {status.value}",
        old=old.value,
        new=status.value,
        manual=manual,
    )
    return True


@dataclass
class EntryFilters:
    """Which entries a list view or a wave's audience covers (empty means all)."""

    groups: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    stars_only: bool = False
    statuses: list[str] = field(default_factory=list)
    owner_id: int | None = None
    q: str = ""

    @classmethod
    def from_audience(cls, audience: dict) -> EntryFilters:
        """The filters a wave's stored audience describes."""
        return cls(
            groups=list(audience.get("groups") or []),
            regions=list(audience.get("regions") or []),
            stars_only=bool(audience.get("stars_only")),
            statuses=list(audience.get("statuses") or []),
        )


def entries_query(event: Event, filters: EntryFilters) -> Select:
    """Entries of `event` matching `filters`, person (with organization and country) loaded
    in the same query, by group, star first, priority, name."""
    stmt = (
        select(TargetEntry)
        .join(TargetEntry.person)
        .outerjoin(Person.organization)
        .outerjoin(Country, Country.iso2 == Person.country_iso2)
        .where(TargetEntry.event_id == event.id)
    )
    if filters.groups:
        stmt = stmt.where(TargetEntry.constituent_group.in_(filters.groups))
    if filters.regions:
        stmt = stmt.where(Country.region_code.in_(filters.regions))
    if filters.stars_only:
        stmt = stmt.where(TargetEntry.star.is_(True))
    if filters.statuses:
        stmt = stmt.where(TargetEntry.status.in_([EntryStatus(s) for s in filters.statuses]))
    if filters.owner_id is not None:
        stmt = stmt.where(TargetEntry.owner_id == filters.owner_id)
    for word in filters.q.split():
        like = f"%{word.lower()}%"
        stmt = stmt.where(
            or_(
                Person.first_name.ilike(like),
                Person.last_name.ilike(like),
                Person.email.ilike(like),
                Person.function.ilike(like),
                Organization.name.ilike(like),
            )
        )
    return stmt.order_by(
        TargetEntry.constituent_group,
        TargetEntry.star.desc(),
        TargetEntry.priority,
        Person.last_name,
        TargetEntry.id,
    )
