"""Follow-up reporting: due dates, the traffic light, progress reports, reminders, and the
organizer dashboard's figures.

Schedule. A report is due every `months` (the event's `pledge_report_months`, 12 unless
changed) after publication: due dates d1 = published + months, d2 = published + 2 × months…
always counted from the publication date (31 January + 1 month is 28 or 29 February).

Which due date a report answers. A report counts for the due date nearest to it (early or
late by up to half a period; publication is "due date 0", so a report filed soon after
publication answers nothing yet). The *first unanswered due date* U is d1 for a pledge that
never reported, else the due date after the one its latest report counts for.

The traffic light (published pledges only; completed, withdrawn and unpublished pledges
have none), for a given `today`:

- **green** — `today < U` and, once the pledge has reported, its latest report is less
  than `months` old ("reported within the last year"); a pledge whose first report is not
  due yet is green too (published less than `months` ago: "first report due on…");
- **yellow** — otherwise until `U + 24 months`: a report is due (or the last one is more
  than a period old), until two years overdue;
- **red** — `today >= U + 24 months` and the pledge reported at least once: two years
  overdue;
- **inactive** — `today >= U + 24 months` and the pledge never reported: two years past
  its first due date with no report at all.

Reports give figures to date (cumulative), so totals take each pledge's latest report.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from models import (
    Event,
    Organization,
    Person,
    Pledge,
    PledgeComment,
    PledgeState,
    PledgeTag,
    ProgressReport,
    ReportReminder,
    ReportStatus,
    User,
    utcnow,
)
from webapp import audit, mail
from webapp.extensions import db
from webapp.jobs import periodic

from .money import MAX_AMOUNT

GREEN, YELLOW, RED, INACTIVE = "green", "yellow", "red", "inactive"
LIGHTS = (GREEN, YELLOW, RED, INACTIVE)
#: "Two years overdue" / "two years past the first due date", whatever the period.
OVERDUE_MONTHS = 24
DEFAULT_MONTHS = 12
#: Reminder stages: days before a due date, and days after it when no report came.
REMIND_BEFORE_DAYS = 30
REMIND_AFTER_DAYS = 14

MAX_NARRATIVE = 20_000
MAX_LINKS = 20
MAX_LINK_LENGTH = 2_000
#: A report may not claim more than this multiple of the pledged amount as disbursed.
DISBURSED_FACTOR = 10
#: No pledge reaches more people than live on Earth; the column is a 32-bit integer.
MAX_PEOPLE = 2_000_000_000

#: Report statuses as the pledger reads them.
STATUS_LABELS = {
    "on_track": _l("On track"),
    "off_track": _l("Off track"),
    "financial_issues": _l("Financial issues"),
    "completed": _l("Completed"),
    "cancelled": _l("Cancelled"),
}

DUE_TEMPLATE = "pledges/report_due"
OVERDUE_TEMPLATE = "pledges/report_overdue"
CONFIRMATION_TEMPLATE = "pledges/report_received"


class ReportError(Exception):
    """A report cannot be filed; the message is for the user, `field` names the input."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


# --- dates -------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """`day` plus whole months, clamped to the end of shorter months."""
    total = day.year * 12 + (day.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _day(value: datetime | date | None) -> date | None:
    if value is None or not isinstance(value, datetime):
        return value
    return value.date()


def months_of(pledge: Pledge) -> int:
    """The event's reporting period in months (12 unless the event says otherwise)."""
    return (pledge.event.pledge_report_months if pledge.event else None) or DEFAULT_MONTHS


def schedule(published: date, months: int, until: date) -> list[date]:
    """The due dates of a pledge published on `published`, up to and including `until`."""
    result, k = [], 1
    while (due := add_months(published, k * months)) <= until:
        result.append(due)
        k += 1
    return result


def due_dates(pledge: Pledge, until: date) -> list[date]:
    """The pledge's due dates up to `until` (none before publication)."""
    published = _day(pledge.published_at)
    if published is None:
        return []
    return schedule(published, months_of(pledge), until)


def _midpoint(published: date, k: int, months: int) -> date:
    """Half way between due dates k and k + 1 (due date 0 is the publication)."""
    start = add_months(published, k * months)
    end = add_months(published, (k + 1) * months)
    return start + (end - start) // 2


def first_unanswered(published: date, last_report: date | None, months: int) -> date:
    """The first due date that no report answers (see the module docstring): the due date
    after the one nearest to the last report."""
    k = 0
    if last_report is not None:
        while last_report >= _midpoint(published, k, months):
            k += 1
    return add_months(published, (k + 1) * months)


def next_due(pledge: Pledge, reports: Iterable[ProgressReport], today: date) -> date | None:
    """The due date of the pledge's next report: the first unanswered one, in the past when
    the pledge is overdue. None for unpublished pledges."""
    published = _day(pledge.published_at)
    if published is None:
        return None
    dates = [_day(r.submitted_at) for r in reports]
    return first_unanswered(published, max(dates) if dates else None, months_of(pledge))


def traffic_light(
    published_at: datetime | date | None,
    last_report_at: datetime | date | None,
    today: date,
    months: int = DEFAULT_MONTHS,
) -> str:
    """ "green", "yellow", "red" or "inactive" by the rule of the module docstring."""
    published = _day(published_at)
    if published is None:
        raise ValueError("an unpublished pledge has no traffic light")
    last = _day(last_report_at)
    unanswered = first_unanswered(published, last, months)
    # Green also needs a report within the last period once the pledge has reported:
    # a late report must not stretch the green beyond a year (the registry's promise).
    if today < unanswered and (last is None or today < add_months(last, months)):
        return GREEN
    if today < add_months(unanswered, OVERDUE_MONTHS):
        return YELLOW
    return RED if last is not None else INACTIVE


def light_of(pledge: Pledge, last_report_at, today: date) -> str | None:
    """The light of one pledge, or None when it has none (not published)."""
    if pledge.state != PledgeState.PUBLISHED or pledge.published_at is None:
        return None
    return traffic_light(pledge.published_at, last_report_at, today, months_of(pledge))


def _latest_report_dates(pledge_ids: Sequence[int]) -> dict[int, tuple[int, datetime | None]]:
    """pledge id -> (reporting months, latest report time), in one GROUP BY query."""
    if not pledge_ids:
        return {}
    rows = db.session.execute(
        select(Pledge.id, Event.pledge_report_months, func.max(ProgressReport.submitted_at))
        .join(Event, Event.id == Pledge.event_id)
        .outerjoin(ProgressReport, ProgressReport.pledge_id == Pledge.id)
        .where(Pledge.id.in_(list(pledge_ids)))
        .group_by(Pledge.id, Event.pledge_report_months)
    )
    return {pid: (months or DEFAULT_MONTHS, last) for pid, months, last in rows}


def lights_for(pledges: Iterable[Pledge], today: date | None = None) -> dict[int, str]:
    """{pledge id: light} for the published pledges among `pledges`, in one query."""
    today = today or utcnow().date()
    published = [
        p for p in pledges if p.state == PledgeState.PUBLISHED and p.published_at is not None
    ]
    latest = _latest_report_dates([p.id for p in published])
    result = {}
    for pledge in published:
        months, last = latest.get(pledge.id, (DEFAULT_MONTHS, None))
        result[pledge.id] = traffic_light(pledge.published_at, last, today, months)
    return result


def explain(published_at, last_report_at, today: date, months: int) -> dict:
    """What the light rests on: the light, the first unanswered due date, when it turns
    red or inactive, and the last report, for the pledge's reports page."""
    published = _day(published_at)
    last = _day(last_report_at)
    unanswered = first_unanswered(published, last, months)
    return {
        "light": traffic_light(published, last, today, months),
        "due": unanswered,
        "escalates": add_months(unanswered, OVERDUE_MONTHS),
        "last": last,
        "published": published,
        "months": months,
        "never": last is None,
    }


# --- filing a report ---------------------------------------------------------------


def _decimal(value, field_name: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ReportError(_l("Enter a number."), field_name) from None
    if not number.is_finite():
        raise ReportError(_l("Enter a number."), field_name)
    return number


def _integer(value, field_name: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ReportError(_l("Enter a whole number."), field_name)
    try:
        return int(str(value).strip())
    except ValueError:
        raise ReportError(_l("Enter a whole number."), field_name) from None


def clean_links(links: Iterable[str] | str | None) -> list[str]:
    """Evidence links: web addresses (http or https) only, at most 20, one per line."""
    if links is None:
        return []
    if isinstance(links, str):
        links = links.splitlines()
    cleaned = []
    for raw in links:
        link = (raw or "").strip()
        if not link:
            continue
        if len(link) > MAX_LINK_LENGTH:
            raise ReportError(
                _l("A link is longer than %(max)s characters.", max=MAX_LINK_LENGTH),
                "evidence_links",
            )
        parts = urlsplit(link)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc or " " in link:
            raise ReportError(
                _l(
                    "“%(link)s” is not a web address; links start with https:// or http://.",
                    link=link[:100],
                ),
                "evidence_links",
            )
        if link not in cleaned:
            cleaned.append(link)
    if len(cleaned) > MAX_LINKS:
        raise ReportError(
            _l("Give at most %(max)s evidence links.", max=MAX_LINKS), "evidence_links"
        )
    return cleaned


def _require_member(actor: User, pledge: Pledge) -> None:
    from webapp.permissions import can

    if not can(actor, "pledge.report", pledge):
        raise ReportError(
            _l("Only members of the pledging organization can report on this pledge.")
        )


def submit_report(
    actor: User,
    pledge: Pledge,
    *,
    status: str | ReportStatus,
    percent_complete=0,
    amount_disbursed=None,
    people_reached=None,
    narrative: str = "",
    evidence_links: Iterable[str] | str | None = None,
    now: datetime | None = None,
) -> ProgressReport:
    """File a progress report on a published pledge, as a member of the pledging
    organization. A "completed" report completes the pledge; the pledger's members get a
    confirmation by mail."""
    _require_member(actor, pledge)
    if pledge.state != PledgeState.PUBLISHED:
        raise ReportError(_l("Reports can only be filed on published pledges."))
    try:
        status = ReportStatus(status)
    except ValueError:
        raise ReportError(_l("Choose a status."), "status") from None
    percent = _integer(percent_complete, "percent_complete")
    if percent is None:
        percent = 100 if status == ReportStatus.COMPLETED else 0
    if not 0 <= percent <= 100:
        raise ReportError(_l("The percentage is between 0 and 100."), "percent_complete")
    amount = _decimal(amount_disbursed, "amount_disbursed")
    if amount is not None:
        if amount < 0:
            raise ReportError(_l("The amount cannot be negative."), "amount_disbursed")
        ceiling = MAX_AMOUNT
        if pledge.amount:
            ceiling = min(ceiling, pledge.amount * DISBURSED_FACTOR)
        if amount > ceiling:
            raise ReportError(
                _l(
                    "The amount is far more than was pledged (%(pledged)s); check the digits.",
                    pledged=f"{pledge.amount or 0:,.2f} {pledge.currency or ''}".strip(),
                ),
                "amount_disbursed",
            )
        amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    people = _integer(people_reached, "people_reached")
    if people is not None and not 0 <= people <= MAX_PEOPLE:
        raise ReportError(
            _l("Enter a number of people between 0 and %(max)s.", max=f"{MAX_PEOPLE:,}"),
            "people_reached",
        )
    narrative = (narrative or "").strip()
    if len(narrative) > MAX_NARRATIVE:
        raise ReportError(
            _l("The narrative is longer than %(max)s characters.", max=f"{MAX_NARRATIVE:,}"),
            "narrative",
        )
    links = clean_links(evidence_links)

    rate = pledge.usd_rate
    if rate is None and (pledge.currency or "USD").upper() == "USD":
        rate = Decimal(1)
    usd = None
    if amount is not None and rate is not None:
        usd = (amount * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    report = ProgressReport(
        pledge_id=pledge.id,
        submitted_by_id=actor.id,
        submitted_at=now or utcnow(),
        status=status,
        percent_complete=percent,
        amount_disbursed=amount,
        disbursed_usd=usd,
        people_reached=people,
        narrative=narrative,
        evidence_links=links,
    )
    db.session.add(report)
    db.session.flush()
    audit.record(
        "pledge.reported",
        actor=actor,
        event_id=pledge.event_id,
        obj=pledge,
        summary=f"{pledge.public_id or pledge.id}: {status.value}, {percent}%",
        report_id=report.id,
        status=status.value,
    )
    if status == ReportStatus.COMPLETED:
        _complete(actor, pledge)
    for user in members_of([pledge.organization_id]).get(pledge.organization_id, []):
        mail.send(
            user.email,
            CONFIRMATION_TEMPLATE,
            to_name=user.name,
            locale=user.locale or "en",
            event_id=pledge.event_id,
            tags={"pledge_id": pledge.id, "report_id": report.id},
            pledge=pledge,
            report=report,
            status_label=STATUS_LABELS[status.value],
            url=f"{_base()}/events/{pledge.event_id}/pledges/{pledge.id}/reports",
        )
    return report


def _complete(actor: User, pledge: Pledge) -> None:
    """A "completed" report closes the pledge: through moderation's `move` when it exists
    and lets this actor make the move; otherwise (the pledger's members may not complete a
    pledge by hand) the report itself closes it, with a moderation note and an audit entry."""
    try:
        from . import moderation
    except ImportError:
        moderation = None
    comment = str(_l("Completed by its progress report."))
    if moderation is not None and moderation.may_move(actor, pledge, PledgeState.COMPLETED):
        moderation.move(actor, pledge, PledgeState.COMPLETED, comment=comment)
        return
    previous = pledge.state
    pledge.state = PledgeState.COMPLETED
    db.session.add(
        PledgeComment(pledge_id=pledge.id, author_id=actor.id, step="completed", body=comment)
    )
    audit.record(
        "pledge.completed",
        actor=actor,
        event_id=pledge.event_id,
        obj=pledge,
        summary=f"{pledge.public_id or pledge.id}: completed by its report",
        previous=previous.value,
    )
    db.session.flush()


def reports_of(pledge: Pledge) -> list[ProgressReport]:
    """The pledge's reports, newest first."""
    return list(
        db.session.scalars(
            select(ProgressReport)
            .where(ProgressReport.pledge_id == pledge.id)
            .order_by(ProgressReport.submitted_at.desc(), ProgressReport.id.desc())
        )
    )


# --- reminders ---------------------------------------------------------------------


def _base() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def members_of(organization_ids: Iterable[int]) -> dict[int, list[User]]:
    """Active accounts linked to each organization through directory people, one query."""
    ids = list(set(organization_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(Person.organization_id, User)
        .join(User, User.id == Person.user_id)
        .where(Person.organization_id.in_(ids), User.is_active.is_(True))
        .order_by(User.id)
    ).all()
    result: dict[int, list[User]] = defaultdict(list)
    for organization_id, user in rows:
        if user not in result[organization_id]:
            result[organization_id].append(user)
    return result


def reminders_due(
    published: date, last_report: date | None, months: int, today: date
) -> list[tuple[date, str]]:
    """(due date, stage) reminders the pledge should have had by `today`: "before" from 30
    days ahead of an unanswered due date to the date itself, "after" from 14 days after it
    until the next period starts (old periods are not reminded late)."""
    unanswered = first_unanswered(published, last_report, months)
    result = []
    for due in schedule(published, months, today + timedelta(days=REMIND_BEFORE_DAYS)):
        if due < unanswered:
            continue
        if due - timedelta(days=REMIND_BEFORE_DAYS) <= today <= due:
            result.append((due, "before"))
        after = due + timedelta(days=REMIND_AFTER_DAYS)
        if after <= today < add_months(due, months):
            result.append((due, "after"))
    return result


@periodic("pledges.report_reminders")
def sweep(today: date | None = None) -> dict[str, int]:
    """Mail the pledgers' members before a report is due and after it when none came; one
    ReportReminder per pledge, due date and stage, so running it twice sends nothing twice."""
    today = today or utcnow().date()
    pledges = db.session.scalars(
        select(Pledge)
        .where(Pledge.state == PledgeState.PUBLISHED, Pledge.published_at.is_not(None))
        .order_by(Pledge.id)
    ).all()
    latest = _latest_report_dates([p.id for p in pledges])
    wanted: list[tuple[Pledge, date, str]] = []
    for pledge in pledges:
        months, last = latest.get(pledge.id, (DEFAULT_MONTHS, None))
        for due, stage in reminders_due(pledge.published_at.date(), _day(last), months, today):
            wanted.append((pledge, due, stage))
    if not wanted:
        return {"before": 0, "after": 0}
    sent_before = set(
        db.session.execute(
            select(ReportReminder.pledge_id, ReportReminder.due_on, ReportReminder.stage).where(
                ReportReminder.pledge_id.in_({p.id for p, _, _ in wanted})
            )
        ).all()
    )
    members = members_of(p.organization_id for p, _, _ in wanted)
    counts = {"before": 0, "after": 0}
    stamp = datetime.combine(today, utcnow().time(), tzinfo=UTC)
    for pledge, due, stage in wanted:
        if (pledge.id, due, stage) in sent_before:
            continue
        db.session.add(ReportReminder(pledge_id=pledge.id, due_on=due, stage=stage, sent_at=stamp))
        for user in members.get(pledge.organization_id, []):
            mail.send(
                user.email,
                DUE_TEMPLATE if stage == "before" else OVERDUE_TEMPLATE,
                to_name=user.name,
                locale=user.locale or "en",
                event_id=pledge.event_id,
                tags={"pledge_id": pledge.id, "reminder": stage},
                pledge=pledge,
                due=due,
                url=f"{_base()}/events/{pledge.event_id}/pledges/{pledge.id}/reports/new",
            )
        counts[stage] += 1
    db.session.flush()
    if any(counts.values()):
        audit.record(
            "pledges.report_reminders",
            actor=None,
            summary=f"{counts['before']} before, {counts['after']} after",
            **counts,
        )
    db.session.commit()
    return counts


# --- the organizer dashboard -------------------------------------------------------


@dataclass
class Rate:
    """Response rate of one group: pledges with a report for their latest due date."""

    code: str
    due: int = 0
    answered: int = 0

    @property
    def percent(self) -> float:
        return 100.0 * self.answered / self.due if self.due else 0.0


@dataclass
class Totals:
    """Disbursed and reached (latest reports) against pledged, in USD and people."""

    code: str
    pledges: int = 0
    pledged_usd: Decimal = Decimal(0)
    disbursed_usd: Decimal = Decimal(0)
    people_to_reach: int = 0
    people_reached: int = 0

    @property
    def disbursed_percent(self) -> float:
        return float(100 * self.disbursed_usd / self.pledged_usd) if self.pledged_usd else 0.0

    @property
    def reached_percent(self) -> float:
        return 100.0 * self.people_reached / self.people_to_reach if self.people_to_reach else 0.0


@dataclass
class Followup:
    """One published pledge on the dashboard's list."""

    pledge_id: int
    public_id: str | None
    title: str
    sector: str | None
    organization: str
    light: str
    last_report_at: datetime | None
    last_status: str | None
    due: date


@dataclass
class Board:
    """The follow-up dashboard of an event."""

    by_sector: list[Rate] = field(default_factory=list)
    by_focus_area: list[Rate] = field(default_factory=list)
    overall: Rate = field(default_factory=lambda: Rate("all"))
    totals: Totals = field(default_factory=lambda: Totals("all"))
    totals_by_sector: list[Totals] = field(default_factory=list)
    lights: dict[str, int] = field(default_factory=dict)
    pledges: list[Followup] = field(default_factory=list)


def _latest_reports():
    """Each pledge's latest report (newest submission, then highest id)."""
    ranked = select(
        ProgressReport.id,
        ProgressReport.pledge_id,
        func.row_number()
        .over(
            partition_by=ProgressReport.pledge_id,
            order_by=(ProgressReport.submitted_at.desc(), ProgressReport.id.desc()),
        )
        .label("rank"),
    ).subquery()
    latest = aliased(ProgressReport)
    return latest, and_(latest.id == ranked.c.id, ranked.c.rank == 1), ranked


def dashboard(event: Event, today: date | None = None) -> Board:
    """Response rates by sector and focus area, totals against pledged, and the pledges
    whose light is not green — four queries whatever the number of pledges."""
    today = today or utcnow().date()
    months = event.pledge_report_months or DEFAULT_MONTHS
    latest, is_latest, ranked = _latest_reports()
    rows = db.session.execute(
        select(
            Pledge.id,
            Pledge.public_id,
            Pledge.title,
            Pledge.sector,
            Pledge.published_at,
            Organization.name,
            latest.submitted_at,
            latest.status,
        )
        .join(Organization, Organization.id == Pledge.organization_id)
        .outerjoin(ranked, ranked.c.pledge_id == Pledge.id)
        .outerjoin(latest, is_latest)
        .where(
            Pledge.event_id == event.id,
            Pledge.state == PledgeState.PUBLISHED,
            Pledge.published_at.is_not(None),
            # the outer join keeps pledges without reports; of the others, the latest only
            (ranked.c.rank == 1) | ranked.c.rank.is_(None),
        )
        .order_by(Pledge.id)
    ).all()
    areas: dict[int, list[str]] = defaultdict(list)
    for pledge_id, code in db.session.execute(
        select(PledgeTag.pledge_id, PledgeTag.code)
        .join(Pledge, Pledge.id == PledgeTag.pledge_id)
        .where(
            Pledge.event_id == event.id,
            Pledge.state == PledgeState.PUBLISHED,
            PledgeTag.kind == "focus_area",
        )
    ):
        areas[pledge_id].append(code)

    board = Board(lights=dict.fromkeys(LIGHTS, 0))
    sectors: dict[str, Rate] = {}
    focus: dict[str, Rate] = {}
    for pid, public_id, title, sector, published_at, org, last_at, last_status in rows:
        published = published_at.date()
        last = _day(last_at)
        light = traffic_light(published, last, today, months)
        board.lights[light] += 1
        dates = schedule(published, months, today)
        sector_code = sector.value if sector else "unknown"
        if dates:
            # the latest due date is answered when the first unanswered one is later
            answered = first_unanswered(published, last, months) > dates[-1]
            for rate in (
                board.overall,
                sectors.setdefault(sector_code, Rate(sector_code)),
                *(focus.setdefault(code, Rate(code)) for code in areas.get(pid, [])),
            ):
                rate.due += 1
                rate.answered += answered
        if light != GREEN:
            board.pledges.append(
                Followup(
                    pid,
                    public_id,
                    title,
                    sector_code,
                    org,
                    light,
                    last_at,
                    last_status.value if last_status else None,
                    first_unanswered(published, last, months),
                )
            )
    board.by_sector = sorted(sectors.values(), key=lambda r: r.code)
    board.by_focus_area = sorted(focus.values(), key=lambda r: r.code)
    board.totals, board.totals_by_sector = _totals(event)
    return board


def _totals(event: Event) -> tuple[Totals, list[Totals]]:
    """Pledged against disbursed and reached, per sector, for published and completed
    pledges: two GROUP BY queries."""
    states = [PledgeState.PUBLISHED, PledgeState.COMPLETED]
    pledged = db.session.execute(
        select(
            Pledge.sector,
            func.count(Pledge.id),
            func.coalesce(func.sum(Pledge.usd_value), 0),
            func.coalesce(func.sum(Pledge.people_to_reach), 0),
        )
        .where(Pledge.event_id == event.id, Pledge.state.in_(states))
        .group_by(Pledge.sector)
    ).all()
    latest, is_latest, ranked = _latest_reports()
    reported = db.session.execute(
        select(
            Pledge.sector,
            func.coalesce(func.sum(latest.disbursed_usd), 0),
            func.coalesce(func.sum(latest.people_reached), 0),
        )
        .join(ranked, ranked.c.pledge_id == Pledge.id)
        .join(latest, is_latest)
        .where(Pledge.event_id == event.id, Pledge.state.in_(states))
        .group_by(Pledge.sector)
    ).all()
    by_sector: dict[str, Totals] = {}
    for sector, count, usd, people in pledged:
        code = sector.value if sector else "unknown"
        by_sector[code] = Totals(code, count, Decimal(str(usd)), Decimal(0), int(people), 0)
    for sector, usd, people in reported:
        code = sector.value if sector else "unknown"
        row = by_sector.setdefault(code, Totals(code))
        row.disbursed_usd = Decimal(str(usd))
        row.people_reached = int(people)
    overall = Totals("all")
    for row in by_sector.values():
        overall.pledges += row.pledges
        overall.pledged_usd += row.pledged_usd
        overall.disbursed_usd += row.disbursed_usd
        overall.people_to_reach += row.people_to_reach
        overall.people_reached += row.people_reached
    return overall, sorted(by_sector.values(), key=lambda t: t.code)


#: Allowed reporting periods, in months.
PERIOD_RANGE = (1, 36)


def set_report_period(actor: User, event: Event, months: object) -> None:
    """How often pledgers of the event report, in months (1 to 36)."""
    try:
        value = int(str(months).strip())
    except ValueError:
        value = 0
    low, high = PERIOD_RANGE
    if not low <= value <= high:
        raise ReportError(
            _l("Enter a number of months between %(low)d and %(high)d.", low=low, high=high),
            "months",
        )
    if value != event.pledge_report_months:
        audit.record(
            "pledges.report_period_changed",
            actor=actor,
            event_id=event.id,
            obj=event,
            summary=f"{event.pledge_report_months} → {value} months",
        )
        event.pledge_report_months = value
        db.session.flush()
