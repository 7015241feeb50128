"""Events and their one timeline of deadlines.

Rules live here; views only parse forms and render. Every function flushes; the caller
commits. Deadlines are stored relative to the opening ("365 days before") or as fixed
dates; features add theirs with `upsert_deadline` under a stable key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from flask_babel import format_date, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from models import Country, Deadline, DeadlineKind, Event, Role, RoleGrant, User, utcnow

from .. import audit
from ..config import LANGUAGES
from ..extensions import db

#: Columns an organizer may set on an event; the opening moves only through move_opening.
EVENT_FIELDS = (
    "name",
    "acronym",
    "city",
    "country_iso2",
    "venue",
    "timezone",
    "opening_date",
    "closing_date",
    "languages",
    "description",
    "p2c_start",
    "p2c_end",
)
#: Column lengths of models.Event, checked here too so the service never relies on a form.
MAX_LENGTHS = {"name": 200, "acronym": 40, "city": 120, "venue": 200, "description": 10000}
#: Dates outside these years are typos, and would overflow date arithmetic near year 9999.
MIN_YEAR, MAX_YEAR = 2000, 2100
#: A deadline further than this from the opening is a typo (days).
MAX_OFFSET_DAYS = 3650
#: The P2C segment starts on the afternoon of day 2 and lasts two and a half days.
P2C_START_DAY, P2C_START_TIME = 1, time(14, 0)
P2C_END_DAY, P2C_END_TIME = 3, time(18, 0)
#: Formal invitations to Member States go out one year before the opening.
FORMAL_INVITATIONS_KEY = "event.formal_invitations"
FORMAL_INVITATIONS_OFFSET = -365
#: A deadline this close is "due soon" on the timeline.
DUE_SOON_DAYS = 14
#: Who owns deadlines that organizers add by hand.
EVENT_SOURCE = "event"


class EventError(Exception):
    """A rule of events was not met; the message is for the user, `field` says where."""

    def __init__(self, message: Any, field: str | None = None):
        super().__init__(str(message))
        self.field = field


class EventInvalid(EventError):
    """A value of the event breaks a rule."""


class AcronymTaken(EventError):
    """Another event already uses this acronym."""


class DeadlineInvalid(EventError):
    """A deadline's values break a rule."""


class DeadlineKeyTaken(EventError):
    """The event already has a deadline under this key."""


class DeadlineNotEditable(EventError):
    """The deadline belongs to a feature, which keeps it up to date."""


# ---------------------------------------------------------------------------- events


#: Canonical IANA zones live under these areas; the rest are aliases ("US/Eastern") or
#: system entries ("localtime", "Factory") nobody should pick for a venue.
ZONE_AREAS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)


@lru_cache(maxsize=1)
def timezones() -> tuple[str, ...]:
    """The IANA zones an event may use, sorted (reading them scans the tz database: once)."""
    zones = {zone for zone in available_timezones() if zone.startswith(ZONE_AREAS)}
    return ("UTC", *sorted(zones))


def default_p2c_window(
    opening_date: date, closing_date: date | None = None
) -> tuple[datetime | None, datetime | None]:
    """Day 2 at 14:00 to day 4 at 18:00, event-local (naive) time, cut at the closing day;
    no segment at all for an event that ends before day 2."""
    start = datetime.combine(opening_date + timedelta(days=P2C_START_DAY), P2C_START_TIME)
    end = datetime.combine(opening_date + timedelta(days=P2C_END_DAY), P2C_END_TIME)
    if closing_date is not None:
        if start.date() > closing_date:
            return None, None
        end = min(end, datetime.combine(closing_date, P2C_END_TIME))
    return start, end


def _check_year(value: date, name: str, error: type[EventError] = EventInvalid) -> None:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise error(
            _l("Enter a date between %(start)d and %(end)d.", start=MIN_YEAR, end=MAX_YEAR), name
        )


def _check_text(values: dict[str, Any]) -> None:
    for name in ("name", "acronym"):
        if not values[name]:
            raise EventInvalid(_l("This field is required."), name)
    for name, limit in MAX_LENGTHS.items():
        if len(values[name]) > limit:
            raise EventInvalid(_l("Use at most %(n)d characters.", n=limit), name)


def _check_acronym_free(acronym: str, event: Event | None) -> None:
    query = select(Event.id).where(func.lower(Event.acronym) == acronym.lower())
    if event is not None and event.id is not None:
        query = query.where(Event.id != event.id)
    if db.session.scalar(query) is not None:
        raise AcronymTaken(
            _l("Another event already uses the acronym %(acronym)s.", acronym=acronym), "acronym"
        )


def _check_dates(values: dict[str, Any]) -> None:
    for name in ("opening_date", "closing_date"):
        if not isinstance(values[name], date):
            raise EventInvalid(_l("This field is required."), name)
        _check_year(values[name], name)
    if values["closing_date"] < values["opening_date"]:
        raise EventInvalid(
            _l("The closing date cannot be before the opening date."), "closing_date"
        )


def _check_places(values: dict[str, Any]) -> None:
    if values["timezone"] not in timezones():
        raise EventInvalid(
            _l("Choose a time zone from the list, such as Europe/Zurich."), "timezone"
        )
    if values["country_iso2"] and db.session.get(Country, values["country_iso2"]) is None:
        raise EventInvalid(_l("Choose a country from the list."), "country_iso2")
    unknown = set(values["languages"]) - set(LANGUAGES)
    if unknown:
        raise EventInvalid(_l("Choose the languages among the six UN languages."), "languages")
    if not values["languages"]:
        raise EventInvalid(_l("Choose at least one language."), "languages")


def _check_p2c(values: dict[str, Any]) -> None:
    start, end = values["p2c_start"], values["p2c_end"]
    if start is None and end is None:
        values["p2c_start"], values["p2c_end"] = default_p2c_window(
            values["opening_date"], values["closing_date"]
        )
        return
    if start is None or end is None:
        raise EventInvalid(
            _l("Give both the start and the end of the P2C segment, or leave both empty."),
            "p2c_start" if start is None else "p2c_end",
        )
    if end <= start:
        raise EventInvalid(_l("The P2C segment must end after it starts."), "p2c_end")
    if start.date() < values["opening_date"]:
        raise EventInvalid(
            _l("The P2C segment must start on or after the opening date."), "p2c_start"
        )
    if end.date() > values["closing_date"]:
        raise EventInvalid(_l("The P2C segment must end on or before the closing date."), "p2c_end")


def _clean(fields: dict[str, Any], event: Event | None = None) -> dict[str, Any]:
    """Merge `fields` over the event's current values, normalize, and check every rule."""
    unknown = set(fields) - set(EVENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown event fields: {sorted(unknown)}")
    values = {name: getattr(event, name) if event is not None else None for name in EVENT_FIELDS}
    values.update(fields)
    for name in ("name", "acronym", "city", "venue", "description"):
        values[name] = (values[name] or "").strip()
    values["timezone"] = (values["timezone"] or "UTC").strip()
    values["country_iso2"] = (values["country_iso2"] or "").strip().upper() or None
    # Keep the UN order, whatever order the form sent.
    chosen = list(values["languages"] or [])
    values["languages"] = [code for code in LANGUAGES if code in chosen] + [
        code for code in chosen if code not in LANGUAGES
    ]
    _check_text(values)
    _check_dates(values)
    _check_places(values)
    _check_p2c(values)
    _check_acronym_free(values["acronym"], event)
    return values


def create_event(actor: User, **fields: Any) -> Event:
    """Create an event; its creator becomes its organizer."""
    values = _clean(fields)
    event = Event(**values)
    db.session.add(event)
    db.session.flush()
    # Through the actor's collection, so permission checks in this request see the grant.
    actor.grants.append(RoleGrant(event_id=event.id, role=Role.ORGANIZER, granted_by_id=actor.id))
    upsert_deadline(
        event,
        FORMAL_INVITATIONS_KEY,
        "Formal invitations to Member States",
        EVENT_SOURCE,
        offset_days=FORMAL_INVITATIONS_OFFSET,
    )
    db.session.flush()
    audit.record(
        "event.created",
        actor=actor,
        event_id=event.id,
        obj=event,
        summary=f"{event.acronym}: {event.name}",
    )
    return event


def update_event(actor: User, event: Event, **fields: Any) -> Event:
    """Change an event's facts; a new opening date goes through move_opening instead."""
    new_opening = fields.get("opening_date")
    if new_opening is not None and new_opening != event.opening_date:
        raise EventInvalid(
            _l("Use “Move the opening date” to change the opening: it moves the deadlines too."),
            "opening_date",
        )
    values = _clean(fields, event)
    changed = [name for name in EVENT_FIELDS if getattr(event, name) != values[name]]
    for name in changed:
        setattr(event, name, values[name])
    db.session.flush()
    if changed:
        audit.record(
            "event.updated",
            actor=actor,
            event_id=event.id,
            obj=event,
            summary=f"{event.acronym}: {', '.join(changed)}",
            fields=changed,
        )
    return event


def event_today(event: Event) -> date:
    """Today in the event's time zone: deadlines fall due there."""
    try:
        return datetime.now(ZoneInfo(event.timezone)).date()
    except (ValueError, KeyError):
        return date.today()


# ------------------------------------------------------------------------- deadlines


def _check_when(offset_days: int | None, fixed_date: date | None) -> DeadlineKind:
    """The kind the values make, or DeadlineInvalid unless exactly one is given."""
    if offset_days is None and fixed_date is None:
        raise DeadlineInvalid(_l("Give a number of days from the opening or a fixed date."), "kind")
    if offset_days is not None and fixed_date is not None:
        raise DeadlineInvalid(
            _l("Give either a number of days from the opening or a fixed date, not both."),
            "kind",
        )
    if offset_days is not None:
        if abs(offset_days) > MAX_OFFSET_DAYS:
            raise DeadlineInvalid(
                _l("Use at most %(n)d days from the opening.", n=MAX_OFFSET_DAYS), "days"
            )
        return DeadlineKind.RELATIVE
    _check_year(fixed_date, "fixed_date", DeadlineInvalid)
    return DeadlineKind.FIXED


def _check_label(label: str) -> str:
    label = (label or "").strip()
    if not label:
        raise DeadlineInvalid(_l("This field is required."), "label")
    if len(label) > 200:
        raise DeadlineInvalid(_l("Use at most %(n)d characters.", n=200), "label")
    return label


def _set_when(deadline: Deadline, offset_days: int | None, fixed_date: date | None) -> None:
    deadline.kind = _check_when(offset_days, fixed_date)
    deadline.offset_days = offset_days if deadline.kind == DeadlineKind.RELATIVE else None
    deadline.fixed_date = fixed_date if deadline.kind == DeadlineKind.FIXED else None


def _keys(event: Event) -> set[str]:
    return set(db.session.scalars(select(Deadline.key).where(Deadline.event_id == event.id)))


def deadline_by_key(event: Event, key: str) -> Deadline | None:
    """The event's deadline stored under `key`, if any."""
    return db.session.scalar(
        select(Deadline).where(Deadline.event_id == event.id, Deadline.key == key)
    )


def add_deadline(
    actor: User,
    event: Event,
    label: str,
    *,
    offset_days: int | None = None,
    fixed_date: date | None = None,
    key: str | None = None,
    source: str = EVENT_SOURCE,
    notes: str = "",
    link: dict[str, Any] | None = None,
) -> Deadline:
    """Add a deadline, relative to the opening (offset_days) or on a fixed date."""
    label = _check_label(label)
    keys = _keys(event)
    if key is None:
        number = len(keys) + 1
        while f"event.custom.{number}" in keys:
            number += 1
        key = f"event.custom.{number}"
    elif key in keys:
        raise DeadlineKeyTaken(_l("This event already has a deadline %(key)s.", key=key), "key")
    deadline = Deadline(
        event=event,
        key=key[:120],
        label=label,
        source=source,
        notes=(notes or "").strip(),
        link=link or {},
    )
    _set_when(deadline, offset_days, fixed_date)
    db.session.add(deadline)
    db.session.flush()
    audit.record(
        "deadline.added",
        actor=actor,
        event_id=event.id,
        obj=deadline,
        summary=f"{label} ({_when_text(deadline)})",
        key=deadline.key,
    )
    return deadline


def upsert_deadline(
    event: Event,
    key: str,
    label: str,
    source: str,
    offset_days: int | None = None,
    fixed_date: date | None = None,
    link: dict[str, Any] | None = None,
) -> Deadline:
    """Create or update the deadline under `key`: features call this every time they save.

    Keeps whether it was done and its notes. No audit entry: the calling feature records
    the change it made.
    """
    label = _check_label(label)
    deadline = deadline_by_key(event, key)
    if deadline is None:
        deadline = Deadline(event=event, key=key, notes="")
        db.session.add(deadline)
    deadline.label = label
    deadline.source = source
    deadline.link = link or {}
    _set_when(deadline, offset_days, fixed_date)
    db.session.flush()
    return deadline


def is_editable(deadline: Deadline) -> bool:
    """Organizers edit their own deadlines; a feature's deadlines change where it manages them."""
    return deadline.source == EVENT_SOURCE


def _check_editable(deadline: Deadline) -> None:
    if not is_editable(deadline):
        raise DeadlineNotEditable(
            _l("This deadline belongs to %(source)s; change it there.", source=deadline.source)
        )


def update_deadline(
    actor: User,
    deadline: Deadline,
    *,
    label: str,
    offset_days: int | None = None,
    fixed_date: date | None = None,
    notes: str | None = None,
) -> Deadline:
    """Change a deadline's label, date or notes."""
    _check_editable(deadline)
    before = _when_text(deadline)
    deadline.label = _check_label(label)
    _set_when(deadline, offset_days, fixed_date)
    if notes is not None:
        deadline.notes = notes.strip()
    db.session.flush()
    audit.record(
        "deadline.updated",
        actor=actor,
        event_id=deadline.event_id,
        obj=deadline,
        summary=f"{deadline.label}: {before} → {_when_text(deadline)}",
        key=deadline.key,
    )
    return deadline


def delete_deadline(actor: User, deadline: Deadline) -> None:
    """Remove a deadline from the timeline."""
    _check_editable(deadline)
    audit.record(
        "deadline.deleted",
        actor=actor,
        event_id=deadline.event_id,
        obj=deadline,
        summary=f"{deadline.label} ({_when_text(deadline)})",
        key=deadline.key,
    )
    db.session.delete(deadline)
    db.session.flush()


def mark_deadline_done(actor: User, deadline: Deadline, done: bool = True) -> Deadline:
    """Record that the work is done (or not done after all)."""
    if done and deadline.completed_at is None:
        deadline.completed_at = utcnow()
    elif not done:
        deadline.completed_at = None
    db.session.flush()
    audit.record(
        "deadline.done" if done else "deadline.reopened",
        actor=actor,
        event_id=deadline.event_id,
        obj=deadline,
        summary=deadline.label,
        key=deadline.key,
    )
    return deadline


def _when_text(deadline: Deadline) -> str:
    """Plain English for the audit log, which is not translated."""
    if deadline.kind == DeadlineKind.FIXED:
        return deadline.fixed_date.isoformat() if deadline.fixed_date else "?"
    return f"T{deadline.offset_days:+d} days"


# -------------------------------------------------------------------------- timeline


def describe_offset(days: int) -> str:
    """'365 days before opening', 'on the opening day', '10 days after opening'."""
    if days == 0:
        return str(_l("on the opening day"))
    if days < 0:
        return str(ngettext("%(num)d day before opening", "%(num)d days before opening", -days))
    return str(ngettext("%(num)d day after opening", "%(num)d days after opening", days))


def describe_distance(days: int) -> str:
    """'today', 'in 3 days', '5 days ago'."""
    if days == 0:
        return str(_l("today"))
    if days > 0:
        return str(ngettext("in %(num)d day", "in %(num)d days", days))
    return str(ngettext("%(num)d day ago", "%(num)d days ago", -days))


@dataclass
class TimelineRow:
    """One line of the timeline: a deadline, or one of the event's own milestones."""

    date: date
    label: str
    #: done, overdue, due_today, upcoming; milestones are past, due_today or upcoming.
    status: str
    #: Days from today: negative in the past.
    days: int
    #: Days from the opening date.
    offset: int
    source: str
    deadline: Deadline | None = None

    @property
    def is_milestone(self) -> bool:
        return self.deadline is None

    @property
    def relative(self) -> str:
        return describe_offset(self.offset)

    @property
    def distance(self) -> str:
        return describe_distance(self.days)

    @property
    def due_soon(self) -> bool:
        """Open, and due within DUE_SOON_DAYS."""
        return self.status in ("due_today", "upcoming") and self.days <= DUE_SOON_DAYS


def _status(due: date, today: date, done: bool) -> str:
    if done:
        return "done"
    if due < today:
        return "overdue"
    return "due_today" if due == today else "upcoming"


def _milestones(event: Event) -> list[tuple[date, str]]:
    milestones = [
        (event.opening_date, str(_l("Opening"))),
        (event.closing_date, str(_l("Closing"))),
    ]
    if event.p2c_start is not None:
        milestones.append((event.p2c_start.date(), str(_l("P2C segment starts"))))
    if event.p2c_end is not None:
        milestones.append((event.p2c_end.date(), str(_l("P2C segment ends"))))
    return milestones


def deadlines_of(event: Event) -> list[Deadline]:
    """All of the event's deadlines, in one query."""
    return list(
        db.session.scalars(
            select(Deadline).where(Deadline.event_id == event.id).order_by(Deadline.id)
        )
    )


def timeline(event: Event, today: date | None = None) -> list[TimelineRow]:
    """Every deadline and milestone of the event, by date, with its status on `today`."""
    today = today or event_today(event)
    opening = event.opening_date
    rows = []
    for deadline in deadlines_of(event):
        due = deadline.due_on(opening)
        rows.append(
            TimelineRow(
                date=due,
                label=deadline.label,
                status=_status(due, today, deadline.completed_at is not None),
                days=(due - today).days,
                offset=(due - opening).days,
                source=deadline.source,
                deadline=deadline,
            )
        )
    for when, label in _milestones(event):
        status = "past" if when < today else ("due_today" if when == today else "upcoming")
        rows.append(
            TimelineRow(
                date=when,
                label=label,
                status=status,
                days=(when - today).days,
                offset=(when - opening).days,
                source=EVENT_SOURCE,
            )
        )
    # Milestones first on a shared day: "Opening" reads before what is due on it.
    rows.sort(key=lambda row: (row.date, not row.is_milestone, row.label))
    return rows


def counts(rows: list[TimelineRow]) -> dict[str, int]:
    """Deadlines per status (milestones not counted)."""
    result = {"done": 0, "overdue": 0, "due_today": 0, "upcoming": 0}
    for row in rows:
        if not row.is_milestone:
            result[row.status] += 1
    return result


def next_deadlines(rows: list[TimelineRow], limit: int = 3) -> list[TimelineRow]:
    """The next open deadlines, soonest first."""
    return [r for r in rows if not r.is_milestone and r.status in ("due_today", "upcoming")][:limit]


# ------------------------------------------------------------- moving the opening date


@dataclass
class DeadlineMove:
    deadline: Deadline
    old_date: date
    new_date: date

    @property
    def moves(self) -> bool:
        return self.old_date != self.new_date


@dataclass
class PreviewWarning:
    #: fixed_after_opening, moves_into_past or event_shift
    kind: str
    message: str
    deadline: Deadline | None = None


@dataclass
class OpeningPreview:
    """What moving the opening date would do."""

    old_opening: date
    new_opening: date
    new_closing: date
    new_p2c_start: datetime | None
    new_p2c_end: datetime | None
    moves: list[DeadlineMove] = field(default_factory=list)
    warnings: list[PreviewWarning] = field(default_factory=list)

    @property
    def delta(self) -> timedelta:
        return self.new_opening - self.old_opening


def _shift(value, delta: timedelta):
    return value + delta if value is not None else None


def preview_opening_change(
    event: Event, new_opening: date, today: date | None = None
) -> OpeningPreview:
    """Every deadline's old and new date, and what needs a look, if the opening moved."""
    if not isinstance(new_opening, date):
        raise EventInvalid(_l("This field is required."), "new_opening")
    _check_year(new_opening, "new_opening")
    if new_opening == event.opening_date:
        raise EventInvalid(_l("The event already opens on this date."), "new_opening")
    today = today or event_today(event)
    delta = new_opening - event.opening_date
    preview = OpeningPreview(
        old_opening=event.opening_date,
        new_opening=new_opening,
        new_closing=event.closing_date + delta,
        new_p2c_start=_shift(event.p2c_start, delta),
        new_p2c_end=_shift(event.p2c_end, delta),
    )
    for deadline in deadlines_of(event):
        move = DeadlineMove(
            deadline, deadline.due_on(event.opening_date), deadline.due_on(new_opening)
        )
        preview.moves.append(move)
        warning = _move_warning(move, event.opening_date, new_opening, today)
        if warning is not None:
            preview.warnings.append(warning)
    preview.warnings.append(_shift_warning(preview))
    preview.moves.sort(key=lambda m: (m.new_date, m.deadline.id))
    return preview


def _shift_warning(preview: OpeningPreview) -> PreviewWarning:
    """The event's own dates move with the opening: say where to."""
    closing = format_date(preview.new_closing, "long")
    if preview.new_p2c_start is None or preview.new_p2c_end is None:
        message = _l("The closing date moves to %(closing)s.", closing=closing)
    else:
        message = _l(
            "The closing date moves to %(closing)s and the P2C segment to %(start)s – %(end)s.",
            closing=closing,
            start=preview.new_p2c_start.strftime("%Y-%m-%d %H:%M"),
            end=preview.new_p2c_end.strftime("%Y-%m-%d %H:%M"),
        )
    return PreviewWarning("event_shift", str(message))


def _move_warning(
    move: DeadlineMove, old_opening: date, new_opening: date, today: date
) -> PreviewWarning | None:
    deadline = move.deadline
    if deadline.completed_at is not None:
        return None
    if (
        deadline.kind == DeadlineKind.FIXED
        and move.old_date <= old_opening
        and move.new_date > new_opening
    ):
        return PreviewWarning(
            "fixed_after_opening",
            str(
                _l(
                    "“%(label)s” stays fixed on %(date)s, after the new opening date.",
                    label=deadline.label,
                    date=format_date(move.new_date, "long"),
                )
            ),
            deadline,
        )
    if deadline.kind == DeadlineKind.RELATIVE and move.old_date >= today > move.new_date:
        return PreviewWarning(
            "moves_into_past",
            str(
                _l(
                    "“%(label)s” would move to %(date)s, which is already past.",
                    label=deadline.label,
                    date=format_date(move.new_date, "long"),
                )
            ),
            deadline,
        )
    return None


def move_opening(actor: User, event: Event, new_opening: date) -> OpeningPreview:
    """Move the opening; closing, P2C window and relative deadlines follow by the same delta."""
    preview = preview_opening_change(event, new_opening)
    old = event.opening_date
    event.opening_date = preview.new_opening
    event.closing_date = preview.new_closing
    event.p2c_start, event.p2c_end = preview.new_p2c_start, preview.new_p2c_end
    db.session.flush()
    moved = sum(1 for m in preview.moves if m.moves)
    audit.record(
        "event.opening_moved",
        actor=actor,
        event_id=event.id,
        obj=event,
        summary=f"{event.acronym}: opening {old.isoformat()} → {new_opening.isoformat()}, "
        f"{moved} deadlines moved",
        old_opening=old.isoformat(),
        new_opening=new_opening.isoformat(),
        deadlines_moved=moved,
    )
    return preview
