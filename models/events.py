"""Events and the one timeline of deadlines every feature adds to."""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta
from typing import Any, Optional

from sqlalchemy import JSON, CheckConstraint, DateTime, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum_values, utcnow


class Event(Base):
    __tablename__ = "event"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    acronym: Mapped[str] = mapped_column(String(40), unique=True)
    city: Mapped[str] = mapped_column(String(120), default="")
    country_iso2: Mapped[Optional[str]] = mapped_column(ForeignKey("country.iso2"))
    venue: Mapped[str] = mapped_column(String(200), default="")
    #: IANA zone name; opening and closing dates are local to it.
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    opening_date: Mapped[date]
    closing_date: Mapped[date]
    #: UN language codes offered, e.g. ["en", "fr", "zh"].
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(default="")
    #: The Partner2Connect segment, in event-local time (naive, the event's zone).
    p2c_start: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=False))
    p2c_end: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=False))
    #: Pledgers report progress this many months after publication, then as often again.
    pledge_report_months: Mapped[int] = mapped_column(default=12, server_default="12")
    #: A seat freed for the waiting list is kept this many hours for the next person.
    registration_offer_hours: Mapped[int] = mapped_column(default=48, server_default="48")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    country: Mapped[Optional["Country"]] = relationship()  # noqa: F821
    deadlines: Mapped[list["Deadline"]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )

    __table_args__ = (CheckConstraint("closing_date >= opening_date", name="dates_in_order"),)


class DeadlineKind(enum.StrEnum):
    RELATIVE = "relative"
    FIXED = "fixed"


class Deadline(Base):
    """A dated milestone; relative ones follow the opening date when it moves."""

    __tablename__ = "deadline"
    __table_args__ = (
        UniqueConstraint("event_id", "key"),
        CheckConstraint(
            "(kind = 'relative' AND offset_days IS NOT NULL)"
            " OR (kind = 'fixed' AND fixed_date IS NOT NULL)",
            name="kind_has_value",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    #: Stable name a feature looks its deadline up by, e.g. "invitations.wave.3.send_by".
    key: Mapped[str] = mapped_column(String(120))
    label: Mapped[str] = mapped_column(String(200))
    #: Which feature owns it: "event", "invitations", "registration", "pledges", ...
    source: Mapped[str] = mapped_column(String(40), default="event")
    kind: Mapped[DeadlineKind] = mapped_column(
        Enum(DeadlineKind, values_callable=str_enum_values, native_enum=False, length=10)
    )
    #: Days from the opening date: -365 means "365 days before the opening".
    offset_days: Mapped[Optional[int]]
    fixed_date: Mapped[Optional[date]]
    #: When the work the deadline asks for was done; a past deadline without it is overdue.
    completed_at: Mapped[Optional[datetime]]
    notes: Mapped[str] = mapped_column(default="")
    #: Link to the object that owns the deadline (e.g. a wave), if any.
    link: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship(back_populates="deadlines")

    def due_on(self, opening: date | None = None) -> date:
        """The absolute date, for the event's opening or a proposed new one."""
        if self.kind == DeadlineKind.FIXED:
            assert self.fixed_date is not None
            return self.fixed_date
        base = opening or self.event.opening_date
        return base + timedelta(days=self.offset_days or 0)
