"""Demo data for invitations: target groups, a target list of ~150 people with stars,
a sent wave of formal invitations to Member States (some answered, two bounced) and a
draft wave for the private sector.

Idempotent: groups, entries and waves are found by their natural keys before they are
made, and the sent wave's invitations and answers are made only with the wave. No mail is
sent: the demo's invitations stand as if their letters had gone out.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from models import (
    Delivery,
    EntryStatus,
    Event,
    Invitation,
    Organization,
    Person,
    RsvpAnswer,
    TargetEntry,
    TargetGroup,
    User,
    Wave,
    WaveState,
    utcnow,
)
from webapp.extensions import db

from .targets import set_status

#: Group -> (target share in percent, target count).
TARGETS = {
    "MS_MIN": (20.0, 120),
    "MS_SO": (0.0, 60),
    "SM": (15.0, 90),
    "PRIV": (35.0, 210),
    "CSO": (10.0, 60),
    "UN": (10.0, 60),
    "ACAD": (10.0, 60),
}
#: Group -> how many directory people go on the list (150 in all).
LIST_SIZES = {"MS_MIN": 30, "MS_SO": 15, "SM": 25, "PRIV": 35, "CSO": 15, "UN": 15, "ACAD": 15}
#: Stars per group (15 in all).
STARS = {"MS_MIN": 3, "MS_SO": 1, "SM": 3, "PRIV": 4, "CSO": 1, "UN": 2, "ACAD": 1}
FORMAL_WAVE = "Formal invitations to Member States"
DRAFT_WAVE = "Private sector — stars first"
DOMAIN = "demo.convene.test"
BOUNCE_REASON = "550 5.1.1 The email account that you tried to reach does not exist."

FORMAL_LETTER = {
    "subject": "Invitation to {event}",
    "body": (
        "Dear {name},\n\n"
        "On behalf of the Secretary-General, I have the honour to invite you to {event}, "
        "opening on {opening_date}.\n\n"
        "Please let us know by {deadline} whether you will attend, decline, or send a "
        "delegate in your place:\n{rsvp_link}\n\n"
        "Yours sincerely,\nThe secretariat"
    ),
}
PRIVATE_LETTER = {
    "subject": "{event}: join the Partner2Connect segment",
    "body": (
        "Dear {name},\n\n"
        "As {function} of {organization}, you are invited to the Partner2Connect segment "
        "of {event}, opening on {opening_date}.\n\n"
        "Please answer by {deadline}:\n{rsvp_link}\n\nThe secretariat"
    ),
}


def _groups(event: Event) -> None:
    existing = {
        g.constituent_group: g
        for g in db.session.scalars(select(TargetGroup).where(TargetGroup.event_id == event.id))
    }
    for code, (share, count) in TARGETS.items():
        if code not in existing:
            db.session.add(
                TargetGroup(
                    event_id=event.id,
                    constituent_group=code,
                    target_share=share,
                    target_count=count,
                )
            )
    db.session.flush()


def _entries(event: Event, organizer: User) -> tuple[dict[str, list[TargetEntry]], set[int]]:
    """The list per group, oldest people first; and the ids of entries made now."""
    on_list = {
        e.person_id: e
        for e in db.session.scalars(select(TargetEntry).where(TargetEntry.event_id == event.id))
    }
    people = db.session.scalars(
        select(Person)
        .join(Organization, Organization.id == Person.organization_id)
        .where(
            Organization.constituent_group.in_(list(LIST_SIZES)),
            Person.email.is_not(None),
            Person.user_id.is_(None),
        )
        .order_by(Person.id)
    )
    by_group: dict[str, list[Person]] = {code: [] for code in LIST_SIZES}
    for person in people:
        chosen = by_group[person.organization.constituent_group]
        if len(chosen) < LIST_SIZES[person.organization.constituent_group]:
            chosen.append(person)
    entries: dict[str, list[TargetEntry]] = {code: [] for code in LIST_SIZES}
    new: set[int] = set()
    for code, chosen in by_group.items():
        for index, person in enumerate(chosen):
            entry = on_list.get(person.id)
            if entry is None:
                entry = TargetEntry(
                    event_id=event.id,
                    person_id=person.id,
                    person=person,
                    constituent_group=code,
                    priority=1 if index < STARS[code] else 2 + (index % 2),
                    star=index < STARS[code],
                    owner_id=organizer.id,
                    status=EntryStatus.IDENTIFIED,
                )
                db.session.add(entry)
                db.session.flush()
                new.add(entry.id)
            entries[code].append(entry)
    return entries, new


def _other_statuses(entries: dict[str, list[TargetEntry]], new: set[int], actor: User) -> None:
    """Groups outside the formal wave: a few invited, accepted, declined, registered."""
    moves = {
        0: [EntryStatus.INVITED],
        1: [EntryStatus.INVITED, EntryStatus.ACCEPTED],
        2: [EntryStatus.INVITED, EntryStatus.DECLINED],
        3: [EntryStatus.INVITED, EntryStatus.REMINDED],
        4: [EntryStatus.INVITED, EntryStatus.ACCEPTED, EntryStatus.REGISTERED],
    }
    for code in ("PRIV", "CSO", "UN", "ACAD"):
        for index, entry in enumerate(entries[code]):
            if entry.id not in new:
                continue
            for status in moves.get(index % 7, []):
                set_status(entry, status, actor=actor, manual=True)


def _wave(event: Event, organizer: User, name: str, **values) -> tuple[Wave, bool]:
    wave = db.session.scalar(select(Wave).where(Wave.event_id == event.id, Wave.name == name))
    if wave is not None:
        return wave, False
    from .waves import create_wave

    return create_wave(organizer, event, name=name, **values), True


def _delegate(event: Event, wave: Wave, invitation: Invitation, serial: int) -> None:
    """The named delegate: a new directory person, on the list, invited in the same wave."""
    from .sending import create_invitations

    original = invitation.entry
    email = f"delegate.{serial}@{DOMAIN}"
    person = db.session.scalar(select(Person).where(Person.email == email))
    if person is None:
        person = Person(
            honorific="Ms" if serial % 2 else "Mr",
            first_name=["Leila", "Jonas", "Ama"][serial % 3],
            last_name=["Nasser", "Berg", "Owusu"][serial % 3],
            function="Deputy Head of Delegation",
            email=email,
            organization_id=original.person.organization_id,
            country_iso2=original.person.country_iso2,
            languages=list(original.person.languages or []),
        )
        db.session.add(person)
        db.session.flush()
    entry = db.session.scalar(
        select(TargetEntry).where(
            TargetEntry.event_id == event.id, TargetEntry.person_id == person.id
        )
    )
    if entry is None:
        entry = TargetEntry(
            event_id=event.id,
            person_id=person.id,
            person=person,
            constituent_group=original.constituent_group,
            owner_id=original.owner_id,
            notes=f"Delegate of {original.person.full_name}",
        )
        db.session.add(entry)
        db.session.flush()
    for new in create_invitations(wave, [entry]):
        new.delegate_of_id = invitation.id
        new.sent_at = utcnow() - timedelta(days=20)
        new.delivery = Delivery.DELIVERED
        set_status(entry, EntryStatus.INVITED, actor=None)


def _answers(event: Event, wave: Wave, audience: list[TargetEntry], actor: User) -> None:
    """Invite most of the audience (the rest were added after the wave went out) and give
    some answers, two bounces and one flagged star."""
    from .sending import create_invitations

    now = utcnow()
    invited = audience[: len(audience) - 15]
    invitations = create_invitations(wave, invited)
    delegated = 0
    for index, invitation in enumerate(invitations):
        entry = invitation.entry
        invitation.sent_at = now - timedelta(days=70)
        invitation.delivery = Delivery.DELIVERED
        invitation.delivery_at = invitation.sent_at + timedelta(minutes=2)
        set_status(entry, EntryStatus.INVITED, actor=actor)
        kind = index % 10
        answered_at = now - timedelta(days=60 - index % 30)
        if kind in (0, 1, 2):
            invitation.answer, invitation.answered_at = RsvpAnswer.ACCEPTED, answered_at
            invitation.delivery = Delivery.OPENED
            set_status(entry, EntryStatus.ACCEPTED, actor=None)
        elif kind == 3:
            invitation.answer, invitation.answered_at = RsvpAnswer.DECLINED, answered_at
            invitation.decline_reason = "The minister is at a regional summit that week."
            set_status(entry, EntryStatus.DECLINED, actor=None)
        elif kind == 4 and delegated < 2:
            delegated += 1
            invitation.answer, invitation.answered_at = RsvpAnswer.DELEGATED, answered_at
            set_status(entry, EntryStatus.DECLINED, actor=None)
            _delegate(event, wave, invitation, delegated)
        elif kind in (5, 6):
            invitation.delivery = Delivery.OPENED
        elif kind == 7 and index < 30:
            invitation.delivery = Delivery.BOUNCED
            invitation.delivery_detail = BOUNCE_REASON
        if entry.star and invitation.answer == RsvpAnswer.PENDING and entry.flagged_at is None:
            entry.flagged_at = now - timedelta(days=2)
    wave.state = WaveState.SENT
    wave.sent_at = now - timedelta(days=70)
    db.session.flush()


def load_invitations_demo(event: Event, organizer: User) -> dict[str, int]:
    """Load the invitations demo for `event`, followed up by `organizer`; idempotent."""
    _groups(event)
    entries, new = _entries(event, organizer)
    _other_statuses(entries, new, organizer)
    formal, created = _wave(
        event,
        organizer,
        FORMAL_WAVE,
        audience={"groups": ["MS_MIN", "MS_SO", "SM"]},
        letters={"en": FORMAL_LETTER},
        send_by_days=-365,
        rsvp_by_days=-240,
        reminder_days=[30, 14, 3],
        escalation_days=7,
    )
    if created:
        audience = entries["MS_MIN"] + entries["MS_SO"] + entries["SM"]
        _answers(event, formal, audience, organizer)
    _wave(
        event,
        organizer,
        DRAFT_WAVE,
        audience={"groups": ["PRIV"], "stars_only": True},
        letters={"en": PRIVATE_LETTER},
        send_by_days=-180,
        rsvp_by_days=-120,
        reminder_days=[14, 3],
        escalation_days=7,
    )
    db.session.flush()
    return {
        "entries": sum(len(v) for v in entries.values()),
        "stars": sum(1 for v in entries.values() for e in v if e.star),
    }
