"""The P2C hub, a focus area's page and its edit form through the HTTP client, for each
role: what each one may open, which sessions they see counted and listed, and every bad
input of the edit form."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from models import (
    AuditEntry,
    CochairAppointment,
    Event,
    FocusArea,
    Person,
    ProgrammeSession,
    SeatCategory,
    SessionFormat,
    SessionStatus,
)
from sessions import core
from tests.conftest import PASSWORD
from webapp.extensions import db

ORGANIZER, COCHAIR, OTHER_COCHAIR, PARTICIPANT = (
    "olga@x.org",
    "ada@x.org",
    "otto@x.org",
    "pat@x.org",
)


@pytest.fixture
def world(app, make_event, make_user):
    """An event with its four areas, a session in each status of ACCESS, a draft and a
    published session of ADOPTION, a cross-area draft; users of every role."""
    event_id = make_event("P2C-AR")
    other_id = make_event("P2C-AR2")
    make_user(ORGANIZER, "Olga Organizer", organizer_of=event_id)
    make_user(COCHAIR, "Ada Access", cochair_of=(event_id, "ACCESS"))
    make_user(OTHER_COCHAIR, "Otto Adoption", cochair_of=(event_id, "ADOPTION"))
    make_user(PARTICIPANT, "Pat Participant")
    with app.app_context():
        areas = {a.code: a.id for a in core.ensure_focus_areas(db.session.get(Event, event_id))}
        other = {a.code: a.id for a in core.ensure_focus_areas(db.session.get(Event, other_id))}
        rows = [
            ("Access draft", "ACCESS", SessionStatus.DRAFT),
            ("Access proposed", "ACCESS", SessionStatus.PROPOSED),
            ("Access confirmed", "ACCESS", SessionStatus.CONFIRMED),
            ("Access published", "ACCESS", SessionStatus.PUBLISHED),
            ("Adoption secret draft", "ADOPTION", SessionStatus.DRAFT),
            ("Adoption published", "ADOPTION", SessionStatus.PUBLISHED),
            ("Cross-area draft", None, SessionStatus.DRAFT),
        ]
        for title, code, status in rows:
            db.session.add(
                ProgrammeSession(
                    event_id=event_id,
                    focus_area_id=areas[code] if code else None,
                    title=title,
                    format=SessionFormat.PANEL,
                    status=status,
                )
            )
        person = Person(
            first_name="Mina", last_name="Minister", email="m@gov.ke", country_iso2="KE"
        )
        db.session.add(person)
        db.session.flush()
        db.session.add(
            CochairAppointment(
                event_id=event_id,
                focus_area_id=areas["ACCESS"],
                person_id=person.id,
                seat=SeatCategory.MEMBER_STATE,
            )
        )
        db.session.commit()
    return {"event": event_id, "other": other_id, "areas": areas, "other_areas": other}


def login_as(client, email):
    assert (
        client.post("/account/login", data={"email": email, "password": PASSWORD}).status_code
        == 302
    )


def row_counts(page: str, code: str) -> list[int]:
    """The status counts (then the total) in the hub's row of one area."""
    row = re.search(rf'<tr data-area="{code}">(.*?)</tr>', page, re.S).group(1)
    return [int(n) for n in re.findall(r"<td>(\d+)</td>", row)]


# --- the hub ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"), [(ORGANIZER, 200), (COCHAIR, 200), (OTHER_COCHAIR, 200), (PARTICIPANT, 403)]
)
def test_hub_per_role(client, world, who, status):
    login_as(client, who)
    assert client.get(f"/events/{world['event']}/p2c").status_code == status


def test_hub_anonymous_goes_to_login(client, world):
    response = client.get(f"/events/{world['event']}/p2c")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_hub_unknown_event_is_404(client, world):
    login_as(client, ORGANIZER)
    assert client.get("/events/987654/p2c").status_code == 404


def test_hub_for_organizers_counts_everything(client, world):
    login_as(client, ORGANIZER)
    page = client.get(f"/events/{world['event']}/p2c").get_data(as_text=True)
    # draft, proposed, confirmed, published, total
    assert row_counts(page, "ACCESS") == [1, 1, 1, 1, 4]
    assert row_counts(page, "ADOPTION") == [1, 0, 0, 1, 2]
    assert row_counts(page, "") == [1, 0, 0, 0, 1]
    assert "Missing: a private-sector co-chair" in page
    assert "1 co-chair awaiting an answer" in page
    assert "Regions without a Member State co-chair: Americas" in page
    assert f"/events/{world['event']}/p2c/cochairs" in page
    assert f"/events/{world['event']}/p2c/sessions" in page
    assert f"/events/{world['event']}/programme" in page


def test_hub_for_a_cochair_counts_only_published_of_other_areas(client, world):
    login_as(client, COCHAIR)
    page = client.get(f"/events/{world['event']}/p2c").get_data(as_text=True)
    assert row_counts(page, "ACCESS") == [1, 1, 1, 1, 4]
    assert row_counts(page, "ADOPTION") == [0, 0, 0, 1, 1]
    assert 'data-area=""' not in page  # no published cross-area session
    assert f"/events/{world['event']}/p2c/cochairs" not in page  # organizers only
    assert f"/events/{world['event']}/p2c/venue" not in page
    assert f"/events/{world['event']}/p2c/sessions" in page


def test_link_helper_skips_pages_not_registered(app):
    from sessions.views.areas import link_to

    with app.test_request_context():
        assert link_to("sessions.nowhere", event_id=1) is None
        assert link_to("sessions.p2c_overview", event_id=1) == "/events/1/p2c"


# --- a focus area -------------------------------------------------------------------------


def area_url(world, code="ACCESS", key="areas"):
    return f"/events/{world['event']}/p2c/areas/{world[key][code]}"


@pytest.mark.parametrize(
    ("who", "status"), [(ORGANIZER, 200), (COCHAIR, 200), (OTHER_COCHAIR, 200), (PARTICIPANT, 403)]
)
def test_area_page_per_role(client, world, who, status):
    login_as(client, who)
    assert client.get(area_url(world)).status_code == status


def test_area_page_anonymous_goes_to_login(client, world):
    assert client.get(area_url(world)).status_code == 302


def test_area_page_for_its_cochair(client, world):
    login_as(client, COCHAIR)
    page = client.get(area_url(world)).get_data(as_text=True)
    assert "Connecting people everywhere" in page
    for title in ("Access draft", "Access proposed", "Access confirmed", "Access published"):
        assert title in page
    assert "Mina Minister" in page and "Awaiting answer" in page and "Africa" in page
    assert 'id="area-balance"' in page
    assert "Edit the focus area" not in page


def test_another_areas_cochair_sees_only_published_and_no_balance(client, world):
    login_as(client, COCHAIR)
    page = client.get(area_url(world, "ADOPTION")).get_data(as_text=True)
    assert "Adoption published" in page
    assert "Adoption secret draft" not in page
    assert 'id="area-balance"' not in page


def test_area_page_for_organizers(client, world):
    login_as(client, ORGANIZER)
    page = client.get(area_url(world, "ADOPTION")).get_data(as_text=True)
    assert "Adoption secret draft" in page and 'id="area-balance"' in page
    assert "Edit the focus area" in page


def test_area_page_texts_in_the_readers_language(app, client, world):
    with app.app_context():
        area = db.session.get(FocusArea, world["areas"]["ACCESS"])
        area.name = {"en": "Connecting people everywhere", "fr": "Connecter tout le monde"}
        area.pillars = {"en": ["Infrastructure"], "fr": ["Infrastructures"]}
        db.session.commit()
    login_as(client, ORGANIZER)
    client.post("/language", data={"lang": "fr", "next": "/"})
    page = client.get(area_url(world)).get_data(as_text=True)
    assert "Connecter tout le monde" in page and "Infrastructures" in page


@pytest.mark.parametrize(
    "path",
    [
        "/events/{event}/p2c/areas/987654",
        "/events/{event}/p2c/areas/99999999999999999999",
        "/events/{event}/p2c/areas/{other_area}",
    ],
)
def test_unknown_or_other_events_area_is_404(client, world, path):
    login_as(client, ORGANIZER)
    url = path.format(event=world["event"], other_area=world["other_areas"]["ACCESS"])
    assert client.get(url).status_code == 404
    assert client.get(url + "/edit").status_code == 404
    assert client.post(url + "/edit", data={"label": "X", "name_en": "X"}).status_code == 404


# --- editing an area ----------------------------------------------------------------------


def edit_data(**changes):
    data = {
        "label": "ACCESS",
        "name_en": "Connecting everyone",
        "description_en": "Affordable connectivity.",
        "pillars_en": "Infrastructure\n\n  Affordability \nSpectrum",
        "name_zh": "连接所有人",
        "description_zh": "",
        "pillars_zh": "基础设施",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("who", "status"), [(COCHAIR, 403), (OTHER_COCHAIR, 403), (PARTICIPANT, 403)]
)
def test_only_organizers_edit_an_area(app, client, world, who, status):
    login_as(client, who)
    assert client.get(area_url(world) + "/edit").status_code == status
    assert client.post(area_url(world) + "/edit", data=edit_data()).status_code == status
    with app.app_context():
        assert db.session.get(FocusArea, world["areas"]["ACCESS"]).name["en"] == (
            "Connecting people everywhere"
        )


def test_edit_anonymous_goes_to_login(client, world):
    assert client.get(area_url(world) + "/edit").status_code == 302
    assert client.post(area_url(world) + "/edit", data=edit_data()).status_code == 302


def test_edit_saves_every_language_and_audits(app, client, world):
    login_as(client, ORGANIZER)
    form = client.get(area_url(world) + "/edit").get_data(as_text=True)
    assert 'value="Connecting people everywhere"' in form
    assert 'name="name_zh"' in form and 'name="name_fr"' not in form
    response = client.post(area_url(world) + "/edit", data=edit_data(label="ACCESS!"))
    assert response.status_code == 302
    with app.app_context():
        area = db.session.get(FocusArea, world["areas"]["ACCESS"])
        assert area.label == "ACCESS!"
        assert area.name == {"en": "Connecting everyone", "zh": "连接所有人"}
        assert area.pillars == {
            "en": ["Infrastructure", "Affordability", "Spectrum"],
            "zh": ["基础设施"],
        }
        assert area.description["en"] == "Affordable connectivity."
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "focus_area.updated")
        )
        assert set(entry.data["changed"]) == {"label", "name", "description", "pillars"}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"label": ""}, "label", "short label"),
        ({"label": "L" * 61}, "label", "60"),
        ({"name_en": ""}, "name_en", "name in English"),
        ({"name_en": "N" * 201}, "name_en", "200"),
        ({"name_zh": "N" * 201}, "name_zh", "200"),
        ({"description_en": "D" * 4001}, "description_en", "4000"),
        ({"pillars_en": "\n".join(f"P{i}" for i in range(13))}, "pillars_en", "at most 12"),
        ({"pillars_en": "P" * 201}, "pillars_en", "200"),
        ({"pillars_en": "P" * 10000}, "pillars_en", ""),
    ],
)
def test_edit_refuses_bad_values_and_keeps_them(app, client, world, changes, field, message):
    login_as(client, ORGANIZER)
    response = client.post(area_url(world) + "/edit", data=edit_data(**changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{field}-error"' in page
    assert message in page.split(f'id="{field}-error"')[1][:300]
    kept = "Affordable connectivity." if field != "description_en" else "连接所有人"
    assert kept in page  # what was typed elsewhere is kept
    with app.app_context():
        area = db.session.get(FocusArea, world["areas"]["ACCESS"])
        assert area.name["en"] == "Connecting people everywhere" and area.label == "ACCESS"
