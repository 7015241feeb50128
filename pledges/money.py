"""Pledge values in US dollars, from stored exchange rates and their dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from models import ExchangeRate
from webapp.extensions import db

#: No pledge is larger than this (in any currency): catches typos and absurd values.
MAX_AMOUNT = Decimal("1000000000000")  # one trillion


class MoneyError(Exception):
    """A value cannot be converted; the message is for the user."""

    def __init__(self, message, field: str = "amount"):
        super().__init__(str(message))
        self.field = field


@dataclass(frozen=True)
class UsdValue:
    usd: Decimal
    rate: Decimal
    rate_date: date


def known_currencies() -> list[str]:
    """Currencies with at least one stored rate (USD always)."""
    codes = set(db.session.scalars(select(ExchangeRate.currency).distinct()))
    return sorted(codes | {"USD"})


def to_usd(amount: Decimal, currency: str, on: date) -> UsdValue:
    """`amount` of `currency` in USD at the latest stored rate on or before `on` (else the
    earliest rate after it), with that rate and its date."""
    if amount < 0:
        raise MoneyError(_l("The amount cannot be negative."))
    if amount > MAX_AMOUNT:
        raise MoneyError(_l("The amount is too large to be a real pledge; check the digits."))
    currency = (currency or "").upper()
    if currency == "USD":
        return UsdValue(amount.quantize(Decimal("0.01")), Decimal(1), on)
    rate = db.session.scalar(
        select(ExchangeRate)
        .where(ExchangeRate.currency == currency, ExchangeRate.as_of <= on)
        .order_by(ExchangeRate.as_of.desc())
        .limit(1)
    ) or db.session.scalar(
        select(ExchangeRate)
        .where(ExchangeRate.currency == currency)
        .order_by(ExchangeRate.as_of)
        .limit(1)
    )
    if rate is None:
        raise MoneyError(
            _l(
                "No exchange rate is stored for %(currency)s; choose another currency.",
                currency=currency or "—",
            ),
            "currency",
        )
    usd = (amount * rate.usd_per_unit).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return UsdValue(usd, rate.usd_per_unit, rate.as_of)
