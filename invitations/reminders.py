"""The periodic invitations sweep: reminders, no-answer after the RSVP deadline, and the
escalation of silent stars to their owners.

Every step is idempotent: a reminder is due only when a reminder point was reached after
the letter (or the last reminder) went out, an entry moves to "no answer" only while it
still awaits one, and a star is flagged only once (`TargetEntry.flagged_at`). `today` is a
parameter so tests can move time.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from flask_babel import force_locale, format_date
from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import aliased, joinedload

from models import (
    Delivery,
    EntryStatus,
    Invitation,
    Role,
    RoleGrant,
    RsvpAnswer,
    TargetEntry,
    User,
    Wave,
    WaveState,
    utcnow,
)
from webapp import audit, mail
from webapp.extensions import db
from webapp.jobs import periodic

from .letters import LetterRenderer, rsvp_date
from .sending import BulkMail, link_of
from .targets import AWAITING_ANSWER, TRANSITIONS, set_status

REMINDER_TEMPLATE = "invitations/reminder"
ESCALATION_TEMPLATE = "invitations/escalation"
#: Addresses that must not be written to again.
UNREACHABLE = (Delivery.BOUNCED, Delivery.DROPPED, Delivery.SPAM)
CHUNK = 1000


def reminder_mail() -> BulkMail:
    """The reminder as bulk mail: rendered once per language, filled per invitee."""
    return BulkMail(
        REMINDER_TEMPLATE,
        ("to_name", "subject", "text", "html", "link", "event_name", "deadline"),
        raw_html=("html",),
    )


def reminder_points(rsvp: date, reminder_days: list[int]) -> list[date]:
    """The days reminders fall due, earliest first."""
    return sorted(rsvp - timedelta(days=d) for d in reminder_days)


def points_reached(rsvp: date, reminder_days: list[int], today: date) -> list[date]:
    """Reminder points on or before `today`."""
    return [p for p in reminder_points(rsvp, reminder_days) if p <= today]


def reminder_due(
    rsvp: date,
    reminder_days: list[int],
    today: date,
    last_contact: date,
    reminders_sent: int = 0,
) -> bool:
    """Whether one reminder is due: a point was reached after the last letter or reminder
    (`last_contact`), fewer reminders were sent than points reached, and the RSVP
    deadline has not passed. Several points missed at once give one reminder."""
    if today > rsvp:
        return False
    reached = points_reached(rsvp, reminder_days, today)
    if not reached or reminders_sent >= len(reached):
        return False
    return last_contact < reached[-1]


def escalation_due(rsvp: date, escalation_days: int, today: date) -> bool:
    """Stars still silent `escalation_days` before the RSVP deadline are flagged."""
    return rsvp - timedelta(days=escalation_days) <= today <= rsvp


def _stamp(today: date) -> datetime:
    """Now, on the sweep's `today` (the real today unless a test moved time)."""
    return datetime.combine(today, utcnow().time(), tzinfo=UTC)


def _latest_only():
    """The entry's latest invitation only: an older wave never touches an entry that a
    newer wave invited again."""
    newer = aliased(Invitation)
    return (
        ~select(newer.id)
        .where(newer.entry_id == Invitation.entry_id, newer.id > Invitation.id)
        .exists()
    )


def _awaiting(wave: Wave) -> Select:
    return (
        select(Invitation)
        .join(Invitation.entry)
        .where(
            Invitation.wave_id == wave.id,
            Invitation.answer == RsvpAnswer.PENDING,
            Invitation.sent_at.is_not(None),
            TargetEntry.status.in_(list(AWAITING_ANSWER)),
            _latest_only(),
        )
        .order_by(Invitation.id)
    )


def remind(wave: Wave, today: date) -> int:
    """Send the due reminders of one wave; returns how many went."""
    rsvp = rsvp_date(wave)
    reached = points_reached(rsvp, wave.reminder_days or [], today)
    if today > rsvp or not reached:
        return 0
    cutoff = datetime.combine(reached[-1], time.min, tzinfo=UTC)
    query = _awaiting(wave).where(
        Invitation.delivery.not_in(list(UNREACHABLE)),
        Invitation.reminders_sent < len(reached),
        func.coalesce(Invitation.last_reminder_at, Invitation.sent_at) < cutoff,
    )
    renderer = LetterRenderer(wave)
    bulk = reminder_mail()
    stamp = _stamp(today)
    sent = 0
    ids = db.session.scalars(query.with_only_columns(Invitation.id)).all()
    for start in range(0, len(ids), CHUNK):
        claimed = _claim(ids[start : start + CHUNK], len(reached), cutoff, stamp)
        chunk = db.session.scalars(
            select(Invitation)
            .options(joinedload(Invitation.entry))
            .where(Invitation.id.in_(claimed))
            .order_by(Invitation.id)
        ).all()
        sent += _remind_chunk(wave, chunk, renderer, bulk, stamp)
        db.session.commit()
    if sent:
        audit.record(
            "invitations.reminders_sent",
            actor=None,
            event_id=wave.event_id,
            obj=wave,
            summary=f"{wave.name}: {sent} reminders",
            count=sent,
        )
    return sent


def _claim(ids: list[int], points: int, cutoff: datetime, stamp: datetime) -> list[int]:
    """Count the reminder before it is queued, in one UPDATE that only a sweep still seeing
    the invitation due can make: two overlapping sweeps never remind anyone twice."""
    return list(
        db.session.scalars(
            update(Invitation)
            .where(
                Invitation.id.in_(ids),
                Invitation.reminders_sent < points,
                func.coalesce(Invitation.last_reminder_at, Invitation.sent_at) < cutoff,
            )
            .values(reminders_sent=Invitation.reminders_sent + 1, last_reminder_at=stamp)
            .returning(Invitation.id)
            .execution_options(synchronize_session=False)
        )
    )


def _remind_chunk(wave, invitations, renderer, bulk, stamp) -> int:
    """Queue one reminder per invitation; the entry moves to reminded."""
    for invitation in invitations:
        entry = invitation.entry
        link = link_of(invitation)
        language, subject, text, html = renderer.render(entry, link)
        bulk.queue(
            invitation.email,
            locale=language,
            event_id=wave.event_id,
            tags={"invitation_id": invitation.id, "reminder": invitation.reminders_sent},
            to_name=entry.person.full_name,
            subject=subject,
            text=text,
            html=html,
            link=link,
            event_name=wave.event.name,
            deadline=renderer.shared(language)["deadline"],
        )
        if (
            entry.status != EntryStatus.REMINDED
            and EntryStatus.REMINDED in TRANSITIONS[entry.status]
        ):
            set_status(entry, EntryStatus.REMINDED)
    return len(invitations)


def expire(wave: Wave, today: date) -> int:
    """After the RSVP deadline, entries still awaiting this wave's answer: no answer."""
    if today <= rsvp_date(wave):
        return 0
    moved = 0
    for invitation in db.session.scalars(_awaiting(wave)).all():
        if set_status(invitation.entry, EntryStatus.NO_ANSWER):
            moved += 1
    return moved


def _organizers(event_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(RoleGrant.event_id == event_id, RoleGrant.role == Role.ORGANIZER)
            .distinct()
            .order_by(User.id)
        )
    )


def wave_url(wave: Wave) -> str:
    """The wave's page, absolute (the sweep has no request to build URLs from)."""
    base = current_app.config["BASE_URL"].rstrip("/")
    return f"{base}/events/{wave.event_id}/waves/{wave.id}"


def escalate(wave: Wave, today: date) -> int:
    """Flag the stars still silent `escalation_days` before the RSVP deadline, once, and
    tell each owner (the organizers for stars without one) by mail."""
    rsvp = rsvp_date(wave)
    if not escalation_due(rsvp, wave.escalation_days, today):
        return 0
    invitations = db.session.scalars(
        _awaiting(wave).where(TargetEntry.star.is_(True), TargetEntry.flagged_at.is_(None))
    ).all()
    if not invitations:
        return 0
    stamp = _stamp(today)
    by_owner: dict[int | None, list[TargetEntry]] = defaultdict(list)
    for invitation in invitations:
        entry = invitation.entry
        entry.flagged_at = stamp
        by_owner[entry.owner_id].append(entry)
    owner_ids = [i for i in by_owner if i is not None]
    owners = {
        user.id: user for user in db.session.scalars(select(User).where(User.id.in_(owner_ids)))
    }
    organizers = _organizers(wave.event_id) if None in by_owner else []
    recipients: dict[int, tuple[User, list[TargetEntry]]] = {}
    for owner_id, entries in by_owner.items():
        users = [owners[owner_id]] if owner_id in owners else organizers
        for user in users:
            recipients.setdefault(user.id, (user, []))[1].extend(entries)
    for user, entries in recipients.values():
        locale = user.locale or "en"
        with force_locale(locale):
            deadline = format_date(rsvp, "long")
        mail.send(
            user.email,
            ESCALATION_TEMPLATE,
            to_name=user.name,
            locale=locale,
            event_id=wave.event_id,
            wave_name=wave.name,
            event_name=wave.event.name,
            deadline=deadline,
            entries=sorted(entries, key=lambda e: (e.person.last_name, e.id)),
            url=wave_url(wave),
        )
    audit.record(
        "invitations.stars_flagged",
        actor=None,
        event_id=wave.event_id,
        obj=wave,
        summary=f"{wave.name}: {len(invitations)} stars flagged",
        entries=[i.entry_id for i in invitations],
    )
    return len(invitations)


@periodic("invitations.reminders")
def sweep(today: date | None = None) -> dict[str, int]:
    """Reminders, escalation and no-answer for every sent wave; safe to run twice."""
    today = today or utcnow().date()
    counts = {"reminded": 0, "flagged": 0, "no_answer": 0}
    waves = db.session.scalars(
        select(Wave).where(Wave.state.in_([WaveState.SENT, WaveState.SENDING])).order_by(Wave.id)
    ).all()
    for wave in waves:
        counts["no_answer"] += expire(wave, today)
        counts["reminded"] += remind(wave, today)
        counts["flagged"] += escalate(wave, today)
        db.session.commit()
    return counts
