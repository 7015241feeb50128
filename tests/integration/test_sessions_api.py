"""/api/v1/sessions against its OpenAPI document: every returned field is documented with
its type, every documented parameter works, bad ones are a 400 naming the parameter;
only published sessions, no people under the Chatham House rule, nobody who declined."""

from __future__ import annotations

import pytest

from models import Event, ProgrammeSession, SessionStatus
from tests.integration.test_pledge_api import conforms
from tests.integration.test_sessions_public import add_room, add_session, at, seed_programme
from webapp.extensions import db


@pytest.fixture
def programme(app, make_event, make_user):
    """Three published sessions of event A (and drafts), one of event B."""
    return seed_programme(app, make_event, make_user)


@pytest.fixture
def document(client):
    """The OpenAPI document."""
    return client.get("/api/v1/openapi.json").get_json()


def _list_schema(document):
    return document["paths"]["/sessions"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]


SESSION = {"$ref": "#/components/schemas/ProgrammeSession"}


def test_list_conforms(client, document, programme):
    response = client.get(f"/api/v1/sessions?event={programme['event']}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"
    body = response.get_json()
    conforms(document, _list_schema(document), body)
    assert body["total"] == 3 and body["page"] == 1 and body["per_page"] == 25
    # Programme order: by time, then room.
    assert [i["id"] for i in body["items"]] == [
        programme["open"],
        programme["closed"],
        programme["online"],
    ]


def test_list_without_event_spans_every_event(client, document, programme):
    body = client.get("/api/v1/sessions").get_json()
    conforms(document, _list_schema(document), body)
    assert body["total"] == 4
    assert {i["id"] for i in body["items"]} == {
        programme[k] for k in ("open", "closed", "online", "elsewhere")
    }
    events = [i["event_id"] for i in body["items"]]
    assert events == sorted(events)


def test_one_session_conforms(client, document, programme):
    body = client.get(f"/api/v1/sessions/{programme['open']}").get_json()
    conforms(document, SESSION, body)
    assert set(body) == set(document["components"]["schemas"]["ProgrammeSession"]["properties"])
    assert body["title"] == "Connecting schools" and body["timezone"] == "Europe/Zurich"
    assert body["starts_at"].endswith(("+01:00", "+02:00")) and "T14:00:00" in body["starts_at"]
    assert body["focus_area"]["code"] == "ACCESS" and body["room"]["name"] == "Room 1"
    assert body["stream_url"] == "https://stream.example.org/schools"
    assert body["languages"] == ["en", "fr"] and body["interpretation"] == ["zh"]
    assert [(a["title"], a["minutes"]) for a in body["agenda"]] == [
        ("Opening remarks", 10),
        ("Panel discussion", 30),
    ]
    assert "T14:10:00" in body["agenda"][1]["starts_at"]
    assert [(p["name"], p["part"]) for p in body["people"]] == [
        ("Ada Lovelace", "moderator"),
        ("Grace Hopper", "speaker"),
    ]
    assert body["people"][0]["organization"] == "Ministry of Digital Affairs"
    assert body["url"].endswith(
        f"/events/{programme['event']}/programme/sessions/{programme['open']}"
    )
    assert body["ical_url"].endswith(".ics")


def test_chatham_house_and_invitation_only(client, document, programme):
    body = client.get(f"/api/v1/sessions/{programme['closed']}").get_json()
    conforms(document, SESSION, body)
    assert body["chatham_house"] is True and body["people"] == []
    assert body["visibility"] == "invitation_only" and body["stream_url"] is None


def test_sparse_session_conforms(client, document, programme):
    body = client.get(f"/api/v1/sessions/{programme['online']}").get_json()
    conforms(document, SESSION, body)
    assert body["focus_area"] is None and body["room"] is None
    assert body["agenda"] == [] and body["people"] == []


def test_unplaced_published_session_conforms(app, client, document, programme):
    with app.app_context():
        event = db.session.get(Event, programme["event"])
        session_id = add_session(event, "Not placed yet").id
        db.session.commit()
    body = client.get(f"/api/v1/sessions/{session_id}").get_json()
    conforms(document, SESSION, body)
    assert body["starts_at"] is None and body["ends_at"] is None
    listed = client.get(f"/api/v1/sessions?event={programme['event']}").get_json()
    assert listed["items"][-1]["id"] == session_id  # unplaced come last


#: A valid value for every documented parameter, and how many sessions of event A match.
VALID = {
    "event": (None, 3),
    "day": (None, 2),
    "room": (None, 1),
    "focus_area": ("ACCESS", 1),
    "format": ("high_level_dialogue", 1),
    "mode": ("hybrid", 2),
    "language": ("zh", 1),
    "page": ("2", 3),  # with per_page=2
    "per_page": ("2", 3),
}
#: An invalid value for every documented parameter.
INVALID = {
    "event": "abc",
    "day": "2027-02-30",
    "room": "hall",
    "focus_area": "NOPE",
    "format": "keynote",
    "mode": "hologram",
    "language": "xx",
    "page": "0",
    "per_page": "1000",
}


def _parameters(document):
    return document["paths"]["/sessions"]["get"]["parameters"]


def test_every_documented_parameter_is_covered(document):
    assert {p["name"] for p in _parameters(document)} == set(VALID) == set(INVALID)
    for parameter in _parameters(document):
        assert parameter["description"] and parameter["schema"]["type"]


@pytest.mark.parametrize("name", list(VALID))
def test_every_documented_parameter_works(app, client, programme, name):
    value, expected = VALID[name]
    if name == "day":
        with app.app_context():
            value = at(db.session.get(Event, programme["event"]), 2, 0).date().isoformat()
    if name == "room":
        value = str(programme["annex"])
    query = {"event": str(programme["event"])}
    if name != "event":
        query[name] = value
    if name == "page":
        query["per_page"] = "2"
    response = client.get("/api/v1/sessions", query_string=query)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["total"] == expected
    if name == "per_page":
        assert len(body["items"]) == 2
    if name == "page":
        assert body["page"] == 2 and len(body["items"]) == 1


@pytest.mark.parametrize("name", list(INVALID))
def test_bad_parameter_is_400_naming_it(client, document, programme, name):
    query = {"event": str(programme["event"]), name: INVALID[name]}
    response = client.get("/api/v1/sessions", query_string=query)
    assert response.status_code == 400
    body = response.get_json()
    conforms(document, {"$ref": "#/components/schemas/Error"}, body)
    assert body["error"]["code"] == "invalid_parameter"
    if name not in ("page", "per_page"):
        assert body["error"]["details"]["parameter"] == name


@pytest.mark.parametrize(
    "query",
    [
        {"room": "{other_room}"},  # a room of another event
        {"day": "1999-01-01"},  # not a day of the event
        {"room": "99999999999999999999999"},
        {"focus_area": "x" * 500},
        {"event": "²"},
        {"room": "٣"},
    ],
)
def test_values_outside_the_event_are_400(app, client, programme, query):
    with app.app_context():
        other_room = add_room(db.session.get(Event, programme["other"]), "Elsewhere").id
        db.session.commit()
    query = {k: v.format(other_room=other_room) for k, v in query.items()}
    response = client.get("/api/v1/sessions", query_string={"event": programme["event"], **query})
    assert response.status_code == 400
    assert response.get_json()["error"]["details"]["parameter"] in query


def test_unknown_event_is_404(client, programme):
    for value in ("999999", "99999999999999999999"):
        response = client.get(f"/api/v1/sessions?event={value}")
        assert response.status_code in (400, 404)
        assert response.get_json()["error"]["code"] in ("not_found", "invalid_parameter")
    response = client.get("/api/v1/sessions?event=999999")
    assert response.status_code == 404


@pytest.mark.parametrize("key", ["draft", "confirmed"])
def test_unpublished_is_404(client, document, programme, key):
    response = client.get(f"/api/v1/sessions/{programme[key]}")
    assert response.status_code == 404
    conforms(document, {"$ref": "#/components/schemas/Error"}, response.get_json())
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("session_id", ["999999", "99999999999999999999", "abc"])
def test_unknown_session_is_404(client, programme, session_id):
    response = client.get(f"/api/v1/sessions/{session_id}")
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404


def test_unpublishing_hides_it(app, client, programme):
    with app.app_context():
        db.session.get(ProgrammeSession, programme["online"]).status = SessionStatus.CONFIRMED
        db.session.commit()
    assert client.get(f"/api/v1/sessions/{programme['online']}").status_code == 404
    body = client.get(f"/api/v1/sessions?event={programme['event']}").get_json()
    assert body["total"] == 2


def test_page_past_the_end_is_empty(client, programme):
    body = client.get(f"/api/v1/sessions?event={programme['event']}&page=9").get_json()
    assert body["items"] == [] and body["total"] == 3


def test_documented_paths(document):
    assert "/sessions" in document["paths"] and "/sessions/{session_id}" in document["paths"]
    for name in ("ProgrammeSession", "AgendaItem", "SessionPerson"):
        assert name in document["components"]["schemas"]


def test_ids_just_beyond_the_databases_integers_are_refused_not_500(client, programme):
    """Ids are INTEGER columns: 2**31 is an "integer out of range" error on PostgreSQL
    (a 500) unless refused before the query."""
    huge = 2**31
    assert client.get(f"/api/v1/sessions/{huge}").status_code == 404
    response = client.get(f"/api/v1/sessions?event={huge}")
    assert response.status_code == 400
    assert response.get_json()["error"]["details"]["parameter"] == "event"
    response = client.get(f"/api/v1/sessions?room={huge}")  # across events: no room list
    assert response.status_code == 400
    assert response.get_json()["error"]["details"]["parameter"] == "room"
    assert client.get(f"/events/{huge}/programme").status_code == 404
    assert client.get(f"/events/{programme['event']}/programme/sessions/{huge}").status_code == 404
