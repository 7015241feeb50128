"""An organizer appoints the co-chairs of one focus area from the directory, watching the
live preview change with the seat, until the rule checker turns green (the other areas'
co-chairs are already in place, covering the remaining regions)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from models import CochairAppointment, Event, Organization, Person, SeatCategory
from sessions import core
from webapp.extensions import db

pytestmark = pytest.mark.browser

MS, PS, CS = SeatCategory.MEMBER_STATE, SeatCategory.PRIVATE_SECTOR, SeatCategory.CIVIL_SOCIETY_IO


def _person(email, last, group, country, first=""):
    organization = Organization(name=f"{last} organization", constituent_group=group)
    db.session.add(organization)
    db.session.flush()
    person = Person(
        first_name=first,
        last_name=last,
        email=email,
        organization_id=organization.id,
        country_iso2=country,
    )
    db.session.add(person)
    db.session.flush()
    return person


def _setup(app, make_event, make_user):
    event_id = make_event("P2C-BR")
    make_user("secretariat@example.org", "Sara Secretariat", organizer_of=event_id)
    with app.app_context():
        areas = {a.code: a for a in core.ensure_focus_areas(db.session.get(Event, event_id))}
        # The other areas are complete; their Member States cover four regions.
        others = {
            "ADOPTION": [("EG", MS), ("IN", MS), ("FR", PS), ("CH", CS)],
            "VALUE_CREATION": [("KZ", MS), ("FR", PS), ("CH", CS)],
            "ACCELERATE": [("FR", MS), ("FR", PS), ("CH", CS)],
        }
        groups = {MS: "MS_MIN", PS: "PRIV", CS: "CSO"}
        for code, seats in others.items():
            for n, (country, seat) in enumerate(seats):
                person = _person(
                    f"{code.lower()}{n}@example.org", f"{code} {n}", groups[seat], country
                )
                db.session.add(
                    CochairAppointment(
                        event_id=event_id,
                        focus_area_id=areas[code].id,
                        person_id=person.id,
                        seat=seat,
                    )
                )
        _person("mina@gov.ke", "Minister", "MS_MIN", "KE", "Mina")
        _person("bruno@gov.br", "Secretary", "MS_SO", "BR", "Bruno")
        _person("tia@telco.example", "Telco", "PRIV", "FR", "Tia")
        _person("nia@ngo.example", "Advocate", "CSO", "KE", "Nia")
        db.session.commit()
        return event_id, areas["ACCESS"].id


def _login(page, email):
    page.goto("/account/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_organizer_appoints_cochairs_until_the_rules_are_met(app, page, make_event, make_user):
    event_id, access_id = _setup(app, make_event, make_user)
    _login(page, "secretariat@example.org")
    page.goto(f"/events/{event_id}/p2c")
    page.get_by_role("link", name="Co-chairs and the rules").click()

    overall = page.locator("#rules-overall")
    expect(overall).to_have_class("rule rule-missing")
    expect(page.locator("#rules-regions")).to_contain_text(
        "Regions without a Member State co-chair: Africa, Americas."
    )
    expect(page.locator("#rules-ACCESS")).to_contain_text("Missing: a private-sector co-chair")

    # Search the directory and choose a person: the form gets their address.
    page.get_by_label("Find a person in the directory").fill("telco")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Choose Tia Telco").click()
    email = page.get_by_label("Email of the directory person")
    expect(email).to_have_value("tia@telco.example")

    # The live preview follows the seat select.
    page.get_by_label("Focus area").select_option(str(access_id))
    page.get_by_label("Seat").select_option(PS.value)
    preview = page.locator("#appoint-preview")
    expect(page.locator("#preview-area-rules")).to_contain_text(
        "Private sector: exactly one, as required."
    )
    expect(preview).not_to_contain_text("would be refused")
    page.get_by_label("Seat").select_option(MS.value)
    expect(preview).to_contain_text("This appointment would be refused:")
    expect(preview).to_contain_text("does not sit in the Member State seat")
    expect(page.locator("#preview-area-rules")).to_contain_text(
        "Missing: a private-sector co-chair"
    )
    page.get_by_label("Seat").select_option(PS.value)
    expect(preview).not_to_contain_text("would be refused")
    page.get_by_role("button", name="Appoint and send the invitation").click()
    expect(page.get_by_text("Tia Telco was appointed to ACCESS")).to_be_visible()
    expect(page.locator("#appointments-ACCESS")).to_contain_text("Awaiting answer")

    # The others by their address; the Americas Member State covers the last region.
    for address, seat in (
        ("nia@ngo.example", CS),
        ("mina@gov.ke", MS),
        ("bruno@gov.br", MS),
    ):
        email.fill(address)
        page.get_by_label("Focus area").select_option(str(access_id))
        page.get_by_label("Seat").select_option(seat.value)
        expect(preview).not_to_contain_text("would be refused")
        page.get_by_role("button", name="Appoint and send the invitation").click()
        expect(page.get_by_text("was appointed to ACCESS")).to_be_visible()

    expect(overall).to_have_class("rule rule-met")
    expect(overall).to_contain_text("Every rule is met.")
    expect(page.locator("#rules-regions")).to_contain_text(
        "Member State co-chairs come from all six regions."
    )
    expect(page.locator("#rules-ACCESS .rule-missing")).to_have_count(0)
    expect(page.locator("#rules-ACCESS")).to_contain_text("4 co-chairs awaiting an answer")

    # Someone co-chairing another area is refused, beside the field, values kept.
    email.fill("value_creation0@example.org")
    page.get_by_label("Focus area").select_option(str(access_id))
    page.get_by_label("Seat").select_option(MS.value)
    expect(preview).to_contain_text("would be refused")
    page.get_by_role("button", name="Appoint and send the invitation").click()
    expect(page.locator("#email-error")).to_contain_text("already co-chairs VALUE CREATION")
    expect(email).to_have_value("value_creation0@example.org")
