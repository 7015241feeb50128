"""The invitations dashboard: per constituent group, the target against where people
stand; each group's share of the accepted against its target share; the stars; the
deadlines ahead and missed.

Every figure comes from GROUP BY / COUNT queries: the number of queries depends on the
number of waves and groups, never on the number of invitees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import case, exists, func, literal, select, union_all
from sqlalchemy.orm import joinedload

from models import EntryStatus, Event, Invitation, ReferenceItem, TargetEntry, TargetGroup, Wave
from webapp.events.services import FORMAL_INVITATIONS_KEY, TimelineRow, event_today, timeline
from webapp.extensions import db

from .targets import ACCEPTED_OR_LATER, INVITED_OR_LATER, EntryFilters, entries_query
from .waves import DEADLINE_SOURCE, invitation_counts, late_for_members, waves_of
from .webhook import PROBLEMS

REGISTERED_OR_LATER = {EntryStatus.REGISTERED, EntryStatus.ATTENDED}
#: Chart geometry (SVG user units).
CHART_WIDTH = 640
CHART_LABEL = 90
CHART_ROW = 30
CHART_BAR = 18


@dataclass
class GroupRow:
    """One constituent group's line of the dashboard."""

    code: str
    name: str
    target_count: int = 0
    #: Wanted share of all accepted, percent (0 when no target is set).
    target_share: float = 0.0
    identified: int = 0
    invited: int = 0
    accepted: int = 0
    registered: int = 0
    #: The group's share of all accepted, percent.
    accepted_share: float = 0.0

    @property
    def gap(self) -> float:
        """Percentage points above (positive) or below the target share."""
        return self.accepted_share - self.target_share


@dataclass
class ChartBar:
    """A group's bar: the actual share as a bar, the target share as a marker."""

    code: str
    name: str
    y: float
    width: float
    marker_x: float | None
    share: float
    target: float
    below: bool


@dataclass
class Chart:
    bars: list[ChartBar]
    width: int
    height: int
    label: int
    scale: int
    ticks: list[tuple[float, int]]


@dataclass
class WaveLine:
    """Where a wave stands against its send-by deadline."""

    wave: Wave
    send_by: date
    days: int
    not_invited: int
    counts: dict[str, int]
    late_for_members: bool
    missed: bool
    message: str


@dataclass
class Dashboard:
    event: Event
    groups: list[GroupRow]
    totals: GroupRow
    chart: Chart
    stars: list[TargetEntry]
    deadlines_missed: list[TimelineRow]
    deadlines_ahead: list[TimelineRow]
    waves: list[WaveLine]
    problems: int
    today: date


def group_names() -> dict[str, str]:
    """Constituent group names by code, in reference order (one query)."""
    return {
        code: name
        for code, name in db.session.execute(
            select(ReferenceItem.code, ReferenceItem.name_en)
            .where(ReferenceItem.kind == "constituent_group")
            .order_by(ReferenceItem.number, ReferenceItem.code)
        )
    }


def group_rows(event: Event) -> tuple[list[GroupRow], GroupRow]:
    """Per group: target, identified, invited, accepted, registered and the share of the
    accepted; plus the totals. Three queries whatever the list's size."""

    def count_in(statuses):
        return func.count(case((TargetEntry.status.in_(list(statuses)), 1)))

    counts = {
        row.group: row
        for row in db.session.execute(
            select(
                TargetEntry.constituent_group.label("group"),
                func.count(TargetEntry.id).label("identified"),
                count_in(INVITED_OR_LATER).label("invited"),
                count_in(ACCEPTED_OR_LATER).label("accepted"),
                count_in(REGISTERED_OR_LATER).label("registered"),
            )
            .where(TargetEntry.event_id == event.id)
            .group_by(TargetEntry.constituent_group)
        )
    }
    targets = {
        t.constituent_group: t
        for t in db.session.scalars(select(TargetGroup).where(TargetGroup.event_id == event.id))
    }
    names = group_names()
    codes = [c for c in names if c in counts or c in targets]
    codes += sorted((set(counts) | set(targets)) - set(codes))  # codes no longer in the list
    rows = []
    for code in codes:
        row, target = counts.get(code), targets.get(code)
        rows.append(
            GroupRow(
                code=code,
                name=names.get(code, code),
                target_count=target.target_count if target else 0,
                target_share=float(target.target_share) if target else 0.0,
                identified=row.identified if row else 0,
                invited=row.invited if row else 0,
                accepted=row.accepted if row else 0,
                registered=row.registered if row else 0,
            )
        )
    totals = GroupRow(
        code="",
        name=_("All groups"),
        target_count=sum(r.target_count for r in rows),
        target_share=sum(r.target_share for r in rows),
        identified=sum(r.identified for r in rows),
        invited=sum(r.invited for r in rows),
        accepted=sum(r.accepted for r in rows),
        registered=sum(r.registered for r in rows),
    )
    for row in rows:
        row.accepted_share = 100.0 * row.accepted / totals.accepted if totals.accepted else 0.0
    totals.accepted_share = 100.0 if totals.accepted else 0.0
    return rows, totals


def chart(rows: list[GroupRow]) -> Chart:
    """Geometry of the horizontal bar chart, computed here so the template only draws."""
    top = max([r.accepted_share for r in rows] + [r.target_share for r in rows] + [10.0])
    scale = min(100, int(-(-top // 10) * 10))  # next multiple of 10
    plot = CHART_WIDTH - CHART_LABEL - 10
    bars = []
    for index, row in enumerate(rows):
        bars.append(
            ChartBar(
                code=row.code,
                name=row.name,
                y=index * CHART_ROW + 6,
                width=round(plot * row.accepted_share / scale, 1),
                marker_x=(
                    round(CHART_LABEL + plot * row.target_share / scale, 1)
                    if row.target_share
                    else None
                ),
                share=row.accepted_share,
                target=row.target_share,
                below=row.accepted_share < row.target_share,
            )
        )
    ticks = [(round(CHART_LABEL + plot * t / scale, 1), t) for t in range(0, scale + 1, 10)]
    return Chart(
        bars=bars,
        width=CHART_WIDTH,
        height=max(1, len(rows)) * CHART_ROW + 24,
        label=CHART_LABEL,
        scale=scale,
        ticks=ticks,
    )


def stars(event: Event) -> list[TargetEntry]:
    """The star shortlist with person, organization and owner, in one query."""
    return list(
        db.session.scalars(
            entries_query(event, EntryFilters(stars_only=True)).options(
                joinedload(TargetEntry.owner)
            )
        ).unique()
    )


def _invitation_deadline(row: TimelineRow) -> bool:
    deadline = row.deadline
    return deadline is not None and (
        deadline.source == DEADLINE_SOURCE or deadline.key == FORMAL_INVITATIONS_KEY
    )


def invitation_deadlines(event: Event, today: date) -> tuple[list[TimelineRow], list[TimelineRow]]:
    """(missed, ahead): the invitation deadlines of the timeline, open ones only."""
    rows = [r for r in timeline(event, today) if _invitation_deadline(r)]
    missed = [r for r in rows if r.status == "overdue"]
    ahead = [r for r in rows if r.status in ("due_today", "upcoming")]
    return missed, ahead


def not_invited_counts(event: Event, waves: list[Wave]) -> dict[int, int]:
    """{wave id: audience entries without an invitation in that wave}, in one query."""
    if not waves:
        return {}
    parts = []
    for wave in waves:
        entries = (
            entries_query(event, EntryFilters.from_audience(wave.audience or {}))
            .order_by(None)
            .with_only_columns(TargetEntry.id)
            .where(
                ~exists().where(
                    Invitation.wave_id == wave.id, Invitation.entry_id == TargetEntry.id
                )
            )
            .subquery()
        )
        parts.append(
            select(literal(wave.id).label("wave_id"), func.count().label("n")).select_from(entries)
        )
    query = union_all(*parts) if len(parts) > 1 else parts[0]
    return {row.wave_id: row.n for row in db.session.execute(query)}


def wave_message(not_invited: int, days: int) -> str:
    """'47 people not yet invited; send-by deadline passed 3 days ago'."""
    if not not_invited:
        return _("Everyone in the audience is invited.")
    who = ngettext(
        "%(num)d person in the audience not yet invited",
        "%(num)d people in the audience not yet invited",
        not_invited,
    )
    if days < 0:
        when = ngettext(
            "send-by deadline passed %(num)d day ago",
            "send-by deadline passed %(num)d days ago",
            -days,
        )
    elif days == 0:
        when = _("send-by deadline is today")
    else:
        when = ngettext("send-by deadline in %(num)d day", "send-by deadline in %(num)d days", days)
    return f"{who}; {when}"


def wave_lines(event: Event, today: date) -> list[WaveLine]:
    """Each wave against its send-by deadline, with its answers so far."""
    waves = waves_of(event)
    missing = not_invited_counts(event, waves)
    answers = invitation_counts(waves)
    lines = []
    for wave in waves:
        send_by = event.opening_date + timedelta(days=wave.send_by_days)
        days = (send_by - today).days
        not_invited = missing.get(wave.id, 0)
        lines.append(
            WaveLine(
                wave=wave,
                send_by=send_by,
                days=days,
                not_invited=not_invited,
                counts=answers.get(wave.id, {}),
                late_for_members=late_for_members(wave),
                missed=days < 0 and not_invited > 0,
                message=wave_message(not_invited, days),
            )
        )
    return lines


def problem_count(event: Event) -> int:
    """Invitations that bounced, were dropped or reported as spam."""
    return (
        db.session.scalar(
            select(func.count(Invitation.id))
            .join(Wave, Wave.id == Invitation.wave_id)
            .where(Wave.event_id == event.id, Invitation.delivery.in_(list(PROBLEMS)))
        )
        or 0
    )


def build(event: Event, today: date | None = None) -> Dashboard:
    """Everything the dashboard shows."""
    today = today or event_today(event)
    groups, totals = group_rows(event)
    missed, ahead = invitation_deadlines(event, today)
    return Dashboard(
        event=event,
        groups=groups,
        totals=totals,
        chart=chart(groups),
        stars=stars(event),
        deadlines_missed=missed,
        deadlines_ahead=ahead,
        waves=wave_lines(event, today),
        problems=problem_count(event),
        today=today,
    )
