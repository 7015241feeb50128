"""Inputs that used to crash or leak: huge ids, clashing query keys, far dates, framing."""

import pytest


@pytest.mark.parametrize(
    "path",
    [
        "/events/99999999999999999999",
        "/jobs/99999999999999999999",
        "/api/v1/events/99999999999999999999",
        "/events/1/deadlines/99999999999999999999/edit",
    ],
)
def test_huge_ids_are_not_found(client, make_user, login, path):
    make_user("admin@example.org", admin=True)
    login("admin@example.org")
    assert client.get(path).status_code == 404


def test_huge_page_number_is_a_400_in_the_api(client):
    response = client.get("/api/v1/events?page=99999999999999999999")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_parameter"


def test_query_keys_that_clash_with_view_args_are_ignored(client, make_event, make_user, login):
    event_id = make_event()
    make_user("o@example.org", organizer_of=event_id)
    login("o@example.org")
    for query in ("event_id=3", "_external=1", "page=2&event_id=x"):
        assert client.get(f"/events/{event_id}/audit?{query}").status_code == 200, query


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01"])
def test_far_audit_dates_are_refused(client, make_event, make_user, login, value):
    event_id = make_event()
    make_user("o@example.org", organizer_of=event_id)
    login("o@example.org")
    response = client.get(f"/events/{event_id}/audit?date_to={value}")
    assert response.status_code == 400
    assert "between 2000 and 2100" in response.get_data(as_text=True)


def test_anonymous_json_request_gets_a_json_401(client):
    response = client.get("/admin/", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


def test_anonymous_page_request_goes_to_login_and_back(client):
    response = client.get("/directory/people?q=x")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login?next=")
    assert "directory" in response.headers["Location"]


def test_pages_cannot_be_framed(client):
    response = client.get("/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_forwarded_client_address_is_used_behind_a_trusted_proxy(tmp_path, monkeypatch):
    from flask import request

    from tests.conftest import make_test_config
    from webapp import create_app

    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    app = create_app(make_test_config(f"sqlite:///{tmp_path / 'p.sqlite3'}"))

    @app.get("/_whoami")
    def whoami():
        return request.remote_addr

    client = app.test_client()
    response = client.get("/_whoami", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.get_data(as_text=True) == "203.0.113.9"
