"""Registry services: filters (LDC and region follow from countries), sorting, statistics
on a small data set with known answers, unpublished pledges never visible."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from werkzeug.datastructures import MultiDict

from models import (
    Event,
    Organization,
    Pledge,
    PledgerSector,
    PledgeState,
    PledgeTag,
    PledgeType,
)
from pledges import registry as reg
from webapp.extensions import db

_numbers = itertools.count(1)


def add_pledge(
    event_id: int,
    organization_id: int,
    title: str,
    *,
    state=PledgeState.PUBLISHED,
    focus=(),
    countries=(),
    sdgs=(),
    usd=None,
    sector=PledgerSector.GOVERNMENT,
    pledge_type=PledgeType.FINANCIAL,
    days_ago=0,
    description="",
    **fields,
) -> Pledge:
    """A pledge with its tags, made directly as models (public id when public)."""
    public = state in (PledgeState.PUBLISHED, PledgeState.COMPLETED)
    pledge = Pledge(
        event_id=event_id,
        organization_id=organization_id,
        title=title,
        description=description,
        state=state,
        sector=sector,
        pledge_type=pledge_type,
        public_id=f"P2C-2026-{next(_numbers):04d}" if public else None,
        published_at=datetime(2026, 3, 1, tzinfo=UTC) - timedelta(days=days_ago)
        if public
        else None,
        usd_value=None if usd is None else Decimal(usd),
        amount=None if usd is None else Decimal(usd),
        currency=None if usd is None else "USD",
        **fields,
    )
    pledge.tags = (
        [PledgeTag(kind="focus_area", code=c) for c in focus]
        + [PledgeTag(kind="country", code=c) for c in countries]
        + [PledgeTag(kind="sdg", code=c) for c in sdgs]
    )
    db.session.add(pledge)
    db.session.flush()
    return pledge


def make_event_and_org(name="Ministry of Digital Affairs", country="FR"):
    """An event and an organization, flushed."""
    event = Event(
        name="Test Conference",
        acronym=f"T{next(_numbers)}",
        city="Geneva",
        country_iso2="CH",
        timezone="UTC",
        opening_date=datetime(2026, 11, 1).date(),
        closing_date=datetime(2026, 11, 10).date(),
        languages=["en"],
    )
    organization = Organization(name=name, country_iso2=country)
    db.session.add_all([event, organization])
    db.session.flush()
    return event, organization


@pytest.fixture
def data(ctx):
    """Five public pledges with known tags and two hidden ones.

    AF: LDC, LLDC, ASP · NP: LDC, LLDC, ASP · FJ: SIDS, ASP · FR: EUR · KE: AFR
    """
    event, org = make_event_and_org()
    _, telco = make_event_and_org("Global Telco", "KE")
    pledges = {
        "a": add_pledge(
            event.id,
            org.id,
            "School connectivity",
            focus=["ACCESS"],
            countries=["AF", "NP"],
            sdgs=["SDG4", "SDG9"],
            usd=1000,
            days_ago=5,
        ),
        "b": add_pledge(
            event.id,
            telco.id,
            "Rural towers",
            focus=["ACCESS", "ACCELERATE"],
            countries=["KE"],
            sdgs=["SDG9"],
            usd=5000,
            sector=PledgerSector.PRIVATE,
            days_ago=1,
        ),
        "c": add_pledge(
            event.id,
            org.id,
            "Island skills",
            focus=["ADOPTION"],
            countries=["FJ"],
            sdgs=["SDG4"],
            usd=None,
            pledge_type=PledgeType.PROGRAMMATIC,
            days_ago=3,
        ),
        "d": add_pledge(
            event.id,
            telco.id,
            "Policy toolkit",
            focus=["VALUE_CREATION"],
            countries=["FR", "AF"],
            usd=250,
            sector=PledgerSector.PRIVATE,
            pledge_type=PledgeType.POLICY,
            state=PledgeState.COMPLETED,
            days_ago=2,
        ),
        "e": add_pledge(
            event.id, org.id, "Advocacy week", pledge_type=PledgeType.ADVOCACY, days_ago=4
        ),
    }
    add_pledge(
        event.id,
        org.id,
        "Secret draft",
        focus=["ACCESS"],
        countries=["AF"],
        usd=99999,
        state=PledgeState.DRAFT,
    )
    add_pledge(
        event.id,
        org.id,
        "Withdrawn idea",
        focus=["ACCESS"],
        countries=["AF"],
        usd=77777,
        state=PledgeState.WITHDRAWN,
    )
    db.session.flush()
    return pledges


def titles(filters, sort="title"):
    return [p.title for p in db.session.scalars(reg.registry_query(filters, sort))]


def parse(**args):
    reference = reg.load_reference()
    return reg.parse_filters(MultiDict(args), reference)


def test_no_filter_shows_only_public_pledges(data):
    assert titles(reg.RegistryFilters()) == [
        "Advocacy week",
        "Island skills",
        "Policy toolkit",
        "Rural towers",
        "School connectivity",
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"ldc": "1"}, ["Policy toolkit", "School connectivity"]),
        ({"lldc": "true"}, ["Policy toolkit", "School connectivity"]),
        ({"sids": "1"}, ["Island skills"]),
        ({"region": "ASP"}, ["Island skills", "Policy toolkit", "School connectivity"]),
        ({"region": "afr"}, ["Rural towers"]),
        ({"country": "fr"}, ["Policy toolkit"]),
        ({"focus_area": "access"}, ["Rural towers", "School connectivity"]),
        ({"focus_area": "ACCESS", "ldc": "1"}, ["School connectivity"]),
        ({"sdg": "9"}, ["Rural towers", "School connectivity"]),
        ({"sdg": "SDG4", "region": "ASP"}, ["Island skills", "School connectivity"]),
        ({"sector": "private_sector"}, ["Policy toolkit", "Rural towers"]),
        ({"pledge_type": "advocacy"}, ["Advocacy week"]),
        ({"status": "completed"}, ["Policy toolkit"]),
        ({"q": "ISLAND"}, ["Island skills"]),
        ({"q": "telco towers"}, ["Rural towers"]),
        ({"q": "100%"}, []),
        (
            {"ldc": "0"},
            [
                "Advocacy week",
                "Island skills",
                "Policy toolkit",
                "Rural towers",
                "School connectivity",
            ],
        ),
    ],
)
def test_filters(data, args, expected):
    filters, errors = parse(**args)
    assert errors == {}
    assert titles(filters) == expected


@pytest.mark.parametrize(
    ("args", "bad"),
    [
        ({"focus_area": "NOPE"}, "focus_area"),
        ({"sdg": "SDG18"}, "sdg"),
        ({"country": "XX"}, "country"),
        ({"region": "MARS"}, "region"),
        ({"sector": "pirates"}, "sector"),
        ({"pledge_type": "bribe"}, "pledge_type"),
        ({"status": "draft"}, "status"),
        ({"ldc": "maybe"}, "ldc"),
        ({"event": "abc"}, "event"),
        ({"q": "x" * 201}, "q"),
        ({"kap_priority": "zzz"}, "kap_priority"),
        ({"regional_initiative": "AFR99"}, "regional_initiative"),
    ],
)
def test_bad_filters_are_named(data, args, bad):
    filters, errors = parse(**args)
    assert list(errors) == [bad]
    assert filters.args() == {}


def test_draft_status_never_shows_unpublished(data):
    filters, errors = parse(status="draft")
    assert errors
    assert "Secret draft" not in titles(filters)
    assert reg.public_pledge("P2C-2026-9999") is None


def test_event_filter(data, ctx):
    other, org = make_event_and_org("Other org")
    add_pledge(other.id, org.id, "Elsewhere")
    filters, _ = parse(event=str(other.id))
    assert titles(filters) == ["Elsewhere"]


def test_sorting(data):
    f = reg.RegistryFilters()
    assert titles(f, "newest") == [
        "Rural towers",
        "Policy toolkit",
        "Island skills",
        "Advocacy week",
        "School connectivity",
    ]
    assert titles(f, "oldest")[0] == "School connectivity"
    assert titles(f, "value")[:3] == ["Rural towers", "School connectivity", "Policy toolkit"]
    # Global Telco before the Ministry; ties in creation order.
    assert titles(f, "organization") == [
        "Rural towers",
        "Policy toolkit",
        "School connectivity",
        "Island skills",
        "Advocacy week",
    ]
    assert reg.parse_sort("bogus") is None
    assert reg.parse_sort("") == "newest"


def test_public_fields_derive_regions_and_flags(data):
    reference = reg.load_reference()
    record = reg.public_fields(data["d"], reference.countries)
    assert record["countries"] == ["AF", "FR"]
    assert record["regions"] == ["ASP", "EUR"]
    assert (record["ldc"], record["lldc"], record["sids"]) == (True, True, False)
    assert record["status"] == "completed"
    assert record["usd_value"] == 250
    for private in (
        "id",
        "created_by",
        "created_by_id",
        "comments",
        "organization_id",
        "event_id",
        "smart",
    ):
        assert private not in record


def test_statistics_known_answers(data):
    reference = reg.load_reference()
    stats = reg.statistics(reg.RegistryFilters(), reference)
    assert (stats.total, stats.usd, stats.ldc_count) == (5, 6250.0, 2)
    assert stats.ldc_share == pytest.approx(0.4)
    focus = {b.code: (b.count, b.usd) for b in stats.by_focus_area}
    assert focus == {
        "ACCESS": (2, 6000.0),
        "ACCELERATE": (1, 5000.0),
        "ADOPTION": (1, 0.0),
        "VALUE_CREATION": (1, 250.0),
    }
    # AF and NP are both ASP: pledge a counts once there.
    regions = {b.code: (b.count, b.usd) for b in stats.by_region}
    assert regions == {"ASP": (3, 1250.0), "AFR": (1, 5000.0), "EUR": (1, 250.0)}
    sdgs = [(b.code, b.count) for b in stats.by_sdg]
    assert sdgs == [("SDG4", 2), ("SDG9", 2)]
    sectors = {b.code: b.count for b in stats.by_sector}
    assert sectors == {"government": 3, "private_sector": 2}


def test_statistics_follow_filters(data):
    reference = reg.load_reference()
    filters, _ = parse(focus_area="ACCESS")
    stats = reg.statistics(filters, reference)
    assert (stats.total, stats.usd, stats.ldc_count) == (2, 6000.0, 1)
    empty, _ = parse(q="nothing matches this")
    stats = reg.statistics(empty, reference)
    assert (stats.total, stats.ldc_share, stats.by_region) == (0, 0.0, [])
