"""The check-in page and its JSON: who may use it, a valid badge checked in once, the
duplicate warning, forged, reused (revoked), unknown and other events' codes, badges of
registrations that may not come in, the live counts, and the invitation's entry moving
to ATTENDED."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from models import (
    Approval,
    AttendanceMode,
    AuditEntry,
    EntryStatus,
    Event,
    Invitation,
    Person,
    Registration,
    RegistrationCategory,
    SeatState,
    TargetEntry,
    Wave,
    utcnow,
)
from registration import badges
from tests.integration.test_registration_badges import code_of, make_member, make_registration
from webapp.extensions import db
from webapp.security import new_token


@pytest.fixture
def as_user(client, login):
    def switch(email):
        client.post("/account/logout")
        login(email)

    return switch


@pytest.fixture
def site(app, make_event, make_user):
    event_id = make_event("CHECK-T", name="Check-in Conference")
    other_event_id = make_event("CHECK-O", name="Elsewhere Conference")
    member = make_member(app)
    other_member = make_member(app, "Republic of Chile")
    ids = {
        "event": event_id,
        "other_event": other_event_id,
        "member": member,
        "organizer": make_user("staff@example.org", "Sam Staff", organizer_of=event_id),
        "focal": make_user("fp@example.org", "Fiona Focal", focal_point_of=(event_id, member)),
        "other_focal": make_user(
            "fp2@example.org", "Carlos Focal", focal_point_of=(event_id, other_member)
        ),
        "participant": make_user("ada@example.org", "Ada Lovelace"),
    }
    ids["reg"] = make_registration(
        app, event_id, ids["participant"], organization_id=member, organization_name="ICT Ministry"
    )
    ids["reg2"] = make_registration(
        app,
        event_id,
        None,
        first_name="Bob",
        last_name="Byron",
        category=RegistrationCategory.MEDIA,
    )
    return ids


def url(site, suffix=""):
    return f"/events/{site['event']}/checkin{suffix}"


def post_code(client, site, code):
    return client.post(url(site), json={"code": code}, headers={"Accept": "application/json"})


@pytest.mark.parametrize(
    "email, status",
    [
        ("staff@example.org", 200),
        ("fp@example.org", 403),
        ("fp2@example.org", 403),
        ("ada@example.org", 403),
    ],
)
def test_checkin_page_per_role(client, site, login, email, status):
    login(email)
    assert client.get(url(site)).status_code == status
    assert client.get(url(site, "/counts.json")).status_code == status
    assert post_code(client, site, "CV1-B-AAAAAAAA-AAAAAAAAAAAAAAAA").status_code in (
        (status,) if status == 403 else (400,)
    )


def test_anonymous_is_sent_to_log_in(client, site):
    response = client.get(url(site))
    assert response.status_code == 302 and "/account/login" in response.location
    response = client.get(url(site, "/counts.json"), headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert post_code(client, site, "x").status_code == 401
    assert client.get("/events/999999/checkin").status_code == 302


def test_page_shows_the_counts(app, client, site, login):
    login("staff@example.org")
    html = client.get(url(site)).get_data(as_text=True)
    assert 'id="code"' in html and "autofocus" in html
    assert "Scan with camera" in html  # hidden until the script finds a QR reader
    assert '<strong data-count="checked_in">0</strong>' in html
    assert '<span data-count="expected">2</span>' in html
    assert "Member State delegate" in html and "Media" in html


def test_valid_badge_checks_in_once_then_warns(app, client, site, login):
    code = code_of(app, site["reg"])
    login("staff@example.org")
    response = post_code(client, site, code)
    assert response.status_code == 200
    data = response.get_json()
    assert data["outcome"] == "checked_in" and data["level"] == "ok"
    assert data["participant"]["name"] == "Ada Lovelace"
    assert data["participant"]["organization"] == "ICT Ministry"
    assert data["participant"]["category"] == "Member State delegate"
    assert "photo ID" in data["message"]
    assert data["counts"]["checked_in"] == 1 and data["counts"]["expected"] == 2
    with app.app_context():
        registration = db.session.get(Registration, site["reg"])
        assert registration.checked_in_at is not None
        assert registration.checked_in_by_id == site["organizer"]
        first_at = registration.checked_in_at

    again = post_code(client, site, code.lower())
    assert again.status_code == 409
    data = again.get_json()
    assert data["outcome"] == "duplicate" and data["level"] == "warn"
    assert data["checked_in_by"] == "Sam Staff"
    assert data["checked_in_at"] and data["checked_in_at"] in data["message"]
    assert "Sam Staff" in data["message"]
    assert data["counts"]["checked_in"] == 1
    with app.app_context():
        # The first check-in stands.
        assert db.session.get(Registration, site["reg"]).checked_in_at == first_at
        actions = db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.action.like("registration.check%"))
            .order_by(AuditEntry.id)
        ).all()
        assert actions == ["registration.checked_in", "registration.checkin_duplicate"]


def test_duplicate_time_is_in_the_event_zone(app, client, site, login):
    code = code_of(app, site["reg"])
    with app.app_context():
        registration = db.session.get(Registration, site["reg"])
        # 08:30 UTC is 09:30 or 10:30 in Geneva (winter or summer time).
        registration.checked_in_at = utcnow().replace(hour=8, minute=30, second=0)
        registration.checked_in_by_id = site["organizer"]
        db.session.commit()
    login("staff@example.org")
    data = post_code(client, site, code).get_json()
    assert data["checked_in_at"] in ("09:30", "10:30")


def test_forged_malformed_unknown_and_foreign_codes(app, client, site, login):
    code = code_of(app, site["reg"])
    head, sig = code.rsplit("-", 1)
    forged = head + "-" + ("A" if sig[0] != "A" else "B") + sig[1:]
    other_event_reg = make_registration(app, site["other_event"], None, last_name="Else")
    foreign = code_of(app, other_event_reg)
    deleted_reg = make_registration(app, site["event"], None, last_name="Deleted")
    deleted = code_of(app, deleted_reg)
    with app.app_context():
        db.session.delete(db.session.get(Registration, deleted_reg))
        db.session.commit()
    with app.test_request_context():
        # A genuine signature over a registration that no longer exists.
        unknown = badges.make_code(app.config["SECRET_KEY"], site["event"], 2**40, "ABCDEFGH")
    login("staff@example.org")
    cases = [
        (forged, 400, "forged"),
        ("not a code", 400, "malformed"),
        ("CV1-" + "A" * 500, 400, "malformed"),
        (unknown, 404, "unknown"),
        (deleted, 404, "unknown"),
        (foreign, 404, "other_event"),
    ]
    for sent, status, outcome in cases:
        response = post_code(client, site, sent)
        assert response.status_code == status, (sent, response.get_json())
        data = response.get_json()
        assert data["outcome"] == outcome and data["level"] == "refused"
        assert "participant" not in data
    with app.app_context():
        assert db.session.get(Registration, site["reg"]).checked_in_at is None
        refused = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "registration.checkin_refused")
        ).all()
        assert sorted(e.data["outcome"] for e in refused) == sorted(o for *_, o in cases)


def test_reused_badge_after_reissue_is_revoked(app, client, site, login):
    old = code_of(app, site["reg"])
    login("staff@example.org")
    client.post(f"/events/{site['event']}/registrations/{site['reg']}/badge/reissue")
    response = post_code(client, site, old)
    assert response.status_code == 410
    data = response.get_json()
    assert data["outcome"] == "revoked"
    assert data["participant"]["name"] == "Ada Lovelace"
    assert post_code(client, site, code_of(app, site["reg"])).status_code == 200


@pytest.mark.parametrize(
    "change, outcome",
    [
        ({"approval": Approval.PENDING}, "not_approved"),
        ({"approval": Approval.REJECTED}, "not_approved"),
        ({"mode": AttendanceMode.ONLINE}, "online"),
        ({"seat": SeatState.WAITING}, "no_seat"),
        ({"cancelled_at": utcnow()}, "cancelled"),
    ],
)
def test_genuine_badge_that_may_not_come_in(app, client, site, login, change, outcome):
    code = code_of(app, site["reg"])
    with app.app_context():
        registration = db.session.get(Registration, site["reg"])
        for key, value in change.items():
            setattr(registration, key, value)
        db.session.commit()
    login("staff@example.org")
    response = post_code(client, site, code)
    assert response.status_code == 409
    assert response.get_json()["outcome"] == outcome
    with app.app_context():
        assert db.session.get(Registration, site["reg"]).checked_in_at is None


def test_bad_json_is_a_400(client, site, login):
    login("staff@example.org")
    for body in ({"code": 123}, {"code": ""}, {"nope": "x"}, ["CV1"], "CV1"):
        response = client.post(url(site), json=body)
        assert response.status_code == 400
        assert response.get_json()["error"]["message"] == "Scan or type a badge code."
    response = client.post(url(site), data="{broken", content_type="application/json")
    assert response.status_code == 400


def test_form_post_without_script(app, client, site, login):
    code = code_of(app, site["reg"])
    login("staff@example.org")
    empty = client.post(url(site), data={"code": "  "})
    assert empty.status_code == 400
    assert "Scan or type a badge code." in empty.get_data(as_text=True)
    too_long = client.post(url(site), data={"code": "X" * 500})
    assert too_long.status_code == 400
    page = client.post(url(site), data={"code": code})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Checked in" in html and "Ada Lovelace" in html and "photo ID" in html
    assert '<strong data-count="checked_in">1</strong>' in html
    again = client.post(url(site), data={"code": code})
    assert again.status_code == 409
    assert "Already checked in at" in again.get_data(as_text=True)
    forged = client.post(url(site), data={"code": code[:-2] + "AA"})
    assert forged.status_code in (400, 409)  # 409 only if the last two were already "AA"


def test_counts_by_category(app, client, site, login):
    make_registration(app, site["event"], None, last_name="Pending", approval=Approval.PENDING)
    make_registration(app, site["event"], None, last_name="Online", mode=AttendanceMode.ONLINE)
    make_registration(
        app, site["event"], None, last_name="Other", category=RegistrationCategory.MEDIA
    )
    make_registration(app, site["other_event"], None, last_name="Elsewhere")
    login("staff@example.org")
    post_code(client, site, code_of(app, site["reg2"]))
    data = client.get(url(site, "/counts.json")).get_json()
    assert data["expected"] == 3 and data["checked_in"] == 1
    by = {c["category"]: c for c in data["categories"]}
    assert set(by) == {"member_state", "media"}
    assert (by["media"]["checked_in"], by["media"]["expected"]) == (1, 2)
    assert (by["member_state"]["checked_in"], by["member_state"]["expected"]) == (0, 1)
    assert by["media"]["label"] == "Media" and by["media"]["colour"].startswith("#")


def _invitation(app, event_id, registration_id, status):
    with app.app_context():
        person = Person(first_name="Ada", last_name="Lovelace", email="ada@example.org")
        db.session.add(person)
        db.session.flush()
        entry = TargetEntry(
            event_id=event_id, person_id=person.id, constituent_group="MS_MIN", status=status
        )
        wave = Wave(event_id=event_id, name="Formal", send_by_days=-365, rsvp_by_days=-200)
        db.session.add_all([entry, wave])
        db.session.flush()
        invitation = Invitation(
            wave_id=wave.id,
            entry_id=entry.id,
            email="ada@example.org",
            token_salt="s" * 32,
            token_hash=new_token()[1],
            expires_at=utcnow() + timedelta(days=30),
        )
        db.session.add(invitation)
        db.session.flush()
        db.session.get(Registration, registration_id).invitation_id = invitation.id
        db.session.commit()
        return entry.id


@pytest.mark.parametrize(
    "status", [EntryStatus.REGISTERED, EntryStatus.ACCEPTED, EntryStatus.DECLINED]
)
def test_check_in_moves_the_invitation_to_attended(app, client, site, login, status):
    entry_id = _invitation(app, site["event"], site["reg"], status)
    login("staff@example.org")
    assert post_code(client, site, code_of(app, site["reg"])).status_code == 200
    with app.app_context():
        assert db.session.get(TargetEntry, entry_id).status == EntryStatus.ATTENDED
        moves = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "target.status_changed")
            .order_by(AuditEntry.id)
        ).all()
        assert moves and moves[-1].data["new"] == "attended"


def test_counts_query_count_is_constant(app, client, site, login):
    from sqlalchemy import event as sa_event

    login("staff@example.org")
    with app.app_context():
        engine = db.engine
    seen = []

    def count(*_args):
        seen.append(1)

    def queries():
        seen.clear()
        sa_event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(url(site, "/counts.json")).status_code == 200
        finally:
            sa_event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    few = queries()
    for n in range(30):
        make_registration(app, site["event"], None, last_name=f"Extra{n:02d}")
    assert queries() == few
    with app.app_context():
        assert db.session.get(Event, site["event"]) is not None
