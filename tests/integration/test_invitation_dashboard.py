"""The invitations dashboard and the bounces page through the HTTP client; the demo."""

from __future__ import annotations

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from models import (
    Delivery,
    EntryStatus,
    Event,
    Invitation,
    Person,
    TargetEntry,
    TargetGroup,
    User,
    Wave,
    WaveState,
)
from tests.integration.test_invitation_rsvp import invite
from webapp.extensions import db


@pytest.fixture
def event_id(app, make_event, make_user):
    """An event opening in 300 days, its organizer, and a staff member owning entries."""
    eid = make_event()
    make_user("organizer@x.org", "Olivia Organizer", organizer_of=eid)
    make_user("owner@x.org", "Owen Owner")
    make_user("participant@x.org", "Pat Participant")
    return eid


def user_id(app, email):
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def populate(app, event_id, n, start=0, owner_email="owner@x.org"):
    """n entries across three groups, every third a star, statuses spread; targets set."""
    owner = user_id(app, owner_email)
    statuses = [
        EntryStatus.IDENTIFIED,
        EntryStatus.INVITED,
        EntryStatus.ACCEPTED,
        EntryStatus.DECLINED,
        EntryStatus.REGISTERED,
    ]
    groups = ["MS_MIN", "PRIV", "CSO"]
    with app.app_context():
        for code, share, count in (("MS_MIN", 20, 50), ("PRIV", 35, 80), ("CSO", 10, 30)):
            if (
                db.session.scalar(
                    select(TargetGroup).where(
                        TargetGroup.event_id == event_id, TargetGroup.constituent_group == code
                    )
                )
                is None
            ):
                db.session.add(
                    TargetGroup(
                        event_id=event_id,
                        constituent_group=code,
                        target_share=share,
                        target_count=count,
                    )
                )
        for i in range(start, start + n):
            person = Person(first_name=f"P{i}", last_name=f"Person{i}", email=f"p{i}@x.org")
            db.session.add(person)
            db.session.add(
                TargetEntry(
                    event_id=event_id,
                    person=person,
                    constituent_group=groups[i % 3],
                    star=i % 3 == 0,
                    owner_id=owner if i % 2 == 0 else None,
                    status=statuses[i % 5],
                )
            )
        db.session.commit()


def test_dashboard_figures(app, client, event_id, login):
    populate(app, event_id, 30)
    login("organizer@x.org")
    response = client.get(f"/events/{event_id}/invitations")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Private sector (non-members)" in body  # names from the reference data
    # 30 entries: every status 6 times; invited or later = 24, accepted or later = 12.
    assert '<p class="stat">30</p>' in body and '<p class="stat">24</p>' in body
    assert '<p class="stat">12</p>' in body and '<p class="stat">6</p>' in body
    assert "<svg" in body and 'role="img"' in body
    assert 'id="groups-table"' in body and 'id="stars-table"' in body
    assert "P0 Person0" in body and "Owen Owner" in body  # a star and its owner
    assert "P1 Person1" not in body  # not a star


def test_dashboard_waves_and_deadlines(app, client, event_id, login):
    invite(app, event_id, "a@x.org", send_by=-303, rsvp_by=-200)  # send-by 3 days ago
    populate(app, event_id, 9)  # MS_MIN entries 0, 3, 6 are in the wave's audience
    with app.app_context():
        db.session.scalar(select(Wave)).state = WaveState.SENT
        db.session.commit()
    login("organizer@x.org")
    body = client.get(f"/events/{event_id}/invitations").get_data(as_text=True)
    assert "3 people in the audience not yet invited; send-by deadline passed 3 days ago" in body
    assert "Later than a year before the opening" in body  # members, and late
    assert "Missed" in body
    assert "RSVP by" in body  # the wave's RSVP deadline is ahead


def test_owner_sees_the_dashboard_with_only_their_stars(app, client, event_id, login):
    populate(app, event_id, 6)
    login("owner@x.org")
    response = client.get(f"/events/{event_id}/invitations")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<mark>P0 Person0</mark>" in body  # owned star
    assert "P3 Person3" not in body  # a star owned by nobody else's business
    assert "/invitations/bounces" not in body  # organizers only


def test_participant_is_refused(app, client, event_id, login):
    populate(app, event_id, 3)
    login("participant@x.org")
    assert client.get(f"/events/{event_id}/invitations").status_code == 403
    assert client.get(f"/events/{event_id}/invitations/bounces").status_code == 403


def test_owner_cannot_read_bounces(app, client, event_id, login):
    populate(app, event_id, 3)
    login("owner@x.org")
    assert client.get(f"/events/{event_id}/invitations/bounces").status_code == 403


def test_anonymous_goes_to_login(client, event_id):
    response = client.get(f"/events/{event_id}/invitations")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_unknown_and_other_events(app, client, event_id, login, make_event):
    other = make_event("OTHER-T")
    login("organizer@x.org")
    assert client.get("/events/999999/invitations").status_code == 404
    assert client.get(f"/events/{2**70}/invitations").status_code == 404
    assert client.get("/events/999999/invitations/bounces").status_code == 404
    assert client.get(f"/events/{other}/invitations").status_code == 403


def test_bounces_page_lists_only_this_events_problems(app, client, event_id, login, make_event):
    mine = invite(app, event_id, "bounced@x.org")
    invite(app, event_id, "fine@x.org")
    other_event = make_event("OTHER-T")
    theirs = invite(app, other_event, "theirs@x.org")
    with app.app_context():
        for ids in (mine, theirs):
            invitation = db.session.get(Invitation, ids["invitation_id"])
            invitation.delivery = Delivery.BOUNCED
            invitation.delivery_detail = "550 no such user"
        db.session.commit()
    login("organizer@x.org")
    body = client.get(f"/events/{event_id}/invitations/bounces").get_data(as_text=True)
    assert "bounced@x.org" in body and "550 no such user" in body
    assert "fine@x.org" not in body and "theirs@x.org" not in body
    assert f"/directory/people/{mine['person_id']}/edit" in body
    dashboard = client.get(f"/events/{event_id}/invitations").get_data(as_text=True)
    assert "Delivery problems" in dashboard


def _queries(app, client, url) -> int:
    with app.app_context():
        engine = db.engine
    seen = []

    def count(*_args):
        seen.append(1)

    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_query_count_does_not_grow_with_invitees(app, client, event_id, login):
    invite(app, event_id, "a@x.org", send_by=-303, rsvp_by=-200)
    invite(app, event_id, "b@x.org", wave_name="Private sector", group="PRIV")
    populate(app, event_id, 20)
    login("organizer@x.org")
    url = f"/events/{event_id}/invitations"
    few = _queries(app, client, url)
    populate(app, event_id, 180, start=20)
    with app.app_context():
        from webapp.security import new_token

        entries = db.session.scalars(
            select(TargetEntry)
            .where(TargetEntry.constituent_group == "MS_MIN")
            .order_by(TargetEntry.id)
        ).all()
        # Ids are not 1 on PostgreSQL, whose sequences outlive each test's rows.
        first = db.session.scalar(select(Invitation).order_by(Invitation.id))
        for number, entry in enumerate(entries[2:]):
            db.session.add(
                Invitation(
                    wave_id=first.wave_id,
                    entry_id=entry.id,
                    email=entry.person.email,
                    token_salt="s" * 32,
                    token_hash=new_token()[1],
                    expires_at=first.expires_at,
                    delivery=Delivery.BOUNCED if number % 2 else Delivery.DELIVERED,
                )
            )
        db.session.commit()
        assert db.session.scalar(select(func.count(TargetEntry.id))) == 202
        assert db.session.scalar(select(func.count(Invitation.id))) > 60
    many = _queries(app, client, url)
    assert few == many
    bounces = f"/events/{event_id}/invitations/bounces"
    assert _queries(app, client, bounces) == _queries(app, client, bounces)


def test_demo_loads_once_and_the_dashboard_shows_it(app, client, make_user, login):
    from invitations.demo import DRAFT_WAVE, FORMAL_WAVE, load_invitations_demo
    from webapp.demo import load_demo

    with app.test_request_context():
        load_demo()
        event = db.session.scalar(select(Event).where(Event.acronym == "WTDC-27"))
        organizer = db.session.scalar(
            select(User).where(User.email == "organizer@demo.convene.test")
        )
        first = load_invitations_demo(event, organizer)
        db.session.commit()
        counts = (
            db.session.scalar(select(func.count(TargetEntry.id))),
            db.session.scalar(select(func.count(Invitation.id))),
            db.session.scalar(select(func.count(Wave.id))),
        )
        second = load_invitations_demo(event, organizer)
        db.session.commit()
        again = (
            db.session.scalar(select(func.count(TargetEntry.id))),
            db.session.scalar(select(func.count(Invitation.id))),
            db.session.scalar(select(func.count(Wave.id))),
        )
        event_id = event.id
        answers = dict(
            db.session.execute(
                select(Invitation.answer, func.count()).group_by(Invitation.answer)
            ).all()
        )
        bounced = db.session.scalar(
            select(func.count()).where(Invitation.delivery == Delivery.BOUNCED)
        )
        names = set(db.session.scalars(select(Wave.name)))
    assert first == second and counts == again
    assert 150 <= counts[0] <= 155 and first["stars"] == 15
    assert names == {FORMAL_WAVE, DRAFT_WAVE}
    assert {a.value for a in answers} == {"pending", "accepted", "declined", "delegated"}
    assert bounced >= 2
    login("organizer@demo.convene.test", "convene-demo")
    body = client.get(f"/events/{event_id}/invitations").get_data(as_text=True)
    assert "not yet invited; send-by deadline passed 65 days ago" in body
    assert "Private sector — stars first" in body
    assert client.get(f"/events/{event_id}/invitations/bounces").status_code == 200


def test_an_owner_sees_only_their_own_stars(app, client, make_user, login, make_event):
    from models import Organization, Person, TargetEntry, User

    event_id = make_event("OWN-1")
    make_user("boss@example.org", organizer_of=event_id)
    make_user("staff@example.org", organizer_of=make_event("OWN-2"))
    with app.app_context():
        staff = db.session.scalar(select(User).where(User.email == "staff@example.org"))
        org = Organization(name="Ministry", constituent_group="MS_MIN", country_iso2="KE")
        for name, owner in (("Mine", staff.id), ("Theirs", None)):
            person = Person(
                first_name=name, last_name="Star", email=f"{name}@x.org", organization=org
            )
            db.session.add(
                TargetEntry(
                    event_id=event_id,
                    person=person,
                    constituent_group="MS_MIN",
                    star=True,
                    owner_id=owner,
                )
            )
        db.session.commit()
    login("staff@example.org")
    html = client.get(f"/events/{event_id}/invitations").get_data(as_text=True)
    assert "Mine Star" in html and "Theirs Star" not in html
    client.post("/account/logout")
    login("boss@example.org")
    html = client.get(f"/events/{event_id}/invitations").get_data(as_text=True)
    assert "Mine Star" in html and "Theirs Star" in html
