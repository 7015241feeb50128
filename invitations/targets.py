"""Target lists: who is on an event's list, in which group, and where they stand.

The status pipeline lives here; sending, reminders, RSVP and (later) registration move
entries along it through `set_status`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select

from models import (
    Country,
    EntryStatus,
    Event,
    Invitation,
    Organization,
    Person,
    Role,
    RoleGrant,
    TargetEntry,
    TargetGroup,
    User,
    utcnow,
)
from webapp import audit
from webapp.extensions import db
from webapp.permissions import can

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


#: Priorities: 1 high, 2 normal, 3 low.
PRIORITIES = (1, 2, 3)
#: Longest notes on one entry.
MAX_NOTES = 5_000
#: Fields an entry's owner may change on their own entries; the rest are for organizers.
OWNER_FIELDS = frozenset({"priority", "notes", "status"})
ENTRY_FIELDS = frozenset({"priority", "star", "owner", "notes", "constituent_group", "status"})


class TargetError(Exception):
    """A target-list rule was not met; the message is for the user, `field` says where."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.field = field


class TargetForbidden(TargetError):
    """The actor may not make this change (views answer 403)."""


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
    # Bounded: a pasted paragraph must not turn into a hundred LIKE clauses.
    for word in filters.q.split()[:8]:
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


# --- reading ------------------------------------------------------------------------------


def status_counts(event: Event, filters: EntryFilters | None = None) -> dict[EntryStatus, int]:
    """How many entries of `event` (matching `filters`, whatever their status) are in each
    status: one GROUP BY query, every status present (0 when none)."""
    base = EntryFilters() if filters is None else filters
    without_status = EntryFilters(
        groups=base.groups,
        regions=base.regions,
        stars_only=base.stars_only,
        owner_id=base.owner_id,
        q=base.q,
    )
    matching = entries_query(event, without_status).order_by(None).subquery()
    rows = db.session.execute(
        select(matching.c.status, func.count()).group_by(matching.c.status)
    ).all()
    counts = dict.fromkeys(EntryStatus, 0)
    for status, n in rows:
        counts[EntryStatus(status)] = n
    return counts


def group_counts(event: Event) -> dict[str, int]:
    """Entries of `event` per constituent group code (one query)."""
    return dict(
        db.session.execute(
            select(TargetEntry.constituent_group, func.count())
            .where(TargetEntry.event_id == event.id)
            .group_by(TargetEntry.constituent_group)
        ).all()
    )


def owner_candidates() -> list[User]:
    """Who may own entries: the secretariat, i.e. active users organizing any event. An
    owner who does not organize this event sees and updates only their own entries."""
    organizers = select(RoleGrant.user_id).where(RoleGrant.role == Role.ORGANIZER)
    return list(
        db.session.scalars(
            select(User)
            .where(User.id.in_(organizers), User.is_active.is_(True))
            .order_by(func.lower(User.name), User.id)
        )
    )


def entry_of(event: Event, entry_id: int) -> TargetEntry | None:
    """The entry `entry_id` if it belongs to `event`, else None (another event's id is as
    unknown as a missing one)."""
    entry = db.session.get(TargetEntry, entry_id)
    return entry if entry is not None and entry.event_id == event.id else None


# --- checking values ----------------------------------------------------------------------


def _group_codes() -> set[str]:
    from webapp.directory.services import group_codes

    return group_codes()


def check_group(code: str | None, codes: set[str] | None = None) -> str:
    """A constituent group code, upper-cased, or TargetError."""
    value = (code or "").strip().upper()
    if value not in (codes if codes is not None else _group_codes()):
        raise TargetError(
            _l("Unknown constituent group “%(value)s”.", value=code or ""), "constituent_group"
        )
    return value


def check_priority(value: Any) -> int:
    """1, 2 or 3, or TargetError."""
    try:
        priority = int(value)
    except (TypeError, ValueError):
        priority = 0
    if isinstance(value, bool) or priority not in PRIORITIES:
        raise TargetError(_l("The priority must be 1 (high), 2 (normal) or 3 (low)."), "priority")
    return priority


def check_notes(value: str | None) -> str:
    """The notes, stripped, at most MAX_NOTES characters, or TargetError."""
    notes = (value or "").strip()
    if len(notes) > MAX_NOTES:
        raise TargetError(
            _l("Notes may have at most %(n)s characters.", n=f"{MAX_NOTES:,}"), "notes"
        )
    return notes


def _is_candidate(user: User) -> bool:
    return user.is_active and any(g.role == Role.ORGANIZER for g in user.grants)


def check_owner(owner: User | None) -> User | None:
    """The owner if they may own entries (see owner_candidates), or TargetError."""
    if owner is not None and not _is_candidate(owner):
        raise TargetError(
            _l("%(name)s is not on the secretariat and cannot own entries.", name=owner.name),
            "owner",
        )
    return owner


def _may_manage(actor: User | None, event: Event) -> bool:
    """Organizers of the event (and the system itself: actor None, e.g. a job)."""
    return actor is None or can(actor, "invitations.manage", event)


def _require_manage(actor: User | None, event: Event) -> None:
    if not _may_manage(actor, event):
        raise TargetForbidden(_l("Only the event's organizers may do this."))


# --- entries ------------------------------------------------------------------------------


def add_entry(
    actor: User | None,
    event: Event,
    person: Person,
    constituent_group: str | None = None,
    priority: int = 2,
    star: bool = False,
    owner: User | None = None,
    notes: str = "",
) -> TargetEntry:
    """Put a directory person on the event's target list, under `constituent_group` or
    else their organization's group; a person is on a list at most once."""
    _require_manage(actor, event)
    if constituent_group:
        group = check_group(constituent_group)
    elif person.organization is not None and person.organization.constituent_group:
        group = person.organization.constituent_group
    else:
        raise TargetError(
            _l(
                "%(name)s's organization has no constituent group: choose one.",
                name=person.full_name,
            ),
            "constituent_group",
        )
    taken = db.session.scalar(
        select(TargetEntry.id).where(
            TargetEntry.event_id == event.id, TargetEntry.person_id == person.id
        )
    )
    if taken is not None:
        raise TargetError(
            _l("%(name)s is already on the target list.", name=person.full_name), "person"
        )
    entry = TargetEntry(
        event_id=event.id,
        person=person,
        constituent_group=group,
        priority=check_priority(priority),
        star=bool(star),
        owner=check_owner(owner),
        notes=check_notes(notes),
        status=EntryStatus.IDENTIFIED,
    )
    db.session.add(entry)
    db.session.flush()
    audit.record(
        "target.added",
        actor=actor,
        event_id=event.id,
        obj=entry,
        summary=f"{person.full_name} ({group})",
        group=group,
        star=entry.star,
    )
    return entry


def update_entry(actor: User | None, entry: TargetEntry, **fields: Any) -> set[str]:
    """Change an entry: any of priority, star, owner (a User or None), notes,
    constituent_group, status (set by hand); the names of what changed. The entry's owner
    may change priority, notes and status; star, owner and group are for organizers."""
    unknown = set(fields) - ENTRY_FIELDS
    if unknown:
        raise TypeError(f"unknown entry fields: {sorted(unknown)}")
    if actor is not None and not can(actor, "target_entry.update", entry):
        raise TargetForbidden(_l("You may only change the entries assigned to you."))
    if not _may_manage(actor, entry.event) and set(fields) - OWNER_FIELDS:
        raise TargetForbidden(
            _l("Only organizers may change the star, the owner or the group."),
            sorted(set(fields) - OWNER_FIELDS)[0],
        )
    clean: dict[str, Any] = {}
    if "priority" in fields:
        clean["priority"] = check_priority(fields["priority"])
    if "star" in fields:
        clean["star"] = bool(fields["star"])
    if "owner" in fields:
        owner = check_owner(fields["owner"])
        clean["owner_id"] = owner.id if owner is not None else None
    if "notes" in fields:
        clean["notes"] = check_notes(fields["notes"])
    if "constituent_group" in fields:
        clean["constituent_group"] = check_group(fields["constituent_group"])
    status = fields.get("status")
    if status is not None:
        try:
            status = EntryStatus(status)
        except ValueError:
            raise TargetError(_l("Unknown status “%(value)s”.", value=status), "status") from None
    changed = {name for name, value in clean.items() if getattr(entry, name) != value}
    for name in changed:
        setattr(entry, name, clean[name])
    if "owner_id" in changed:
        entry.owner = fields["owner"]
    if changed:
        audit.record(
            "target.updated",
            actor=actor,
            event_id=entry.event_id,
            obj=entry,
            summary=entry.person.full_name,
            changed=sorted(changed),
        )
    if status is not None and set_status(entry, status, actor=actor, manual=True):
        changed.add("status")
    db.session.flush()
    return changed


def remove_entry(actor: User | None, entry: TargetEntry) -> None:
    """Take a person off the target list; not once they were invited (their invitations and
    answers would go with them: set a status instead)."""
    _require_manage(actor, entry.event)
    invited = db.session.scalar(
        select(Invitation.id).where(Invitation.entry_id == entry.id).limit(1)
    )
    if invited is not None:
        raise TargetError(
            _l(
                "%(name)s has already been invited and stays on the list; set the status instead.",
                name=entry.person.full_name,
            )
        )
    audit.record(
        "target.removed",
        actor=actor,
        event_id=entry.event_id,
        obj=entry,
        summary=entry.person.full_name,
    )
    db.session.delete(entry)
    db.session.flush()


#: Bulk actions on selected entries (organizers only).
BULK_ACTIONS = ("owner", "star", "unstar", "status")
#: Most entries one bulk action touches (a page holds far fewer).
MAX_BULK = 1_000


def bulk_update(
    actor: User | None,
    event: Event,
    entry_ids: Iterable[int],
    action: str,
    *,
    owner: User | None = None,
    status: str | None = None,
) -> int:
    """Apply one action to the selected entries of `event` (ids of other events are
    ignored): set the owner, star, unstar, or set the status by hand. How many changed."""
    _require_manage(actor, event)
    if action not in BULK_ACTIONS:
        raise TargetError(_l("Choose an action."), "action")
    if action == "owner":
        check_owner(owner)
    target_status = None
    if action == "status":
        try:
            target_status = EntryStatus(status or "")
        except ValueError:
            raise TargetError(_l("Choose a status."), "status") from None
    ids = sorted({int(i) for i in entry_ids})[:MAX_BULK]
    if not ids:
        raise TargetError(_l("Select at least one entry."), "entry_id")
    entries = list(
        db.session.scalars(
            select(TargetEntry).where(TargetEntry.event_id == event.id, TargetEntry.id.in_(ids))
        )
    )
    changed = 0
    for entry in entries:
        if action == "status":
            changed += set_status(entry, target_status, actor=actor, manual=True)
            continue
        if action == "owner":
            value: dict[str, Any] = {"owner_id": owner.id if owner is not None else None}
        else:
            value = {"star": action == "star"}
        name, new = next(iter(value.items()))
        if getattr(entry, name) != new:
            setattr(entry, name, new)
            changed += 1
    if changed and action != "status":
        audit.record(
            "target.bulk_updated",
            actor=actor,
            event_id=event.id,
            summary=f"{action}: {changed} entries",
            bulk_action=action,
            owner_id=owner.id if owner is not None else None,
            entries=[e.id for e in entries][:1000],
        )
    db.session.flush()
    return changed


# --- group targets ------------------------------------------------------------------------


def group_targets(event: Event) -> dict[str, TargetGroup]:
    """The event's targets by constituent group code."""
    return {
        g.constituent_group: g
        for g in db.session.scalars(select(TargetGroup).where(TargetGroup.event_id == event.id))
    }


def _check_target(code: str, share: Any, count: Any) -> tuple[float, int]:
    try:
        share_value = float(share)
    except (TypeError, ValueError):
        share_value = -1.0
    if not 0 <= share_value <= 100 or share_value != share_value:
        raise TargetError(
            _l("The target share of %(group)s must be between 0 and 100.", group=code),
            f"share-{code}",
        )
    try:
        count_value = int(count)
    except (TypeError, ValueError):
        count_value = -1
    if count_value < 0 or count_value > 1_000_000 or isinstance(count, float):
        raise TargetError(
            _l("The target count of %(group)s must be a whole number, 0 or more.", group=code),
            f"count-{code}",
        )
    return share_value, count_value


def set_group_targets(
    actor: User | None, event: Event, targets: dict[str, tuple[Any, Any]]
) -> dict[str, TargetGroup]:
    """Set the target share (percent) and count of several groups at once; the shares of
    all the event's groups together may not exceed 100."""
    _require_manage(actor, event)
    codes = _group_codes()
    clean: dict[str, tuple[float, int]] = {}
    for code, (share, count) in targets.items():
        clean[check_group(code, codes)] = _check_target(code, share, count)
    existing = group_targets(event)
    shares = {code: g.target_share for code, g in existing.items()}
    shares.update({code: share for code, (share, _count) in clean.items()})
    total = sum(shares.values())
    if total > 100 + 1e-9:
        raise TargetError(
            _l(
                "The target shares add up to %(total)s%%; together they may not exceed 100%%.",
                total=f"{total:g}",
            ),
            f"share-{next(iter(clean))}" if len(clean) == 1 else None,
        )
    changed = []
    for code, (share, count) in clean.items():
        group = existing.get(code)
        if group is None:
            group = TargetGroup(event_id=event.id, constituent_group=code)
            db.session.add(group)
            existing[code] = group
        if group.target_share != share or group.target_count != count:
            changed.append(code)
        group.target_share, group.target_count = share, count
    db.session.flush()
    if changed:
        audit.record(
            "target.groups_set",
            actor=actor,
            event_id=event.id,
            summary=", ".join(f"{c}: {clean[c][0]:g}% / {clean[c][1]}" for c in sorted(changed))[
                :500
            ],
            groups={c: list(clean[c]) for c in changed},
        )
    return existing


def set_group_target(
    actor: User | None, event: Event, group: str, target_share: Any, target_count: Any
) -> TargetGroup:
    """Set one group's target share (0–100 percent) and count (0 or more); the shares of
    all groups together may not exceed 100."""
    code = (group or "").strip().upper()
    return set_group_targets(actor, event, {code: (target_share, target_count)})[code]
