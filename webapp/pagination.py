"""One page of rows, as every list page and the `pager` macro use it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from .extensions import db


@dataclass
class Page:
    """The rows of one page, with what the `pager` macro needs."""

    items: list[Any]
    total: int
    number: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def clamp_page(number: int, total: int, per_page: int) -> int:
    """A page number that exists: past the end means the last page."""
    return min(max(1, number), max(1, math.ceil(total / per_page)))


def paginate(query: Select, number: int = 1, per_page: int = 50) -> Page:
    """Run `query` for one page: two queries whatever the page size."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    number = clamp_page(number, total or 0, per_page)
    items = list(db.session.scalars(query.limit(per_page).offset((number - 1) * per_page)))
    return Page(items=items, total=total or 0, number=number, per_page=per_page)


#: Larger numbers overflow the database's integers; treat them as nonsense.
MAX_INT = 2**63 - 1


def page_arg() -> int:
    """The requested page number from the query string; nonsense means the first page."""
    from flask import request

    number = request.args.get("page", 1, type=int)
    return number if 1 <= number <= MAX_INT else 1
