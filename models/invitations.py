"""Target lists per constituent group, invitation waves, invitations and RSVPs."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum_values, utcnow
from .directory import Person
from .events import Event
from .users import User


def _enum(cls, length: int = 20) -> Enum:
    return Enum(cls, values_callable=str_enum_values, native_enum=False, length=length)


class EntryStatus(enum.StrEnum):
    """The pipeline of a target: identified → invited → reminded → accepted / declined /
    no answer → registered → attended (the last two are set by registration)."""

    IDENTIFIED = "identified"
    INVITED = "invited"
    REMINDED = "reminded"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    NO_ANSWER = "no_answer"
    REGISTERED = "registered"
    ATTENDED = "attended"


class TargetGroup(Base):
    """An event's target for one constituent group."""

    __tablename__ = "target_group"
    __table_args__ = (UniqueConstraint("event_id", "constituent_group"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    #: Code of a constituent_group reference item.
    constituent_group: Mapped[str] = mapped_column(String(40))
    #: Wanted share of all accepted participants, in percent (e.g. 35 for private sector).
    target_share: Mapped[float] = mapped_column(default=0.0)
    #: Wanted number of participants from the group.
    target_count: Mapped[int] = mapped_column(default=0)


class TargetEntry(Base):
    """One person on an event's target list."""

    __tablename__ = "target_entry"
    __table_args__ = (
        UniqueConstraint("event_id", "person_id"),
        Index("ix_target_entry_event_status", "event_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    #: The group the person is targeted under (from their organization unless changed).
    constituent_group: Mapped[str] = mapped_column(String(40), index=True)
    #: 1 high, 2 normal, 3 low.
    priority: Mapped[int] = mapped_column(default=2)
    #: On the shortlist of the highest-level invitees.
    star: Mapped[bool] = mapped_column(default=False)
    #: The staff member who follows this person up.
    owner_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[EntryStatus] = mapped_column(_enum(EntryStatus), default=EntryStatus.IDENTIFIED)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When a star who had not answered was flagged to the owner (escalation).
    flagged_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship()
    person: Mapped[Person] = relationship(lazy="joined")
    owner: Mapped[Optional[User]] = relationship()


class WaveState(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"


class Wave(Base):
    """An invitation wave: an audience, a letter per language, and its deadlines."""

    __tablename__ = "invitation_wave"
    __table_args__ = (UniqueConstraint("event_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    #: {"groups": [codes], "regions": [codes], "stars_only": bool, "statuses": [values]}
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: {"en": {"subject": ..., "body": ...}, "fr": {...}}; placeholders like {name}.
    letters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Send-by and RSVP deadlines, in days from the opening (-365: a year before).
    send_by_days: Mapped[int]
    rsvp_by_days: Mapped[int]
    #: Reminders this many days before the RSVP deadline, e.g. [30, 14, 3].
    reminder_days: Mapped[list[int]] = mapped_column(JSON, default=list)
    #: Stars still silent this many days before the RSVP deadline are flagged to owners.
    escalation_days: Mapped[int] = mapped_column(default=7)
    #: Invitees of this wave who accepted are registered without approval.
    waives_approval: Mapped[bool] = mapped_column(default=False, server_default=false())
    state: Mapped[WaveState] = mapped_column(_enum(WaveState), default=WaveState.DRAFT)
    #: When a scheduled wave is to go out (UTC).
    scheduled_for: Mapped[Optional[datetime]]
    sent_at: Mapped[Optional[datetime]]
    created_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship()


class RsvpAnswer(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    DELEGATED = "delegated"


class Delivery(enum.StrEnum):
    """What SendGrid's event webhook last said of the message."""

    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    OPENED = "opened"
    BOUNCED = "bounced"
    DROPPED = "dropped"
    SPAM = "spam"


class Invitation(Base):
    """One person invited in one wave; its link token is stored hashed."""

    __tablename__ = "invitation"
    __table_args__ = (UniqueConstraint("wave_id", "entry_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(
        ForeignKey("invitation_wave.id", ondelete="CASCADE"), index=True
    )
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("target_entry.id", ondelete="CASCADE"), index=True
    )
    #: The address the letter went to (people's addresses may change later).
    email: Mapped[str] = mapped_column(String(254))
    #: Random per invitation; the link token is derived from it with SECRET_KEY, so
    #: reminders can carry the same link while the database holds no usable token.
    token_salt: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The RSVP deadline: the link stops working after it.
    expires_at: Mapped[datetime]
    answer: Mapped[RsvpAnswer] = mapped_column(_enum(RsvpAnswer), default=RsvpAnswer.PENDING)
    answered_at: Mapped[Optional[datetime]]
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    #: For a delegate's invitation: the invitation that named them.
    delegate_of_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("invitation.id", ondelete="SET NULL")
    )
    delivery: Mapped[Delivery] = mapped_column(_enum(Delivery), default=Delivery.QUEUED)
    delivery_detail: Mapped[str] = mapped_column(String(500), default="")
    delivery_at: Mapped[Optional[datetime]]
    outbox_message_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="SET NULL")
    )
    sent_at: Mapped[Optional[datetime]]
    reminders_sent: Mapped[int] = mapped_column(default=0)
    last_reminder_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    wave: Mapped[Wave] = relationship()
    entry: Mapped[TargetEntry] = relationship()


class WebhookEvent(Base):
    """A provider event already processed: a replay changes nothing."""

    __tablename__ = "webhook_event"
    __table_args__ = (UniqueConstraint("provider", "event_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    #: The provider's id of the event (SendGrid's sg_event_id).
    event_key: Mapped[str] = mapped_column(String(120))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
