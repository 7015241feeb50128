"""The pledger's pages through the client: my pledges, the form (save a draft, submit,
every missing item beside its field, nothing typed lost), bad inputs, escaping, withdrawal,
one pledge, and who may open what."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from models import AuditEntry, ExchangeRate, Organization, Person, Pledge, PledgeState, User
from pledges import core
from tests.conftest import outbox
from webapp.extensions import db

SCRIPT = "<script>alert('x')</script>"


def form_data(**changes):
    """A complete pledge as the form posts it."""
    data = {
        "title": "Connect 500 rural schools",
        "description": "Fibre and satellite links.",
        "pledge_type": "financial",
        "sector": "private_sector",
        "focus_areas": ["ACCESS"],
        "countries": ["KE", "RW"],
        "sdgs": ["SDG4"],
        "amount": "1000000",
        "currency": "EUR",
        "start_date": "2026-03-01",
        "end_date": "2028-12-31",
        "smart_specific": "y",
        "smart_measurable": "y",
        "smart_achievable": "y",
        "smart_resource_based": "y",
        "smart_time_based": "y",
        "action": "save",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def world(app, make_user, make_event):
    """Two events, an organization with a linked member, a member of another
    organization, a user without organization, an organizer; a EUR rate."""
    event_id = make_event("PF-1")
    other_event_id = make_event("PF-2")
    make_user("member@x.org", "Mia Member")
    make_user("outsider@x.org", "Otto Outsider")
    make_user("loose@x.org", "Lou Loose")
    make_user("org@x.org", "Olga Organizer", organizer_of=event_id)
    with app.app_context():
        org = Organization(name="Example Telecom")
        other = Organization(name="Other Org")
        db.session.add_all([org, other])
        db.session.flush()
        users = {u.email: u.id for u in db.session.scalars(select(User))}
        db.session.add_all(
            [
                Person(
                    last_name="M",
                    email="member@x.org",
                    organization_id=org.id,
                    user_id=users["member@x.org"],
                ),
                Person(
                    last_name="O",
                    email="outsider@x.org",
                    organization_id=other.id,
                    user_id=users["outsider@x.org"],
                ),
                ExchangeRate(currency="EUR", usd_per_unit=Decimal("1.08"), as_of=date(2026, 1, 1)),
            ]
        )
        db.session.commit()
        return {"event": event_id, "other_event": other_event_id, "org": org.id, "other": other.id}


def make_pledge(app, world, state=PledgeState.DRAFT, title="A pledge", **fields):
    """A pledge of the member's organization, in `state`."""
    with app.app_context():
        member = db.session.scalar(select(Person.user_id).where(Person.email == "member@x.org"))
        pledge = Pledge(
            event_id=world["event"],
            organization_id=world["org"],
            title=title,
            created_by_id=member,
            state=state,
            **fields,
        )
        db.session.add(pledge)
        db.session.commit()
        return pledge.id


def stored(app, pledge_id):
    with app.app_context():
        pledge = db.session.get(Pledge, pledge_id)
        db.session.expunge(pledge)
        return pledge


def test_member_creates_a_draft_then_submits(app, client, login, world):
    login("member@x.org")
    page = client.get(f"/events/{world['event']}/pledges/new")
    assert page.status_code == 200 and "Example Telecom" in page.get_data(as_text=True)
    response = client.post(
        f"/events/{world['event']}/pledges/new", data=form_data(organization=str(world["org"]))
    )
    assert response.status_code == 302
    with app.app_context():
        pledge = db.session.scalar(select(Pledge))
        assert pledge.state == PledgeState.DRAFT and pledge.usd_value == Decimal("1080000.00")
        assert core.tag_codes(pledge, "country") == ["KE", "RW"]
        pledge_id = pledge.id
    assert response.headers["Location"].endswith(f"/pledges/{pledge_id}/edit")
    edit = client.get(f"/events/{world['event']}/pledges/{pledge_id}/edit")
    assert 'value="Connect 500 rural schools"' in edit.get_data(as_text=True)
    response = client.post(
        f"/events/{world['event']}/pledges/{pledge_id}/edit", data=form_data(action="submit")
    )
    assert response.status_code == 302
    assert stored(app, pledge_id).state == PledgeState.SUBMITTED
    assert [m.subject for m in outbox(app, "member@x.org")] == [
        "Your pledge “Connect 500 rural schools” is now submitted"
    ]
    mine = client.get(f"/events/{world['event']}/pledges/mine").get_data(as_text=True)
    assert "Connect 500 rural schools" in mine and 'data-value="submitted"' in mine


def test_submitting_an_incomplete_pledge_keeps_it_and_marks_every_missing_field(
    app, client, login, world
):
    login("member@x.org")
    data = form_data(
        organization=str(world["org"]),
        description="",
        countries=None,
        smart_time_based=None,
        action="submit",
    )
    response = client.post(f"/events/{world['event']}/pledges/new", data=data)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Describe what the pledge will do." in body
    assert "Choose at least one target country." in body
    assert "Time-based" in body and 'id="smart_time_based-error"' in body
    assert 'value="Connect 500 rural schools"' in body  # nothing typed is lost
    with app.app_context():
        pledge = db.session.scalar(select(Pledge))
        assert pledge.state == PledgeState.DRAFT and pledge.title == "Connect 500 rural schools"
    assert outbox(app) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": "-100"}, "The amount cannot be negative."),
        ({"amount": "99999999999999999"}, "too large to be a real pledge"),
        ({"amount": "a lot"}, "Enter the amount as a number"),
        ({"currency": "XYZ"}, "Not a valid choice"),
        ({"end_date": "2025-01-01"}, "The end date cannot be before the start date."),
        ({"start_date": "1999-01-01"}, "between 2000 and 2100"),
        ({"start_date": "yesterday"}, "Not a valid date value"),
        ({"countries": ["KE", "ZZ"]}, "Unknown codes: ZZ."),
        ({"sdgs": ["SDG42"]}, "Unknown codes: SDG42."),
        ({"people_to_reach": "-3"}, "whole number between 0"),
        ({"people_to_reach": "many"}, "Not a valid integer value"),
        ({"title": "x" * 301}, "Field cannot be longer than 300 characters."),
        ({"pledge_type": "gift"}, "Not a valid choice"),
    ],
)
def test_bad_inputs_are_refused_beside_their_field_and_kept(
    app, client, login, world, changes, message
):
    login("member@x.org")
    data = form_data(organization=str(world["org"]), description="Kept text", **changes)
    response = client.post(f"/events/{world['event']}/pledges/new", data=data)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert message in body and "Kept text" in body
    with app.app_context():
        assert db.session.scalar(select(Pledge)) is None


def test_scripts_in_text_fields_are_shown_as_text(app, client, login, world):
    pledge_id = make_pledge(app, world, title=SCRIPT, description=SCRIPT)
    login("member@x.org")
    for path in (f"/pledges/{pledge_id}", f"/pledges/{pledge_id}/edit", "/pledges/mine"):
        body = client.get(f"/events/{world['event']}{path}").get_data(as_text=True)
        assert SCRIPT not in body
        assert "&lt;script&gt;" in body


def test_pledge_for_an_organization_the_user_does_not_belong_to_is_refused(
    app, client, login, world
):
    login("member@x.org")
    response = client.post(
        f"/events/{world['event']}/pledges/new", data=form_data(organization=str(world["other"]))
    )
    assert response.status_code == 400 and "Not a valid choice" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Pledge)) is None


def test_user_without_organization_is_told_how_to_get_linked(client, login, world):
    login("loose@x.org")
    page = client.get(f"/events/{world['event']}/pledges/new")
    assert page.status_code == 200
    assert "link your account to your organization" in page.get_data(as_text=True)
    assert client.post(f"/events/{world['event']}/pledges/new", data=form_data()).status_code == 403


@pytest.mark.parametrize(
    "state",
    [PledgeState.PUBLISHED, PledgeState.COMPLETED, PledgeState.WITHDRAWN, PledgeState.SUBMITTED],
)
def test_closed_pledges_cannot_be_edited(app, client, login, world, state):
    pledge_id = make_pledge(app, world, state=state, title="Before")
    login("member@x.org")
    url = f"/events/{world['event']}/pledges/{pledge_id}/edit"
    assert client.get(url).status_code == 409
    response = client.post(url, data=form_data(title="After"))
    assert response.status_code == 409 and "can no longer be edited" in response.get_data(
        as_text=True
    )
    assert stored(app, pledge_id).title == "Before"


def test_member_withdraws_with_mail_and_audit(app, client, login, world):
    pledge_id = make_pledge(app, world, state=PledgeState.SUBMITTED)
    login("member@x.org")
    response = client.post(
        f"/events/{world['event']}/pledges/{pledge_id}/withdraw", data={"comment": "Budget cut"}
    )
    assert response.status_code == 302
    assert stored(app, pledge_id).state == PledgeState.WITHDRAWN
    assert "Budget cut" in outbox(app, "member@x.org")[0].body_text
    with app.app_context():
        assert (
            db.session.scalar(
                select(AuditEntry.action).where(AuditEntry.action == "pledge.withdrawn")
            )
            == "pledge.withdrawn"
        )
    again = client.post(f"/events/{world['event']}/pledges/{pledge_id}/withdraw")
    assert again.status_code == 302  # a clear message, the state unchanged
    assert stored(app, pledge_id).state == PledgeState.WITHDRAWN


ROUTES = [
    ("get", "/pledges/{pledge}"),
    ("get", "/pledges/{pledge}/edit"),
    ("post", "/pledges/{pledge}/edit"),
    ("post", "/pledges/{pledge}/withdraw"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    ("who", "draft_status", "published_status"),
    [
        ("member@x.org", None, None),  # allowed (2xx/3xx/409)
        ("outsider@x.org", 404, 403),  # not his organization: a draft's existence is private
        ("org@x.org", None, None),
        ("anonymous", 302, 302),  # to the login page
    ],
)
def test_routes_per_role(
    app, client, login, world, method, path, who, draft_status, published_status
):
    draft = make_pledge(app, world, title="Draft")
    published = make_pledge(
        app, world, state=PledgeState.PUBLISHED, title="Published", public_id="P2C-2026-0001"
    )
    if who != "anonymous":
        login(who)
    for pledge_id, expected in ((draft, draft_status), (published, published_status)):
        url = f"/events/{world['event']}" + path.format(pledge=pledge_id)
        response = getattr(client, method)(url, data=form_data() if method == "post" else None)
        if expected is not None:
            assert response.status_code == expected, (url, response.status_code)
            if expected == 302:
                assert "/account/login" in response.headers["Location"]
        elif who == "org@x.org" and ("edit" in path or "withdraw" in path):
            assert response.status_code == 403  # organizers moderate; members edit
        elif pledge_id == published and "withdraw" in path:
            assert response.status_code == 403  # a published pledge: organizers only
        else:
            assert response.status_code in (200, 302, 409), (url, response.status_code)


def test_another_events_pledge_is_404(app, client, login, world):
    pledge_id = make_pledge(app, world)
    login("member@x.org")
    for path in ("", "/edit"):
        url = f"/events/{world['other_event']}/pledges/{pledge_id}{path}"
        assert client.get(url).status_code == 404
    assert client.get("/events/999999/pledges/mine").status_code == 404


def test_my_pledges_lists_only_my_organizations(app, client, login, world):
    make_pledge(app, world, title="Ours")
    with app.app_context():
        db.session.add(
            Pledge(event_id=world["event"], organization_id=world["other"], title="Theirs")
        )
        db.session.commit()
    login("member@x.org")
    body = client.get(f"/events/{world['event']}/pledges/mine").get_data(as_text=True)
    assert "Ours" in body and "Theirs" not in body
    assert client.get(f"/events/{world['event']}/pledges/mine").status_code == 200


def test_detail_shows_geography_and_history(app, client, login, world):
    login("member@x.org")
    client.post(
        f"/events/{world['event']}/pledges/new",
        data=form_data(organization=str(world["org"]), countries=["RW", "FJ"]),
    )
    with app.app_context():
        pledge_id = db.session.scalar(select(Pledge.id))
    client.post(
        f"/events/{world['event']}/pledges/{pledge_id}/edit",
        data=form_data(countries=["RW", "FJ"], action="submit"),
    )
    body = client.get(f"/events/{world['event']}/pledges/{pledge_id}").get_data(as_text=True)
    assert "Rwanda" in body and "Fiji" in body and "AFR, ASP" in body
    assert "LDC" in body and "LLDC" in body and "SIDS" in body
    assert "US$ 1,080,000.00" in body
    assert "Mia Member" in body  # the submission step in the history
