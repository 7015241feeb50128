"""Exchange rates pledges are valued at: USD per unit of a currency on a date.

Organizers add rates by hand; `load_seed_rates()` loads the small demo seed of
webapp/data/exchange_rates.csv (not official figures: its source column says so).
"""

from __future__ import annotations

import csv
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from models import ExchangeRate, User
from webapp import audit
from webapp.extensions import db

SEED = Path(__file__).resolve().parent.parent / "webapp" / "data" / "exchange_rates.csv"
#: No currency is worth this many US dollars per unit: catches typos and inverted rates.
MAX_RATE = Decimal(100_000)
MAX_SOURCE = 200
CURRENCY = re.compile(r"^[A-Z]{3}$")


class RateError(Exception):
    """A rate cannot be stored; the message is for the user, `field` says where."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.field = field


def check_currency(value: str | None) -> str:
    """An ISO 4217 code in capitals (any three letters; USD itself is always 1)."""
    code = (value or "").strip().upper()
    if not CURRENCY.match(code):
        raise RateError(_l("Use the three-letter ISO 4217 code, e.g. EUR."), "currency")
    if code == "USD":
        raise RateError(_l("The US dollar is always worth one US dollar."), "currency")
    return code


def add_rate(
    actor: User | None, currency: str, usd_per_unit: Decimal | str, as_of: date, source: str = ""
) -> ExchangeRate:
    """Store a rate; one per currency and date."""
    code = check_currency(currency)
    try:
        rate = Decimal(str(usd_per_unit))
    except (InvalidOperation, ValueError):
        raise RateError(_l("Enter the rate as a number."), "usd_per_unit") from None
    if not rate.is_finite() or rate <= 0:
        raise RateError(_l("The rate must be greater than zero."), "usd_per_unit")
    if rate >= MAX_RATE:
        raise RateError(
            _l("The rate must be below %(max)s US dollars per unit.", max="100,000"),
            "usd_per_unit",
        )
    if rate != rate.quantize(Decimal("0.00000001")):
        raise RateError(_l("Use at most 8 decimal places."), "usd_per_unit")
    if not isinstance(as_of, date):
        raise RateError(_l("Enter the date of the rate."), "as_of")
    source = " ".join((source or "").split())
    if len(source) > MAX_SOURCE:
        raise RateError(_l("Use at most %(n)d characters.", n=MAX_SOURCE), "source")
    exists = db.session.scalar(
        select(ExchangeRate.id).where(ExchangeRate.currency == code, ExchangeRate.as_of == as_of)
    )
    if exists is not None:
        raise RateError(
            _l(
                "A rate for %(currency)s on %(date)s is already stored.",
                currency=code,
                date=format_date(as_of),
            ),
            "as_of",
        )
    stored = ExchangeRate(currency=code, usd_per_unit=rate, as_of=as_of, source=source)
    db.session.add(stored)
    db.session.flush()
    audit.record(
        "exchange_rate.added",
        actor=actor,
        obj=stored,
        summary=f"{code} {rate} USD on {as_of.isoformat()}",
        source=source,
    )
    return stored


def list_rates() -> list[ExchangeRate]:
    """Every stored rate, by currency, newest first."""
    return list(
        db.session.scalars(
            select(ExchangeRate).order_by(ExchangeRate.currency, ExchangeRate.as_of.desc())
        )
    )


def seed_rows(path: Path = SEED) -> list[dict[str, str]]:
    """The rows of the seed file (currency, usd_per_unit, as_of, source)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_seed_rates(path: Path = SEED) -> int:
    """Insert the seed rates not stored yet (by currency and date); returns how many."""
    stored = {
        (c, d) for c, d in db.session.execute(select(ExchangeRate.currency, ExchangeRate.as_of))
    }
    added = 0
    for row in seed_rows(path):
        key = (row["currency"].strip().upper(), date.fromisoformat(row["as_of"].strip()))
        if key in stored:
            continue
        db.session.add(
            ExchangeRate(
                currency=key[0],
                usd_per_unit=Decimal(row["usd_per_unit"].strip()),
                as_of=key[1],
                source=row.get("source", "").strip(),
            )
        )
        stored.add(key)
        added += 1
    db.session.flush()
    return added
