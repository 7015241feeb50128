"""Invitation waves: audience, letters, deadlines on the event timeline, and the rules.

Deadlines are stored in days from the opening (-365: a year before), so moving the
opening moves them. Every function flushes; the caller commits.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, func, literal, select, union_all, update

from models import (
    EntryStatus,
    Event,
    Invitation,
    Person,
    ReferenceItem,
    Region,
    RsvpAnswer,
    TargetEntry,
    User,
    Wave,
    WaveState,
)
from webapp import audit
from webapp.events.services import MAX_OFFSET_DAYS, deadline_by_key, upsert_deadline
from webapp.extensions import db

from . import letters as letters_mod
from .targets import EntryFilters, entries_query

#: Constituent groups whose formal invitations are due a year before the opening.
MEMBER_GROUPS = frozenset({"MS_MIN", "MS_SO", "SM"})
MEMBERS_LEAD_DAYS = 365
MAX_NAME = 200
MAX_SUBJECT = 300
MAX_BODY = 20_000
MAX_REMINDERS = 10
DEADLINE_SOURCE = "invitations"
#: Once sent, a wave's audience and letters stay as they went out.
SENT_STATES = (WaveState.SENDING, WaveState.SENT)


class WaveError(Exception):
    """A wave rule was not met; the message is for the user, `field` says where."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.field = field


# ------------------------------------------------------------------------- checking


def _codes(kind: str) -> set[str]:
    return set(db.session.scalars(select(ReferenceItem.code).where(ReferenceItem.kind == kind)))


def _clean_audience(audience: dict[str, Any] | None) -> dict[str, Any]:
    audience = audience or {}

    def strings(name: str) -> list[str]:
        value = audience.get(name) or []
        if isinstance(value, str) or not all(isinstance(v, str) for v in value):
            raise WaveError(_l("Choose from the list."), name)
        return sorted(set(value))

    groups, regions, statuses = strings("groups"), strings("regions"), strings("statuses")
    if set(groups) - _codes("constituent_group"):
        raise WaveError(_l("Choose constituent groups from the list."), "groups")
    if regions and set(regions) - set(db.session.scalars(select(Region.code))):
        raise WaveError(_l("Choose regions from the list."), "regions")
    if set(statuses) - {s.value for s in EntryStatus}:
        raise WaveError(_l("Choose statuses from the list."), "statuses")
    return {
        "groups": groups,
        "regions": regions,
        "stars_only": bool(audience.get("stars_only")),
        "statuses": statuses,
    }


def _clean_letters(event: Event, letters: dict[str, Any] | None) -> dict[str, dict[str, str]]:
    """Keep the languages with any text; each needs a subject and a body, both valid."""
    cleaned: dict[str, dict[str, str]] = {}
    for code in event.languages:
        letter = (letters or {}).get(code) or {}
        subject = str(letter.get("subject") or "").strip()
        body = str(letter.get("body") or "").replace("\r\n", "\n").strip()
        if not subject and not body:
            continue
        if not subject:
            raise WaveError(_l("Give the letter a subject."), f"subject_{code}")
        if "\n" in subject or "\r" in subject:
            raise WaveError(_l("The subject is one line."), f"subject_{code}")
        if len(subject) > MAX_SUBJECT:
            raise WaveError(_l("Use at most %(n)d characters.", n=MAX_SUBJECT), f"subject_{code}")
        if not body:
            raise WaveError(_l("Write the letter."), f"body_{code}")
        if len(body) > MAX_BODY:
            raise WaveError(_l("Use at most %(n)d characters.", n=MAX_BODY), f"body_{code}")
        try:
            letters_mod.check_letter(subject, f"subject_{code}")
            letters_mod.check_letter(body, f"body_{code}")
        except letters_mod.LetterError as error:
            raise WaveError(str(error), error.field) from None
        cleaned[code] = {"subject": subject, "body": body}
    unknown = set(letters or {}) - set(event.languages)
    if unknown:
        raise WaveError(_l("Write letters only in the languages of the event."), "letters")
    if not cleaned:
        field = f"subject_{event.languages[0]}" if event.languages else "letters"
        raise WaveError(_l("Write the letter in at least one language."), field)
    return cleaned


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise WaveError(_l("Enter a whole number of days."), name)
    return value


def _clean_days(
    send_by_days: Any, rsvp_by_days: Any, reminder_days: Any, escalation_days: Any
) -> dict[str, Any]:
    send_by = _int(send_by_days, "send_by_days")
    rsvp_by = _int(rsvp_by_days, "rsvp_by_days")
    for value, name in ((send_by, "send_by_days"), (rsvp_by, "rsvp_by_days")):
        if value >= 0:
            raise WaveError(_l("The deadline must fall before the opening."), name)
        if value < -MAX_OFFSET_DAYS:
            raise WaveError(
                _l("Use at most %(n)d days before the opening.", n=MAX_OFFSET_DAYS), name
            )
    if rsvp_by <= send_by:
        raise WaveError(
            _l("The RSVP deadline must come after the send-by deadline."), "rsvp_by_days"
        )
    if isinstance(reminder_days, (str, bytes)) or reminder_days is None:
        raise WaveError(_l("Enter days as numbers separated by commas."), "reminder_days")
    reminders = [_int(d, "reminder_days") for d in reminder_days]
    if any(d <= 0 for d in reminders):
        raise WaveError(_l("Reminder days must be positive numbers."), "reminder_days")
    if len(set(reminders)) != len(reminders):
        raise WaveError(_l("Give each reminder day once."), "reminder_days")
    if len(reminders) > MAX_REMINDERS:
        raise WaveError(_l("Use at most %(n)d reminders.", n=MAX_REMINDERS), "reminder_days")
    if any(d >= rsvp_by - send_by for d in reminders):
        raise WaveError(
            _l("Reminders must fall between the send-by and the RSVP deadline."),
            "reminder_days",
        )
    escalation = _int(escalation_days, "escalation_days")
    if not 0 <= escalation < rsvp_by - send_by:
        raise WaveError(
            _l("Escalation must fall between the send-by and the RSVP deadline."),
            "escalation_days",
        )
    return {
        "send_by_days": send_by,
        "rsvp_by_days": rsvp_by,
        "reminder_days": sorted(reminders, reverse=True),
        "escalation_days": escalation,
    }


def _clean_name(event: Event, name: Any, wave: Wave | None) -> str:
    name = str(name or "").strip()
    if not name:
        raise WaveError(_l("This field is required."), "name")
    if len(name) > MAX_NAME:
        raise WaveError(_l("Use at most %(n)d characters.", n=MAX_NAME), "name")
    query = select(Wave.id).where(Wave.event_id == event.id, func.lower(Wave.name) == name.lower())
    if wave is not None and wave.id is not None:
        query = query.where(Wave.id != wave.id)
    if db.session.scalar(query) is not None:
        raise WaveError(_l("This event already has a wave named %(name)s.", name=name), "name")
    return name


# --------------------------------------------------------------------- create, edit


def _deadline_key(wave: Wave, which: str) -> str:
    return f"invitations.wave.{wave.id}.{which}"


def send_by_key(wave: Wave) -> str:
    """The timeline key of the wave's send-by deadline."""
    return _deadline_key(wave, "send_by")


def rsvp_by_key(wave: Wave) -> str:
    """The timeline key of the wave's RSVP deadline."""
    return _deadline_key(wave, "rsvp_by")


def _upsert_deadlines(wave: Wave) -> None:
    link = {"endpoint": "invitations.wave", "args": {"event_id": wave.event_id, "wave_id": wave.id}}
    upsert_deadline(
        wave.event,
        send_by_key(wave),
        f"Wave “{wave.name}”: send by"[:200],
        DEADLINE_SOURCE,
        offset_days=wave.send_by_days,
        link=link,
    )
    upsert_deadline(
        wave.event,
        rsvp_by_key(wave),
        f"Wave “{wave.name}”: RSVP by"[:200],
        DEADLINE_SOURCE,
        offset_days=wave.rsvp_by_days,
        link=link,
    )


def create_wave(
    actor: User | None,
    event: Event,
    *,
    name: str,
    audience: dict[str, Any] | None,
    letters: dict[str, Any] | None,
    send_by_days: int,
    rsvp_by_days: int,
    reminder_days: list[int] | tuple[int, ...] = (),
    escalation_days: int = 7,
    waives_approval: bool = False,
) -> Wave:
    """A draft wave, with its send-by and RSVP deadlines on the event timeline."""
    values = {
        "name": _clean_name(event, name, None),
        "audience": _clean_audience(audience),
        "letters": _clean_letters(event, letters),
        **_clean_days(send_by_days, rsvp_by_days, list(reminder_days), escalation_days),
        "waives_approval": bool(waives_approval),
    }
    wave = Wave(event=event, created_by_id=actor.id if actor else None, **values)
    db.session.add(wave)
    db.session.flush()
    _upsert_deadlines(wave)
    audit.record(
        "invitations.wave_created",
        actor=actor,
        event_id=event.id,
        obj=wave,
        summary=f"{wave.name}: {recipients_count(wave)} recipients",
    )
    return wave


def update_wave(
    actor: User | None,
    wave: Wave,
    *,
    name: str,
    audience: dict[str, Any] | None,
    letters: dict[str, Any] | None,
    send_by_days: int,
    rsvp_by_days: int,
    reminder_days: list[int] | tuple[int, ...] = (),
    escalation_days: int = 7,
    waives_approval: bool = False,
) -> Wave:
    """Change a wave; once sent, only its name, deadlines, reminders and escalation (and
    whether accepting invitees are registered without approval)."""
    event = wave.event
    values = {
        "name": _clean_name(event, name, wave),
        "audience": _clean_audience(audience),
        "letters": _clean_letters(event, letters),
        **_clean_days(send_by_days, rsvp_by_days, list(reminder_days), escalation_days),
        "waives_approval": bool(waives_approval),
    }
    if wave.state in SENT_STATES:
        if values["audience"] != _clean_audience(wave.audience):
            raise WaveError(_l("This wave is sent: its audience can no longer change."), "groups")
        if values["letters"] != wave.letters:
            raise WaveError(
                _l("This wave is sent: its letter can no longer change."),
                f"subject_{next(iter(values['letters']))}",
            )
    changed = [k for k, v in values.items() if getattr(wave, k) != v]
    for key in changed:
        setattr(wave, key, values[key])
    db.session.flush()
    _upsert_deadlines(wave)
    if "rsvp_by_days" in changed:
        # Links already sent live until the new deadline (rsvp.is_expired reads the wave);
        # the stored expiry follows so lists and exports agree.
        db.session.execute(
            update(Invitation)
            .where(Invitation.wave_id == wave.id)
            .values(expires_at=letters_mod.link_expiry(wave))
            .execution_options(synchronize_session=False)
        )
    if changed:
        audit.record(
            "invitations.wave_updated",
            actor=actor,
            event_id=event.id,
            obj=wave,
            summary=f"{wave.name}: {', '.join(changed)}",
            fields=changed,
        )
    return wave


def delete_wave(actor: User | None, wave: Wave) -> None:
    """Remove a wave that was never sent, and its deadlines."""
    has_invitations = db.session.scalar(
        select(Invitation.id).where(Invitation.wave_id == wave.id).limit(1)
    )
    if wave.state in SENT_STATES or has_invitations is not None:
        raise WaveError(_l("Only a wave that was never sent can be deleted."))
    for key in (send_by_key(wave), rsvp_by_key(wave)):
        deadline = deadline_by_key(wave.event, key)
        if deadline is not None:
            db.session.delete(deadline)
    audit.record(
        "invitations.wave_deleted", actor=actor, event_id=wave.event_id, obj=wave, summary=wave.name
    )
    db.session.delete(wave)
    db.session.flush()


# --------------------------------------------------------------------------- reading


def wave_of(event: Event, wave_id: int) -> Wave | None:
    """The event's wave; another event's id is as unknown as a missing one."""
    wave = db.session.get(Wave, wave_id)
    return wave if wave is not None and wave.event_id == event.id else None


def waves_of(event: Event) -> list[Wave]:
    """The event's waves by send-by deadline."""
    return list(
        db.session.scalars(
            select(Wave).where(Wave.event_id == event.id).order_by(Wave.send_by_days, Wave.id)
        )
    )


def audience_entries_query(wave: Wave) -> Select:
    """The target entries the wave's audience covers."""
    return entries_query(wave.event, EntryFilters.from_audience(wave.audience or {}))


def _with_email():
    return and_(Person.email.is_not(None), Person.email != "")


def recipients_count(wave: Wave) -> int:
    """Audience entries with an email address."""
    stmt = audience_entries_query(wave).where(_with_email()).order_by(None)
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def audience_counts(waves: list[Wave]) -> dict[int, dict[str, int]]:
    """{wave id: {"recipients": with an email, "no_email": without}} in one query."""
    if not waves:
        return {}
    parts = []
    for wave in waves:
        entries = (
            audience_entries_query(wave)
            .order_by(None)
            .with_only_columns(TargetEntry.id, Person.email)
            .subquery()
        )
        has_email = and_(entries.c.email.is_not(None), entries.c.email != "")
        parts.append(
            select(
                literal(wave.id).label("wave_id"),
                func.count().label("total"),
                func.count(case((has_email, 1))).label("with_email"),
            ).select_from(entries)
        )
    query = union_all(*parts) if len(parts) > 1 else parts[0]
    return {
        row.wave_id: {"recipients": row.with_email, "no_email": row.total - row.with_email}
        for row in db.session.execute(query)
    }


def invitation_counts(waves: list[Wave]) -> dict[int, dict[str, int]]:
    """{wave id: {"invited", "answered", "accepted", "declined", "delegated"}} in one query."""
    counts = {w.id: dict.fromkeys(("invited", "answered", *RsvpAnswer), 0) for w in waves}
    if not waves:
        return counts
    rows = db.session.execute(
        select(Invitation.wave_id, Invitation.answer, func.count())
        .where(Invitation.wave_id.in_([w.id for w in waves]))
        .group_by(Invitation.wave_id, Invitation.answer)
    )
    for wave_id, answer, number in rows:
        counts[wave_id][answer] = number
        counts[wave_id]["invited"] += number
        if answer != RsvpAnswer.PENDING:
            counts[wave_id]["answered"] += number
    return counts


def late_for_members(wave: Wave) -> bool:
    """A wave to Member States or Sector Members whose send-by deadline is later than a
    year before the opening (formal invitations are due then)."""
    groups = set((wave.audience or {}).get("groups") or [])
    if groups and not groups & MEMBER_GROUPS:
        return False
    return wave.send_by_days > -MEMBERS_LEAD_DAYS


def deadline_dates(wave: Wave) -> tuple[date, date]:
    """The absolute send-by and RSVP dates."""
    opening = wave.event.opening_date
    return opening + timedelta(days=wave.send_by_days), opening + timedelta(days=wave.rsvp_by_days)


def flagged_stars(wave: Wave) -> list[TargetEntry]:
    """Stars of this wave flagged for not answering, still pending."""
    return list(
        db.session.scalars(
            select(TargetEntry)
            .join(Invitation, Invitation.entry_id == TargetEntry.id)
            .where(
                Invitation.wave_id == wave.id,
                Invitation.answer == RsvpAnswer.PENDING,
                TargetEntry.star.is_(True),
                TargetEntry.flagged_at.is_not(None),
            )
            .order_by(TargetEntry.flagged_at)
        )
    )
