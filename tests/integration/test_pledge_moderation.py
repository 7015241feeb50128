"""Organizers' pages through the client: the review queue (filters, counts, order, query
count), one pledge's review and its steps with mail and audit, the announcement, and the
public counter; who may open what."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from models import (
    AuditEntry,
    Event,
    Organization,
    Person,
    Pledge,
    PledgeComment,
    PledgeState,
    User,
    utcnow,
)
from pledges import pledging
from tests.conftest import outbox
from webapp.extensions import db

S = PledgeState


@pytest.fixture
def world(app, make_user, make_event):
    """Two events, an organizer of the first, an organization with a linked member."""
    event_id = make_event("PM-1")
    other_event_id = make_event("PM-2")
    make_user("org@x.org", "Olga Organizer", organizer_of=event_id)
    make_user("org2@x.org", "Oscar Other", organizer_of=other_event_id)
    make_user("member@x.org", "Mia Member")
    make_user("outsider@x.org", "Otto Outsider")
    with app.app_context():
        org = Organization(name="Example Telecom")
        db.session.add(org)
        db.session.flush()
        member = db.session.scalar(select(User.id).where(User.email == "member@x.org"))
        db.session.add(
            Person(last_name="M", email="member@x.org", organization_id=org.id, user_id=member)
        )
        db.session.commit()
        return {"event": event_id, "other_event": other_event_id, "org": org.id, "member": member}


def make_pledge(app, world, state=S.SUBMITTED, title="A pledge", minutes_ago=0, **fields):
    """A complete pledge of the organization in `state`."""
    with app.app_context():
        pledge = Pledge(
            event_id=world["event"],
            organization_id=world["org"],
            title=title,
            description="Text",
            created_by_id=world["member"],
            state=state,
            submitted_at=utcnow() - timedelta(minutes=minutes_ago),
            smart=dict.fromkeys(pledging.SMART_CRITERIA, True),
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


def test_queue_lists_submitted_oldest_first_with_counts(app, client, login, world):
    make_pledge(app, world, title="Newer", minutes_ago=5)
    make_pledge(app, world, title="Older", minutes_ago=50)
    make_pledge(app, world, state=S.DRAFT, title="Someone's draft")
    login("org@x.org")
    body = client.get(f"/events/{world['event']}/pledges/review").get_data(as_text=True)
    assert body.index("Older") < body.index("Newer")
    assert "Someone&#39;s draft" not in body
    assert "submitted: 2" in body and "draft: 1" in body
    drafts = client.get(f"/events/{world['event']}/pledges/review?state=draft")
    assert "Someone&#39;s draft" in drafts.get_data(as_text=True)
    every = client.get(f"/events/{world['event']}/pledges/review?state=all").get_data(as_text=True)
    assert "Older" in every and "Someone&#39;s draft" in every
    stale = client.get(f"/events/{world['event']}/pledges/review?state=bogus")
    assert stale.status_code == 200


def test_request_changes_needs_a_comment_and_keeps_it(app, client, login, world):
    pledge_id = make_pledge(app, world)
    login("org@x.org")
    url = f"/events/{world['event']}/pledges/{pledge_id}/review"
    response = client.post(url, data={"to": "changes_requested", "comment": ""})
    assert response.status_code == 400
    assert "Say what should change" in response.get_data(as_text=True)
    assert stored(app, pledge_id).state == S.SUBMITTED
    response = client.post(url, data={"to": "changes_requested", "comment": "Add <i>numbers</i>"})
    assert response.status_code == 302
    assert stored(app, pledge_id).state == S.CHANGES_REQUESTED
    mail = outbox(app, "member@x.org")[-1]
    assert mail.subject == "Your pledge “A pledge” is now changes requested"
    assert "Add <i>numbers</i>" in mail.body_text
    page = client.get(url).get_data(as_text=True)
    assert "Add &lt;i&gt;numbers&lt;/i&gt;" in page and "Add <i>numbers</i>" not in page


def test_approve_publish_complete_with_mail_and_audit(app, client, login, world):
    pledge_id = make_pledge(
        app, world, amount=Decimal("10"), currency="USD", usd_value=Decimal("10")
    )
    login("org@x.org")
    url = f"/events/{world['event']}/pledges/{pledge_id}/review"
    for step in ("approved", "published", "completed"):
        assert client.post(url, data={"to": step}).status_code == 302
        assert stored(app, pledge_id).state == S(step)
    pledge = stored(app, pledge_id)
    with app.app_context():
        year = db.session.get(Event, world["event"]).opening_date.year
    assert pledge.public_id == f"P2C-{year}-0001"
    subjects = [m.subject for m in outbox(app, "member@x.org")]
    assert subjects == [
        "Your pledge “A pledge” is now approved",
        "Your pledge “A pledge” is now published",
        "Your pledge “A pledge” is now completed",
    ]
    assert pledge.public_id in outbox(app, "member@x.org")[1].body_text
    with app.app_context():
        actions = list(
            db.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.object_id == pledge_id, AuditEntry.action.like("pledge.%"))
                .order_by(AuditEntry.id)
            )
        )
        steps = list(
            db.session.scalars(
                select(PledgeComment.step).where(PledgeComment.pledge_id == pledge_id)
            )
        )
    assert actions == ["pledge.approved", "pledge.published", "pledge.completed"]
    assert steps == ["approved", "published", "completed"]
    body = client.get(url).get_data(as_text=True)
    assert pledge.public_id in body and "No step is open" in body


def test_forbidden_step_is_a_clear_400(app, client, login, world):
    pledge_id = make_pledge(app, world, state=S.DRAFT)
    login("org@x.org")
    url = f"/events/{world['event']}/pledges/{pledge_id}/review"
    for step in ("published", "approved", "nonsense", ""):
        response = client.post(url, data={"to": step})
        assert response.status_code in (400, 403)
    assert stored(app, pledge_id).state == S.DRAFT
    assert outbox(app) == []


def test_review_offers_only_allowed_steps(app, client, login, world):
    pledge_id = make_pledge(app, world)
    login("org@x.org")
    body = client.get(f"/events/{world['event']}/pledges/{pledge_id}/review").get_data(as_text=True)
    assert 'value="approved"' in body and 'value="changes_requested"' in body
    assert 'value="published"' not in body


def test_announce(app, client, login, world):
    pledge_id = make_pledge(app, world, state=S.PUBLISHED, public_id="P2C-2026-0007")
    login("org@x.org")
    url = f"/events/{world['event']}/pledges/{pledge_id}/announce"
    assert client.post(url, data={"session": ""}).status_code == 302
    assert stored(app, pledge_id).announced_at is None
    assert client.post(url, data={"session": "x" * 400}).status_code == 302
    assert stored(app, pledge_id).announced_at is None
    assert client.post(url, data={"session": "Plenary pledging, day 3"}).status_code == 302
    pledge = stored(app, pledge_id)
    assert pledge.announced_session == "Plenary pledging, day 3" and pledge.announced_at
    assert "was announced" in outbox(app, "member@x.org")[-1].subject


def test_counter_is_public_and_counts_published_pledges(app, client, world):
    make_pledge(
        app, world, state=S.PUBLISHED, public_id="P2C-2026-0001", usd_value=Decimal("1500000.40")
    )
    make_pledge(
        app, world, state=S.COMPLETED, public_id="P2C-2026-0002", usd_value=Decimal("500000")
    )
    make_pledge(app, world, state=S.APPROVED, usd_value=Decimal("999"))
    page = client.get(f"/events/{world['event']}/pledges/counter")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "2000000" in body.replace(",", "") and "setInterval(refresh, 5000)" in body
    assert "<script src" not in body
    data = client.get(f"/events/{world['event']}/pledges/counter.json").get_json()
    assert data == {"count": 2, "total_usd": 2000000}
    assert client.get("/events/999999/pledges/counter.json").status_code == 404


ORGANIZER_ROUTES = [
    ("get", "/pledges/review"),
    ("get", "/pledges/{pledge}/review"),
    ("post", "/pledges/{pledge}/review"),
    ("post", "/pledges/{pledge}/announce"),
]


@pytest.mark.parametrize(("method", "path"), ORGANIZER_ROUTES)
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("org@x.org", (200, 302)),
        ("org2@x.org", (403,)),
        ("member@x.org", (403,)),
        ("outsider@x.org", (403,)),
        ("anonymous", (302,)),
    ],
)
def test_organizer_routes_per_role(app, client, login, world, method, path, who, expected):
    pledge_id = make_pledge(app, world, state=S.PUBLISHED, public_id="P2C-2026-0003")
    if who != "anonymous":
        login(who)
    url = f"/events/{world['event']}" + path.format(pledge=pledge_id)
    data = {"to": "completed", "session": "Plenary"} if method == "post" else None
    response = getattr(client, method)(url, data=data)
    assert response.status_code in expected
    if who == "anonymous":
        assert "/account/login" in response.headers["Location"]
    if who != "org@x.org":
        assert stored(app, pledge_id).state == S.PUBLISHED


def test_another_events_pledge_is_404_for_its_organizer(app, client, login, world):
    pledge_id = make_pledge(app, world)
    login("org2@x.org")
    url = f"/events/{world['other_event']}/pledges/{pledge_id}/review"
    assert client.get(url).status_code == 404
    assert client.post(url, data={"to": "approved"}).status_code == 404
    assert stored(app, pledge_id).state == S.SUBMITTED


def _queries(app, fetch) -> int:
    """How many SQL statements `fetch()` runs."""
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


@pytest.mark.parametrize(
    ("who", "path"),
    [("org@x.org", "/pledges/review?state=all"), ("member@x.org", "/pledges/mine")],
)
def test_pages_do_not_query_per_row(app, client, login, world, who, path):
    login(who)
    url = f"/events/{world['event']}{path}"
    make_pledge(app, world, title="One")
    few = _queries(app, lambda: client.get(url))
    for n in range(15):
        make_pledge(app, world, title=f"Pledge number {n}")
    response = client.get(url)
    assert "Pledge number 14" in response.get_data(as_text=True)
    assert _queries(app, lambda: client.get(url)) == few
