"""The directory: organizations and people that every feature refers to."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum_values, utcnow
from .reference import Country


class MembershipCategory(enum.StrEnum):
    MEMBER_STATE = "member_state"
    SECTOR_MEMBER = "sector_member"
    ASSOCIATE = "associate"
    ACADEMIA = "academia"
    NON_MEMBER = "non_member"


class Organization(Base):
    __tablename__ = "organization"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    #: Code of a constituent_group reference item (MS_MIN, PRIV, CSO, ...).
    constituent_group: Mapped[Optional[str]] = mapped_column(String(40))
    country_iso2: Mapped[Optional[str]] = mapped_column(ForeignKey("country.iso2"))
    membership: Mapped[MembershipCategory] = mapped_column(
        Enum(MembershipCategory, values_callable=str_enum_values, native_enum=False, length=20),
        default=MembershipCategory.NON_MEMBER,
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    country: Mapped[Optional[Country]] = relationship(lazy="joined")
    people: Mapped[list["Person"]] = relationship(back_populates="organization")


class Person(Base):
    __tablename__ = "person"
    id: Mapped[int] = mapped_column(primary_key=True)
    honorific: Mapped[str] = mapped_column(String(40), default="")
    first_name: Mapped[str] = mapped_column(String(120), default="")
    last_name: Mapped[str] = mapped_column(String(120))
    function: Mapped[str] = mapped_column(String(200), default="")
    #: Lower-cased; the key imports merge on. Optional: not everyone's address is known.
    email: Mapped[Optional[str]] = mapped_column(String(254), unique=True)
    organization_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), index=True
    )
    country_iso2: Mapped[Optional[str]] = mapped_column(ForeignKey("country.iso2"))
    #: Gender as the person states it (f, m, x); used only for balance figures.
    gender: Mapped[str] = mapped_column(String(1), default="")
    #: UN language codes the person works in.
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The account of this person, once they have one.
    user_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    organization: Mapped[Optional[Organization]] = relationship(
        back_populates="people", lazy="joined"
    )
    country: Mapped[Optional[Country]] = relationship(lazy="joined")

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.honorific, self.first_name, self.last_name) if p)
