"""Curating a session: its details, its status, its timed agenda, and the people on it,
each asked by mail to confirm.

Who: the co-chairs of the session's focus area and the event's organizers (the
"session.edit" rule); sessions outside any area are the organizers' alone. Co-chairs may
take every step of their own area's sessions, publishing included: they build the
programme of their area, and the conflict check, not a second pair of eyes, guards the
programme as a whole. The views check the rule first (another area's session is a 404);
the services check it again so that no caller can skip it.

Services take plain values and an explicit actor, flush, and raise ProgrammeError (or a
subclass, with the HTTP status to answer) for anything to correct; the request commits.
Every status move and every change to the people is written to the audit log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from models import (
    AgendaItem,
    Event,
    FocusArea,
    Person,
    ProgrammeSession,
    Room,
    SessionFormat,
    SessionMode,
    SessionPart,
    SessionPerson,
    SessionStatus,
    SpeakerState,
    User,
    Visibility,
    utcnow,
)
from webapp import audit, mail
from webapp.extensions import db
from webapp.permissions import can
from webapp.security import hash_token, new_token

from . import conflicts
from .cochairs import mail_locale
from .core import (
    PART_LABELS,
    STAKEHOLDER_ROLE_LABELS,
    STATUS_LABELS,
    ProgrammeConflict,
    ProgrammeError,
    check_times,
    cochair_codes,
    is_programme_organizer,
)

MAX_TITLE = 300
MAX_DESCRIPTION = 10_000
MAX_URL = 500
MAX_CAPACITY = 100_000
MAX_NOTES = 2_000
MAX_ITEM_MINUTES = 600
#: More items or people than anyone curates by hand: a runaway script, not a session.
MAX_ITEMS = 60
MAX_PEOPLE = 60
#: How long a confirmation link works; a resend gives a fresh one.
ASK_DAYS = 30
#: The six UN languages, in the order the forms list them.
UN_LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,200}$")

S = SessionStatus

#: Where each status may go: forward one step, back one step, or back to draft.
MOVES: dict[SessionStatus, tuple[SessionStatus, ...]] = {
    S.DRAFT: (S.PROPOSED,),
    S.PROPOSED: (S.CONFIRMED, S.DRAFT),
    S.CONFIRMED: (S.PUBLISHED, S.PROPOSED, S.DRAFT),
    S.PUBLISHED: (S.CONFIRMED,),
}


class CurationForbidden(ProgrammeError):
    """Not this user's to change (another focus area)."""

    status = 403


class CurationNotFound(ProgrammeError):
    """An id that is not the event's (a room, an area, an item of another session)."""

    status = 404


class NotPublishable(ProgrammeConflict):
    """What stops the session from being published: `problems` (messages, each with the
    field to fix) and the hard `conflicts` of the programme."""

    def __init__(self, problems: list[tuple[str, Any]], hard: list[Any], message: Any = None):
        super().__init__(message or _l("The session cannot be published yet."))
        self.problems = problems
        self.conflicts = hard


class LinkError(ProgrammeError):
    """A confirmation link that cannot be used: kind "invalid" (404), "expired" or
    "used" (410)."""

    def __init__(self, message: Any, kind: str, person: SessionPerson | None = None):
        super().__init__(message)
        self.kind = kind
        self.status = 404 if kind == "invalid" else 410
        self.person = person


def _check_may_edit(actor: User, session: ProgrammeSession) -> None:
    if not can(actor, "session.edit", session):
        raise CurationForbidden(_l("Only the co-chairs of its focus area edit this session."))


# --- the session's details --------------------------------------------------------------


def allowed_areas(actor: User, event: Event, areas: Iterable[FocusArea]) -> list[FocusArea]:
    """The focus areas this user may put a session in: all for organizers, their own for
    co-chairs."""
    if is_programme_organizer(actor, event):
        return list(areas)
    codes = cochair_codes(actor, event)
    return [a for a in areas if a.code in codes]


def _area(actor: User, event: Event, area_id: Any) -> FocusArea | None:
    organizer = is_programme_organizer(actor, event)
    if area_id in (None, ""):
        if not organizer:
            raise ProgrammeError(_l("Choose one of your focus areas."), "focus_area")
        return None
    area = db.session.get(FocusArea, area_id) if isinstance(area_id, int) else None
    if area is None or area.event_id != event.id:
        raise CurationNotFound(_l("There is no such focus area in this event."), "focus_area")
    if not organizer and area.code not in cochair_codes(actor, event):
        raise CurationForbidden(_l("You co-chair other focus areas than this one."), "focus_area")
    return area


def _room(event: Event, room_id: Any) -> Room | None:
    if room_id in (None, ""):
        return None
    room = db.session.get(Room, room_id) if isinstance(room_id, int) else None
    if room is None or room.event_id != event.id:
        raise CurationNotFound(_l("There is no such room in this event."), "room")
    return room


def _enum(cls, value: Any, field: str):
    try:
        return cls(value)
    except ValueError:
        raise ProgrammeError(_l("Choose one of the options."), field) from None


def check_url(value: str | None, field: str = "stream_url") -> str:
    """An http(s) address with a host and no white space, or "" (streaming links; video
    messages' links go through it too)."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) > MAX_URL:
        raise ProgrammeError(_l("Use at most %(n)d characters.", n=MAX_URL), field)
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in value)
    ):
        raise ProgrammeError(_l("Give a web address starting with https:// (or http://)."), field)
    return value


def check_languages(codes: Iterable[Any] | None, field: str) -> list[str]:
    """UN language codes, each once, in the forms' order."""
    given = set(codes or ())
    unknown = given - set(UN_LANGUAGES)
    if unknown:
        raise ProgrammeError(_l("Choose among the six UN languages."), field)
    return [code for code in UN_LANGUAGES if code in given]


def _text(value: Any, limit: int, field: str, *, required_message=None) -> str:
    text = (value or "").strip() if isinstance(value, str) else ""
    if not text and required_message is not None:
        raise ProgrammeError(required_message, field)
    if len(text) > limit:
        raise ProgrammeError(_l("Use at most %(n)d characters.", n=limit), field)
    return text


def session_values(actor: User, event: Event, values: dict[str, Any]) -> dict[str, Any]:
    """The checked column values of a session from what the form gave; the first wrong
    value raises, naming its field."""
    capacity = values.get("capacity")
    if capacity is not None and (
        not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY
    ):
        raise ProgrammeError(
            _l("Give a whole number of seats from 1 to %(max)s.", max=f"{MAX_CAPACITY:,}"),
            "capacity",
        )
    starts_at, ends_at = values.get("starts_at"), values.get("ends_at")
    check_times(event, starts_at, ends_at)
    area = _area(actor, event, values.get("focus_area"))
    room = _room(event, values.get("room"))
    return {
        "focus_area_id": area.id if area else None,
        "title": _text(
            values.get("title"),
            MAX_TITLE,
            "title",
            required_message=_l("Give the session a title."),
        ),
        "format": _enum(SessionFormat, values.get("format"), "format"),
        "description": _text(values.get("description"), MAX_DESCRIPTION, "description"),
        "room_id": room.id if room else None,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "mode": _enum(SessionMode, values.get("mode") or SessionMode.IN_PERSON, "mode"),
        "stream_url": check_url(values.get("stream_url")),
        "visibility": _enum(
            Visibility, values.get("visibility") or Visibility.PUBLIC, "visibility"
        ),
        "chatham_house": bool(values.get("chatham_house")),
        "capacity": capacity,
        "languages": check_languages(values.get("languages"), "languages"),
        "interpretation": check_languages(values.get("interpretation"), "interpretation"),
    }


def create_session(actor: User, event: Event, **values: Any) -> ProgrammeSession:
    """A new draft session in one of the actor's focus areas (organizers: any, or none)."""
    clean = session_values(actor, event, values)
    session = ProgrammeSession(event_id=event.id, created_by_id=actor.id, **clean)
    db.session.add(session)
    db.session.flush()
    audit.record(
        "session.created",
        actor=actor,
        event_id=event.id,
        obj=session,
        summary=f"Session “{session.title}” created",
    )
    return session


def update_session(actor: User, session: ProgrammeSession, **values: Any) -> set[str]:
    """Save the details. A published session may not gain a reason not to be published
    (NotPublishable, and the caller rolls back); one it already had (a speaker who
    declined since) does not block other edits. Returns the changed field names."""
    _check_may_edit(actor, session)
    clean = session_values(actor, session.event, values)
    changed = {k for k, v in clean.items() if getattr(session, k) != v}
    if not changed:
        return changed
    before = published_state(session)
    for key in changed:
        setattr(session, key, clean[key])
    db.session.flush()
    check_nothing_new(session, before)
    audit.record(
        "session.updated",
        actor=actor,
        event_id=session.event_id,
        obj=session,
        summary=f"Session “{session.title}” edited: {', '.join(sorted(changed))}",
        fields=sorted(changed),
    )
    return changed


def delete_session(actor: User, session: ProgrammeSession) -> None:
    """Delete a draft (anything further along is returned to draft first, on purpose)."""
    _check_may_edit(actor, session)
    if session.status != S.DRAFT:
        raise ProgrammeConflict(_l("Only a draft can be deleted; return it to draft first."))
    audit.record(
        "session.deleted",
        actor=actor,
        event_id=session.event_id,
        obj=session,
        summary=f"Session “{session.title}” deleted",
    )
    db.session.delete(session)
    db.session.flush()


# --- status -------------------------------------------------------------------------------


def publish_problems(session: ProgrammeSession) -> list[tuple[str, Any]]:
    """What the session itself lacks to be published, as (field, message) pairs.

    Needed: a title, start and end times, a room unless the session is online only, a
    streaming link when it is online or hybrid, and at least one moderator or speaker
    who has not declined. People need not have confirmed yet: programmes are announced
    while the last speakers are still answering, and the manage page shows who has.
    """
    problems: list[tuple[str, Any]] = []
    if not (session.title or "").strip():
        problems.append(("title", _l("Give the session a title.")))
    if session.starts_at is None or session.ends_at is None:
        problems.append(("starts_at", _l("Give the session a start and an end time.")))
    if session.mode != SessionMode.ONLINE and session.room_id is None:
        problems.append(("room", _l("Choose a room (only online sessions go without one).")))
    if session.mode in (SessionMode.ONLINE, SessionMode.HYBRID) and not session.stream_url:
        problems.append(
            ("stream_url", _l("Give the streaming link of an online or hybrid session."))
        )
    leads = (SessionPart.MODERATOR, SessionPart.SPEAKER)
    if not any(p.part in leads and p.state != SpeakerState.DECLINED for p in session.people):
        problems.append(("people", _l("Add a moderator or a speaker who has not declined.")))
    return problems


def _check_publishable(session: ProgrammeSession) -> None:
    problems = publish_problems(session)
    hard = conflicts.hard_conflicts(session)
    if problems or hard:
        raise NotPublishable(problems, hard)


def published_state(session: ProgrammeSession) -> tuple[set | None, set] | None:
    """What already stood against the session before a change: for a published session
    its publishing problems and hard conflicts; for a proposed or confirmed one its hard
    conflicts (it may not add one to a published session); None for a draft, which holds
    no room and so cannot clash with anything."""
    if session.status == S.DRAFT:
        return None
    hard = {(c.kind, c.other_session_id) for c in conflicts.hard_conflicts(session)}
    if session.status != S.PUBLISHED:
        return None, hard
    return {field for field, _message in publish_problems(session)}, hard


def check_nothing_new(session: ProgrammeSession, before: tuple[set | None, set] | None) -> None:
    """NotPublishable if a change gave a published session a new problem or hard conflict:
    the session itself, or — when the session is proposed or confirmed — a published
    session it now clashes with (the public programme must never show a clash)."""
    if before is None:
        return
    problems_before, hard_before = before
    new_hard = [
        c
        for c in conflicts.hard_conflicts(session)
        if (c.kind, c.other_session_id) not in hard_before
    ]
    if session.status == S.PUBLISHED and problems_before is not None:
        problems = [p for p in publish_problems(session) if p[0] not in problems_before]
        if problems or new_hard:
            raise NotPublishable(problems, new_hard)
        return
    others = {c.other_session_id for c in new_hard if c.other_session_id is not None}
    if not others:
        return
    published = set(
        db.session.scalars(
            select(ProgrammeSession.id).where(
                ProgrammeSession.id.in_(others), ProgrammeSession.status == S.PUBLISHED
            )
        )
    )
    hits = [c for c in new_hard if c.other_session_id in published]
    if hits:
        raise NotPublishable(
            [], hits, _l("This change would give a published session a hard conflict.")
        )


def allowed_moves(session: ProgrammeSession) -> tuple[SessionStatus, ...]:
    return MOVES[session.status]


def move(actor: User, session: ProgrammeSession, to: Any) -> ProgrammeSession:
    """Move the session to status `to` if that step is allowed; publishing needs what
    `publish_problems` lists and no hard conflict (NotPublishable, 409, otherwise)."""
    _check_may_edit(actor, session)
    try:
        target = SessionStatus(to)
    except ValueError:
        raise ProgrammeError(_l("Choose one of the options."), "to") from None
    before = session.status
    if target not in MOVES[before]:
        raise ProgrammeConflict(
            _l(
                "A session that is %(now)s cannot become %(then)s.",
                now=STATUS_LABELS[before],
                then=STATUS_LABELS[target],
            ),
            "to",
        )
    if target == S.PUBLISHED:
        _check_publishable(session)
    session.status = target
    session.published_at = utcnow() if target == S.PUBLISHED else session.published_at
    db.session.flush()
    if before == S.DRAFT:
        # Leaving draft, the session starts to hold its room and people: it may not
        # clash with a published session.
        check_nothing_new(session, (None, set()))
    audit.record(
        f"session.{target.value}",
        actor=actor,
        event_id=session.event_id,
        obj=session,
        summary=f"Session “{session.title}”: {before.value} → {target.value}",
        before=before.value,
        after=target.value,
    )
    return session


# --- agenda items -------------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaRow:
    item: Any
    starts_at: datetime | None
    ends_at: datetime | None
    #: The item ends after the session does.
    late: bool


def timeline(
    start: datetime | None, end: datetime | None, items: Sequence[Any]
) -> tuple[list[AgendaRow], int]:
    """Each item's computed times from the session's start (items run back to back), and
    how many minutes the whole agenda runs past the session's end (0 if it fits or the
    session is not placed)."""
    rows: list[AgendaRow] = []
    at = start
    for item in items:
        if at is None:
            rows.append(AgendaRow(item, None, None, False))
            continue
        finish = at + timedelta(minutes=item.minutes)
        rows.append(AgendaRow(item, at, finish, end is not None and finish > end))
        at = finish
    over = 0
    if start is not None and end is not None:
        total = sum(i.minutes for i in items)
        over = max(0, total - int((end - start).total_seconds() // 60))
    return rows, over


def _item_values(values: dict[str, Any]) -> dict[str, Any]:
    minutes = values.get("minutes")
    if not isinstance(minutes, int) or not 1 <= minutes <= MAX_ITEM_MINUTES:
        raise ProgrammeError(
            _l("Give the minutes as a whole number from 1 to %(max)s.", max=MAX_ITEM_MINUTES),
            "minutes",
        )
    return {
        "title": _text(
            values.get("title"), MAX_TITLE, "title", required_message=_l("Give the item a title.")
        ),
        "minutes": minutes,
        "notes": _text(values.get("notes"), MAX_NOTES, "notes"),
    }


def _renumber(session: ProgrammeSession) -> list[AgendaItem]:
    items = sorted(session.agenda_items, key=lambda i: (i.position, i.id or 0))
    for number, item in enumerate(items):
        item.position = number
    return items


def add_item(actor: User, session: ProgrammeSession, **values: Any) -> AgendaItem:
    """Add an item at the end of the agenda."""
    _check_may_edit(actor, session)
    clean = _item_values(values)
    items = _renumber(session)
    if len(items) >= MAX_ITEMS:
        raise ProgrammeConflict(_l("A session has at most %(n)d agenda items.", n=MAX_ITEMS))
    item = AgendaItem(position=len(items), **clean)
    session.agenda_items.append(item)
    db.session.flush()
    return item


def item_or_404(session: ProgrammeSession, item_id: int) -> AgendaItem:
    """The session's item; another session's id is unknown here."""
    item = next((i for i in session.agenda_items if i.id == item_id), None)
    if item is None:
        raise CurationNotFound(_l("There is no such agenda item in this session."))
    return item


def update_item(actor: User, item: AgendaItem, **values: Any) -> AgendaItem:
    _check_may_edit(actor, item.session)
    for key, value in _item_values(values).items():
        setattr(item, key, value)
    db.session.flush()
    return item


def delete_item(actor: User, item: AgendaItem) -> None:
    session = item.session
    _check_may_edit(actor, session)
    session.agenda_items.remove(item)
    db.session.flush()
    _renumber(session)
    db.session.flush()


def move_item(actor: User, item: AgendaItem, direction: str) -> None:
    """Swap the item with the one before ("up") or after ("down"); at either end the
    agenda stays as it is."""
    _check_may_edit(actor, item.session)
    if direction not in ("up", "down"):
        raise ProgrammeError(_l("Choose one of the options."), "direction")
    items = _renumber(item.session)
    index = items.index(item)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(items):
        items[index].position, items[other].position = other, index
    db.session.flush()


# --- people -------------------------------------------------------------------------------


def find_person(person_id: Any = None, email: Any = None) -> Person:
    """A directory person by id (chosen in the search) or by email address. People are
    added to the directory by the secretariat, never here."""
    if isinstance(person_id, int):
        person = db.session.get(Person, person_id)
        if person is not None:
            return person
        raise ProgrammeError(_l("This person is not in the directory."), "person")
    email = (email or "").strip().lower() if isinstance(email, str) else ""
    if not email:
        raise ProgrammeError(
            _l("Choose a person from the directory search, or give their email address."),
            "person",
        )
    person = db.session.scalar(select(Person).where(func.lower(Person.email) == email[:254]))
    if person is None:
        raise ProgrammeError(
            _l(
                "Nobody with this email address is in the directory. Ask the secretariat to "
                "add the person to the directory first."
            ),
            "email",
        )
    return person


def add_person(
    actor: User,
    session: ProgrammeSession,
    person: Person,
    part: Any,
    stakeholder_role: Any = None,
) -> SessionPerson:
    """Put a directory person on the session and ask them by mail to confirm."""
    _check_may_edit(actor, session)
    part = _enum(SessionPart, part, "part")
    if stakeholder_role in ("", None):
        stakeholder_role = None
    elif stakeholder_role not in STAKEHOLDER_ROLE_LABELS:
        raise ProgrammeError(_l("Choose one of the options."), "stakeholder_role")
    if not person.email:
        raise ProgrammeError(
            _l(
                "The directory has no email address for %(name)s, so they cannot be asked "
                "to confirm. Ask the secretariat to add one.",
                name=person.full_name,
            ),
            "person",
        )
    if any(p.person_id == person.id for p in session.people):
        raise ProgrammeConflict(
            _l("%(name)s is already on this session.", name=person.full_name), "person"
        )
    if len(session.people) >= MAX_PEOPLE:
        raise ProgrammeConflict(_l("A session has at most %(n)d people.", n=MAX_PEOPLE))
    before = published_state(session)
    position = max((p.position for p in session.people), default=-1) + 1
    entry = SessionPerson(
        person_id=person.id,
        person=person,
        part=part,
        stakeholder_role=stakeholder_role,
        position=position,
    )
    session.people.append(entry)
    try:
        db.session.flush()
    except IntegrityError:  # the same person added by someone else a moment ago
        raise ProgrammeConflict(
            _l("%(name)s is already on this session.", name=person.full_name), "person"
        ) from None
    check_nothing_new(session, before)
    audit.record(
        "session.person_added",
        actor=actor,
        event_id=session.event_id,
        obj=session,
        summary=f"{person.full_name} added to “{session.title}” as {part.value}",
        person_id=person.id,
        part=part.value,
        stakeholder_role=stakeholder_role,
    )
    _ask(entry)
    return entry


def person_or_404(session: ProgrammeSession, entry_id: int) -> SessionPerson:
    entry = next((p for p in session.people if p.id == entry_id), None)
    if entry is None:
        raise CurationNotFound(_l("This person is not on this session."))
    return entry


def remove_person(actor: User, entry: SessionPerson) -> None:
    session = entry.session
    _check_may_edit(actor, session)
    audit.record(
        "session.person_removed",
        actor=actor,
        event_id=session.event_id,
        obj=session,
        summary=f"{entry.person.full_name} removed from “{session.title}”",
        person_id=entry.person_id,
    )
    session.people.remove(entry)
    db.session.flush()


def resend(actor: User, entry: SessionPerson) -> SessionPerson:
    """Ask again with a fresh link (the old one stops working); a decline is undone, as
    the person is asked anew. Someone who confirmed need not be asked again. As when
    adding someone, a published session may not gain a conflict by it (someone who
    declined and is now on another session at the same time): NotPublishable."""
    _check_may_edit(actor, entry.session)
    if entry.state == SpeakerState.CONFIRMED:
        raise ProgrammeConflict(_l("%(name)s has already confirmed.", name=entry.person.full_name))
    before = published_state(entry.session)
    audit.record(
        "session.person_asked_again",
        actor=actor,
        event_id=entry.session.event_id,
        obj=entry.session,
        summary=f"{entry.person.full_name} asked again to confirm “{entry.session.title}”",
        person_id=entry.person_id,
    )
    _ask(entry)
    check_nothing_new(entry.session, before)
    return entry


def person_locale(entry: SessionPerson) -> str:
    """The language to ask the person in: the co-chairs' rule (`cochairs.mail_locale`),
    their own language, else their account's, else the event's first."""
    return mail_locale(entry.person, entry.session.event)


def answer_url(token: str) -> str:
    """The absolute link for the mail; jobs have no request, so it starts at BASE_URL."""
    return current_app.config["BASE_URL"].rstrip("/") + url_for(
        "sessions.speaker_answer", token=token
    )


def _ask(entry: SessionPerson) -> None:
    """A new single-use link (only its hash stored), valid ASK_DAYS days, by mail."""
    token, digest = new_token()
    now = utcnow()
    entry.token_hash = digest
    entry.token_expires_at = now + timedelta(days=ASK_DAYS)
    entry.asked_at = now
    entry.answered_at = None
    entry.state = SpeakerState.ASKED
    db.session.flush()
    session, person = entry.session, entry.person
    mail.send(
        person.email,
        "sessions/speaker_ask",
        to_name=person.full_name,
        locale=person_locale(entry),
        event_id=session.event_id,
        tags={"session_person_id": entry.id},
        session=session,
        event=session.event,
        entry=entry,
        link=answer_url(token),
        expires=entry.token_expires_at,
        part_labels=PART_LABELS,
    )


def find_by_token(raw: Any) -> SessionPerson:
    """The ask a link opens, or LinkError: invalid (forged, malformed, replaced by a
    resend, or the person taken off the session), expired, or used (already answered)."""
    if not isinstance(raw, str) or not _TOKEN.match(raw):
        raise LinkError(_l("This link is not valid."), "invalid")
    entry = db.session.scalar(
        select(SessionPerson).where(SessionPerson.token_hash == hash_token(raw))
    )
    if entry is None:
        raise LinkError(_l("This link is not valid."), "invalid")
    if entry.state != SpeakerState.ASKED:
        raise LinkError(_l("You have already answered."), "used", entry)
    if entry.token_expires_at is None or entry.token_expires_at < utcnow():
        raise LinkError(_l("This link has expired."), "expired", entry)
    return entry


def answer(raw: Any, confirm: bool) -> SessionPerson:
    """Record the person's answer; of two answers sent at once only the first counts, and
    a link replaced by a resend meanwhile counts for nothing (as for co-chairs)."""
    entry = find_by_token(raw)
    state = SpeakerState.CONFIRMED if confirm else SpeakerState.DECLINED
    taken = db.session.execute(
        update(SessionPerson)
        .where(
            SessionPerson.id == entry.id,
            SessionPerson.state == SpeakerState.ASKED,
            SessionPerson.token_hash == hash_token(raw),
        )
        .values(state=state, answered_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(entry)
    if not taken:
        raise LinkError(_l("You have already answered."), "used", entry)
    audit.record(
        f"session.person_{state.value}",
        actor=None,
        event_id=entry.session.event_id,
        obj=entry.session,
        summary=f"{entry.person.full_name} {state.value} taking part in “{entry.session.title}”",
        person_id=entry.person_id,
    )
    return entry
