"""Open data: every public pledge matching the registry's filters as CSV, XLSX or JSON.

Columns, in this order (lists of codes are joined with ";"):

public_id, title, description, type, sector, organization, organization_country,
focus_areas, pillars, kap_priorities, regional_initiatives, sdgs, countries, regions,
ldc, lldc, sids (1 when at least one target country is one), beneficiary_groups,
people_to_reach, amount, currency, usd_value, usd_rate_date, start_date, end_date,
published_at, status, announced, url.

Two queries whatever the number of rows: the pledges, then all their tags.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import select

from models import PledgeTag
from webapp.downloads import write_csv, write_xlsx
from webapp.extensions import db

from .registry import Reference, RegistryFilters, matching_ids, public_fields, registry_query


def _codes(key: str) -> Callable[[dict], str]:
    return lambda r: ";".join(r[key])


def _flag(key: str) -> Callable[[dict], int]:
    return lambda r: 1 if r[key] else 0


#: (header, cell of a public record) in the documented order.
COLUMNS: list[tuple[str, Callable[[dict], Any]]] = [
    ("public_id", lambda r: r["public_id"]),
    ("title", lambda r: r["title"]),
    ("description", lambda r: r["description"]),
    ("type", lambda r: r["type"] or ""),
    ("sector", lambda r: r["sector"] or ""),
    ("organization", lambda r: r["organization"]["name"]),
    ("organization_country", lambda r: r["organization"]["country"] or ""),
    ("focus_areas", _codes("focus_areas")),
    ("pillars", _codes("pillars")),
    ("kap_priorities", _codes("kap_priorities")),
    ("regional_initiatives", _codes("regional_initiatives")),
    ("sdgs", _codes("sdgs")),
    ("countries", _codes("countries")),
    ("regions", _codes("regions")),
    ("ldc", _flag("ldc")),
    ("lldc", _flag("lldc")),
    ("sids", _flag("sids")),
    ("beneficiary_groups", _codes("beneficiary_groups")),
    ("people_to_reach", lambda r: r["people_to_reach"]),
    ("amount", lambda r: r["amount"]),
    ("currency", lambda r: r["currency"] or ""),
    ("usd_value", lambda r: r["usd_value"]),
    ("usd_rate_date", lambda r: r["usd_rate_date"] or ""),
    ("start_date", lambda r: r["start_date"] or ""),
    ("end_date", lambda r: r["end_date"] or ""),
    ("published_at", lambda r: r["published_at"] or ""),
    ("status", lambda r: r["status"]),
    ("announced", _flag("announced")),
    ("url", lambda r: r["url"]),
]
HEADER = [name for name, _cell in COLUMNS]


def records(
    filters: RegistryFilters, sort: str, reference: Reference, url_of: Callable[[str], str]
) -> list[dict[str, Any]]:
    """Public records of every matching pledge, with `url` (from `url_of(public_id)`)."""
    pledges = list(db.session.scalars(registry_query(filters, sort, with_tags=False)))
    tags: dict[int, list[tuple[str, str]]] = defaultdict(list)
    rows = db.session.execute(
        select(PledgeTag.pledge_id, PledgeTag.kind, PledgeTag.code).where(
            PledgeTag.pledge_id.in_(matching_ids(filters).scalar_subquery())
        )
    )
    for pledge_id, kind, code in rows:
        tags[pledge_id].append((kind, code))
    out = []
    for pledge in pledges:
        record = public_fields(pledge, reference.countries, tags.get(pledge.id, []))
        record["url"] = url_of(pledge.public_id)
        out.append(record)
    return out


def _cells(items: list[dict[str, Any]]) -> Iterator[list[Any]]:
    for record in items:
        yield [cell(record) for _name, cell in COLUMNS]


def to_csv(items: list[dict[str, Any]]) -> str:
    """The records as CSV (UTF-8 with a BOM, formula-safe cells)."""
    return write_csv(HEADER, _cells(items))


def to_xlsx(items: list[dict[str, Any]]) -> bytes:
    """The records as an XLSX workbook (write-only, formula-safe cells)."""
    return write_xlsx(HEADER, _cells(items), title="Pledges")


def to_json(items: list[dict[str, Any]]) -> str:
    """The records as JSON: {"count", "items"}."""
    return json.dumps({"count": len(items), "items": items}, ensure_ascii=False)
