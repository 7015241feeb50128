"""The Partner2Connect programme: focus areas and their co-chairs, rooms, breaks and
plenary blocks, curated sessions with agenda items and people, video messages for the
breaks, and participants' personal agendas.

Times of the programme are naive and local to the event's time zone, like the event's
P2C window: a room in Geneva opens at 14:00 whatever the server's zone.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum_values, utcnow
from .directory import Person
from .events import Event
from .users import User

#: Event-local wall-clock time (the event's zone), as Event.p2c_start.
LocalTime = DateTime(timezone=False)


def _enum(cls, length: int = 20) -> Enum:
    return Enum(cls, values_callable=str_enum_values, native_enum=False, length=length)


class FocusArea(Base):
    """One of the event's P2C focus areas, seeded from the reference data and editable.

    Texts are per language: {"en": "...", "zh": "..."}; pillars {"en": ["...", ...]}.
    """

    __tablename__ = "focus_area"
    __table_args__ = (UniqueConstraint("event_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    #: The reference code (ACCESS, ADOPTION, VALUE_CREATION, ACCELERATE); co-chair grants
    #: are scoped by it.
    code: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(default=0)
    #: Short label, e.g. "ACCESS"; the same in every language.
    label: Mapped[str] = mapped_column(String(60))
    name: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    description: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    pillars: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship()

    def text(self, field: str, locale: str) -> Any:
        """The field in `locale`, falling back to English, then to any language given."""
        values = getattr(self, field) or {}
        for lang in (locale, "en"):
            if values.get(lang):
                return values[lang]
        return next((v for v in values.values() if v), [] if field == "pillars" else "")


class SeatCategory(enum.StrEnum):
    """The seat a co-chair holds: 1–2 Member State, 1 private sector, 1 civil society or
    international organization per focus area."""

    MEMBER_STATE = "member_state"
    PRIVATE_SECTOR = "private_sector"
    CIVIL_SOCIETY_IO = "civil_society_io"


class AppointmentState(enum.StrEnum):
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class CochairAppointment(Base):
    """A directory person asked to co-chair a focus area; accepting grants the role."""

    __tablename__ = "cochair_appointment"
    __table_args__ = (UniqueConstraint("focus_area_id", "person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    focus_area_id: Mapped[int] = mapped_column(
        ForeignKey("focus_area.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    seat: Mapped[SeatCategory] = mapped_column(_enum(SeatCategory))
    state: Mapped[AppointmentState] = mapped_column(
        _enum(AppointmentState), default=AppointmentState.INVITED
    )
    #: SHA-256 of the accept/decline link token (the token itself is only in the mail).
    token_hash: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[Optional[datetime]]
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[Optional[datetime]]
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    #: The account that received the co-chair role on acceptance.
    user_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    appointed_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    focus_area: Mapped[FocusArea] = relationship()
    person: Mapped[Person] = relationship()
    event: Mapped[Event] = relationship()


class Room(Base):
    __tablename__ = "room"
    __table_args__ = (UniqueConstraint("event_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    capacity: Mapped[int] = mapped_column(default=0)
    position: Mapped[int] = mapped_column(default=0)
    notes: Mapped[str] = mapped_column(String(500), default="")


class BlockKind(enum.StrEnum):
    """Fixed parts of the conference day that sessions are placed around."""

    BREAK = "break"
    PLENARY = "plenary"


class ProgrammeBlock(Base):
    """A break or a plenary/committee block; without a room it holds the whole venue."""

    __tablename__ = "programme_block"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="times_in_order"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    kind: Mapped[BlockKind] = mapped_column(_enum(BlockKind))
    title: Mapped[str] = mapped_column(String(200))
    room_id: Mapped[Optional[int]] = mapped_column(ForeignKey("room.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime] = mapped_column(LocalTime)
    ends_at: Mapped[datetime] = mapped_column(LocalTime)

    room: Mapped[Optional[Room]] = relationship()


class Screen(Base):
    """A screen that plays video messages in the breaks: in a room or around the venue."""

    __tablename__ = "screen"
    __table_args__ = (UniqueConstraint("event_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    room_id: Mapped[Optional[int]] = mapped_column(ForeignKey("room.id", ondelete="SET NULL"))

    room: Mapped[Optional[Room]] = relationship()


class SessionFormat(enum.StrEnum):
    PANEL = "panel"
    ROUNDTABLE = "roundtable"
    PLENARY_PLEDGING = "plenary_pledging"
    SIGNING_CEREMONY = "signing_ceremony"
    HIGH_LEVEL_DIALOGUE = "high_level_dialogue"


class SessionMode(enum.StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"


class Visibility(enum.StrEnum):
    PUBLIC = "public"
    INVITATION_ONLY = "invitation_only"


class SessionStatus(enum.StrEnum):
    """draft → proposed → confirmed → published."""

    DRAFT = "draft"
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    PUBLISHED = "published"


class ProgrammeSession(Base):
    """A P2C session curated by the co-chairs of its focus area."""

    __tablename__ = "programme_session"
    __table_args__ = (
        CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="times_in_order"),
        Index("ix_programme_session_event_status", "event_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    #: None for cross-area sessions (the plenary pledging, the signing ceremony), which
    #: only organizers curate.
    focus_area_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("focus_area.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    format: Mapped[SessionFormat] = mapped_column(_enum(SessionFormat, 30))
    description: Mapped[str] = mapped_column(Text, default="")
    room_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("room.id", ondelete="SET NULL"), index=True
    )
    #: Unplaced sessions have no times yet.
    starts_at: Mapped[Optional[datetime]] = mapped_column(LocalTime)
    ends_at: Mapped[Optional[datetime]] = mapped_column(LocalTime)
    mode: Mapped[SessionMode] = mapped_column(_enum(SessionMode), default=SessionMode.IN_PERSON)
    stream_url: Mapped[str] = mapped_column(String(500), default="")
    visibility: Mapped[Visibility] = mapped_column(_enum(Visibility), default=Visibility.PUBLIC)
    chatham_house: Mapped[bool] = mapped_column(default=False)
    #: Seats offered (None: the room's capacity).
    capacity: Mapped[Optional[int]]
    #: UN language codes spoken on the floor, and those interpreted into.
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    interpretation: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[SessionStatus] = mapped_column(_enum(SessionStatus), default=SessionStatus.DRAFT)
    published_at: Mapped[Optional[datetime]]
    created_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship()
    focus_area: Mapped[Optional[FocusArea]] = relationship()
    room: Mapped[Optional[Room]] = relationship()
    agenda_items: Mapped[list["AgendaItem"]] = relationship(
        back_populates="session",
        cascade="all, delete-orphan",
        order_by="(AgendaItem.position, AgendaItem.id)",
    )
    people: Mapped[list["SessionPerson"]] = relationship(
        back_populates="session",
        cascade="all, delete-orphan",
        order_by="(SessionPerson.position, SessionPerson.id)",
    )


class AgendaItem(Base):
    """One timed item of a session's running order."""

    __tablename__ = "agenda_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("programme_session.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(300))
    minutes: Mapped[int] = mapped_column(default=10)
    notes: Mapped[str] = mapped_column(Text, default="")

    session: Mapped[ProgrammeSession] = relationship(back_populates="agenda_items")


class SessionPart(enum.StrEnum):
    MODERATOR = "moderator"
    SPEAKER = "speaker"
    PANELLIST = "panellist"
    RAPPORTEUR = "rapporteur"


class SpeakerState(enum.StrEnum):
    """Whether the person confirmed taking part (asked by mail)."""

    ASKED = "asked"
    CONFIRMED = "confirmed"
    DECLINED = "declined"


class SessionPerson(Base):
    """A directory person on a session, with their part and stakeholder role."""

    __tablename__ = "session_person"
    __table_args__ = (UniqueConstraint("session_id", "person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("programme_session.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    part: Mapped[SessionPart] = mapped_column(_enum(SessionPart))
    #: Code of a stakeholder_role reference item (problem_owner, solution_provider, ...).
    stakeholder_role: Mapped[Optional[str]] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(default=0)
    state: Mapped[SpeakerState] = mapped_column(_enum(SpeakerState), default=SpeakerState.ASKED)
    #: SHA-256 of the confirm/decline link token sent by mail.
    token_hash: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[Optional[datetime]]
    asked_at: Mapped[Optional[datetime]]
    answered_at: Mapped[Optional[datetime]]

    session: Mapped[ProgrammeSession] = relationship(back_populates="people")
    #: Joined: a person on a session is always shown with their name.
    person: Mapped[Person] = relationship(lazy="joined")


class AgendaSave(Base):
    """A session a logged-in participant put on their personal agenda."""

    __tablename__ = "agenda_save"
    __table_args__ = (UniqueConstraint("user_id", "session_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[int] = mapped_column(
        ForeignKey("programme_session.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
    session: Mapped[ProgrammeSession] = relationship()


class VideoState(enum.StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


class VideoMessage(Base):
    """A recorded message of a high-level person who cannot come, for the breaks."""

    __tablename__ = "video_message"
    __table_args__ = (CheckConstraint("duration_seconds > 0", name="duration_positive"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    focus_area_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("focus_area.id", ondelete="SET NULL")
    )
    #: The high-level person speaking in the message.
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    #: Stored file name under the instance's upload folder (random), or empty for a link.
    file_name: Mapped[str] = mapped_column(String(200), default="")
    original_name: Mapped[str] = mapped_column(String(300), default="")
    content_type: Mapped[str] = mapped_column(String(100), default="")
    size_bytes: Mapped[int] = mapped_column(default=0)
    url: Mapped[str] = mapped_column(String(500), default="")
    duration_seconds: Mapped[int]
    language: Mapped[str] = mapped_column(String(8), default="en")
    transcript: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[VideoState] = mapped_column(_enum(VideoState), default=VideoState.SUBMITTED)
    review_note: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    reviewed_at: Mapped[Optional[datetime]]
    submitted_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship()
    focus_area: Mapped[Optional[FocusArea]] = relationship()
    submitted_by: Mapped[Optional[User]] = relationship(foreign_keys=[submitted_by_id])
