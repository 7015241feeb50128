"""Accounts, their one-time tokens, and role grants."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum_values, utcnow


class User(Base):
    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased; the login key.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(8), default="en")
    is_admin: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    email_verified_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[Optional[datetime]]
    #: Changes with the password, so remember-me cookies of the old password stop working.
    session_version: Mapped[int] = mapped_column(default=1)

    grants: Mapped[list["RoleGrant"]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        foreign_keys="RoleGrant.user_id",
    )

    # Flask-Login protocol, kept here so models need nothing from Flask.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


class TokenPurpose(enum.StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"
    CHANGE_EMAIL = "change_email"


class UserToken(Base):
    """A link token: only its SHA-256 is stored; single-use and expiring."""

    __tablename__ = "user_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    purpose: Mapped[TokenPurpose] = mapped_column(
        Enum(TokenPurpose, values_callable=str_enum_values, native_enum=False, length=20)
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: For change_email: the address to switch to once confirmed.
    new_email: Mapped[Optional[str]] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[Optional[datetime]]

    user: Mapped[User] = relationship()


class Role(enum.StrEnum):
    ORGANIZER = "organizer"
    COCHAIR = "cochair"
    FOCAL_POINT = "focal_point"


class RoleGrant(Base):
    """A role held by a user in one event, scoped to an object where the role needs one."""

    __tablename__ = "role_grant"
    __table_args__ = (
        UniqueConstraint("user_id", "event_id", "role", "focus_area_code", "organization_id"),
        CheckConstraint(
            "(role != 'cochair' OR focus_area_code IS NOT NULL)"
            " AND (role != 'focal_point' OR organization_id IS NOT NULL)",
            name="scope_present",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(
        Enum(Role, values_callable=str_enum_values, native_enum=False, length=20)
    )
    #: Co-chair scope: the P2C focus area code (reference data).
    focus_area_code: Mapped[Optional[str]] = mapped_column(String(40))
    #: Focal-point scope: the member organization (Member State or Sector Member).
    organization_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE")
    )
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    granted_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    user: Mapped[User] = relationship(back_populates="grants", foreign_keys=[user_id])
    event: Mapped["Event"] = relationship()  # noqa: F821
    organization: Mapped[Optional["Organization"]] = relationship()  # noqa: F821
