"""Pledge form services called directly (no HTTP): drafts saved at any point, value
checks, USD conversion, completeness and the SMART checklist, geography, closed pledges
and pledges for someone else's organization."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from models import (
    AuditEntry,
    Event,
    ExchangeRate,
    Organization,
    Person,
    PledgeState,
    PledgeType,
    User,
)
from pledges import core, pledging
from pledges.pledging import (
    PledgeClosed,
    PledgeError,
    PledgeForbidden,
    PledgeInvalid,
    check_complete,
    create_draft,
    update_pledge,
)
from webapp.extensions import db

SMART_ALL = dict.fromkeys(pledging.SMART_CRITERIA, True)


def complete_fields(**changes):
    """Everything submission needs, for a financial pledge in EUR."""
    fields = {
        "title": "Connect 500 rural schools",
        "description": "Fibre and satellite links for schools in three countries.",
        "pledge_type": "financial",
        "sector": "private_sector",
        "focus_areas": ["ACCESS"],
        "countries": ["KE", "RW"],
        "amount": "1000000",
        "currency": "EUR",
        "start_date": date(2026, 3, 1),
        "end_date": date(2028, 12, 31),
        "smart": SMART_ALL,
    }
    fields.update(changes)
    return fields


@pytest.fixture
def world(ctx, make_user, make_event):
    """An event, an organization with a linked member, an outsider, an organizer, and
    EUR rates."""
    event_id = make_event("PL-1")
    ids = {
        "member": make_user("member@x.org", "Mia Member"),
        "outsider": make_user("outsider@x.org", "Otto Outsider"),
        "organizer": make_user("org@x.org", "Olga Organizer", organizer_of=event_id),
    }
    event = db.session.get(Event, event_id)
    org = Organization(name="Example Telecom")
    other = Organization(name="Other Org")
    db.session.add_all([org, other])
    db.session.flush()
    db.session.add_all(
        [
            Person(
                last_name="Member",
                email="member@x.org",
                organization_id=org.id,
                user_id=ids["member"],
            ),
            Person(
                last_name="Outsider",
                email="outsider@x.org",
                organization_id=other.id,
                user_id=ids["outsider"],
            ),
            ExchangeRate(currency="EUR", usd_per_unit=Decimal("1.08"), as_of=date(2026, 1, 1)),
            ExchangeRate(currency="EUR", usd_per_unit=Decimal("1.10"), as_of=date(2026, 6, 1)),
        ]
    )
    db.session.commit()
    return {
        "event": event,
        "org": org,
        "other": other,
        **{k: db.session.get(User, v) for k, v in ids.items()},
    }


def test_an_empty_draft_can_be_saved(world):
    pledge = create_draft(world["member"], world["event"], world["org"])
    assert pledge.state == PledgeState.DRAFT and pledge.title == ""
    assert pledge.created_by_id == world["member"].id
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "pledge.created"))
    assert len(list(audit)) == 1


def test_pledge_for_an_organization_the_user_does_not_belong_to_is_refused(world):
    with pytest.raises(PledgeForbidden):
        create_draft(world["outsider"], world["event"], world["org"], title="Not mine")


def test_organizers_may_pledge_for_any_organization(world):
    pledge = create_draft(world["organizer"], world["event"], world["org"], title="On behalf")
    assert pledge.organization_id == world["org"].id


def test_values_and_tags_are_stored(world):
    pledge = create_draft(
        world["member"],
        world["event"],
        world["org"],
        **complete_fields(
            sdgs=["SDG4", "SDG9"],
            beneficiary_groups=["youth"],
            kap_priorities=["affordable_connectivity"],
            regional_initiatives=["AFR1"],
            pillars=["Schools", " ", "Clinics"],
            people_to_reach=250_000,
        ),
    )
    assert core.tag_codes(pledge, "country") == ["KE", "RW"]
    assert core.tag_codes(pledge, "sdg") == ["SDG4", "SDG9"]
    assert core.tag_codes(pledge, "regional_initiative") == ["AFR1"]
    assert pledge.pillars == ["Schools", "Clinics"]
    assert pledge.pledge_type == PledgeType.FINANCIAL and pledge.people_to_reach == 250_000


def test_usd_value_uses_the_rate_at_the_start_date(world):
    pledge = create_draft(world["member"], world["event"], world["org"], **complete_fields())
    assert pledge.usd_value == Decimal("1080000.00")
    assert pledge.usd_rate == Decimal("1.08") and pledge.usd_rate_date == date(2026, 1, 1)
    update_pledge(world["member"], pledge, start_date=date(2026, 7, 1))
    assert pledge.usd_value == Decimal("1100000.00") and pledge.usd_rate_date == date(2026, 6, 1)
    update_pledge(world["member"], pledge, amount="1,000,000.50", currency="USD")
    assert pledge.usd_value == Decimal("1000000.50") and pledge.usd_rate == 1


def test_the_stored_rate_is_kept_when_the_value_does_not_change(world):
    pledge = create_draft(world["member"], world["event"], world["org"], **complete_fields())
    db.session.add(ExchangeRate(currency="EUR", usd_per_unit=Decimal("2"), as_of=date(2026, 2, 1)))
    update_pledge(world["member"], pledge, title="New title")
    assert pledge.usd_rate == Decimal("1.08")


def test_clearing_the_amount_clears_the_usd_value(world):
    pledge = create_draft(world["member"], world["event"], world["org"], **complete_fields())
    update_pledge(world["member"], pledge, amount=None, currency=None)
    assert pledge.usd_value is None and pledge.usd_rate is None


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"amount": "-5", "currency": "USD"}, "amount", "cannot be negative"),
        ({"amount": "1e20", "currency": "USD"}, "amount", "too large"),
        ({"amount": "lots", "currency": "USD"}, "amount", "as a number"),
        ({"amount": "NaN", "currency": "USD"}, "amount", "as a number"),
        ({"amount": "100"}, "currency", "currency of the amount"),
        ({"amount": "100", "currency": "XYZ"}, "currency", "No exchange rate"),
        ({"currency": "EURO"}, "currency", "Choose a currency"),
        (
            {"start_date": date(2027, 1, 1), "end_date": date(2026, 1, 1)},
            "end_date",
            "cannot be before",
        ),
        ({"start_date": date(1999, 12, 31)}, "start_date", "between 2000 and 2100"),
        ({"end_date": "2026-13-01"}, "end_date", "YYYY-MM-DD"),
        ({"countries": ["KE", "ZZ", "QQ"]}, "countries", "QQ, ZZ"),
        ({"sdgs": ["SDG4", "SDG99"]}, "sdgs", "SDG99"),
        ({"focus_areas": ["NOPE"]}, "focus_areas", "NOPE"),
        ({"beneficiary_groups": ["aliens"]}, "beneficiary_groups", "aliens"),
        ({"countries": "KE"}, "countries", "Choose from the list"),
        ({"title": "x" * 301}, "title", "At most"),
        ({"description": "x" * 20_001}, "description", "At most"),
        ({"pledge_type": "gift"}, "pledge_type", "Choose one"),
        ({"sector": "pirates"}, "sector", "Choose one"),
        ({"people_to_reach": -1}, "people_to_reach", "whole number"),
        ({"people_to_reach": 10**10 + 1}, "people_to_reach", "whole number"),
        ({"people_to_reach": "many"}, "people_to_reach", "whole number"),
        ({"pillars": ["p"] * 21}, "pillars", "At most"),
        ({"smart": ["specific"]}, "smart", "Tick the boxes"),
    ],
)
def test_bad_values_are_refused_with_their_field(world, fields, field, message):
    with pytest.raises(PledgeInvalid) as caught:
        create_draft(world["member"], world["event"], world["org"], **fields)
    assert message in caught.value.errors[field]


def test_every_bad_field_is_reported_at_once(world):
    with pytest.raises(PledgeInvalid) as caught:
        create_draft(
            world["member"],
            world["event"],
            world["org"],
            title="x" * 400,
            countries=["ZZ"],
            amount="-1",
            currency="USD",
        )
    assert {"title", "countries", "amount"} <= set(caught.value.errors)


def test_unknown_field_names_are_a_programming_error(world):
    with pytest.raises(TypeError):
        create_draft(world["member"], world["event"], world["org"], colour="red")


def test_completeness_lists_everything_missing(world):
    pledge = create_draft(world["member"], world["event"], world["org"], pledge_type="financial")
    missing = check_complete(pledge)
    expected = {
        "title",
        "description",
        "sector",
        "focus_areas",
        "countries",
        "amount",
        "currency",
        "start_date",
        "end_date",
    }
    expected |= {f"smart_{k}" for k in pledging.SMART_CRITERIA}
    assert set(missing) == expected
    update_pledge(world["member"], pledge, **complete_fields())
    assert check_complete(pledge) == {}


def test_non_financial_pledges_need_no_amount(world):
    pledge = create_draft(
        world["member"],
        world["event"],
        world["org"],
        **complete_fields(pledge_type="policy", amount=None, currency=None),
    )
    assert check_complete(pledge) == {}


@pytest.mark.parametrize("criterion", list(pledging.SMART_CRITERIA))
def test_each_smart_box_is_needed_with_its_guidance(world, criterion):
    smart = dict(SMART_ALL, **{criterion: False})
    pledge = create_draft(
        world["member"], world["event"], world["org"], **complete_fields(smart=smart)
    )
    missing = check_complete(pledge)
    assert list(missing) == [f"smart_{criterion}"]
    assert str(pledging.SMART_CRITERIA[criterion][1]) in missing[f"smart_{criterion}"]


def test_smart_ignores_unknown_keys(world):
    pledge = create_draft(
        world["member"], world["event"], world["org"], smart={"specific": 1, "sneaky": True}
    )
    assert pledge.smart == dict.fromkeys(pledging.SMART_CRITERIA, False) | {"specific": True}


def test_geography_follows_the_countries(world):
    pledge = create_draft(
        world["member"], world["event"], world["org"], countries=["RW", "FJ", "FR"]
    )
    geo = pledging.geography(pledge)
    assert geo["regions"] == ["AFR", "ASP", "EUR"]
    assert geo["ldc"] and geo["lldc"] and geo["sids"]
    assert [c.iso2 for c in geo["countries"]] == ["FJ", "FR", "RW"]
    update_pledge(world["member"], pledge, countries=["FR"])
    geo = pledging.geography(pledge)
    assert geo["regions"] == ["EUR"] and not (geo["ldc"] or geo["lldc"] or geo["sids"])


@pytest.mark.parametrize(
    "state",
    [
        PledgeState.SUBMITTED,
        PledgeState.APPROVED,
        PledgeState.PUBLISHED,
        PledgeState.COMPLETED,
        PledgeState.WITHDRAWN,
    ],
)
def test_closed_pledges_cannot_be_edited(world, state):
    pledge = create_draft(world["member"], world["event"], world["org"], title="Before")
    pledge.state = state
    with pytest.raises(PledgeClosed):
        update_pledge(world["member"], pledge, title="After")
    assert pledge.title == "Before"


def test_pledge_sent_back_for_changes_can_be_edited(world):
    pledge = create_draft(world["member"], world["event"], world["org"], title="Before")
    pledge.state = PledgeState.CHANGES_REQUESTED
    update_pledge(world["member"], pledge, title="After")
    assert pledge.title == "After"


def test_outsiders_cannot_edit(world):
    pledge = create_draft(world["member"], world["event"], world["org"], title="Mine")
    with pytest.raises(PledgeForbidden):
        update_pledge(world["outsider"], pledge, title="Theirs")


def test_errors_carry_a_field(world):
    with pytest.raises(PledgeError) as caught:
        create_draft(world["member"], world["event"], None)
    assert caught.value.field == "organization"
