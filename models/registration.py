"""Registration: requests to attend, their accreditation by focal points, seats per
attendance mode with a waiting list, badges and check-in, and paid items with orders,
payments and refunds.

Two things are tracked apart on a registration, because they change for different
reasons: its *approval* (the focal point's or organizers' decision) and its *seat*
(taken, waiting, offered). A participant is confirmed when both are settled: approved
and holding a seat.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum_values, utcnow
from .directory import Organization, Person
from .events import Event
from .users import User


def _enum(cls, length: int = 30) -> Enum:
    return Enum(cls, values_callable=str_enum_values, native_enum=False, length=length)


class AttendanceMode(enum.StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"


class RegistrationCategory(enum.StrEnum):
    MEMBER_STATE = "member_state"
    SECTOR_MEMBER = "sector_member"
    ASSOCIATE = "associate"
    ACADEMIA = "academia"
    INTERNATIONAL_ORGANIZATION = "international_organization"
    INVITED_GUEST = "invited_guest"
    OBSERVER = "observer"
    MEDIA = "media"


class SeatPool(Base):
    """The seats of one attendance mode of an event. `taken` counts registrations holding
    or offered a seat; it only moves by conditional UPDATEs, so two requests cannot take
    the last seat twice (see registration/seats.py)."""

    __tablename__ = "seat_pool"
    __table_args__ = (
        UniqueConstraint("event_id", "mode"),
        CheckConstraint("taken >= 0", name="taken_not_negative"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    mode: Mapped[AttendanceMode] = mapped_column(_enum(AttendanceMode))
    #: None: no limit.
    capacity: Mapped[Optional[int]]
    taken: Mapped[int] = mapped_column(default=0, server_default="0")


class Approval(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class SeatState(enum.StrEnum):
    """HELD: a seat is the registration's. WAITING: in the queue. OFFERED: a freed seat is
    kept for it until `offer_expires_at`. NONE: no seat and not waiting (cancelled,
    rejected, offer lapsed)."""

    HELD = "held"
    WAITING = "waiting"
    OFFERED = "offered"
    NONE = "none"


class Registration(Base):
    """One person's registration for one event."""

    __tablename__ = "registration"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id"),
        Index("ix_registration_event_approval", "event_id", "approval"),
        Index("ix_registration_waitlist", "event_id", "mode", "seat", "waiting_since"),
        # The organizers' list: its default order and its counts, index-only at 100,000.
        Index("ix_registration_event_created", "event_id", "created_at", "id"),
        Index("ix_registration_event_counts", "event_id", "approval", "seat", "mode"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    #: None once the account is deleted (the registration stays, anonymized).
    user_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    person_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    #: The member (Member State or Sector Member) the person represents, if any: its focal
    #: points decide on the registration.
    organization_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), index=True
    )
    category: Mapped[RegistrationCategory] = mapped_column(_enum(RegistrationCategory))
    mode: Mapped[AttendanceMode] = mapped_column(_enum(AttendanceMode))
    # Personal details as given at registration (the directory may change later).
    first_name: Mapped[str] = mapped_column(String(120), default="")
    last_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    organization_name: Mapped[str] = mapped_column(String(300), default="")
    country_iso2: Mapped[Optional[str]] = mapped_column(ForeignKey("country.iso2"))
    function: Mapped[str] = mapped_column(String(200), default="")
    delegation: Mapped[str] = mapped_column(String(200), default="")
    head_of_delegation: Mapped[bool] = mapped_column(default=False)
    visa_support: Mapped[bool] = mapped_column(default=False)
    #: Passport details for the visa support letter (only when asked for).
    passport_number: Mapped[str] = mapped_column(String(40), default="")
    nationality_iso2: Mapped[Optional[str]] = mapped_column(ForeignKey("country.iso2"))
    date_of_birth: Mapped[Optional[str]] = mapped_column(String(10))
    accessibility_needs: Mapped[str] = mapped_column(Text, default="")
    dietary_needs: Mapped[str] = mapped_column(String(500), default="")
    #: Agreed to appear on the public list of participants.
    listed_publicly: Mapped[bool] = mapped_column(default=False)

    approval: Mapped[Approval] = mapped_column(_enum(Approval), default=Approval.PENDING)
    decided_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_at: Mapped[Optional[datetime]]
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    #: Approval not needed: waived by the invitation, or the person is the focal point.
    approval_waived: Mapped[bool] = mapped_column(default=False)

    seat: Mapped[SeatState] = mapped_column(_enum(SeatState), default=SeatState.NONE)
    #: Queue order of the waiting list (the time the registration joined it).
    waiting_since: Mapped[Optional[datetime]]
    offer_expires_at: Mapped[Optional[datetime]]
    cancelled_at: Mapped[Optional[datetime]]

    #: The invitation this registration answers (invitations feature), if any.
    invitation_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("invitation.id", ondelete="SET NULL")
    )
    #: Random part of the badge code; a new one voids printed badges.
    badge_nonce: Mapped[Optional[str]] = mapped_column(String(32))
    checked_in_at: Mapped[Optional[datetime]]
    checked_in_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    registered_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship()
    user: Mapped[Optional[User]] = relationship(foreign_keys=[user_id])
    person: Mapped[Optional[Person]] = relationship()
    organization: Mapped[Optional[Organization]] = relationship()

    @property
    def confirmed(self) -> bool:
        return self.approval == Approval.APPROVED and self.seat == SeatState.HELD

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


class PaidItem(Base):
    """Something participants pay for: a stand, a side-event room, a dinner ticket."""

    __tablename__ = "paid_item"
    __table_args__ = (
        CheckConstraint("price_cents > 0", name="price_positive"),
        CheckConstraint("quantity_limit IS NULL OR sold <= quantity_limit", name="not_oversold"),
        CheckConstraint("sold >= 0", name="sold_not_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    #: In the currency's smallest unit (cents), as Stripe counts.
    price_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="CHF")
    #: None: no limit. `sold` counts units reserved by open and paid orders.
    quantity_limit: Mapped[Optional[int]]
    sold: Mapped[int] = mapped_column(default=0, server_default="0")
    max_per_order: Mapped[int] = mapped_column(default=1)
    #: Who may buy: {"modes": ["in_person"], "categories": ["sector_member", ...]};
    #: an empty list allows all. Buyers always need a registration for the event.
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship()


class OrderStatus(enum.StrEnum):
    """OPEN: waiting for payment (units reserved). PAID, then possibly PARTLY_REFUNDED or
    REFUNDED. FAILED: the payment failed (units released). CANCELLED by the buyer or
    organizers before payment."""

    OPEN = "open"
    PAID = "paid"
    PARTLY_REFUNDED = "partly_refunded"
    REFUNDED = "refunded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class PaymentMethod(enum.StrEnum):
    STRIPE = "stripe"
    BANK_TRANSFER = "bank_transfer"
    CASH = "cash"


class Order(Base):
    __tablename__ = "purchase_order"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "refunded_cents >= 0 AND refunded_cents <= amount_cents", name="refund_within"
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("paid_item.id", ondelete="RESTRICT"), index=True
    )
    registration_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    quantity: Mapped[int] = mapped_column(default=1)
    amount_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[OrderStatus] = mapped_column(_enum(OrderStatus), default=OrderStatus.OPEN)
    method: Mapped[PaymentMethod] = mapped_column(
        _enum(PaymentMethod), default=PaymentMethod.STRIPE
    )
    stripe_payment_intent: Mapped[Optional[str]] = mapped_column(String(120), unique=True)
    #: What the organizer noted for an offline payment (bank reference, receipt number).
    payment_reference: Mapped[str] = mapped_column(String(200), default="")
    paid_at: Mapped[Optional[datetime]]
    refunded_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    failure_reason: Mapped[str] = mapped_column(String(500), default="")
    #: Sequential per event once paid, e.g. WTDC-27-R-00042.
    receipt_number: Mapped[Optional[str]] = mapped_column(String(40), unique=True)
    #: Whether the order's units are counted in its item's `sold`: reserved while open,
    #: kept once paid, given back when the payment fails, the order is cancelled or fully
    #: refunded. A paid order without them was paid after its units had been given back
    #: and none were left: the organizers settle it (registration/payments.py).
    reserved: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    item: Mapped[PaidItem] = relationship()
    registration: Mapped[Optional[Registration]] = relationship()
    user: Mapped[Optional[User]] = relationship()


class Refund(Base):
    __tablename__ = "refund"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("purchase_order.id", ondelete="CASCADE"), index=True
    )
    amount_cents: Mapped[int]
    reason: Mapped[str] = mapped_column(String(500), default="")
    stripe_refund_id: Mapped[Optional[str]] = mapped_column(String(120), unique=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship()
