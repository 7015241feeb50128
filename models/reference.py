"""Reference data: countries, regions and the coded lists of reference.json."""

from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base


class Region(Base):
    """One of the six ITU-D regions (AFR, AMS, ARB, ASP, CIS, EUR)."""

    __tablename__ = "region"
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(80))


class Country(Base):
    __tablename__ = "country"
    #: ISO 3166-1 alpha-2, the key every other table uses.
    iso2: Mapped[str] = mapped_column(String(2), primary_key=True)
    iso3: Mapped[str] = mapped_column(String(3), unique=True)
    name_en: Mapped[str] = mapped_column(String(120))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    ldc: Mapped[bool] = mapped_column(default=False)
    lldc: Mapped[bool] = mapped_column(default=False)
    sids: Mapped[bool] = mapped_column(default=False)

    region: Mapped[Region] = relationship(lazy="joined")


class ReferenceItem(Base):
    """A coded entry of one reference list (kind: constituent_group, focus_area, sdg, ...)."""

    __tablename__ = "reference_item"
    __table_args__ = (UniqueConstraint("kind", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    code: Mapped[str] = mapped_column(String(40))
    number: Mapped[Optional[int]]
    name_en: Mapped[str] = mapped_column(String(400))
    name_zh: Mapped[Optional[str]] = mapped_column(String(400))
    #: Region code for regional initiatives; empty for the others.
    region_code: Mapped[Optional[str]] = mapped_column(String(8))
    description: Mapped[Optional[str]]
    #: The source entry as given, for fields no column holds yet.
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
