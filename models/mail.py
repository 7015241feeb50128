"""The outbox: every message the app sends, rendered and kept with its delivery state."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, str_enum_values, utcnow


class OutboxState(enum.StrEnum):
    QUEUED = "queued"  # waiting for the sender
    SENDING = "sending"  # claimed by a sender right now
    KEPT = "kept"  # no mail provider configured: stays readable in the outbox only
    SENT = "sent"  # accepted by SendGrid
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up: permanent error or too many attempts
    BOUNCED = "bounced"


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_state_next", "state", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("event.id", ondelete="SET NULL"), index=True
    )
    to_email: Mapped[str] = mapped_column(String(254), index=True)
    to_name: Mapped[str] = mapped_column(String(200), default="")
    #: Name of the template the message was rendered from, e.g. "auth/verify_email".
    template: Mapped[str] = mapped_column(String(120))
    locale: Mapped[str] = mapped_column(String(8), default="en")
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    state: Mapped[OutboxState] = mapped_column(
        Enum(OutboxState, values_callable=str_enum_values, native_enum=False, length=12),
        default=OutboxState.QUEUED,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    #: Random token of the sender that claimed the message, so two senders never share it.
    claim: Mapped[Optional[str]] = mapped_column(String(32))
    next_attempt_at: Mapped[Optional[datetime]]
    last_error: Mapped[str] = mapped_column(Text, default="")
    #: Free tags for features (e.g. {"invitation_id": 7}); sent as SendGrid custom_args.
    tags: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[Optional[datetime]]
