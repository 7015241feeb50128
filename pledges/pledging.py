"""The pledge form's rules: drafts saved at any point, what submission needs, the value in
US dollars, and the geography that follows from the target countries.

A draft may be saved incomplete (only types, lengths and codes are checked);
`check_complete` lists what submission needs. The moderation moves live in
`moderation.py`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from models import (
    Country,
    Event,
    Organization,
    Pledge,
    PledgerSector,
    PledgeState,
    PledgeType,
    ReferenceItem,
    User,
    utcnow,
)
from webapp import audit
from webapp.extensions import db
from webapp.permissions import can

from . import core, money

MAX_TITLE = 300
MAX_DESCRIPTION = 20_000
#: The column is a 32-bit integer; no pledge reaches more people than this anyway.
MAX_PEOPLE = 2_000_000_000
MAX_PILLARS = 20
MAX_PILLAR = 200
#: More codes of one kind than any real pledge has (there are under 250 countries).
MAX_CODES = 300
FIRST_YEAR, LAST_YEAR = 2000, 2100

#: Form field -> PledgeTag kind.
TAG_FIELDS = {
    "focus_areas": "focus_area",
    "kap_priorities": "kap_priority",
    "regional_initiatives": "regional_initiative",
    "sdgs": "sdg",
    "countries": "country",
    "beneficiary_groups": "beneficiary_group",
}
SCALAR_FIELDS = (
    "title",
    "description",
    "pledge_type",
    "sector",
    "pillars",
    "people_to_reach",
    "amount",
    "currency",
    "start_date",
    "end_date",
    "smart",
)
FIELDS = frozenset(SCALAR_FIELDS) | frozenset(TAG_FIELDS)

#: The SMART checklist: key -> (label, guidance shown under the box).
SMART_CRITERIA = {
    "specific": (
        _l("Specific"),
        _l("Say exactly what will be done, where and for whom: not “improve connectivity”."),
    ),
    "measurable": (
        _l("Measurable"),
        _l("Name the figures that will show progress: people reached, sites connected, money."),
    ),
    "achievable": (
        _l("Achievable"),
        _l("Your organization has the mandate, partners and capacity to deliver it."),
    ),
    "resource_based": (
        _l("Resource-based"),
        _l("The money, staff or in-kind resources are identified and committed."),
    ),
    "time_based": (
        _l("Time-based"),
        _l("There is a start date, an end date and milestones in between."),
    ),
}


class PledgeError(Exception):
    """A pledge rule was not met; the message is for the user, `field` says where."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.field = field


class PledgeForbidden(PledgeError):
    """The actor may not do this to this pledge (views answer 403)."""


class PledgeClosed(PledgeError):
    """The pledge is not in a state that allows editing (views answer 409)."""


class PledgeInvalid(PledgeError):
    """Some values are wrong: `errors` maps each field to its message."""

    def __init__(self, errors: dict[str, str]):
        field, message = next(iter(errors.items()))
        super().__init__(message, field)
        self.errors = errors


# --- reading values -----------------------------------------------------------------------


def _text(value: Any, field: str, limit: int, errors: dict[str, str]) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[field] = str(_l("Enter text."))
        return ""
    value = value.strip()
    if len(value) > limit:
        errors[field] = str(_l("At most %(n)s characters, please.", n=f"{limit:,}"))
    return value


def _enum_value(value: Any, enum_cls, field: str, errors: dict[str, str]):
    if value in (None, ""):
        return None
    try:
        return enum_cls(value)
    except ValueError:
        errors[field] = str(_l("Choose one of the options in the list."))
        return None


def _date_value(value: Any, field: str, errors: dict[str, str]) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            errors[field] = str(_l("Enter a date as YYYY-MM-DD."))
            return None
    if not isinstance(value, date):
        errors[field] = str(_l("Enter a date as YYYY-MM-DD."))
        return None
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        errors[field] = str(
            _l("Enter a date between %(first)s and %(last)s.", first=FIRST_YEAR, last=LAST_YEAR)
        )
        return None
    return value


def _amount_value(value: Any, errors: dict[str, str]) -> Decimal | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        errors["amount"] = str(_l("Enter the amount as a number, e.g. 250000.50."))
        return None
    try:
        amount = Decimal(str(value).replace(",", "").replace(" ", ""))
    except InvalidOperation:
        errors["amount"] = str(_l("Enter the amount as a number, e.g. 250000.50."))
        return None
    if not amount.is_finite():
        errors["amount"] = str(_l("Enter the amount as a number, e.g. 250000.50."))
    elif amount < 0:
        errors["amount"] = str(_l("The amount cannot be negative."))
    elif amount > money.MAX_AMOUNT:
        errors["amount"] = str(_l("The amount is too large to be a real pledge; check the digits."))
    else:
        return amount.quantize(Decimal("0.01"))
    return None


def _people_value(value: Any, errors: dict[str, str]) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or not 0 <= number <= MAX_PEOPLE:
        errors["people_to_reach"] = str(
            _l("Enter a whole number between 0 and %(max)s.", max=f"{MAX_PEOPLE:,}")
        )
        return None
    return number


def _code_list(value: Any, field: str, errors: dict[str, str]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not all(isinstance(v, str) for v in value):
        errors[field] = str(_l("Choose from the list."))
        return []
    codes = sorted({v.strip() for v in value if v.strip()})
    if len(codes) > MAX_CODES:
        errors[field] = str(_l("Too many choices."))
        return []
    return codes


def _unknown_codes(wanted: dict[str, list[str]]) -> dict[str, list[str]]:
    """Codes no reference list knows, per form field: two queries whatever the number."""
    unknown: dict[str, list[str]] = {}
    reference_kinds = {
        TAG_FIELDS[f]: codes
        for f, codes in wanted.items()
        if codes and f not in ("countries", "beneficiary_groups")
    }
    known: set[tuple[str, str]] = set()
    if reference_kinds:
        all_codes = {c for codes in reference_kinds.values() for c in codes}
        rows = db.session.execute(
            select(ReferenceItem.kind, ReferenceItem.code).where(
                ReferenceItem.kind.in_(reference_kinds), ReferenceItem.code.in_(all_codes)
            )
        )
        known = {(kind, code) for kind, code in rows}
    for field, codes in wanted.items():
        kind = TAG_FIELDS[field]
        if field == "countries":
            found = set(
                db.session.scalars(select(Country.iso2).where(Country.iso2.in_(codes)))
                if codes
                else []
            )
            missing = [c for c in codes if c not in found]
        elif field == "beneficiary_groups":
            missing = [c for c in codes if c not in core.BENEFICIARY_GROUPS]
        else:
            missing = [c for c in codes if (kind, c) not in known]
        if missing:
            unknown[field] = missing
    return unknown


def clean(fields: dict[str, Any]) -> dict[str, Any]:
    """Check types, lengths and codes of the given fields (any subset); raises
    PledgeInvalid with every wrong field at once, else returns the clean values."""
    unknown_names = set(fields) - FIELDS
    if unknown_names:
        raise TypeError(f"unknown pledge fields: {sorted(unknown_names)}")
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    if "title" in fields:
        out["title"] = _text(fields["title"], "title", MAX_TITLE, errors)
    if "description" in fields:
        out["description"] = _text(fields["description"], "description", MAX_DESCRIPTION, errors)
    if "pledge_type" in fields:
        out["pledge_type"] = _enum_value(fields["pledge_type"], PledgeType, "pledge_type", errors)
    if "sector" in fields:
        out["sector"] = _enum_value(fields["sector"], PledgerSector, "sector", errors)
    if "pillars" in fields:
        pillars = fields["pillars"] or []
        if isinstance(pillars, str) or not all(isinstance(p, str) for p in pillars):
            errors["pillars"] = str(_l("Enter one pillar per line."))
        else:
            pillars = [p.strip() for p in pillars if p.strip()]
            if len(pillars) > MAX_PILLARS or any(len(p) > MAX_PILLAR for p in pillars):
                errors["pillars"] = str(
                    _l(
                        "At most %(n)s pillars of %(chars)s characters each.",
                        n=MAX_PILLARS,
                        chars=MAX_PILLAR,
                    )
                )
            out["pillars"] = pillars
    if "people_to_reach" in fields:
        out["people_to_reach"] = _people_value(fields["people_to_reach"], errors)
    if "amount" in fields:
        out["amount"] = _amount_value(fields["amount"], errors)
    if "currency" in fields:
        currency = fields["currency"]
        if currency in (None, ""):
            out["currency"] = None
        elif not isinstance(currency, str) or len(currency.strip()) != 3:
            errors["currency"] = str(_l("Choose a currency from the list."))
        else:
            out["currency"] = currency.strip().upper()
    for name in ("start_date", "end_date"):
        if name in fields:
            out[name] = _date_value(fields[name], name, errors)
    if "smart" in fields:
        smart = fields["smart"] or {}
        if not isinstance(smart, dict):
            errors["smart"] = str(_l("Tick the boxes of the checklist."))
        else:
            out["smart"] = {key: bool(smart.get(key)) for key in SMART_CRITERIA}
    wanted = {}
    for name in TAG_FIELDS:
        if name in fields:
            wanted[name] = out[name] = _code_list(fields[name], name, errors)
    for name, codes in _unknown_codes(wanted).items():
        errors[name] = str(_l("Unknown codes: %(codes)s.", codes=", ".join(codes[:20])))
    if errors:
        raise PledgeInvalid(errors)
    return out


# --- writing ------------------------------------------------------------------------------


def _apply(pledge: Pledge, values: dict[str, Any]) -> None:
    """Set clean values; check the dates together and value the amount in US dollars."""
    old_money = (pledge.amount, pledge.currency, pledge.start_date)
    for name, value in values.items():
        if name in TAG_FIELDS:
            core.set_tags(pledge, TAG_FIELDS[name], value)
        else:
            setattr(pledge, name, value)
    errors: dict[str, str] = {}
    if pledge.start_date and pledge.end_date and pledge.end_date < pledge.start_date:
        errors["end_date"] = str(_l("The end date cannot be before the start date."))
    if pledge.amount is not None and not pledge.currency:
        errors["currency"] = str(_l("Choose the currency of the amount."))
    if pledge.amount is None or not pledge.currency:
        pledge.usd_value = pledge.usd_rate = pledge.usd_rate_date = None
    elif (pledge.amount, pledge.currency, pledge.start_date) != old_money or (
        pledge.usd_value is None
    ):
        # A pledge keeps the rate it was valued at until its value or start date changes.
        try:
            usd = money.to_usd(pledge.amount, pledge.currency, pledge.start_date or utcnow().date())
        except money.MoneyError as error:
            errors[error.field] = str(error)
        else:
            pledge.usd_value, pledge.usd_rate, pledge.usd_rate_date = (
                usd.usd,
                usd.rate,
                usd.rate_date,
            )
    if errors:
        raise PledgeInvalid(errors)


def create_draft(actor: User, event: Event, organization: Organization, **fields: Any) -> Pledge:
    """A new draft pledge of `organization`, which the actor must belong to (organizers of
    the event may pledge for any organization); incomplete values are fine."""
    if organization is None:
        raise PledgeError(_l("Choose the organization that pledges."), "organization")
    if organization.id not in core.organization_ids_of(actor) and not can(
        actor, "pledges.moderate", event
    ):
        raise PledgeForbidden(
            _l("You can pledge only for an organization you belong to."), "organization"
        )
    values = clean(fields)
    pledge = Pledge(
        event_id=event.id,
        organization_id=organization.id,
        created_by_id=actor.id,
        state=PledgeState.DRAFT,
        pillars=[],
        smart={},
        tags=[],
    )
    pledge.event = event
    pledge.organization = organization
    _apply(pledge, values)
    db.session.add(pledge)
    db.session.flush()
    audit.record(
        "pledge.created",
        actor=actor,
        event_id=event.id,
        obj=pledge,
        summary=f"{organization.name}: {pledge.title or '(untitled)'}",
    )
    return pledge


def update_pledge(actor: User, pledge: Pledge, **fields: Any) -> Pledge:
    """Change the given fields of a draft (or a pledge sent back for changes); published,
    completed and withdrawn pledges are closed."""
    if not can(actor, "pledge.edit", pledge):
        raise PledgeForbidden(_l("Only members of the pledging organization can edit it."))
    if pledge.state not in core.EDITABLE_STATES:
        raise PledgeClosed(
            _l(
                "This pledge is %(state)s and can no longer be edited.",
                state=state_label(pledge.state),
            ),
            "state",
        )
    values = clean(fields)
    _apply(pledge, values)
    db.session.flush()
    audit.record(
        "pledge.updated",
        actor=actor,
        event_id=pledge.event_id,
        obj=pledge,
        summary=pledge.title[:200],
        fields=sorted(values),
    )
    return pledge


# --- completeness and geography -----------------------------------------------------------


def check_complete(pledge: Pledge) -> dict[str, str]:
    """What is still missing before the pledge can be submitted (field -> message, in the
    form's order); empty when complete. Every target country counts; a region-wide pledge
    lists the region's countries."""
    missing: dict[str, str] = {}
    if not pledge.title.strip():
        missing["title"] = str(_l("Give the pledge a title."))
    if not pledge.description.strip():
        missing["description"] = str(_l("Describe what the pledge will do."))
    if pledge.pledge_type is None:
        missing["pledge_type"] = str(_l("Choose the type of pledge."))
    if pledge.sector is None:
        missing["sector"] = str(_l("Choose the sector of the pledger."))
    if not core.tag_codes(pledge, "focus_area"):
        missing["focus_areas"] = str(_l("Choose at least one focus area."))
    if not core.tag_codes(pledge, "country"):
        missing["countries"] = str(_l("Choose at least one target country."))
    if pledge.pledge_type == PledgeType.FINANCIAL:
        if pledge.amount is None or pledge.amount <= 0:
            missing["amount"] = str(_l("A financial pledge needs its amount."))
        if not pledge.currency:
            missing["currency"] = str(_l("A financial pledge needs its currency."))
    if pledge.start_date is None:
        missing["start_date"] = str(_l("Enter the start date."))
    if pledge.end_date is None:
        missing["end_date"] = str(_l("Enter the end date."))
    smart = pledge.smart or {}
    for key, (label, guidance) in SMART_CRITERIA.items():
        if not smart.get(key):
            missing[f"smart_{key}"] = str(
                _l(
                    "Check that the pledge is %(criterion)s: %(guidance)s",
                    criterion=label,
                    guidance=guidance,
                )
            )
    return missing


def geography(pledge: Pledge) -> dict[str, Any]:
    """Regions and LDC / LLDC / SIDS flags derived from the target countries (one query):
    {"countries": [Country], "regions": [code], "ldc": bool, "lldc": bool, "sids": bool}."""
    codes = core.tag_codes(pledge, "country")
    countries = (
        list(
            db.session.scalars(
                select(Country).where(Country.iso2.in_(codes)).order_by(Country.name_en)
            )
        )
        if codes
        else []
    )
    return {
        "countries": countries,
        "regions": sorted({c.region_code for c in countries}),
        "ldc": any(c.ldc for c in countries),
        "lldc": any(c.lldc for c in countries),
        "sids": any(c.sids for c in countries),
    }


STATE_LABELS = {
    PledgeState.DRAFT: _l("draft"),
    PledgeState.SUBMITTED: _l("submitted"),
    PledgeState.CHANGES_REQUESTED: _l("changes requested"),
    PledgeState.APPROVED: _l("approved"),
    PledgeState.PUBLISHED: _l("published"),
    PledgeState.WITHDRAWN: _l("withdrawn"),
    PledgeState.COMPLETED: _l("completed"),
}


def state_label(state: PledgeState) -> str:
    """The state's name in the current language."""
    return str(STATE_LABELS.get(state, state.value))
