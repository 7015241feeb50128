"""The balance panel: who is on a session, or across a focus area's sessions, counted by
stakeholder role, constituent group, region and gender (proposal 4.6 of the reform
dialogue asks co-chairs to watch the mix).

People who declined are left out: they will not be in the room. A person counts once per
session (the table allows one row per person and session), so across an area someone on
two sessions counts twice — the mix is of the seats on the stage, not of the directory.

`tally` is pure (unit-tested); `session_balance` and `area_balance` each run two queries
whatever the number of sessions or people.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from models import (
    Country,
    FocusArea,
    Organization,
    Person,
    ProgrammeSession,
    ReferenceItem,
    SessionPerson,
    SpeakerState,
)
from webapp.extensions import db

from .core import GENDER_LABELS, STAKEHOLDER_ROLE_LABELS

REGION_LABELS = {
    "AFR": _l("Africa"),
    "AMS": _l("Americas"),
    "ARB": _l("Arab States"),
    "ASP": _l("Asia-Pacific"),
    "CIS": _l("CIS"),
    "EUR": _l("Europe"),
}

#: Said when a stakeholder role has nobody yet: the gap co-chairs most need to see.
MISSING_ROLE = {
    "problem_owner": _l("No problem owners yet."),
    "solution_provider": _l("No solution providers yet."),
    "funder": _l("No funders yet."),
    "beneficiary": _l("No beneficiaries yet."),
}

NOT_GIVEN = _l("Not given")


@dataclass(frozen=True)
class Facts:
    """What the balance needs to know about one person on one session."""

    role: str | None = None
    group: str | None = None
    region: str | None = None
    gender: str | None = None


@dataclass(frozen=True)
class Row:
    """One line of a balance table; `code` is "" for people without a value."""

    code: str
    label: str
    count: int
    share: float  # 0..1 of the dimension's total

    @property
    def percent(self) -> int:
        return round(self.share * 100)


@dataclass(frozen=True)
class Dimension:
    key: str  # role, group, region, gender
    title: str
    rows: tuple[Row, ...]

    def count(self, code: str) -> int:
        return next((r.count for r in self.rows if r.code == code), 0)


@dataclass(frozen=True)
class Balance:
    """Counts per dimension, ready for the `balance_panel` macro."""

    total: int
    dimensions: tuple[Dimension, ...]
    #: Messages naming each stakeholder role with nobody in it, in role order.
    missing: tuple[str, ...]

    def __getitem__(self, key: str) -> Dimension:
        return next(d for d in self.dimensions if d.key == key)

    def counts(self, key: str) -> dict[str, int]:
        """{code: count} of one dimension, rows with nobody left out."""
        return {r.code: r.count for r in self[key].rows if r.count}


def _rows(
    counter: Counter,
    labels: Mapping[str, object],
    total: int,
    *,
    always: Iterable[str] = (),
    by_count: bool = False,
) -> tuple[Row, ...]:
    """Rows for the codes in `always` (in that order, even at zero), then any other code
    met (by count when `by_count`, else in label order), then the people without one."""
    fixed = list(always)
    others = [c for c in counter if c and c not in fixed]
    if by_count:
        others.sort(key=lambda c: (-counter[c], str(labels.get(c, c))))
    else:
        others.sort(key=lambda c: str(labels.get(c, c)))
    codes = fixed + others + ([""] if counter.get("") else [])
    return tuple(
        Row(
            code=code,
            label=str(labels.get(code, code) if code else NOT_GIVEN),
            count=counter.get(code, 0),
            share=(counter.get(code, 0) / total) if total else 0.0,
        )
        for code in codes
    )


def tally(
    people: Iterable[Facts],
    group_labels: Mapping[str, object] | None = None,
) -> Balance:
    """The balance of these people (declined ones already left out by the caller).

    Every stakeholder role and region is listed, at zero too (an empty row is the
    finding); constituent groups, many and sparse, only when someone is in them.
    """
    people = list(people)
    total = len(people)
    roles = Counter((p.role or "") for p in people)
    groups = Counter((p.group or "") for p in people)
    regions = Counter((p.region or "") for p in people)
    genders = Counter((p.gender or "") for p in people)
    gender_labels = {k: v for k, v in GENDER_LABELS.items() if k}
    dimensions = (
        Dimension(
            "role",
            str(_l("Stakeholder role")),
            _rows(roles, STAKEHOLDER_ROLE_LABELS, total, always=STAKEHOLDER_ROLE_LABELS),
        ),
        Dimension(
            "group",
            str(_l("Constituent group")),
            _rows(groups, group_labels or {}, total, by_count=True),
        ),
        Dimension(
            "region", str(_l("Region")), _rows(regions, REGION_LABELS, total, always=REGION_LABELS)
        ),
        Dimension(
            "gender",
            str(_l("Gender")),
            _rows(genders, gender_labels, total, always=("f", "m")),
        ),
    )
    missing = tuple(str(MISSING_ROLE[code]) for code in STAKEHOLDER_ROLE_LABELS if not roles[code])
    return Balance(total=total, dimensions=dimensions, missing=missing)


# --- from the database ----------------------------------------------------------------


def _facts_query():
    """(role, group, region, gender) of the people on sessions, declined left out; the
    region is the person's country's, else their organization's country's."""
    return (
        select(
            SessionPerson.stakeholder_role,
            Organization.constituent_group,
            Country.region_code,
            Person.gender,
        )
        .join(Person, Person.id == SessionPerson.person_id)
        .outerjoin(Organization, Organization.id == Person.organization_id)
        .outerjoin(
            Country,
            Country.iso2 == func.coalesce(Person.country_iso2, Organization.country_iso2),
        )
        .where(SessionPerson.state != SpeakerState.DECLINED)
    )


def group_labels() -> dict[str, str]:
    """Constituent-group names in the reader's language where the reference data has it."""
    chinese = str(get_locale() or "en").startswith("zh")
    items = db.session.scalars(
        select(ReferenceItem).where(ReferenceItem.kind == "constituent_group")
    )
    return {i.code: (i.name_zh if chinese and i.name_zh else i.name_en) for i in items}


def _balance(query) -> Balance:
    facts = [Facts(*row) for row in db.session.execute(query)]
    return tally(facts, group_labels())


def session_balance(session: ProgrammeSession) -> Balance:
    """The balance of the people on one session."""
    return _balance(_facts_query().where(SessionPerson.session_id == session.id))


def area_balance(area: FocusArea) -> Balance:
    """The balance across every session of a focus area (whatever the sessions' status),
    each person counted once per session they are on."""
    sessions = select(ProgrammeSession.id).where(ProgrammeSession.focus_area_id == area.id)
    return _balance(_facts_query().where(SessionPerson.session_id.in_(sessions)))
