"""The Digital Coalition: signatures, pledges, moderation comments, progress reports."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Optional

from sqlalchemy import JSON, Enum, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum_values, utcnow
from .directory import Organization
from .events import Event
from .users import User


def _enum(cls, length: int = 30) -> Enum:
    return Enum(cls, values_callable=str_enum_values, native_enum=False, length=length)


class CoalitionSignature(Base):
    """An organization's signature of the Digital Coalition statement for an event."""

    __tablename__ = "coalition_signature"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    #: The account that signed, as the organization's authorized representative.
    signed_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    signer_name: Mapped[str] = mapped_column(String(200))
    signer_function: Mapped[str] = mapped_column(String(200))
    signed_on: Mapped[date]
    #: The signer ticked the explicit confirmation of authority and of the statement.
    confirmed: Mapped[bool] = mapped_column(default=False)
    revoked_at: Mapped[Optional[datetime]]
    revoked_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    revoke_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship()
    organization: Mapped[Organization] = relationship(lazy="joined")


class PledgeState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"
    COMPLETED = "completed"


class PledgeType(enum.StrEnum):
    FINANCIAL = "financial"
    POLICY = "policy"
    PROGRAMMATIC = "programmatic"
    ADVOCACY = "advocacy"


class PledgerSector(enum.StrEnum):
    GOVERNMENT = "government"
    PRIVATE = "private_sector"
    INTERNATIONAL = "international_organization"
    UN = "un_agency"
    CIVIL_SOCIETY = "civil_society"
    ACADEMIA = "academia"


class Pledge(Base):
    """A commitment of an organization, moderated before it is published."""

    __tablename__ = "pledge"
    __table_args__ = (Index("ix_pledge_event_state", "event_id", "state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    #: Stable public id given at publication, e.g. "P2C-2026-0042".
    public_id: Mapped[Optional[str]] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    pledge_type: Mapped[Optional[PledgeType]] = mapped_column(_enum(PledgeType))
    sector: Mapped[Optional[PledgerSector]] = mapped_column(_enum(PledgerSector))
    #: Free-text pillars of the focus areas the pledge serves.
    pillars: Mapped[list[str]] = mapped_column(JSON, default=list)
    people_to_reach: Mapped[Optional[int]]
    amount: Mapped[Optional[Decimal]] = mapped_column(Numeric(18, 2))
    #: ISO 4217 code of `amount`.
    currency: Mapped[Optional[str]] = mapped_column(String(3))
    #: `amount` in US dollars at `usd_rate` (USD per unit of `currency`) of `usd_rate_date`.
    usd_value: Mapped[Optional[Decimal]] = mapped_column(Numeric(18, 2), index=True)
    usd_rate: Mapped[Optional[Decimal]] = mapped_column(Numeric(18, 8))
    usd_rate_date: Mapped[Optional[date]]
    start_date: Mapped[Optional[date]]
    end_date: Mapped[Optional[date]]
    #: SMART checklist: {"specific": bool, "measurable": ..., "achievable": ...,
    #: "resource_based": ..., "time_based": ...}
    smart: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[PledgeState] = mapped_column(_enum(PledgeState), default=PledgeState.DRAFT)
    submitted_at: Mapped[Optional[datetime]]
    approved_at: Mapped[Optional[datetime]]
    published_at: Mapped[Optional[datetime]]
    #: Announced at a plenary pledging session (free text until sessions exist).
    announced_at: Mapped[Optional[datetime]]
    announced_session: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship()
    organization: Mapped[Organization] = relationship(lazy="joined")
    created_by: Mapped[Optional[User]] = relationship()
    tags: Mapped[list["PledgeTag"]] = relationship(
        back_populates="pledge", cascade="all, delete-orphan"
    )


class PledgeTag(Base):
    """One coded attribute of a pledge, so filters are indexed joins, not JSON scans.

    kind: focus_area, kap_priority, regional_initiative, sdg, country (ISO2),
    beneficiary_group.
    """

    __tablename__ = "pledge_tag"
    __table_args__ = (
        UniqueConstraint("pledge_id", "kind", "code"),
        Index("ix_pledge_tag_kind_code", "kind", "code"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    code: Mapped[str] = mapped_column(String(40))

    pledge: Mapped[Pledge] = relationship(back_populates="tags")


class PledgeComment(Base):
    """A moderation step or comment between organizers and the pledger."""

    __tablename__ = "pledge_comment"
    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    #: The move this comment came with ("changes_requested", "approved", ...) or "note".
    step: Mapped[str] = mapped_column(String(30), default="note")
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[Optional[User]] = relationship()


class ExchangeRate(Base):
    """USD per unit of a currency on a date; pledges keep the rate they were valued at."""

    __tablename__ = "exchange_rate"
    __table_args__ = (UniqueConstraint("currency", "as_of"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    usd_per_unit: Mapped[Decimal] = mapped_column(Numeric(18, 8))
    as_of: Mapped[date]
    source: Mapped[str] = mapped_column(String(200), default="")


class ReportStatus(enum.StrEnum):
    ON_TRACK = "on_track"
    OFF_TRACK = "off_track"
    FINANCIAL_ISSUES = "financial_issues"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ProgressReport(Base):
    """A pledger's yearly progress report on a published pledge."""

    __tablename__ = "progress_report"
    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"), index=True)
    submitted_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status: Mapped[ReportStatus] = mapped_column(_enum(ReportStatus))
    percent_complete: Mapped[int] = mapped_column(default=0)
    amount_disbursed: Mapped[Optional[Decimal]] = mapped_column(Numeric(18, 2))
    #: In the pledge's currency; `disbursed_usd` at the pledge's rate.
    disbursed_usd: Mapped[Optional[Decimal]] = mapped_column(Numeric(18, 2))
    people_reached: Mapped[Optional[int]]
    narrative: Mapped[str] = mapped_column(Text, default="")
    evidence_links: Mapped[list[str]] = mapped_column(JSON, default=list)

    pledge: Mapped[Pledge] = relationship()


class ReportReminder(Base):
    """A report reminder sent for one due date and stage, so the sweep sends it once."""

    __tablename__ = "report_reminder"
    __table_args__ = (UniqueConstraint("pledge_id", "due_on", "stage"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"))
    due_on: Mapped[date]
    #: "before" (ahead of the due date) or "after" (overdue).
    stage: Mapped[str] = mapped_column(String(10))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
