"""Sending invitations: one invitee (`invite_one`), a whole wave as a job, scheduled waves,
previews and test mail.

Idempotent at every level: an entry gets at most one invitation per wave (checked before
sending, and the database's unique constraint is the last guard), so re-running a job or
the sweep sends nobody a second copy. A wave is sent in chunks of 1,000, each committed
with its outbox messages, so a crash loses at most the chunk in flight and a re-run picks
up where it stopped.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.exc import IntegrityError

from models import (
    EntryStatus,
    Invitation,
    JobRun,
    OutboxMessage,
    OutboxState,
    Person,
    TargetEntry,
    User,
    Wave,
    WaveState,
    utcnow,
)
from webapp import audit, mail
from webapp.events.services import deadline_by_key, mark_deadline_done
from webapp.extensions import db
from webapp.jobs import Progress, enqueue, job, periodic
from webapp.security import hash_token

from .letters import LetterRenderer, link_expiry
from .targets import ACCEPTED_OR_LATER, TRANSITIONS, set_status
from .waves import WaveError, audience_entries_query, send_by_key

SEND_JOB = "invitations.send_wave"
LETTER_TEMPLATE = "invitations/letter"
CHUNK = 1000
TEST_TOKEN = "test-link"


# ---------------------------------------------------------------------------- tokens


def invitation_token(salt: str) -> str:
    """The invitation's link token: an HMAC under SECRET_KEY of the invitation's own random
    salt. It is random per invitation and reminders can carry the same link again, while
    only its SHA-256 is stored (`Invitation.token_hash`): the database alone (salt and
    hash) reveals no link without the key."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"convene.rsvp:{salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def rsvp_link(token: str) -> str:
    """The absolute RSVP address; jobs have no request, so it comes from BASE_URL."""
    return current_app.config["BASE_URL"].rstrip("/") + "/rsvp/" + token


def link_of(invitation: Invitation) -> str:
    """The RSVP link of an invitation (the same one its letter carried)."""
    return rsvp_link(invitation_token(invitation.token_salt))


def expires_at(wave: Wave) -> datetime:
    """When the wave's links stop working (see letters.link_expiry)."""
    return link_expiry(wave)


# --------------------------------------------------------------------------- queries


def _sendable():
    """An address to write to, and not already accepted (nor registered, attended)."""
    return and_(
        Person.email.is_not(None),
        Person.email != "",
        TargetEntry.status.not_in(list(ACCEPTED_OR_LATER)),
    )


def _not_invited(wave: Wave):
    return ~exists().where(Invitation.wave_id == wave.id, Invitation.entry_id == TargetEntry.id)


def pending_count(wave: Wave) -> int:
    """Audience entries the next send would invite."""
    stmt = (
        audience_entries_query(wave)
        .order_by(None)
        .with_only_columns(TargetEntry.id)
        .where(_sendable(), _not_invited(wave))
    )
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def _pending_ids(wave: Wave) -> list[int]:
    return list(
        db.session.scalars(
            audience_entries_query(wave)
            .with_only_columns(TargetEntry.id)
            .where(_sendable(), _not_invited(wave))
        )
    )


def _without_email(wave: Wave) -> int:
    stmt = (
        audience_entries_query(wave)
        .order_by(None)
        .with_only_columns(TargetEntry.id)
        .where((Person.email.is_(None)) | (Person.email == ""))
    )
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


# ------------------------------------------------------------------------ bulk mail


class BulkMail:
    """`mail.send` for thousands of messages of one template: the template is rendered
    once per language with markers where the per-recipient values go, then each message
    fills the markers with plain string replacement (escaped in the HTML). The result is
    what `mail.send` would store, without a Jinja render and a database flush per message
    (measured: about 6 ms per message through `mail.send`, most of it the flush)."""

    MARK = "QQCONVENEMARK"

    def __init__(self, template: str, fields: tuple[str, ...], raw_html: tuple[str, ...] = ()):
        self.template = template
        self.fields = fields
        #: Values that are already HTML (the letter's body): not escaped again.
        self.raw_html = raw_html
        self._skeletons: dict[str, tuple[str, str, str]] = {}

    def _marker(self, name: str) -> str:
        return f"{self.MARK}{self.fields.index(name)}X"

    def _skeleton(self, locale: str) -> tuple[str, str, str]:
        if locale not in self._skeletons:
            markers = {name: self._marker(name) for name in self.fields}
            self._skeletons[locale] = mail.render(self.template, locale, **markers)
        return self._skeletons[locale]

    def render(self, locale: str, **values: str) -> tuple[str, str, str]:
        """Subject, text and HTML, as `mail.render` would give them."""
        subject, text, html = self._skeleton(locale)
        for name in self.fields:
            marker, value = self._marker(name), str(values.get(name, ""))
            subject = subject.replace(marker, " ".join(value.split()))
            text = text.replace(marker, value)
            html = html.replace(marker, value if name in self.raw_html else str(escape(value)))
        return subject[:300], text.strip() + "\n", html

    def queue(
        self,
        to_email: str,
        *,
        locale: str,
        event_id: int | None,
        tags: dict[str, Any] | None = None,
        **values: str,
    ) -> OutboxMessage:
        """Add the message to the session (the caller flushes, once for many) and make sure
        a delivery starts after the commit, exactly as `mail.send` does."""
        subject, text, html = self.render(locale, **values)
        provider = bool(current_app.config["SENDGRID_API_KEY"])
        message = OutboxMessage(
            to_email=to_email,
            to_name=values.get("to_name", ""),
            template=self.template,
            locale=locale,
            subject=subject,
            body_text=text,
            body_html=html,
            event_id=event_id,
            tags=tags or {},
            state=OutboxState.QUEUED if provider else OutboxState.KEPT,
        )
        db.session.add(message)
        # The same once-per-transaction delivery job as mail.send (its session flag).
        if provider and not db.session.info.get(mail._DELIVERY_QUEUED_KEY):
            db.session.info[mail._DELIVERY_QUEUED_KEY] = True
            enqueue("mail.deliver")
        return message


def letter_mail() -> BulkMail:
    """The invitation letter as bulk mail."""
    return BulkMail(LETTER_TEMPLATE, ("to_name", "subject", "text", "html"), raw_html=("html",))


# ------------------------------------------------------------------------- inviting


def create_invitations(wave: Wave, entries: Iterable[TargetEntry]) -> list[Invitation]:
    """Insert an invitation for each entry, skipping entries another sender invited in the
    meantime: the unique (wave, entry) constraint is the last guard against a second copy."""
    entries = list(entries)
    until = expires_at(wave)

    def build(entry: TargetEntry) -> Invitation:
        salt = secrets.token_hex(16)
        return Invitation(
            wave_id=wave.id,
            entry_id=entry.id,
            entry=entry,
            email=entry.person.email,
            token_salt=salt,
            token_hash=hash_token(invitation_token(salt)),
            expires_at=until,
        )

    invitations = [build(entry) for entry in entries]
    try:
        with db.session.begin_nested():
            db.session.add_all(invitations)
    except IntegrityError:
        # A concurrent sender won some of them: go one by one and skip those.
        invitations = []
        for entry in entries:
            invitation = build(entry)
            try:
                with db.session.begin_nested():
                    db.session.add(invitation)
            except IntegrityError:
                continue
            invitations.append(invitation)
    return invitations


def _deliver(
    wave: Wave, invitation: Invitation, renderer: LetterRenderer, actor: User | None
) -> OutboxMessage:
    """Render and queue the letter; move the entry to invited."""
    entry = invitation.entry
    link = link_of(invitation)
    language, subject, text, html = renderer.render(entry, link)
    message = mail.send(
        invitation.email,
        LETTER_TEMPLATE,
        to_name=entry.person.full_name,
        locale=language,
        event_id=wave.event_id,
        tags={"invitation_id": invitation.id},
        subject=subject,
        text=text,
        html=html,
    )
    invitation.sent_at = utcnow()
    invitation.outbox_message_id = message.id
    if EntryStatus.INVITED in TRANSITIONS[entry.status]:
        set_status(entry, EntryStatus.INVITED, actor=actor)
    return message


def _queue_letter(
    wave: Wave,
    invitation: Invitation,
    renderer: LetterRenderer,
    bulk: BulkMail,
    actor: User | None,
) -> OutboxMessage:
    """The bulk twin of `_deliver`: the message is added, flushed later with its chunk."""
    entry = invitation.entry
    link = link_of(invitation)
    language, subject, text, html = renderer.render(entry, link)
    message = bulk.queue(
        invitation.email,
        locale=language,
        event_id=wave.event_id,
        tags={"invitation_id": invitation.id},
        to_name=entry.person.full_name,
        subject=subject,
        text=text,
        html=html,
    )
    invitation.sent_at = utcnow()
    if EntryStatus.INVITED in TRANSITIONS[entry.status]:
        set_status(entry, EntryStatus.INVITED, actor=actor)
    return message


def invite_one(
    wave: Wave,
    entry: TargetEntry,
    *,
    actor: User | None = None,
    delegate_of: Invitation | None = None,
) -> Invitation:
    """Invite one entry in `wave` (a delegate, a late addition). An existing invitation is
    returned as it is: nothing is sent twice."""
    existing = db.session.scalar(
        select(Invitation).where(Invitation.wave_id == wave.id, Invitation.entry_id == entry.id)
    )
    if existing is not None:
        return existing
    if not entry.person.email:
        raise WaveError(
            _l("%(person)s has no email address.", person=entry.person.full_name), "email"
        )
    created = create_invitations(wave, [entry])
    if not created:  # invited by someone else a moment ago
        return db.session.scalar(
            select(Invitation).where(Invitation.wave_id == wave.id, Invitation.entry_id == entry.id)
        )
    invitation = created[0]
    if delegate_of is not None:
        invitation.delegate_of_id = delegate_of.id
    _deliver(wave, invitation, LetterRenderer(wave), actor)
    db.session.flush()
    audit.record(
        "invitations.invited",
        actor=actor,
        event_id=wave.event_id,
        obj=invitation,
        summary=f"{wave.name}: {entry.person.full_name}"
        + (" (delegate)" if delegate_of is not None else ""),
        wave_id=wave.id,
        delegate_of=delegate_of.id if delegate_of is not None else None,
    )
    return invitation


@dataclass
class SendResult:
    """What a send did."""

    invited: int = 0
    without_email: int = 0
    total: int = 0


def send_wave(wave: Wave, actor: User | None, progress: Progress | None = None) -> SendResult:
    """Invite every audience entry with an address and no invitation in this wave yet.

    Commits after each chunk of 1,000 (a job, not a request: progress must show and a
    crash must keep what was sent). Re-running it sends nobody a second copy.
    """
    result = SendResult(without_email=_without_email(wave))
    ids = _pending_ids(wave)
    result.total = len(ids)
    renderer = LetterRenderer(wave)
    wave_id, event_id = wave.id, wave.event_id
    bulk = letter_mail()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        entries = db.session.scalars(select(TargetEntry).where(TargetEntry.id.in_(chunk))).all()
        queued = []
        for invitation in create_invitations(wave, entries):
            queued.append((invitation, _queue_letter(wave, invitation, renderer, bulk, actor)))
        db.session.flush()  # one flush for the chunk's messages: their ids
        for invitation, message in queued:
            invitation.outbox_message_id = message.id
        result.invited += len(queued)
        db.session.commit()
        if progress is not None:
            done = min(start + CHUNK, len(ids))
            progress.update(
                done,
                len(ids),
                _(
                    "%(done)s of %(total)s",
                    done=format_decimal(done),
                    total=format_decimal(len(ids)),
                ),
            )
    wave = db.session.get(Wave, wave_id)
    wave.state = WaveState.SENT
    wave.scheduled_for = None
    wave.sent_at = wave.sent_at or utcnow()
    deadline = deadline_by_key(wave.event, send_by_key(wave))
    if deadline is not None and deadline.completed_at is None:
        mark_deadline_done(actor, deadline)
    audit.record(
        "invitations.wave_sent",
        actor=actor,
        event_id=event_id,
        obj=wave,
        summary=f"{wave.name}: {result.invited} invited, {result.without_email} without email",
        invited=result.invited,
        without_email=result.without_email,
    )
    db.session.commit()
    return result


@job(SEND_JOB)
def send_wave_job(progress: Progress, wave_id: int, actor_id: int | None = None) -> dict[str, Any]:
    """The background send of a wave; the result page is the wave's page."""
    wave = db.session.get(Wave, wave_id)
    if wave is None:
        return {"summary": "The wave no longer exists."}
    actor = db.session.get(User, actor_id) if actor_id is not None else None
    event_id = wave.event_id
    with force_locale(actor.locale if actor is not None else "en"):
        result = send_wave(wave, actor, progress)
        summary = _(
            "%(invited)s invited, %(skipped)s without an email address",
            invited=format_decimal(result.invited),
            skipped=format_decimal(result.without_email),
        )
    return {
        "summary": summary,
        "endpoint": "invitations.wave",
        "args": {"event_id": event_id, "wave_id": wave_id},
    }


def _check_answerable(wave: Wave, when: datetime, field: str | None = None) -> None:
    """Letters sent at `when` must leave the invitee time to answer."""
    if when >= expires_at(wave):
        raise WaveError(
            _l("The RSVP deadline of this wave has passed: move it later before sending."),
            field,
        )


def start_sending(actor: User, wave: Wave) -> JobRun:
    """Send now: the job invites whoever in the audience is not invited yet."""
    _check_answerable(wave, utcnow())
    if pending_count(wave) == 0:
        if wave.state == WaveState.SENT:
            raise WaveError(_l("Everyone in this wave's audience with an address is invited."))
        raise WaveError(
            _l("This wave has no recipients: nobody in its audience has an email address.")
        )
    wave.state = WaveState.SENDING
    wave.scheduled_for = None
    db.session.flush()
    audit.record(
        "invitations.wave_send_started",
        actor=actor,
        event_id=wave.event_id,
        obj=wave,
        summary=wave.name,
    )
    return enqueue(
        SEND_JOB, actor=actor, event_id=wave.event_id, wave_id=wave.id, actor_id=actor.id
    )


def local_to_utc(wave: Wave, when: datetime) -> datetime:
    """A naive time typed in the event's zone, as aware UTC."""
    if when.tzinfo is not None:
        return when.astimezone(UTC)
    try:
        zone = ZoneInfo(wave.event.timezone)
    except (ValueError, KeyError):
        zone = UTC
    try:
        return when.replace(tzinfo=zone).astimezone(UTC)
    except (OverflowError, ValueError):
        raise WaveError(_l("Choose a time in the future."), "scheduled_for") from None


def schedule_wave(actor: User, wave: Wave, when: datetime) -> Wave:
    """Send the wave automatically at `when` (event-local when naive)."""
    if wave.state not in (WaveState.DRAFT, WaveState.SCHEDULED):
        raise WaveError(_l("Only a wave not sent yet can be scheduled."), "scheduled_for")
    when = local_to_utc(wave, when)
    if when <= utcnow():
        raise WaveError(_l("Choose a time in the future."), "scheduled_for")
    _check_answerable(wave, when, "scheduled_for")
    if pending_count(wave) == 0:
        raise WaveError(
            _l("This wave has no recipients: nobody in its audience has an email address."),
            "scheduled_for",
        )
    wave.state = WaveState.SCHEDULED
    wave.scheduled_for = when
    db.session.flush()
    audit.record(
        "invitations.wave_scheduled",
        actor=actor,
        event_id=wave.event_id,
        obj=wave,
        summary=f"{wave.name}: {when.isoformat(timespec='minutes')}",
    )
    return wave


def unschedule_wave(actor: User, wave: Wave) -> Wave:
    """Back to a draft: the wave goes out only when sent or scheduled again."""
    if wave.state != WaveState.SCHEDULED:
        raise WaveError(_l("This wave is not scheduled."))
    wave.state = WaveState.DRAFT
    wave.scheduled_for = None
    db.session.flush()
    audit.record(
        "invitations.wave_unscheduled",
        actor=actor,
        event_id=wave.event_id,
        obj=wave,
        summary=wave.name,
    )
    return wave


@periodic("invitations.scheduled")
def start_due_waves(now: datetime | None = None) -> dict[str, int]:
    """Start each scheduled wave whose time has come, once: the state moves from
    scheduled to sending atomically, so a second sweep finds nothing to start."""
    now = now or utcnow()
    due = list(
        db.session.scalars(
            select(Wave).where(Wave.state == WaveState.SCHEDULED, Wave.scheduled_for <= now)
        )
    )
    started = 0
    for wave in due:
        if now >= expires_at(wave):
            # The deadlines moved since it was scheduled: letters would arrive dead.
            wave.state, wave.scheduled_for = WaveState.DRAFT, None
            audit.record(
                "invitations.wave_schedule_dropped",
                actor=None,
                event_id=wave.event_id,
                obj=wave,
                summary=f"{wave.name}: RSVP deadline passed before the scheduled time",
            )
            continue
        claimed = db.session.execute(
            update(Wave)
            .where(Wave.id == wave.id, Wave.state == WaveState.SCHEDULED)
            .values(state=WaveState.SENDING)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            continue
        creator = db.session.get(User, wave.created_by_id) if wave.created_by_id else None
        enqueue(
            SEND_JOB,
            actor=creator,
            event_id=wave.event_id,
            wave_id=wave.id,
            actor_id=wave.created_by_id,
        )
        started += 1
    db.session.flush()
    return {"started": started}


# ------------------------------------------------------------------ preview and tests


def sample_entry(wave: Wave, actor: User | None = None) -> TargetEntry:
    """The first audience entry, or an unsaved stand-in named after `actor`."""
    entry = db.session.scalars(audience_entries_query(wave).limit(1)).first()
    if entry is not None:
        return entry
    name = (actor.name if actor is not None else "") or "Jane Doe"
    first, _sep, last = name.partition(" ")
    person = Person(first_name=first, last_name=last or first, languages=[])
    return TargetEntry(person=person, status=EntryStatus.IDENTIFIED, constituent_group="")


def preview(wave: Wave, entry: TargetEntry, locale: str | None = None) -> dict[str, str]:
    """The letter exactly as `entry` would get it: language, subject, text, full HTML."""
    # Each invitation's link is made when it is sent; a preview shows a stand-in.
    link = rsvp_link(TEST_TOKEN)
    language, subject, text, html = LetterRenderer(wave).render(entry, link, locale)
    subject, body_text, document = mail.render(
        LETTER_TEMPLATE,
        language,
        to_name=entry.person.full_name,
        subject=subject,
        text=text,
        html=html,
    )
    return {"language": language, "subject": subject, "text": body_text, "html": document}


def send_test(
    actor: User, wave: Wave, entry: TargetEntry | None = None, locale: str | None = None
) -> OutboxMessage:
    """The letter to the actor's own address, marked [TEST], with a link that leads nowhere;
    no invitation is recorded."""
    entry = entry if entry is not None else sample_entry(wave, actor)
    language, subject, text, html = LetterRenderer(wave).render(
        entry, rsvp_link(TEST_TOKEN), locale
    )
    message = mail.send(
        actor.email,
        LETTER_TEMPLATE,
        to_name=actor.name,
        locale=language,
        event_id=wave.event_id,
        subject=f"[TEST] {subject}"[:300],
        text=text,
        html=html,
    )
    audit.record(
        "invitations.test_sent",
        actor=actor,
        event_id=wave.event_id,
        obj=wave,
        summary=f"{wave.name} → {actor.email}",
    )
    return message
