"""The co-chair rule checker: every rule met and broken, regions across areas, which
appointment states count, the refusals of one more seat and the seat-group mapping."""

from __future__ import annotations

import pytest

from models import AppointmentState, SeatCategory
from sessions.cochairs import GROUP_SEATS, Seat, check_rules, refusal, seat_fits_group

MS, PS, CS = SeatCategory.MEMBER_STATE, SeatCategory.PRIVATE_SECTOR, SeatCategory.CIVIL_SOCIETY_IO
AREAS = ("ACCESS", "ADOPTION", "VALUE_CREATION", "ACCELERATE")
INVITED, ACCEPTED = AppointmentState.INVITED, AppointmentState.ACCEPTED
DECLINED, WITHDRAWN = AppointmentState.DECLINED, AppointmentState.WITHDRAWN


def full(area, regions=("AFR",), state=ACCEPTED):
    """A complete area: one Member State seat per region given, private sector, civil
    society."""
    return [Seat(area, MS, state, r) for r in regions] + [
        Seat(area, PS, state, "EUR"),
        Seat(area, CS, state, "EUR"),
    ]


def every_area_met():
    return (
        full("ACCESS", ("AFR", "AMS"))
        + full("ADOPTION", ("ARB", "ASP"))
        + full("VALUE_CREATION", ("CIS",))
        + full("ACCELERATE", ("EUR",))
    )


def rules_of(report, area):
    return {r.key: r for r in report.area(area).rules}


def test_every_rule_met():
    report = check_rules(AREAS, every_area_met())
    assert report.met
    assert all(a.met and not a.missing for a in report.areas)
    assert report.regions.met and report.uncovered == ()
    assert report.area("ACCESS").held == 4
    assert report.area("VALUE_CREATION").held == 3


def test_empty_area_misses_everything():
    report = check_rules(AREAS, [])
    rules = rules_of(report, "ACCESS")
    assert not report.met
    assert {k for k, r in rules.items() if not r.met} == {
        "seats",
        "member_state",
        "private_sector",
        "civil_society_io",
    }
    assert "Missing: a private-sector co-chair" in rules["private_sector"].message
    assert "Missing: a Member State co-chair" in rules["member_state"].message
    assert "civil-society or international-organization" in rules["civil_society_io"].message
    assert "3 more" in rules["seats"].message
    assert not report.regions.met
    assert report.uncovered == ("AFR", "AMS", "ARB", "ASP", "CIS", "EUR")


@pytest.mark.parametrize(
    ("seats", "key"),
    [
        ([Seat("ACCESS", PS), Seat("ACCESS", CS)], "member_state"),
        ([Seat("ACCESS", MS, region="AFR"), Seat("ACCESS", CS)], "private_sector"),
        ([Seat("ACCESS", MS, region="AFR"), Seat("ACCESS", PS)], "civil_society_io"),
    ],
)
def test_each_missing_category_is_named(seats, key):
    rules = rules_of(check_rules(AREAS, seats), "ACCESS")
    assert not rules[key].met
    assert not rules["seats"].met and "1 more" in rules["seats"].message
    assert all(r.met for k, r in rules.items() if k not in (key, "seats"))


def test_three_member_states_are_too_many():
    seats = full("ACCESS", ("AFR", "AMS", "ARB"))
    rules = rules_of(check_rules(AREAS, seats), "ACCESS")
    assert not rules["member_state"].met
    assert "Too many" in rules["member_state"].message
    assert not rules["seats"].met and "at most 4" in rules["seats"].message


@pytest.mark.parametrize("seat", [PS, CS])
def test_a_second_private_or_civil_society_seat_is_too_many(seat):
    seats = full("ACCESS") + [Seat("ACCESS", seat, region="EUR")]
    rules = rules_of(check_rules(AREAS, seats), "ACCESS")
    assert not rules[seat.value].met
    assert "Too many" in rules[seat.value].message
    assert rules["seats"].met  # four seats: the count itself is fine


def test_one_or_two_member_states_both_meet_the_rule():
    for regions in (("AFR",), ("AFR", "AMS")):
        report = check_rules(AREAS, full("ACCESS", regions))
        assert report.area("ACCESS").met


def test_regions_across_areas_name_the_missing_ones():
    seats = (
        full("ACCESS", ("AFR", "AMS"))
        + full("ADOPTION", ("ASP",))
        + full("VALUE_CREATION", ("EUR",))
        + full("ACCELERATE", ("AFR",))
    )
    report = check_rules(AREAS, seats)
    assert all(a.met for a in report.areas)
    assert not report.met and not report.regions.met
    assert report.uncovered == ("ARB", "CIS")
    assert report.regions.message == "Regions without a Member State co-chair: Arab States, CIS."


def test_only_member_state_seats_cover_regions():
    seats = [Seat("ACCESS", PS, region=r) for r in ("AFR", "AMS", "ARB", "ASP", "CIS", "EUR")]
    assert not check_rules(AREAS, seats).regions.met


def test_member_state_without_region_covers_none():
    report = check_rules(AREAS, [Seat("ACCESS", MS, region=None)])
    assert rules_of(report, "ACCESS")["member_state"].met
    assert len(report.uncovered) == 6


def test_invited_counts_and_is_shown_as_awaiting():
    seats = full("ACCESS", ("AFR",), state=INVITED)
    report = check_rules(AREAS, seats)
    assert report.area("ACCESS").met
    assert report.area("ACCESS").awaiting == 3


@pytest.mark.parametrize("state", [DECLINED, WITHDRAWN])
def test_declined_and_withdrawn_do_not_count(state):
    seats = [Seat("ACCESS", MS, ACCEPTED, "AFR"), Seat("ACCESS", PS, ACCEPTED)] + [
        Seat("ACCESS", CS, state)
    ]
    report = check_rules(AREAS, seats)
    assert not rules_of(report, "ACCESS")["civil_society_io"].met
    assert report.area("ACCESS").held == 2
    # A withdrawn Member State co-chair leaves their region uncovered.
    gone = check_rules(AREAS, [Seat("ACCESS", MS, state, "ARB")])
    assert "ARB" in gone.uncovered


def test_seats_of_areas_outside_the_list_are_ignored():
    report = check_rules(("ACCESS",), full("OTHER", ("AFR",)))
    assert report.area("ACCESS").held == 0
    assert "AFR" in report.uncovered


# --- refusals of one more seat ------------------------------------------------------------


def test_refusal_of_a_third_member_state():
    seats = [Seat("ACCESS", MS, region="AFR"), Seat("ACCESS", MS, INVITED, "AMS")]
    assert "2 Member State" in refusal(seats, MS)
    assert refusal(seats, PS) is None


@pytest.mark.parametrize("seat", [PS, CS])
def test_refusal_of_a_second_private_or_civil_society_seat(seat):
    assert "already has its" in refusal([Seat("ACCESS", seat)], seat)


def test_refusal_of_a_fifth_co_chair():
    # Four seats held (stored before the rules were checked): any fifth is refused.
    seats = [Seat("ACCESS", MS), Seat("ACCESS", PS), Seat("ACCESS", PS), Seat("ACCESS", PS)]
    assert "4 co-chairs" in refusal(seats, CS)


def test_ended_appointments_free_their_seat():
    assert refusal([Seat("ACCESS", PS, DECLINED), Seat("ACCESS", PS, WITHDRAWN)], PS) is None


# --- seats and constituent groups ---------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "allowed"),
    [
        ("MS_MIN", {MS}),
        ("MS_SO", {MS}),
        ("SM", {PS}),
        ("PRIV", {PS}),
        ("INV", {PS}),
        ("CSO", {CS}),
        ("UN", {CS}),
        ("IFI", {CS}),
        ("RTO", {CS}),
        ("MARG_WG", {CS}),
        ("CN", {PS, CS}),
        (None, {MS, PS, CS}),
        ("UNKNOWN", {MS, PS, CS}),
    ],
)
def test_seat_fits_group(group, allowed):
    assert {s for s in SeatCategory if seat_fits_group(s, group)} == allowed


def test_every_reference_group_is_mapped():
    from webapp.reference import raw

    codes = {g["code"] for g in raw()["constituent_groups"]}
    assert codes == set(GROUP_SEATS)
