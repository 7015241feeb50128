"""Coalition signatures called directly (no HTTP): who may sign, the confirmation, dates,
one active signature per organization, revoking, the public and organizer lists, and the
exchange-rate rules and seed."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from models import AuditEntry, CoalitionSignature, Event, ExchangeRate, Organization, Person, User
from pledges import coalition, rates
from pledges.coalition import CoalitionError, CoalitionForbidden
from tests.conftest import outbox
from webapp.extensions import db


@pytest.fixture
def setup(ctx, make_user, make_event):
    """An event, its organizer, a member of an organization and a stranger."""
    event = db.session.get(Event, make_event("EV-C"))
    organizer = db.session.get(User, make_user("org@x.org", "Olga", organizer_of=event.id))
    member = db.session.get(User, make_user("member@x.org", "Mia Member"))
    stranger = db.session.get(User, make_user("stranger@x.org", "Sam"))
    organization = Organization(name="Example Telecom", country_iso2="KE")
    other = Organization(name="Other Org", country_iso2="FR")
    db.session.add_all([organization, other])
    db.session.flush()
    db.session.add(
        Person(
            last_name="Member", email="member@x.org", user_id=member.id, organization=organization
        )
    )
    db.session.commit()
    return event, organizer, member, stranger, organization, other


def sign(member, event, organization, **changes):
    values = dict(
        signer_name="Mia Member",
        signer_function="CEO",
        signed_on=None,
        confirmed=True,
    )
    values.update(changes)
    return coalition.sign(member, event, organization, **values)


def test_member_signs_with_audit_and_mail(app, setup):
    event, _organizer, member, _stranger, organization, _other = setup
    signature = sign(member, event, organization)
    db.session.commit()
    assert signature.signed_on == date.today()
    assert signature.confirmed is True
    assert signature.signed_by_id == member.id
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.object_id == signature.id))
    (message,) = outbox(app, "member@x.org")
    assert "Example Telecom" in message.subject
    assert "CEO" in message.body_text


def test_not_a_member_is_refused(setup):
    event, _organizer, member, stranger, organization, other = setup
    with pytest.raises(CoalitionForbidden):
        sign(stranger, event, organization)
    with pytest.raises(CoalitionForbidden) as error:
        sign(member, event, other)
    assert "Other Org" not in str(error.value)  # the directory is not public
    assert error.value.field == "organization"
    assert db.session.scalar(select(func.count(CoalitionSignature.id))) == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"confirmed": False}, "confirmed"),
        ({"confirmed": None}, "confirmed"),
        ({"confirmed": "yes"}, "confirmed"),
        ({"signed_on": date.today() + timedelta(days=1)}, "signed_on"),
        ({"signed_on": date(1999, 12, 31)}, "signed_on"),
        ({"signer_name": "   "}, "signer_name"),
        ({"signer_function": ""}, "signer_function"),
        ({"signer_name": "x" * 201}, "signer_name"),
    ],
)
def test_bad_signatures_are_refused(setup, changes, field):
    event, _organizer, member, _stranger, organization, _other = setup
    with pytest.raises(CoalitionError) as error:
        sign(member, event, organization, **changes)
    assert error.value.field == field
    assert str(error.value)


def test_no_organization_is_refused(setup):
    event, _organizer, member, *_rest = setup
    with pytest.raises(CoalitionError) as error:
        sign(member, event, None)
    assert error.value.field == "organization"


def test_second_signature_names_the_date_and_a_revocation_stands(setup):
    event, organizer, member, _stranger, organization, _other = setup
    first = sign(member, event, organization, signed_on=date(2025, 3, 4))
    with pytest.raises(CoalitionError) as error:
        sign(member, event, organization)
    assert "Example Telecom already signed" in str(error.value)
    assert "2025" in str(error.value)
    coalition.revoke(organizer, first, "Signed by mistake.")
    with pytest.raises(CoalitionError) as error:
        sign(member, event, organization)
    assert "revoked" in str(error.value)


def test_same_organization_may_sign_for_another_event(setup, make_event):
    event, _organizer, member, _stranger, organization, _other = setup
    sign(member, event, organization)
    db.session.commit()
    other_event = db.session.get(Event, make_event("EV-D"))
    assert sign(member, other_event, organization).event_id == other_event.id


def test_revoke_rules(setup):
    event, organizer, member, stranger, organization, _other = setup
    signature = sign(member, event, organization)
    for actor in (member, stranger):
        with pytest.raises(CoalitionForbidden):
            coalition.revoke(actor, signature, "No.")
    with pytest.raises(CoalitionError) as error:
        coalition.revoke(organizer, signature, "   ")
    assert error.value.field == "reason"
    with pytest.raises(CoalitionError):
        coalition.revoke(organizer, signature, "x" * 2001)
    assert signature.revoked_at is None
    coalition.revoke(organizer, signature, "Not authorized to sign.")
    assert signature.revoked_at is not None
    assert signature.revoked_by_id == organizer.id
    assert signature.revoke_reason == "Not authorized to sign."
    with pytest.raises(CoalitionError):
        coalition.revoke(organizer, signature, "Again.")
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"coalition.signed", "coalition.revoked"} <= actions


def test_organizer_of_another_event_cannot_revoke(setup, make_event, make_user):
    event, _organizer, member, _stranger, organization, _other = setup
    signature = sign(member, event, organization)
    db.session.commit()
    elsewhere = db.session.get(User, make_user("else@x.org", organizer_of=make_event("EV-E")))
    with pytest.raises(CoalitionForbidden):
        coalition.revoke(elsewhere, signature, "Reason.")


def test_public_list_has_active_signatures_only_and_sorts(setup):
    event, organizer, member, stranger, organization, other = setup
    db.session.add(Person(last_name="Two", user_id=stranger.id, organization=other))
    db.session.flush()
    first = sign(member, event, organization, signed_on=date(2025, 1, 1))
    sign(stranger, event, other, signed_on=date(2025, 6, 1))
    assert [s.organization.name for s in coalition.public_signatories(event)] == [
        "Other Org",
        "Example Telecom",
    ]
    by_country = coalition.public_signatories(event, "country")
    assert [s.organization.country_iso2 for s in by_country] == ["FR", "KE"]
    coalition.revoke(organizer, first, "Mistake.")
    assert [s.organization.name for s in coalition.public_signatories(event)] == ["Other Org"]
    signatures, users = coalition.all_signatures(event)
    assert len(signatures) == 2
    assert set(users) == {member.id, stranger.id, organizer.id}


# --- exchange rates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "rate", "field"),
    [
        ("EU", "1.1", "currency"),
        ("EURO", "1.1", "currency"),
        ("E1R", "1.1", "currency"),
        ("USD", "1", "currency"),
        ("EUR", "0", "usd_per_unit"),
        ("EUR", "-1", "usd_per_unit"),
        ("EUR", "100000", "usd_per_unit"),
        ("EUR", "abc", "usd_per_unit"),
        ("EUR", "NaN", "usd_per_unit"),
        ("EUR", "0.000000001", "usd_per_unit"),
    ],
)
def test_bad_rates_are_refused(setup, currency, rate, field):
    _event, organizer, *_rest = setup
    with pytest.raises(rates.RateError) as error:
        rates.add_rate(organizer, currency, rate, date(2025, 1, 1), "test")
    assert error.value.field == field


def test_rate_stored_once_per_currency_and_date(setup):
    _event, organizer, *_rest = setup
    stored = rates.add_rate(organizer, "eur", Decimal("1.08"), date(2025, 1, 1), "ECB")
    assert stored.currency == "EUR"
    with pytest.raises(rates.RateError) as error:
        rates.add_rate(organizer, "EUR", "1.09", date(2025, 1, 1), "ECB")
    assert error.value.field == "as_of"
    rates.add_rate(organizer, "EUR", "1.09", date(2025, 2, 1), "ECB")
    assert [r.as_of for r in rates.list_rates()] == [date(2025, 2, 1), date(2025, 1, 1)]


def test_seed_rates_load_once(ctx):
    added = rates.load_seed_rates()
    assert added >= 15
    assert rates.load_seed_rates() == 0
    sources = set(db.session.scalars(select(ExchangeRate.source)))
    assert sources == {"demo seed — replace with official rates"}
    db.session.rollback()
