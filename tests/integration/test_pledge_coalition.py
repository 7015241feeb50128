"""The coalition pages through the client: every route per role, signing with errors
beside the fields, the public list of active signatures, revoking, query counts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from models import CoalitionSignature, Organization, Person, User
from tests.conftest import outbox
from webapp.extensions import db


@pytest.fixture
def world(app, make_event, make_user):
    """Two events, an organizer of the first, a member of an organization, a stranger,
    and a signature of the member's organization."""
    event_id = make_event("CO-A")
    other_event = make_event("CO-B")
    make_user("org@x.org", "Olga", organizer_of=event_id)
    member_id = make_user("member@x.org", "Mia Member")
    make_user("stranger@x.org", "Sam")
    with app.app_context():
        organization = Organization(name="Example Telecom", country_iso2="KE")
        signed = Organization(name="Signed Org", country_iso2="FR")
        db.session.add_all([organization, signed])
        db.session.flush()
        db.session.add(
            Person(
                last_name="M", email="member@x.org", user_id=member_id, organization=organization
            )
        )
        signature = CoalitionSignature(
            event_id=event_id,
            organization_id=signed.id,
            signer_name="Sig Ner",
            signer_function="CEO",
            signed_on=date(2025, 5, 5),
            confirmed=True,
        )
        foreign = CoalitionSignature(
            event_id=other_event,
            organization_id=signed.id,
            signer_name="Other",
            signer_function="CEO",
            signed_on=date(2025, 5, 5),
            confirmed=True,
        )
        db.session.add_all([signature, foreign])
        db.session.commit()
        return {
            "event": event_id,
            "other": other_event,
            "organization": organization.id,
            "signature": signature.id,
            "foreign": foreign.id,
        }


def urls(w):
    e, s = w["event"], w["signature"]
    return [
        ("GET", f"/events/{e}/coalition"),
        ("GET", f"/events/{e}/coalition/sign"),
        ("GET", f"/events/{e}/coalition/signatures"),
        ("POST", f"/events/{e}/coalition/signatures/{s}/revoke"),
    ]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (None, [200, 302, 302, 302]),
        ("member@x.org", [200, 200, 403, 403]),
        ("stranger@x.org", [200, 200, 403, 403]),
        ("org@x.org", [200, 200, 200, 400]),
    ],
)
def test_routes_per_role(client, login, world, who, expected):
    if who:
        login(who)
    got = [
        (client.get(url) if method == "GET" else client.post(url, data={})).status_code
        for method, url in urls(world)
    ]
    assert got == expected


def test_public_page_shows_active_signatures_only(app, client, world, make_user):
    page = client.get(f"/events/{world['event']}/coalition").get_data(as_text=True)
    assert "Signed Org" in page and "France" in page
    assert "1 organization has signed." in page
    assert "Partner2Connect Digital Coalition" in page
    with app.app_context():
        db.session.get(CoalitionSignature, world["signature"]).revoked_at = db.func.now()
        db.session.commit()
    page = client.get(f"/events/{world['event']}/coalition?sort=country").get_data(as_text=True)
    assert "Signed Org" not in page
    assert client.get("/events/9999/coalition").status_code == 404
    assert client.get(f"/events/{world['event']}/coalition?sort=x';--").status_code == 200


def test_member_signs_and_appears_in_the_public_list(app, client, login, world):
    login("member@x.org")
    page = client.get(f"/events/{world['event']}/coalition/sign").get_data(as_text=True)
    assert "Example Telecom" in page and "I am authorized to sign" in page
    response = client.post(
        f"/events/{world['event']}/coalition/sign",
        data={
            "organization": str(world["organization"]),
            "signer_name": "Mia Member",
            "signer_function": "CEO",
            "signed_on": "",
            "confirmed": "y",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/events/{world['event']}/coalition").get_data(as_text=True)
    assert "Example Telecom" in page and "2 organizations have signed." in page
    assert outbox(app, "member@x.org")[0].template == "pledges/coalition_signed"
    again = client.post(
        f"/events/{world['event']}/coalition/sign",
        data={
            "organization": str(world["organization"]),
            "signer_name": "Mia Member",
            "signer_function": "CEO",
            "confirmed": "y",
        },
    )
    assert again.status_code == 400
    assert "already signed the statement on" in again.get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "status", "message"),
    [
        ({"confirmed": ""}, 400, "Confirm that you are authorized"),
        ({"signed_on": (date.today() + timedelta(days=2)).isoformat()}, 400, "in the future"),
        ({"signed_on": "not a date"}, 400, "Not a valid date"),
        ({"signer_name": ""}, 400, "Enter the name"),
        ({"signer_function": "x" * 500}, 400, "200"),
        ({"organization": ""}, 400, "Choose the organization"),
        ({"organization": "abc"}, 400, "Choose the organization"),
        ({"organization": "OTHER"}, 403, "only for an organization you belong to"),
        ({"organization": "99999"}, 400, "Choose the organization"),
    ],
)
def test_sign_bad_input_keeps_what_was_typed(app, client, login, world, changes, status, message):
    if changes.get("organization") == "OTHER":
        with app.app_context():
            changes["organization"] = str(
                db.session.scalar(select(Organization.id).where(Organization.name == "Signed Org"))
            )
    login("member@x.org")
    data = {
        "organization": str(world["organization"]),
        "signer_name": "Mia Typed",
        "signer_function": "Chief Typist",
        "confirmed": "y",
        **changes,
    }
    response = client.post(f"/events/{world['event']}/coalition/sign", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert message in page
    if changes.get("signer_name") is None:
        assert "Mia Typed" in page
    with app.app_context():
        assert (
            db.session.scalar(
                select(CoalitionSignature).where(
                    CoalitionSignature.organization_id == world["organization"]
                )
            )
            is None
        )


def test_non_member_sees_explanation_and_cannot_post(client, login, world):
    login("stranger@x.org")
    page = client.get(f"/events/{world['event']}/coalition/sign").get_data(as_text=True)
    assert "not linked to an organization" in page
    response = client.post(
        f"/events/{world['event']}/coalition/sign",
        data={
            "organization": str(world["organization"]),
            "signer_name": "S",
            "signer_function": "F",
            "confirmed": "y",
        },
    )
    assert response.status_code == 403


def test_organizer_sees_all_and_revokes(app, client, login, world):
    login("org@x.org")
    page = client.get(f"/events/{world['event']}/coalition/signatures").get_data(as_text=True)
    assert "Sig Ner" in page and "Other" not in page.split("<table", 1)[1].split("Sig Ner")[0]
    url = f"/events/{world['event']}/coalition/signatures/{world['signature']}/revoke"
    prefix = f"s{world['signature']}-"
    bad = client.post(url, data={prefix + "reason": "  "})
    assert bad.status_code == 400 and "Give the reason" in bad.get_data(as_text=True)
    assert client.post(url, data={prefix + "reason": "<script>x</script>"}).status_code == 302
    page = client.get(f"/events/{world['event']}/coalition/signatures").get_data(as_text=True)
    assert "Revoked" in page and "&lt;script&gt;" in page and "<script>x" not in page
    with app.app_context():
        signature = db.session.get(CoalitionSignature, world["signature"])
        assert signature.revoked_at is not None
        assert signature.revoked_by_id == db.session.scalar(
            select(User.id).where(User.email == "org@x.org")
        )
    again = client.post(url, data={prefix + "reason": "Again"})
    assert again.status_code == 400 and "already revoked" in again.get_data(as_text=True)


def test_other_events_ids_are_404(client, login, world):
    login("org@x.org")
    url = f"/events/{world['event']}/coalition/signatures/{world['foreign']}/revoke"
    assert client.post(url, data={f"s{world['foreign']}-reason": "x"}).status_code == 404
    assert (
        client.post(f"/events/{world['event']}/coalition/signatures/999/revoke").status_code == 404
    )
    # Organizer of CO-A only: CO-B's list is forbidden.
    assert client.get(f"/events/{world['other']}/coalition/signatures").status_code == 403


def _queries(app, fetch) -> int:
    with app.app_context():
        engine = db.engine
    seen = []

    def count(*_args):
        seen.append(1)

    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        assert fetch().status_code == 200
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_pages_do_not_query_per_row(app, client, login, world, make_user):
    def add(start, n):
        with app.app_context():
            for i in range(start, start + n):
                organization = Organization(name=f"Org {i}", country_iso2="KE")
                db.session.add(organization)
                db.session.flush()
                signer = db.session.scalar(select(User).where(User.email == "member@x.org"))
                db.session.add(
                    CoalitionSignature(
                        event_id=world["event"],
                        organization_id=organization.id,
                        signed_by_id=signer.id,
                        signer_name="S",
                        signer_function="F",
                        signed_on=date(2025, 1, 1),
                        confirmed=True,
                        revoked_at=None,
                    )
                )
            db.session.commit()

    login("org@x.org")
    pages = [
        f"/events/{world['event']}/coalition",
        f"/events/{world['event']}/coalition/signatures",
    ]
    add(0, 2)
    few = [_queries(app, lambda url=url: client.get(url)) for url in pages]
    add(2, 12)
    many = [_queries(app, lambda url=url: client.get(url)) for url in pages]
    assert few == many
