"""Co-chairs through the HTTP client: the organizers' page and its rule checker, the
appointment and each refusal, the live preview, withdraw and resend, and the appointee's
accept/decline link with every kind of bad link — for each role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import (
    AppointmentState,
    AuditEntry,
    CochairAppointment,
    Event,
    Organization,
    Person,
    Role,
    RoleGrant,
    SeatCategory,
    User,
    utcnow,
)
from sessions import core
from tests.conftest import PASSWORD, link_in, outbox
from webapp.extensions import db

MS, PS, CS = "member_state", "private_sector", "civil_society_io"


def add_person(app, email, group=None, country=None, *, languages=(), user_id=None, org=None):
    """A directory person in an organization of `group` (None: no organization)."""
    with app.app_context():
        organization = None
        if group is not None or org:
            organization = Organization(name=org or f"{group} of {email}", constituent_group=group)
            db.session.add(organization)
            db.session.flush()
        first, last = email.split("@")[0].split(".") if "." in email.split("@")[0] else ("", email)
        person = Person(
            first_name=first.title(),
            last_name=last.split("@")[0].title(),
            email=email,
            organization_id=organization.id if organization else None,
            country_iso2=country,
            languages=list(languages),
            user_id=user_id,
        )
        db.session.add(person)
        db.session.commit()
        return person.id


@pytest.fixture
def world(app, make_event, make_user):
    event_id = make_event("P2C-CO")
    other_id = make_event("P2C-OTHER")
    ids = {
        "event": event_id,
        "other": other_id,
        "organizer": make_user("olga@x.org", "Olga Organizer", organizer_of=event_id),
        "cochair": make_user("ada@x.org", "Ada Access", cochair_of=(event_id, "ACCESS")),
        "other_cochair": make_user(
            "otto@x.org", "Otto Adoption", cochair_of=(event_id, "ADOPTION")
        ),
        "participant": make_user("pat@x.org", "Pat Participant"),
    }
    with app.app_context():
        for key, eid in (("areas", event_id), ("other_areas", other_id)):
            ids[key] = {a.code: a.id for a in core.ensure_focus_areas(db.session.get(Event, eid))}
        db.session.commit()
    ids["minister"] = add_person(app, "mina.minister@gov.ke", "MS_MIN", "KE")
    ids["official"] = add_person(app, "omar.official@gov.eg", "MS_SO", "EG")
    ids["third_ms"] = add_person(app, "tom.third@gov.in", "MS_MIN", "IN")
    ids["telco"] = add_person(app, "tia.telco@telco.fr", "PRIV", "FR")
    ids["telco2"] = add_person(app, "ted.telco@telco.br", "SM", "BR")
    ids["ngo"] = add_person(app, "nia.ngo@ngo.br", "CSO", "BR")
    ids["ngo2"] = add_person(app, "ned.ngo@un.org", "UN", "CH")
    ids["stateless"] = add_person(app, "sam.stateless@gov.xx", "MS_MIN", None)
    ids["loner"] = add_person(app, "lee.loner@x.org", None, "KZ")
    return ids


def login_as(client, email):
    response = client.post("/account/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302


def page_url(world):
    return f"/events/{world['event']}/p2c/cochairs"


def appoint(client, world, email, area="ACCESS", seat=MS, **extra):
    data = {"email": email, "focus_area": str(world["areas"][area]), "seat": seat, **extra}
    return client.post(page_url(world), data=data)


def appointments(app, **where):
    with app.app_context():
        query = select(CochairAppointment).order_by(CochairAppointment.id)
        for key, value in where.items():
            query = query.where(getattr(CochairAppointment, key) == value)
        rows = list(db.session.scalars(query))
        for row in rows:
            db.session.expunge(row)
        return rows


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def cochair_grants(app, user_id, event_id):
    with app.app_context():
        return sorted(
            db.session.scalars(
                select(RoleGrant.focus_area_code).where(
                    RoleGrant.user_id == user_id,
                    RoleGrant.event_id == event_id,
                    RoleGrant.role == Role.COCHAIR,
                )
            )
        )


def seed(app, world, person, area="ACCESS", seat=MS, state=AppointmentState.ACCEPTED):
    """An appointment stored directly (no rules checked), for building situations."""
    with app.app_context():
        row = CochairAppointment(
            event_id=world["event"],
            focus_area_id=world["areas"][area],
            person_id=world[person],
            seat=SeatCategory(seat),
            state=state,
        )
        db.session.add(row)
        db.session.commit()
        return row.id


def token_of(app, message):
    return link_in(message).rsplit("/", 1)[1]


# --- who may open what ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [("olga@x.org", 200), ("ada@x.org", 403), ("otto@x.org", 403), ("pat@x.org", 403)],
)
def test_cochairs_page_is_for_organizers(client, world, who, status):
    login_as(client, who)
    assert client.get(page_url(world)).status_code == status
    check = client.get(f"{page_url(world)}/check?area_id={world['areas']['ACCESS']}&seat={MS}")
    assert check.status_code == status
    assert appoint(client, world, "tia.telco@telco.fr", seat=PS).status_code in (status, 302)


def test_cochairs_page_anonymous_goes_to_login(client, world):
    response = client.get(page_url(world))
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert appoint(client, world, "tia.telco@telco.fr", seat=PS).status_code == 302
    check = client.get(f"{page_url(world)}/check", headers={"Accept": "application/json"})
    assert check.status_code == 401
    assert appointments(client.application) == []


def test_non_organizers_cannot_appoint_withdraw_or_resend(app, client, world):
    row = seed(app, world, "minister", state=AppointmentState.INVITED)
    for who in ("ada@x.org", "otto@x.org", "pat@x.org"):
        login_as(client, who)
        assert appoint(client, world, "tia.telco@telco.fr", seat=PS).status_code == 403
        assert client.post(f"{page_url(world)}/{row}/withdraw").status_code == 403
        assert client.post(f"{page_url(world)}/{row}/resend").status_code == 403
    assert [a.state for a in appointments(app)] == [AppointmentState.INVITED]
    assert outbox(app) == []


def test_another_events_organizer_gets_403(client, world, make_user):
    make_user("far@x.org", "Far Organizer", organizer_of=world["other"])
    login_as(client, "far@x.org")
    assert client.get(page_url(world)).status_code == 403


# --- appointing ---------------------------------------------------------------------------


def test_appointment_mails_a_link_audits_and_shows_awaiting(app, client, world):
    login_as(client, "olga@x.org")
    response = appoint(client, world, "Mina.Minister@gov.ke")
    assert response.status_code == 302
    [row] = appointments(app)
    assert row.state == AppointmentState.INVITED and row.seat == SeatCategory.MEMBER_STATE
    assert row.focus_area_id == world["areas"]["ACCESS"] and row.person_id == world["minister"]
    assert row.token_hash and row.token_expires_at > utcnow() + timedelta(days=29)
    [message] = outbox(app, "mina.minister@gov.ke")
    assert "/p2c/cochair/" in link_in(message)
    assert "ACCESS" in message.subject
    assert message.locale == "en"  # no language known: the event's first
    with app.app_context():
        assert db.session.scalar(
            select(AuditEntry.id).where(AuditEntry.action == "cochair.appointed")
        )
    page = client.get(page_url(world)).get_data(as_text=True)
    assert "Awaiting answer" in page and "Kenya" in page and "Africa" in page


def test_mail_in_the_persons_language(app, client, world):
    add_person(app, "fifi.fr@gov.fr", "MS_MIN", "FR", languages=("fr", "en"))
    login_as(client, "olga@x.org")
    assert appoint(client, world, "fifi.fr@gov.fr").status_code == 302
    [message] = outbox(app, "fifi.fr@gov.fr")
    assert message.locale == "fr"


def test_mail_in_the_events_first_language(app, client, make_event, make_user):
    event_id = make_event("P2C-ZH")
    with app.app_context():
        event = db.session.get(Event, event_id)
        event.languages = ["zh", "en"]
        area_id = core.ensure_focus_areas(event)[0].id
        db.session.commit()
    make_user("zo@x.org", "Zo Organizer", organizer_of=event_id)
    add_person(app, "wang.wei@gov.cn", "MS_MIN", "IN")
    login_as(client, "zo@x.org")
    response = client.post(
        f"/events/{event_id}/p2c/cochairs",
        data={"email": "wang.wei@gov.cn", "focus_area": str(area_id), "seat": MS},
    )
    assert response.status_code == 302
    [message] = outbox(app, "wang.wei@gov.cn")
    assert message.locale == "zh"


def test_rule_checker_turns_green_for_an_area(app, client, world):
    login_as(client, "olga@x.org")
    page = client.get(page_url(world)).get_data(as_text=True)
    assert "Missing: a private-sector co-chair" in page
    assert "Regions without a Member State co-chair: Africa, Americas" in page
    for email, seat in (
        ("mina.minister@gov.ke", MS),
        ("tia.telco@telco.fr", PS),
        ("nia.ngo@ngo.br", CS),
    ):
        assert appoint(client, world, email, seat=seat).status_code == 302
    page = client.get(page_url(world)).get_data(as_text=True)
    access = page.split('id="rules-ACCESS"')[1].split("</div>")[0]
    assert "rule-missing" not in access and access.count("rule-met") == 4
    assert "3 co-chairs awaiting an answer" in access
    assert "Regions without a Member State co-chair: Americas, Arab States" in page


@pytest.mark.parametrize(
    ("setup", "email", "seat", "status", "message"),
    [
        (
            [("minister", MS), ("official", MS)],
            "tom.third@gov.in",
            MS,
            409,
            "already has 2 Member State co-chairs",
        ),
        ([("telco", PS)], "ted.telco@telco.br", PS, 409, "already has its private-sector"),
        ([("ngo", CS)], "ned.ngo@un.org", CS, 409, "already has its civil-society"),
        (
            [("minister", MS), ("official", MS), ("third_ms", MS), ("telco", PS)],
            "nia.ngo@ngo.br",
            CS,
            409,
            "already has 4 co-chairs",
        ),
        ([], "sam.stateless@gov.xx", MS, 400, "needs a country"),
        ([], "tia.telco@telco.fr", MS, 400, "does not sit in the Member State seat"),
        ([], "mina.minister@gov.ke", PS, 400, "does not sit in the Private sector seat"),
        ([], "nia.ngo@ngo.br", PS, 400, "does not sit"),
        ([], "nobody@nowhere.org", MS, 400, "No one with the address nobody@nowhere.org"),
        ([], "", MS, 400, "Give the email address of a directory person"),
    ],
)
def test_refused_appointments_keep_the_values(
    app, client, world, setup, email, seat, status, message
):
    for person, seat_of in setup:
        seed(app, world, person, seat=seat_of)
    before = len(appointments(app))
    login_as(client, "olga@x.org")
    response = appoint(client, world, email, seat=seat)
    page = response.get_data(as_text=True)
    assert response.status_code == status, page[:3000]
    assert message in page
    assert 'class="error"' in page  # beside the field
    assert f'value="{email}"' in page or not email
    assert f'<option selected value="{seat}">' in page
    assert len(appointments(app)) == before
    assert outbox(app) == []


def test_a_person_co_chairs_one_area(app, client, world):
    seed(app, world, "minister", area="ADOPTION", state=AppointmentState.INVITED)
    login_as(client, "olga@x.org")
    response = appoint(client, world, "mina.minister@gov.ke", area="ACCESS")
    assert response.status_code == 409
    assert "already co-chairs ADOPTION" in response.get_data(as_text=True)
    seed(app, world, "telco", area="ACCESS", seat=PS)
    response = appoint(client, world, "tia.telco@telco.fr", area="ACCESS", seat=PS)
    assert response.status_code == 409
    assert "already co-chairs this focus area" in response.get_data(as_text=True)


def test_a_person_without_an_email_cannot_be_appointed(app, client, world):
    with app.app_context():
        person = Person(last_name="Nomail", country_iso2="KE")
        db.session.add(person)
        db.session.commit()
        person_id = person.id
    login_as(client, "olga@x.org")
    response = appoint(client, world, "", person_id=str(person_id))
    assert response.status_code == 400
    assert "has no email address" in response.get_data(as_text=True)


def test_a_group_free_person_may_take_any_seat(app, client, world):
    login_as(client, "olga@x.org")
    assert appoint(client, world, "lee.loner@x.org", seat=MS).status_code == 302


def test_declined_person_can_be_appointed_again(app, client, world):
    seed(app, world, "minister", state=AppointmentState.DECLINED)
    login_as(client, "olga@x.org")
    assert appoint(client, world, "mina.minister@gov.ke").status_code == 302
    [row] = appointments(app)
    assert row.state == AppointmentState.INVITED and row.decline_reason == ""


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"focus_area": "abc"}, 400),
        ({"focus_area": ""}, 400),
        ({"focus_area": "99999999999999"}, 400),
        ({"seat": "king"}, 400),
        ({"seat": ""}, 400),
        ({"email": "x" * 300 + "@x.org"}, 400),
        ({"person_id": "abc"}, 400),
        ({"person_id": "987654"}, 404),
        ({"focus_area": "987654"}, 404),
    ],
)
def test_bad_inputs(app, client, world, data, status):
    login_as(client, "olga@x.org")
    values = {"email": "mina.minister@gov.ke", "focus_area": str(world["areas"]["ACCESS"])}
    values.update({"seat": MS, **data})
    response = client.post(page_url(world), data=values)
    assert response.status_code == status
    assert appointments(app) == []


def test_another_events_area_is_404(app, client, world):
    login_as(client, "olga@x.org")
    response = client.post(
        page_url(world),
        data={
            "email": "mina.minister@gov.ke",
            "focus_area": str(world["other_areas"]["ACCESS"]),
            "seat": MS,
        },
    )
    assert response.status_code == 404
    assert appointments(app) == []


def test_directory_search_lists_people_to_choose(client, world):
    login_as(client, "olga@x.org")
    page = client.get(page_url(world) + "?q=telco").get_data(as_text=True)
    assert "tia.telco@telco.fr" in page and "ted.telco@telco.br" in page
    assert "mina.minister" not in page.split('id="directory-results"')[1].split("</table>")[0]
    chosen = client.get(page_url(world) + "?q=telco&email=tia.telco@telco.fr")
    assert 'value="tia.telco@telco.fr"' in chosen.get_data(as_text=True)
    assert "No one in the directory matches" in client.get(page_url(world) + "?q=zzzz").get_data(
        as_text=True
    )
    assert client.get(page_url(world) + "?q=" + "x" * 5000).status_code == 200


# --- the live preview ---------------------------------------------------------------------


def check(client, world, **args):
    return client.get(f"{page_url(world)}/check", query_string=args)


def test_preview_shows_the_rules_after_the_appointment(app, client, world):
    seed(app, world, "minister")
    seed(app, world, "ngo", seat=CS)
    login_as(client, "olga@x.org")
    area_id = world["areas"]["ACCESS"]
    data = check(client, world, area_id=area_id, seat=PS, email="tia.telco@telco.fr").get_json()
    assert data["refusal"] is None
    access = next(a for a in data["areas"] if a["code"] == "ACCESS")
    assert access["met"] and all(r["met"] for r in access["rules"])
    assert data["person"]["id"] == world["telco"]
    # The page itself still shows the current status.
    assert "Missing: a private-sector co-chair" in client.get(page_url(world)).get_data(
        as_text=True
    )
    # A second Member State from the Arab States covers that region in the preview.
    data = check(client, world, area_id=area_id, seat=MS, email="omar.official@gov.eg").get_json()
    assert "ARB" not in data["regions"]["uncovered"] and "AFR" not in data["regions"]["uncovered"]


def test_preview_reports_refusals(app, client, world):
    seed(app, world, "telco", seat=PS)
    login_as(client, "olga@x.org")
    area_id = world["areas"]["ACCESS"]
    data = check(client, world, area_id=area_id, seat=PS).get_json()
    assert data["refusal"]["status"] == 409 and "private-sector" in data["refusal"]["message"]
    pr = next(a for a in data["areas"] if a["code"] == "ACCESS")["rules"]
    assert not next(r for r in pr if r["key"] == "private_sector")["met"]
    data = check(client, world, area_id=area_id, seat=MS, email="who@nowhere.org").get_json()
    assert data["refusal"]["field"] == "email" and data["person"] is None
    data = check(client, world, area_id=area_id, seat=MS, email="ted.telco@telco.br").get_json()
    assert data["refusal"]["status"] == 400 and data["refusal"]["field"] == "seat"


@pytest.mark.parametrize(
    ("args", "status"),
    [
        ({"area_id": "abc", "seat": MS}, 400),
        ({"seat": MS}, 400),
        ({"area_id": "AREA", "seat": "king"}, 400),
        ({"area_id": "AREA", "seat": MS, "person_id": "nope"}, 400),
        ({"area_id": "AREA", "seat": MS, "person_id": "987654"}, 404),
        ({"area_id": "987654", "seat": MS}, 404),
        ({"area_id": "OTHER", "seat": MS}, 404),
    ],
)
def test_preview_bad_arguments(client, world, args, status):
    login_as(client, "olga@x.org")
    args = {
        k: {"AREA": world["areas"]["ACCESS"], "OTHER": world["other_areas"]["ACCESS"]}.get(v, v)
        for k, v in args.items()
    }
    response = check(client, world, **args)
    assert response.status_code == status
    if status == 400:
        assert response.get_json()["error"]["message"]


# --- the appointee's answer ---------------------------------------------------------------


def appointed(app, client, world, email="mina.minister@gov.ke", seat=MS, area="ACCESS"):
    """Appoint through the page as the organizer, log out, return the mailed link."""
    login_as(client, "olga@x.org")
    assert appoint(client, world, email, area=area, seat=seat).status_code == 302
    client.post("/account/logout")
    return link_in(outbox(app, email)[-1])


def test_answer_page_shows_the_area_and_event(app, client, world):
    link = appointed(app, client, world)
    page = client.get(link).get_data(as_text=True)
    assert "Co-chair of ACCESS" in page and "Test Conference" in page
    assert "Connecting people everywhere" in page
    assert 'name="password"' in page  # no account yet


def test_accept_with_an_existing_linked_account(app, client, world, make_user):
    user_id = make_user("mina.minister@gov.ke", "Mina Minister")
    with app.app_context():
        db.session.get(Person, world["minister"]).user_id = user_id
        db.session.commit()
    link = appointed(app, client, world)
    assert 'name="password"' not in client.get(link).get_data(as_text=True)
    response = client.post(link, data={"answer": "accept"})
    assert response.status_code == 302
    [row] = appointments(app)
    assert row.state == AppointmentState.ACCEPTED and row.user_id == user_id
    assert row.answered_at is not None
    assert cochair_grants(app, user_id, world["event"]) == ["ACCESS"]
    with app.app_context():
        assert db.session.scalar(
            select(AuditEntry.id).where(AuditEntry.action == "cochair.accepted")
        )
    # Single use: the link now answers 410 and changes nothing.
    again = client.post(link, data={"answer": "decline"})
    assert again.status_code == 410
    assert "already been answered" in again.get_data(as_text=True)
    assert appointments(app)[0].state == AppointmentState.ACCEPTED
    assert client.get(link).status_code == 410


def test_accept_links_an_account_with_the_same_address(app, client, world, make_user):
    user_id = make_user("tia.telco@telco.fr", "Tia Telco")
    link = appointed(app, client, world, "tia.telco@telco.fr", PS)
    assert client.post(link, data={"answer": "accept"}).status_code == 302
    with app.app_context():
        assert db.session.get(Person, world["telco"]).user_id == user_id
    assert cochair_grants(app, user_id, world["event"]) == ["ACCESS"]


def test_accept_creates_the_account(app, client, world):
    link = appointed(app, client, world, "nia.ngo@ngo.br", CS)
    missing = client.post(link, data={"answer": "accept"})
    assert missing.status_code == 400 and "Choose a password" in missing.get_data(as_text=True)
    weak = client.post(link, data={"answer": "accept", "password": "aaaa", "confirm": "aaaa"})
    assert weak.status_code == 400 and "at least" in weak.get_data(as_text=True)
    differ = client.post(
        link, data={"answer": "accept", "password": "a-good-passphrase", "confirm": "other"}
    )
    assert differ.status_code == 400 and "The passwords differ" in differ.get_data(as_text=True)
    assert appointments(app)[0].state == AppointmentState.INVITED
    response = client.post(
        link,
        data={"answer": "accept", "password": "a-good-passphrase", "confirm": "a-good-passphrase"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/events/{world['event']}/p2c")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "nia.ngo@ngo.br"))
        assert user.email_verified_at is not None
        assert db.session.get(Person, world["ngo"]).user_id == user.id
        user_id = user.id
    assert cochair_grants(app, user_id, world["event"]) == ["ACCESS"]
    # Logged in as the new co-chair: the hub opens.
    assert client.get(f"/events/{world['event']}/p2c").status_code == 200


def test_decline_keeps_the_reason(app, client, world):
    link = appointed(app, client, world)
    too_long = client.post(link, data={"answer": "decline", "reason": "x" * 2001})
    assert too_long.status_code == 400
    response = client.post(link, data={"answer": "decline", "reason": "Travel is not possible."})
    assert response.status_code == 302
    [row] = appointments(app)
    assert row.state == AppointmentState.DECLINED
    assert row.decline_reason == "Travel is not possible."
    assert count(app, RoleGrant) == 3  # only the fixture's grants
    with app.app_context():
        assert db.session.scalar(
            select(AuditEntry.id).where(AuditEntry.action == "cochair.declined")
        )
    # The organizers see it, and the seat is free again.
    login_as(client, "olga@x.org")
    page = client.get(page_url(world)).get_data(as_text=True)
    assert "Declined" in page and "Travel is not possible." in page


def test_neither_accept_nor_decline_is_400(app, client, world):
    link = appointed(app, client, world)
    assert client.post(link, data={"answer": "maybe"}).status_code == 400
    assert appointments(app)[0].state == AppointmentState.INVITED


@pytest.mark.parametrize(
    "token", ["forged-token-that-does-not-exist", "x" * 500, "bad token!", "ключ"]
)
def test_forged_links_are_404(client, world, token):
    response = client.get(f"/p2c/cochair/{token}")
    assert response.status_code == 404
    assert "This link is not valid" in response.get_data(as_text=True)
    assert client.post(f"/p2c/cochair/{token}", data={"answer": "accept"}).status_code == 404


def test_expired_link_is_410_and_changes_nothing(app, client, world):
    link = appointed(app, client, world)
    with app.app_context():
        row = db.session.scalar(select(CochairAppointment))
        row.token_expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    response = client.get(link)
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)
    assert client.post(link, data={"answer": "accept"}).status_code == 410
    assert appointments(app)[0].state == AppointmentState.INVITED


# --- withdraw and resend ------------------------------------------------------------------


def test_withdraw_revokes_the_role(app, client, world, make_user):
    user_id = make_user("mina.minister@gov.ke", "Mina Minister")
    with app.app_context():
        db.session.get(Person, world["minister"]).user_id = user_id
        db.session.commit()
    link = appointed(app, client, world)
    client.post(link, data={"answer": "accept"})
    assert cochair_grants(app, user_id, world["event"]) == ["ACCESS"]
    [row] = appointments(app)
    login_as(client, "olga@x.org")
    response = client.post(f"{page_url(world)}/{row.id}/withdraw")
    assert response.status_code == 302
    assert appointments(app)[0].state == AppointmentState.WITHDRAWN
    assert cochair_grants(app, user_id, world["event"]) == []
    with app.app_context():
        assert db.session.scalar(
            select(AuditEntry.id).where(AuditEntry.action == "cochair.withdrawn")
        )
    again = client.post(f"{page_url(world)}/{row.id}/withdraw")
    assert again.status_code == 409 and "already ended" in again.get_data(as_text=True)


def test_withdrawn_link_is_410(app, client, world):
    link = appointed(app, client, world)
    row = appointments(app)[0]
    login_as(client, "olga@x.org")
    client.post(f"{page_url(world)}/{row.id}/withdraw")
    client.post("/account/logout")
    response = client.get(link)
    assert response.status_code == 410 and "withdrawn" in response.get_data(as_text=True)


def test_resend_replaces_the_link(app, client, world):
    old = appointed(app, client, world)
    row = appointments(app)[0]
    login_as(client, "olga@x.org")
    assert client.post(f"{page_url(world)}/{row.id}/resend").status_code == 302
    messages = outbox(app, "mina.minister@gov.ke")
    assert len(messages) == 2
    new = link_in(messages[-1])
    assert new != old
    client.post("/account/logout")
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "cochair.resent"))


def test_resend_of_an_answered_appointment_is_409(app, client, world):
    row = seed(app, world, "minister")
    login_as(client, "olga@x.org")
    response = client.post(f"{page_url(world)}/{row}/resend")
    assert response.status_code == 409
    assert outbox(app) == []


def test_another_events_appointment_is_404(app, client, world, make_user):
    row = seed(app, world, "minister", state=AppointmentState.INVITED)
    make_user("far@x.org", "Far Organizer", organizer_of=world["other"])
    login_as(client, "far@x.org")
    other = f"/events/{world['other']}/p2c/cochairs"
    assert client.post(f"{other}/{row}/withdraw").status_code == 404
    assert client.post(f"{other}/{row}/resend").status_code == 404
    assert client.post(f"{other}/999999/withdraw").status_code == 404
    assert appointments(app)[0].state == AppointmentState.INVITED
