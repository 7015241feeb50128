"""The balance panel's tally: every role and region listed even at zero, the missing
roles named, shares, people without a value counted apart."""

from __future__ import annotations

from sessions.balance import Facts, tally


def test_empty_balance_names_every_role_as_missing():
    balance = tally([])
    assert balance.total == 0
    assert len(balance.missing) == 4
    assert "No funders yet." in balance.missing
    assert [r.code for r in balance["role"].rows] == [
        "problem_owner",
        "solution_provider",
        "funder",
        "beneficiary",
    ]
    assert all(r.count == 0 and r.share == 0 for r in balance["role"].rows)
    assert [r.code for r in balance["region"].rows] == ["AFR", "AMS", "ARB", "ASP", "CIS", "EUR"]
    assert balance["group"].rows == ()


def test_counts_shares_and_missing_roles():
    people = [
        Facts("problem_owner", "MS_MIN", "AFR", "f"),
        Facts("problem_owner", "MS_SO", "AFR", "m"),
        Facts("solution_provider", "PRIV", "EUR", "f"),
        Facts("beneficiary", "PRIV", None, ""),
    ]
    balance = tally(people, {"MS_MIN": "Ministers", "MS_SO": "Officials", "PRIV": "Private"})
    assert balance.total == 4
    assert balance.missing == ("No funders yet.",)
    assert balance.counts("role") == {"problem_owner": 2, "solution_provider": 1, "beneficiary": 1}
    assert balance["role"].count("funder") == 0
    # groups by count, then by label
    assert [(r.code, r.label, r.count) for r in balance["group"].rows] == [
        ("PRIV", "Private", 2),
        ("MS_MIN", "Ministers", 1),
        ("MS_SO", "Officials", 1),
    ]
    assert balance.counts("region") == {"AFR": 2, "EUR": 1, "": 1}
    unknown = balance["region"].rows[-1]
    assert unknown.code == "" and unknown.label == "Not given" and unknown.percent == 25
    assert balance.counts("gender") == {"f": 2, "m": 1, "": 1}
    assert balance["role"].rows[0].share == 0.5 and balance["role"].rows[0].percent == 50


def test_no_role_and_unknown_codes_are_shown_not_dropped():
    balance = tally([Facts(None, "NEW_GROUP", "XYZ", "x")])
    assert balance.counts("role") == {"": 1}
    assert balance["role"].rows[-1].label == "Not given"
    assert balance["group"].rows[0].label == "NEW_GROUP"
    assert balance.counts("region") == {"XYZ": 1}
    assert balance.counts("gender") == {"x": 1}
    assert [r.code for r in balance["gender"].rows] == ["f", "m", "x"]
    assert len(balance.missing) == 4
