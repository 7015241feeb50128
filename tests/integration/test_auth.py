"""Account pages through the HTTP client."""

import pytest
from sqlalchemy import select

from models import AuditEntry, User
from tests.conftest import PASSWORD, link_in, outbox
from webapp.extensions import db


def signup(client, email="new@example.org", password="a-long-password", **extra):
    data = {
        "name": "New Person",
        "email": email,
        "password": password,
        "confirm": password,
        "locale": "en",
    } | extra
    return client.post("/account/signup", data=data)


def test_signup_verify_login(app, client):
    response = signup(client)
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)
    [message] = outbox(app, "new@example.org")
    assert message.template == "auth/verify_email"
    assert message.state == "kept"
    # Not verified yet: login refused with a way to resend.
    response = client.post(
        "/account/login", data={"email": "new@example.org", "password": "a-long-password"}
    )
    assert response.status_code == 400
    assert "confirm your email" in response.get_data(as_text=True)
    response = client.get(link_in(message))
    assert response.status_code == 302
    # The link is single-use.
    assert client.get(link_in(message)).status_code == 400
    response = client.post(
        "/account/login", data={"email": "NEW@example.org ", "password": "a-long-password"}
    )
    assert response.status_code == 302
    assert "Log out" in client.get("/").get_data(as_text=True)


def test_signup_existing_email_gives_same_answer(app, client, make_user):
    make_user("taken@example.org")
    first = signup(client, "taken@example.org")
    second = signup(client, "fresh@example.org")
    assert first.status_code == second.status_code == 200
    assert [m.template for m in outbox(app, "taken@example.org")] == ["auth/account_exists"]
    with app.app_context():
        assert db.session.scalar(select(db.func.count(User.id))) == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not-an-email"}, "valid email"),
        ({"password": "short", "confirm": "short"}, "between 10 and 200"),
        ({"confirm": "something-else"}, "passwords differ"),
        ({"name": ""}, "This field is required"),
        ({"password": "x" * 300, "confirm": "x" * 300}, "between 10 and 200"),
        ({"password": "aaaaaaaaaaaa", "confirm": "aaaaaaaaaaaa"}, "more different"),
    ],
)
def test_signup_bad_input(client, data, message):
    response = signup(client, **data) if "email" not in data else signup(client, data["email"])
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message.lower() in body.lower()
    assert "Check your email" not in body


def test_login_wrong_password_and_unknown_email_look_the_same(client, make_user):
    make_user("known@example.org")
    a = client.post("/account/login", data={"email": "known@example.org", "password": "wrong"})
    b = client.post("/account/login", data={"email": "nobody@example.org", "password": "wrong"})
    assert a.status_code == b.status_code == 400
    assert "Email or password is not correct" in a.get_data(as_text=True)
    assert "Email or password is not correct" in b.get_data(as_text=True)


def test_login_rate_limited(app, client, make_user):
    make_user("known@example.org")
    app.config["RATELIMIT_LOGIN"] = "3 per minute"
    try:
        codes = [
            client.post(
                "/account/login", data={"email": "known@example.org", "password": "wrong"}
            ).status_code
            for _ in range(5)
        ]
    finally:
        app.config["RATELIMIT_LOGIN"] = "1000 per minute"
    assert codes[:3] == [400, 400, 400]
    assert codes[3:] == [429, 429]


def test_password_reset_flow(app, client, make_user):
    make_user("forgot@example.org")
    response = client.post("/account/forgot", data={"email": "forgot@example.org"})
    unknown = client.post("/account/forgot", data={"email": "ghost@example.org"})
    assert response.get_data(as_text=True).replace("forgot@", "X@") == unknown.get_data(
        as_text=True
    ).replace("ghost@", "X@")
    [message] = outbox(app, "forgot@example.org")
    path = link_in(message)
    assert client.get(path).status_code == 200
    response = client.post(
        path, data={"password": "brand-new-password", "confirm": "brand-new-password"}
    )
    assert response.status_code == 302
    assert client.get(path).status_code == 400  # used
    assert (
        client.post(
            "/account/login", data={"email": "forgot@example.org", "password": PASSWORD}
        ).status_code
        == 400
    )
    assert (
        client.post(
            "/account/login", data={"email": "forgot@example.org", "password": "brand-new-password"}
        ).status_code
        == 302
    )
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"user.password_reset_requested", "user.password_reset"} <= actions


def test_reset_link_expired(app, client, make_user):
    from datetime import timedelta

    from models import UserToken

    make_user("late@example.org")
    client.post("/account/forgot", data={"email": "late@example.org"})
    [message] = outbox(app, "late@example.org")
    with app.app_context():
        for token in db.session.scalars(select(UserToken)):
            token.expires_at = token.expires_at - timedelta(days=1)
        db.session.commit()
    response = client.get(link_in(message))
    assert response.status_code == 400
    assert "not valid any more" in response.get_data(as_text=True)


def test_change_password_and_email(app, client, make_user, login):
    make_user("me@example.org")
    login("me@example.org")
    bad = client.post(
        "/account/",
        data={
            "form": "password",
            "pw-current": "wrong-one",
            "pw-password": "another-password",
            "pw-confirm": "another-password",
        },
    )
    assert bad.status_code == 400
    assert "current password is not correct" in bad.get_data(as_text=True)
    ok = client.post(
        "/account/",
        data={
            "form": "password",
            "pw-current": PASSWORD,
            "pw-password": "another-password",
            "pw-confirm": "another-password",
        },
    )
    assert ok.status_code == 302
    assert client.get("/account/").status_code == 200  # still logged in
    response = client.post(
        "/account/",
        data={"form": "email", "em-new_email": "me2@example.org", "em-current": "another-password"},
    )
    assert response.status_code == 302
    [message] = outbox(app, "me2@example.org")
    assert client.get(link_in(message)).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.email)) == "me2@example.org"


def test_preferred_language_switches_pages(app, client, make_user, login):
    make_user("zh@example.org")
    login("zh@example.org")
    response = client.post(
        "/account/", data={"form": "prefs", "prefs-name": "Zhang", "prefs-locale": "zh"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.locale)) == "zh"
    assert 'lang="zh"' in client.get("/account/").get_data(as_text=True)


def test_account_requires_login(client):
    response = client.get("/account/")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\t/evil.example",
        "https://evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
    ],
)
def test_no_open_redirect_after_login_or_language(client, make_user, target):
    from urllib.parse import quote

    make_user("me@example.org")
    response = client.post(
        f"/account/login?next={quote(target)}",
        data={"email": "me@example.org", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    response = client.post("/language", data={"lang": "fr", "next": target})
    assert response.headers["Location"] == "/"


def test_local_next_is_followed(client, make_user):
    make_user("me@example.org")
    response = client.post(
        "/account/login?next=/directory/people?q=x",
        data={"email": "me@example.org", "password": PASSWORD},
    )
    assert response.headers["Location"] == "/directory/people?q=x"


def test_reset_requests_are_limited_per_address(app, client, make_user):
    make_user("target@example.org")
    app.config["RATELIMIT_LOGIN"] = "2 per minute"
    try:
        codes = [
            client.post(
                "/account/forgot",
                data={"email": "target@example.org"},
                environ_base={"REMOTE_ADDR": f"10.0.0.{i}"},
            ).status_code
            for i in range(4)
        ]
    finally:
        app.config["RATELIMIT_LOGIN"] = "1000 per minute"
    assert codes == [200, 200, 429, 429]
    assert len(outbox(app, "target@example.org")) == 2


def test_password_change_voids_pending_links_and_email_change_tells_old_address(
    app, client, make_user, login
):
    make_user("me@example.org")
    login("me@example.org")
    client.post(
        "/account/",
        data={"form": "email", "em-new_email": "new@example.org", "em-current": PASSWORD},
    )
    [first] = outbox(app, "new@example.org")
    client.post(
        "/account/",
        data={
            "form": "password",
            "pw-current": PASSWORD,
            "pw-password": "another-password",
            "pw-confirm": "another-password",
        },
    )
    assert client.get(link_in(first)).status_code == 400  # voided by the password change
    client.post(
        "/account/",
        data={"form": "email", "em-new_email": "new@example.org", "em-current": "another-password"},
    )
    second = outbox(app, "new@example.org")[-1]
    assert client.get(link_in(second)).status_code == 302
    [notice] = outbox(app, "me@example.org")
    assert notice.template == "auth/email_changed"
    assert "new@example.org" in notice.body_text


def test_renaming_is_audited(app, client, make_user, login):
    make_user("me@example.org")
    login("me@example.org")
    client.post("/account/", data={"form": "prefs", "prefs-name": "New Name", "prefs-locale": "en"})
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.renamed"))
    assert entry is not None and "New Name" in entry.summary
