"""Reference data shipped in webapp/data (copied from the shared data set).

`load_reference_data` is idempotent: it inserts what is missing and updates what changed.
"""

from __future__ import annotations

import csv
import json
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select

from models import Country, ReferenceItem, Region

from .extensions import db

DATA = Path(__file__).parent / "data"

REGIONS = {
    "AFR": "Africa",
    "AMS": "Americas",
    "ARB": "Arab States",
    "ASP": "Asia-Pacific",
    "CIS": "CIS",
    "EUR": "Europe",
}

#: reference.json list -> ReferenceItem.kind
KINDS = {
    "constituent_groups": "constituent_group",
    "p2c_focus_areas": "focus_area",
    "kap_priorities": "kap_priority",
    "regional_initiatives": "regional_initiative",
    "study_questions": "study_question",
    "sdgs": "sdg",
    "wsis_action_lines": "wsis_action_line",
    "stakeholder_roles": "stakeholder_role",
    "un_languages": "un_language",
}


@lru_cache(maxsize=1)
def raw() -> dict:
    return json.loads((DATA / "reference.json").read_text(encoding="utf-8"))


def countries_rows() -> list[dict[str, str]]:
    with (DATA / "countries.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _item_fields(kind: str, entry: dict) -> dict:
    code = entry.get("code") or str(entry.get("number"))
    if kind == "focus_area":
        code = code.upper()
    name_en = entry.get("name_en") or entry.get("title_en") or code
    return {
        "code": code,
        "number": entry.get("number") or entry.get("question"),
        "name_en": name_en[:400],
        "name_zh": (entry.get("name_zh") or entry.get("title_zh") or None),
        "region_code": entry.get("region"),
        "description": entry.get("description") or entry.get("rationale"),
        "data": entry,
    }


def load_reference_data() -> dict[str, int]:
    """Insert or update regions, countries and coded lists; returns counts per kind."""
    counts: dict[str, int] = {}
    regions = {r.code: r for r in db.session.scalars(select(Region))}
    for code, name in REGIONS.items():
        if code in regions:
            regions[code].name_en = name
        else:
            db.session.add(Region(code=code, name_en=name))
    db.session.flush()
    counts["region"] = len(REGIONS)

    countries = {c.iso2: c for c in db.session.scalars(select(Country))}
    rows = countries_rows()
    for row in rows:
        values = {
            "iso3": row["iso3"],
            "name_en": row["name_en"],
            "region_code": row["itu_region"],
            "ldc": row["ldc"] == "1",
            "lldc": row["lldc"] == "1",
            "sids": row["sids"] == "1",
        }
        country = countries.get(row["iso2"])
        if country is None:
            db.session.add(Country(iso2=row["iso2"], **values))
        else:
            for key, value in values.items():
                setattr(country, key, value)
    counts["country"] = len(rows)

    existing = {(i.kind, i.code): i for i in db.session.scalars(select(ReferenceItem))}
    data = raw()
    for list_name, kind in KINDS.items():
        entries = data.get(list_name, [])
        for entry in entries:
            fields = _item_fields(kind, entry)
            item = existing.get((kind, fields["code"]))
            if item is None:
                db.session.add(ReferenceItem(kind=kind, **fields))
            else:
                for key, value in fields.items():
                    setattr(item, key, value)
        counts[kind] = len(entries)
    db.session.flush()
    return counts


def items(kind: str) -> list[ReferenceItem]:
    """The entries of one coded list, in their natural order."""
    return list(
        db.session.scalars(
            select(ReferenceItem)
            .where(ReferenceItem.kind == kind)
            .order_by(ReferenceItem.number, ReferenceItem.code)
        )
    )


def choices(kind: str) -> list[tuple[str, str]]:
    """(code, name) pairs for a select field."""
    return [(i.code, i.name_en) for i in items(kind)]


def country_choices() -> list[tuple[str, str]]:
    return [
        (c.iso2, c.name_en) for c in db.session.scalars(select(Country).order_by(Country.name_en))
    ]
