"""Badges and visa support letters, route by route and role by role: the participant's
own badge and letter, organizers' badge of anyone, the bulk PDF with its filters, the
organizers' badge page with reissue; focal points (of this member or another) and other
participants get 403, another event's ids 404, anonymous users the login page."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from models import (
    Approval,
    AttendanceMode,
    AuditEntry,
    MembershipCategory,
    Organization,
    Registration,
    RegistrationCategory,
    SeatState,
    utcnow,
)
from registration import badges, letters
from registration.badges import FontSet, Verdict
from webapp.extensions import db


def make_member(app, name="Republic of Kenya", membership=MembershipCategory.MEMBER_STATE):
    with app.app_context():
        organization = Organization(name=name, country_iso2="KE", membership=membership)
        db.session.add(organization)
        db.session.commit()
        return organization.id


def make_registration(app, event_id, user_id=None, **fields) -> int:
    """An approved in-person registration holding a seat, unless told otherwise."""
    values = dict(
        category=RegistrationCategory.MEMBER_STATE,
        mode=AttendanceMode.IN_PERSON,
        approval=Approval.APPROVED,
        seat=SeatState.HELD,
        first_name="Ada",
        last_name="Lovelace",
        email=f"reg{user_id or 'x'}-{fields.get('last_name', 'l')}@example.org",
        organization_name="Ministry of ICT",
        country_iso2="KE",
    )
    values.update(fields)
    with app.app_context():
        registration = Registration(event_id=event_id, user_id=user_id, **values)
        db.session.add(registration)
        db.session.commit()
        return registration.id


def code_of(app, registration_id) -> str:
    with app.test_request_context():
        registration = db.session.get(Registration, registration_id)
        code = badges.code_for(registration)
        db.session.commit()
        return code


@pytest.fixture
def world(app, make_event, make_user):
    """An event with an organizer, a member with its focal point, another member's focal
    point, and two participants (one of the member), each with a registration."""
    event_id = make_event("BADGE-T", name="Badge Conference")
    other_event_id = make_event("BADGE-O", name="Other Conference")
    member = make_member(app)
    other_member = make_member(app, "Republic of Chile")
    ids = {
        "event": event_id,
        "other_event": other_event_id,
        "member": member,
        "other_member": other_member,
        "organizer": make_user("org@example.org", "Olga Organizer", organizer_of=event_id),
        "focal": make_user("fp@example.org", "Fiona Focal", focal_point_of=(event_id, member)),
        "other_focal": make_user(
            "fp2@example.org", "Carlos Focal", focal_point_of=(event_id, other_member)
        ),
        "participant": make_user("ada@example.org", "Ada Lovelace"),
        "second": make_user("bob@example.org", "Bob Byron"),
    }
    ids["reg"] = make_registration(
        app,
        event_id,
        ids["participant"],
        organization_id=member,
        visa_support=True,
        passport_number="P1234567",
        nationality_iso2="KE",
        date_of_birth="1985-12-10",
        function="Director of Spectrum",
    )
    ids["reg2"] = make_registration(
        app,
        event_id,
        ids["second"],
        first_name="Bob",
        last_name="Byron",
        category=RegistrationCategory.ACADEMIA,
        organization_name="University of Nairobi",
    )
    ids["other_reg"] = make_registration(app, other_event_id, ids["second"], last_name="Elsewhere")
    return ids


@pytest.fixture
def as_user(client, login):
    """Log in as someone else (logging out whoever was in)."""

    def switch(email):
        client.post("/account/logout")
        login(email)

    return switch


def _is_pdf(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert "no-store" in response.headers["Cache-Control"]


# --------------------------------------------------------------------------------------
# The participant's own badge
# --------------------------------------------------------------------------------------


def test_participant_downloads_their_badge_once_coded(app, client, world, as_user):
    as_user("ada@example.org")
    url = f"/events/{world['event']}/registration/badge.pdf"
    _is_pdf(client.get(url))
    with app.app_context():
        registration = db.session.get(Registration, world["reg"])
        nonce = registration.badge_nonce
        assert nonce and len(nonce) == 8
        issued = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "registration.badge_issued")
        ).all()
        assert [e.object_id for e in issued] == [world["reg"]]
    _is_pdf(client.get(url))
    with app.app_context():
        # A second download prints the same code: printed badges stay valid.
        assert db.session.get(Registration, world["reg"]).badge_nonce == nonce


@pytest.mark.parametrize(
    "change, message",
    [
        ({"approval": Approval.PENDING}, "once the registration is approved"),
        ({"approval": Approval.REJECTED}, "once the registration is approved"),
        ({"mode": AttendanceMode.ONLINE}, "Online participants have no badge"),
        ({"seat": SeatState.WAITING}, "once a seat is confirmed"),
        ({"cancelled_at": utcnow()}, "cancelled"),
    ],
)
def test_no_badge_before_it_is_due(app, client, world, as_user, change, message):
    with app.app_context():
        registration = db.session.get(Registration, world["reg"])
        for key, value in change.items():
            setattr(registration, key, value)
        db.session.commit()
    as_user("ada@example.org")
    response = client.get(f"/events/{world['event']}/registration/badge.pdf")
    assert response.status_code == 403
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Registration, world["reg"]).badge_nonce is None


def test_badge_without_registration_is_404_and_anonymous_logs_in(client, world, as_user):
    url = f"/events/{world['event']}/registration/badge.pdf"
    response = client.get(url)
    assert response.status_code == 302 and "/account/login" in response.location
    as_user("org@example.org")  # the organizer has no registration of their own
    assert client.get(url).status_code == 404
    assert client.get("/events/999999/registration/badge.pdf").status_code == 404


def test_badge_with_a_chinese_name_prints(app, client, world, as_user):
    with app.app_context():
        registration = db.session.get(Registration, world["reg"])
        registration.first_name, registration.last_name = "小明", "王"
        registration.organization_name = "中国移动通信集团"
        db.session.commit()
    as_user("ada@example.org")
    _is_pdf(client.get(f"/events/{world['event']}/registration/badge.pdf"))
    with app.test_request_context():
        registration = db.session.get(Registration, world["reg"])
        # Without a Chinese font the characters print as "?" (never an error).
        data = badges.registration_badges_pdf([registration], fonts=FontSet(), compress=False)
        assert b"(??)" in data or b"(?)" in data
        content = badges.badge_content(registration)
        assert content.last_name == "王" and content.organization == "中国移动通信集团"


# --------------------------------------------------------------------------------------
# Organizers: anyone's badge, the bulk PDF, the badge page, reissue
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email, status",
    [
        ("org@example.org", 200),
        ("fp@example.org", 403),
        ("fp2@example.org", 403),
        ("ada@example.org", 403),  # their own badge is at /registration/badge.pdf
        ("bob@example.org", 403),
    ],
)
def test_badge_of_a_registration_per_role(client, world, as_user, email, status):
    as_user(email)
    response = client.get(f"/events/{world['event']}/registrations/{world['reg']}/badge.pdf")
    assert response.status_code == status
    if status == 200:
        assert response.data.startswith(b"%PDF")


def test_badge_of_another_events_registration_is_404(client, world, as_user):
    as_user("org@example.org")
    url = f"/events/{world['event']}/registrations/{world['other_reg']}/badge.pdf"
    assert client.get(url).status_code == 404
    url = f"/events/{world['event']}/registrations/{world['reg']}/badge.pdf"
    anonymous = client.application.test_client().get(url)
    assert anonymous.status_code == 302


def test_bulk_badges_filters_and_roles(app, client, world, as_user):
    url = f"/events/{world['event']}/badges.pdf"
    assert client.get(url).status_code == 302
    for email in ("fp@example.org", "fp2@example.org", "ada@example.org"):
        as_user(email)
        assert client.get(url).status_code == 403
    as_user("org@example.org")
    _is_pdf(client.get(url))
    _is_pdf(client.get(url + "?layout=single&category=academia"))
    _is_pdf(client.get(url + f"?member={world['member']}"))
    for bad in ("?category=wizard", "?member=abc", "?member=-1", "?layout=poster"):
        assert client.get(url + bad).status_code == 400, bad
    with app.app_context():
        # Every printed badge has its nonce now.
        assert db.session.get(Registration, world["reg"]).badge_nonce
        assert db.session.get(Registration, world["reg2"]).badge_nonce


def test_bulk_badges_come_in_parts(client, world, as_user, monkeypatch):
    from registration.views import badges as views

    monkeypatch.setattr(views, "PART_SIZE", 1)
    as_user("org@example.org")
    html = client.get(f"/events/{world['event']}/badges").get_data(as_text=True)
    assert "Badges 1–1 (PDF, four per A4 page)" in html
    assert "Badges 2–2 (PDF, four per A4 page)" in html
    url = f"/events/{world['event']}/badges.pdf"
    _is_pdf(client.get(url + "?part=2"))
    response = client.get(url + "?part=2")
    assert "part-2.pdf" in response.headers["Content-Disposition"]
    _is_pdf(client.get(url))  # the first part
    assert client.get(url + "?part=3").status_code == 404
    # Not ASCII digits ("²" and "١" pass str.isdigit), or absurdly long: 400, not 500.
    for bad in ("0", "x", "-1", "1.5", "²", "١", "9" * 40):
        assert client.get(url, query_string={"part": bad}).status_code == 400, bad


def test_bulk_selection_is_by_name_and_filtered(app, world):
    make_registration(app, world["event"], last_name="Aaronson", first_name="Zed")
    make_registration(app, world["event"], last_name="Pending", approval=Approval.PENDING)
    make_registration(app, world["event"], last_name="Online", mode=AttendanceMode.ONLINE)
    make_registration(app, world["event"], last_name="Waiting", seat=SeatState.WAITING)
    make_registration(app, world["event"], last_name="Gone", cancelled_at=utcnow())
    with app.test_request_context():
        from models import Event

        event = db.session.get(Event, world["event"])
        names = [r.last_name for r in db.session.scalars(badges.badge_query(event))]
        assert names == ["Aaronson", "Byron", "Lovelace"]
        academia = badges.badge_query(event, RegistrationCategory.ACADEMIA)
        assert [r.last_name for r in db.session.scalars(academia)] == ["Byron"]
        member = badges.badge_query(event, organization_id=world["member"])
        assert [r.last_name for r in db.session.scalars(member)] == ["Lovelace"]
        # The text lands in the PDF (core font, uncompressed, to read it back).
        regs = list(db.session.scalars(badges.badge_query(event)))
        data = badges.registration_badges_pdf(regs, sheet=True, fonts=FontSet(), compress=False)
        for text in (b"Aaronson", b"Byron", b"Lovelace", b"Ministry of ICT", b"Kenya"):
            assert text in data
        assert b"ACADEMIA" in data and b"MEMBER STATE DELEGATE" in data
        assert badges.code_for(regs[2]).encode() in data
        assert b"Badge Conference" in data


def test_badges_page_lists_holders_and_visa_requests(app, client, world, as_user):
    url = f"/events/{world['event']}/badges"
    for email in ("fp@example.org", "fp2@example.org", "ada@example.org"):
        as_user(email)
        assert client.get(url).status_code == 403
    as_user("org@example.org")
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Ada Lovelace" in html and "Bob Byron" in html
    assert "2 badges match these filters." in html
    assert f"/registrations/{world['reg']}/visa-letter.pdf" in html
    filtered = client.get(url + "?category=academia").get_data(as_text=True)
    assert "Bob Byron" in filtered and f'id="holder-{world["reg"]}"' not in filtered
    assert client.get(url + "?category=nonsense").status_code == 400


def test_reissue_voids_the_printed_badge(app, client, world, as_user):
    old = code_of(app, world["reg"])
    url = f"/events/{world['event']}/registrations/{world['reg']}/badge/reissue"
    as_user("fp@example.org")
    assert client.post(url).status_code == 403
    as_user("org@example.org")
    assert client.get(url).status_code == 405
    response = client.post(url, data={"next": f"/events/{world['event']}/badges?page=1"})
    assert response.status_code == 302 and response.location.endswith("/badges?page=1")
    for evil in ("//evil.example.org/", "/\\evil.example.org/", "/\tevil", "https://evil.org/"):
        response = client.post(url, data={"next": evil})
        assert response.location.endswith(f"/events/{world['event']}/badges"), evil
    new = code_of(app, world["reg"])
    assert new != old
    with app.test_request_context():
        from models import Event

        event = db.session.get(Event, world["event"])
        assert badges.verify_for_event(event, old).verdict == Verdict.REVOKED
        assert badges.verify_for_event(event, new).verdict == Verdict.VALID
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action == "registration.badge_reissued")
        ).all()
        assert len(actions) == 5
    other = f"/events/{world['event']}/registrations/{world['other_reg']}/badge/reissue"
    assert client.post(other).status_code == 404


def test_reissue_of_a_cancelled_registration_is_refused(app, client, world, as_user):
    with app.app_context():
        db.session.get(Registration, world["reg"]).cancelled_at = utcnow()
        db.session.commit()
    as_user("org@example.org")
    url = f"/events/{world['event']}/registrations/{world['reg']}/badge/reissue"
    response = client.post(url)
    assert response.status_code == 409
    assert "cancelled" in response.get_data(as_text=True)


def test_a_foreign_nonce_is_replaced_on_the_first_badge(app, world):
    with app.app_context():
        db.session.get(Registration, world["reg"]).badge_nonce = "ab" * 16
        db.session.commit()
    code = code_of(app, world["reg"])
    with app.test_request_context():
        from models import Event

        registration = db.session.get(Registration, world["reg"])
        assert registration.badge_nonce != "ab" * 16
        event = db.session.get(Event, world["event"])
        assert badges.verify_for_event(event, code).valid


# --------------------------------------------------------------------------------------
# Visa support letters
# --------------------------------------------------------------------------------------


def test_participant_downloads_their_visa_letter(app, client, world, as_user):
    url = f"/events/{world['event']}/registration/visa-letter.pdf"
    assert client.get(url).status_code == 302
    as_user("ada@example.org")
    _is_pdf(client.get(url))
    as_user("bob@example.org")  # asked for no letter
    assert client.get(url).status_code == 404


def test_visa_letter_waits_for_approval(app, client, world, as_user):
    with app.app_context():
        db.session.get(Registration, world["reg"]).approval = Approval.PENDING
        db.session.commit()
    as_user("ada@example.org")
    response = client.get(f"/events/{world['event']}/registration/visa-letter.pdf")
    assert response.status_code == 403
    assert "once the registration is approved" in response.get_data(as_text=True)
    as_user("org@example.org")
    url = f"/events/{world['event']}/registrations/{world['reg']}/visa-letter.pdf"
    assert client.get(url).status_code == 403


@pytest.mark.parametrize(
    "email, status",
    [
        ("org@example.org", 200),
        ("fp@example.org", 403),
        ("fp2@example.org", 403),
        ("ada@example.org", 403),
        ("bob@example.org", 403),
    ],
)
def test_visa_letter_of_per_role(client, world, as_user, email, status):
    as_user(email)
    url = f"/events/{world['event']}/registrations/{world['reg']}/visa-letter.pdf"
    response = client.get(url)
    assert response.status_code == status
    if status == 200:
        assert response.data.startswith(b"%PDF")


def test_visa_letter_of_unknown_or_unrequested_is_404(client, world, as_user):
    as_user("org@example.org")
    base = f"/events/{world['event']}/registrations"
    assert client.get(f"{base}/{world['other_reg']}/visa-letter.pdf").status_code == 404
    assert client.get(f"{base}/{world['reg2']}/visa-letter.pdf").status_code == 404
    assert client.get(f"{base}/99999999/visa-letter.pdf").status_code == 404


def test_visa_letter_says_what_it_must(app, world):
    with app.test_request_context():
        registration = db.session.get(Registration, world["reg"])
        content = letters.letter_content(registration, today=date(2027, 1, 15))
        text = content.text
        for expected in (
            "Ada Lovelace",
            "P1234567",
            "Kenya",
            "December 10, 1985",
            "Director of Spectrum at Ministry of ICT",
            "Badge Conference",
            "Geneva, Switzerland",
            f"BADGE-T/VISA/{world['reg']:05d}",
            "does not commit the organizers to cover any cost",
            "January 15, 2027",
        ):
            assert expected in text, expected
        data = letters.letter_pdf(registration, fonts=FontSet(), compress=False)
        assert data.startswith(b"%PDF")
        assert b"P1234567" in data and b"Badge Conference" in data
