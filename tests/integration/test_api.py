"""The API skeleton: JSON errors, events, the OpenAPI document, and /healthz."""

import pytest


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["database"] == "ok"


def test_healthz_503_when_database_down(app, client, monkeypatch):
    from webapp.extensions import db

    def broken(*args, **kwargs):
        raise ConnectionError("down")

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unavailable"


def test_events_list_and_one(client, make_event):
    event_id = make_event("API-1")
    make_event("API-2", days=10)
    listing = client.get("/api/v1/events?per_page=1")
    assert listing.status_code == 200
    assert listing.json["total"] == 2
    assert len(listing.json["items"]) == 1
    assert listing.json["items"][0]["acronym"] == "API-1"  # latest opening first
    one = client.get(f"/api/v1/events/{event_id}")
    assert one.json["acronym"] == "API-1"
    assert one.json["opening_date"] == listing.json["items"][0]["opening_date"]


@pytest.mark.parametrize("query", ["page=abc", "page=0", "per_page=1000", "per_page=-1"])
def test_bad_paging_is_a_400_in_the_error_shape(client, query):
    response = client.get(f"/api/v1/events?{query}")
    assert response.status_code == 400
    error = response.json["error"]
    assert error["status"] == 400 and error["code"] == "invalid_parameter" and error["message"]


@pytest.mark.parametrize("path", ["/api/v1/events/999999", "/api/v1/nothing-here"])
def test_not_found_is_json(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_method_not_allowed_is_json(client):
    response = client.post("/api/v1/events")
    assert response.status_code == 405
    assert response.json["error"]["status"] == 405


def test_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    assert "/events" in doc["paths"] and "/events/{event_id}" in doc["paths"]
    assert "Error" in doc["components"]["schemas"]
    # Every $ref points at a schema that exists.
    import json
    import re

    for ref in re.findall(r'"\$ref": "#/components/schemas/(\w+)"', json.dumps(doc)):
        assert ref in doc["components"]["schemas"]


def test_html_404_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "does not exist" in response.get_data(as_text=True)
