"""Administration pages through the HTTP client: roles, outbox, audit log, job progress."""

import pytest
from sqlalchemy import select

from models import (
    AuditEntry,
    JobRun,
    JobState,
    MembershipCategory,
    Organization,
    RoleGrant,
    User,
)
from tests.conftest import outbox
from webapp import mail
from webapp.extensions import db


@pytest.fixture
def two_events(make_event):
    """Event A and event B; returns their ids."""
    return make_event("EV-A", name="Event A"), make_event("EV-B", name="Event B")


@pytest.fixture
def organizer(two_events, make_user, login):
    """Log in as the organizer of event A; returns event A's id."""
    a, _ = two_events
    make_user("o@x.org", name="Olga Organizer", organizer_of=a)
    login("o@x.org")
    return a


def grants(app, event_id):
    """(email, role, focus area, organization id) of the event's grants."""
    with app.app_context():
        rows = db.session.scalars(select(RoleGrant).where(RoleGrant.event_id == event_id))
        return {(g.user.email, g.role.value, g.focus_area_code, g.organization_id) for g in rows}


def queue_mail(app, event_id, to="guest@x.org", **context):
    """A message of `event_id` in the outbox, rendered from a real template; returns its id."""
    with app.test_request_context():
        message = mail.send(
            to,
            "auth/reset_password",
            to_name="Gus Guest",
            event_id=event_id,
            link="http://localhost/reset/abc",
            hours=2,
            **context,
        )
        db.session.commit()
        return message.id


def make_job(app, **fields):
    """A job run half done; returns its id."""
    with app.app_context():
        run = JobRun(
            name="invitations.wave",
            state=JobState.RUNNING,
            done=5,
            total=10,
            message="5 of 10",
            **fields,
        )
        db.session.add(run)
        db.session.commit()
        return run.id


# --- roles --------------------------------------------------------------------------------


def test_grant_and_revoke_through_the_page(app, client, make_user, organizer):
    make_user("new@x.org", name="Nia New")
    page = client.get(f"/events/{organizer}/roles")
    assert page.status_code == 200
    assert "Olga Organizer" in page.get_data(as_text=True)
    response = client.post(
        f"/events/{organizer}/roles",
        data={"email": "new@x.org", "role": "cochair", "focus_area": "VALUE_CREATION"},
    )
    assert response.status_code == 302
    assert ("new@x.org", "cochair", "VALUE_CREATION", None) in grants(app, organizer)
    body = client.get(f"/events/{organizer}/roles").get_data(as_text=True)
    assert "Nia New" in body and "Building digital ecosystems" in body
    with app.app_context():
        grant_id = db.session.scalar(
            select(RoleGrant.id)
            .join(RoleGrant.user)
            .where(RoleGrant.focus_area_code == "VALUE_CREATION")
        )
    response = client.post(f"/events/{organizer}/roles/{grant_id}/revoke")
    assert response.status_code == 302
    assert grants(app, organizer) == {("o@x.org", "organizer", None, None)}
    with app.app_context():
        actions = list(
            db.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.event_id == organizer)
                .order_by(AuditEntry.id)
            )
        )
    assert actions == ["role.granted", "role.revoked"]


def test_grant_focal_point_for_member_organization(app, client, make_user, organizer):
    make_user("fp@x.org")
    with app.app_context():
        org = Organization(name="Ruritania", membership=MembershipCategory.MEMBER_STATE)
        db.session.add(org)
        db.session.commit()
        org_id = org.id
    assert "Ruritania" in client.get(f"/events/{organizer}/roles").get_data(as_text=True)
    response = client.post(
        f"/events/{organizer}/roles",
        data={"email": "fp@x.org", "role": "focal_point", "organization": str(org_id)},
    )
    assert response.status_code == 302
    assert ("fp@x.org", "focal_point", None, org_id) in grants(app, organizer)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": ""}, "Enter the email address"),
        ({"email": "not-an-email"}, "valid email"),
        ({"email": "ghost@x.org"}, "No account with this email"),
        ({"role": "emperor"}, "Not a valid choice"),
        ({"role": "cochair"}, "A co-chair needs a focus area"),
        ({"role": "cochair", "focus_area": "NOPE"}, "Not a valid choice"),
        ({"role": "focal_point"}, "A focal point needs a member organization"),
        ({"email": "a" * 5000 + "@x.org"}, "longer than 254"),
        ({"role": "x" * 5000}, "Not a valid choice"),
        ({"organization": "9" * 5000, "role": "focal_point"}, "Not a valid choice"),
    ],
)
def test_grant_bad_input(app, client, make_user, organizer, data, message):
    make_user("new@x.org")
    form = {"email": "new@x.org", "role": "organizer"} | data
    response = client.post(f"/events/{organizer}/roles", data=form)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message.lower() in body.lower()
    assert len(grants(app, organizer)) == 1


def test_duplicate_grant_refused(app, client, organizer):
    response = client.post(
        f"/events/{organizer}/roles", data={"email": "o@x.org", "role": "organizer"}
    )
    assert response.status_code == 400
    assert "already has this role" in response.get_data(as_text=True)


def test_last_organizer_cannot_be_revoked(app, client, organizer):
    with app.app_context():
        grant_id = db.session.scalar(select(RoleGrant.id).where(RoleGrant.event_id == organizer))
    response = client.post(f"/events/{organizer}/roles/{grant_id}/revoke")
    assert response.status_code == 400
    assert "last organizer" in response.get_data(as_text=True)
    assert len(grants(app, organizer)) == 1


def test_other_events_ids_are_404(app, client, make_user, two_events, organizer):
    _, b = two_events
    make_user("ob@x.org", organizer_of=b)
    with app.app_context():
        grant_b = db.session.scalar(select(RoleGrant.id).where(RoleGrant.event_id == b))
    message_b = queue_mail(app, b)
    assert client.post(f"/events/{organizer}/roles/{grant_b}/revoke").status_code == 404
    assert client.get(f"/events/{organizer}/outbox/{message_b}").status_code == 404
    assert client.get(f"/events/{organizer}/outbox/999999").status_code == 404
    assert client.get("/events/999999/roles").status_code == 404
    assert grants(app, b) == {("ob@x.org", "organizer", None, None)}


# --- who may open what --------------------------------------------------------------------


def _urls(event_id, grant_id, message_id):
    return [
        ("get", "/admin/"),
        ("get", "/admin/outbox"),
        ("get", f"/admin/outbox/{message_id}"),
        ("get", "/admin/audit"),
        ("get", "/admin/audit.csv"),
        ("get", f"/events/{event_id}/roles"),
        ("post", f"/events/{event_id}/roles"),
        ("post", f"/events/{event_id}/roles/{grant_id}/revoke"),
        ("get", f"/events/{event_id}/outbox"),
        ("get", f"/events/{event_id}/outbox/{message_id}"),
        ("get", f"/events/{event_id}/audit"),
        ("get", f"/events/{event_id}/audit.csv"),
    ]


EVENT_PAGES = [i for i, (_, url) in enumerate(_urls(0, 0, 0)) if url.startswith("/events/")]


@pytest.fixture
def event_a_with_data(app, two_events, make_user):
    """Event A with an organizer grant and a message; returns (event, grant, message) ids."""
    a, _ = two_events
    make_user("owner@x.org", organizer_of=a)
    with app.app_context():
        grant_id = db.session.scalar(select(RoleGrant.id).where(RoleGrant.event_id == a))
    return a, grant_id, queue_mail(app, a)


@pytest.mark.parametrize("index", range(len(_urls(0, 0, 0))))
def test_participant_gets_403_everywhere(app, client, make_user, login, event_a_with_data, index):
    make_user("p@x.org")
    login("p@x.org")
    method, url = _urls(*event_a_with_data)[index]
    response = getattr(client, method)(url, data={"email": "p@x.org", "role": "organizer"})
    assert response.status_code == 403
    assert len(grants(app, event_a_with_data[0])) == 1


@pytest.mark.parametrize("index", EVENT_PAGES)
def test_organizer_of_b_gets_403_on_a(
    app, client, make_user, login, two_events, event_a_with_data, index
):
    make_user("ob@x.org", organizer_of=two_events[1])
    login("ob@x.org")
    method, url = _urls(*event_a_with_data)[index]
    assert getattr(client, method)(url).status_code == 403


@pytest.mark.parametrize("index", range(len(_urls(0, 0, 0))))
def test_anonymous_goes_to_login(client, event_a_with_data, index):
    method, url = _urls(*event_a_with_data)[index]
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_admin_opens_everything(app, client, make_user, login, event_a_with_data):
    make_user("admin@x.org", admin=True)
    login("admin@x.org")
    event_id, grant_id, message_id = event_a_with_data
    for method, url in _urls(event_id, grant_id, message_id):
        if method == "get":
            assert client.get(url).status_code == 200, url
    body = client.get("/admin/").get_data(as_text=True)
    assert "Accounts" in body and "Recent jobs" in body


# --- outbox -------------------------------------------------------------------------------


def test_outbox_lists_and_shows_the_rendered_message(app, client, organizer):
    message_id = queue_mail(app, organizer, to="guest@x.org")
    queue_mail(app, None, to="account-mail@x.org")  # account mail: not the event's
    [kept] = outbox(app, "guest@x.org")
    assert kept.state == "kept"
    page = client.get(f"/events/{organizer}/outbox")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "guest@x.org" in body and kept.subject in body
    assert "badge-muted" in body and "auth/reset_password" in body
    assert "account-mail@x.org" not in body
    detail = client.get(f"/events/{organizer}/outbox/{message_id}").get_data(as_text=True)
    assert '<pre class="mail">' in detail
    assert "http://localhost/reset/abc" in detail
    assert 'sandbox=""' in detail and "srcdoc=" in detail
    # The HTML travels escaped inside the attribute, never as live markup.
    assert "<html" not in detail.split("srcdoc=")[1].split(">")[0]


def test_outbox_filters(app, client, organizer):
    queue_mail(app, organizer, to="alpha@x.org")
    queue_mail(app, organizer, to="beta@x.org")
    body = client.get(f"/events/{organizer}/outbox?q=ALPHA").get_data(as_text=True)
    assert "alpha@x.org" in body and "beta@x.org" not in body
    body = client.get(f"/events/{organizer}/outbox?state=failed").get_data(as_text=True)
    assert "alpha@x.org" not in body and "No messages match" in body
    assert client.get(f"/events/{organizer}/outbox?state=nonsense").status_code == 400


def test_outbox_paginates(app, client, organizer):
    for i in range(55):
        queue_mail(app, organizer, to=f"p{i:02d}@x.org")
    first = client.get(f"/events/{organizer}/outbox").get_data(as_text=True)
    second = client.get(f"/events/{organizer}/outbox?page=2").get_data(as_text=True)
    assert "Page 1 of 2" in first and "p54@x.org" in first and "p00@x.org" not in first
    assert "p00@x.org" in second and "p54@x.org" not in second


def test_site_outbox_shows_account_mail(app, client, make_user, login):
    make_user("admin@x.org", admin=True)
    login("admin@x.org")
    message_id = queue_mail(app, None, to="account-mail@x.org")
    assert "account-mail@x.org" in client.get("/admin/outbox").get_data(as_text=True)
    assert client.get(f"/admin/outbox/{message_id}").status_code == 200
    assert client.get("/admin/outbox/999999").status_code == 404


# --- audit log ----------------------------------------------------------------------------


def test_audit_filter_and_csv(app, client, make_user, organizer):
    make_user("new@x.org")
    client.post(f"/events/{organizer}/roles", data={"email": "new@x.org", "role": "organizer"})
    with app.app_context():
        from webapp import audit

        audit.record("invitation.sent", actor=None, event_id=organizer, summary="=cmd() wave 1")
        db.session.commit()
    body = client.get(f"/events/{organizer}/audit").get_data(as_text=True)
    assert "role.granted" in body and "invitation.sent" in body
    body = client.get(f"/events/{organizer}/audit?action=role.").get_data(as_text=True)
    assert "role.granted" in body and "invitation.sent" not in body
    body = client.get(f"/events/{organizer}/audit?actor=o@x").get_data(as_text=True)
    assert "role.granted" in body and "invitation.sent" not in body
    body = client.get(
        f"/events/{organizer}/audit?date_from=2000-01-01&date_to=2000-01-02"
    ).get_data(as_text=True)
    assert "No entries match" in body
    bad = client.get(f"/events/{organizer}/audit?date_from=2020-02-02&date_to=2020-01-01")
    assert bad.status_code == 400 and "before the start date" in bad.get_data(as_text=True)
    csv = client.get(f"/events/{organizer}/audit.csv")
    assert csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).splitlines()
    assert lines[0].lstrip("\ufeff").startswith("at,actor_email,action")
    assert len(lines) == 3
    assert "'=cmd() wave 1" in lines[1]  # no formula injection into spreadsheets
    only_roles = client.get(f"/events/{organizer}/audit.csv?action=invitation")
    assert len(only_roles.get_data(as_text=True).splitlines()) == 2


def test_audit_shows_only_this_event(app, client, two_events, organizer):
    with app.app_context():
        from webapp import audit

        audit.record("secret.thing", actor=None, event_id=two_events[1], summary="of B")
        db.session.commit()
    assert "secret.thing" not in client.get(f"/events/{organizer}/audit").get_data(as_text=True)


# --- jobs ---------------------------------------------------------------------------------


def test_job_progress_json_and_page(app, client, make_user, login, organizer):
    job_id = make_job(app, event_id=organizer)
    response = client.get(f"/jobs/{job_id}", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.get_json() == {
        "id": job_id,
        "name": "invitations.wave",
        "state": "running",
        "done": 5,
        "total": 10,
        "percent": 50,
        "message": "5 of 10",
        "summary": "",
        "url": None,
    }
    assert client.get(f"/jobs/{job_id}?format=json").get_json()["percent"] == 50
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert 'data-job-url="/jobs/' in page and 'value="50"' in page
    assert 'aria-describedby="job-label"' in page


def test_job_visible_to_creator_not_to_strangers(app, client, make_user, login):
    creator = make_user("creator@x.org")
    make_user("stranger@x.org")
    job_id = make_job(app, created_by_id=creator)
    login("stranger@x.org")
    assert client.get(f"/jobs/{job_id}?format=json").status_code == 404
    assert client.get("/jobs/999999?format=json").status_code == 404
    client.post("/account/logout")
    login("creator@x.org")
    assert client.get(f"/jobs/{job_id}?format=json").get_json()["done"] == 5


def test_job_of_other_event_is_404(app, client, two_events, organizer):
    job_id = make_job(app, event_id=two_events[1])
    assert client.get(f"/jobs/{job_id}", headers={"Accept": "application/json"}).status_code == 404


# --- query counts -------------------------------------------------------------------------


def _queries(app, fetch) -> int:
    """How many SQL statements `fetch()` runs."""
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert fetch().status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_pages_do_not_query_per_row(app, client, make_user, organizer):
    def add_rows(start, n):
        from webapp import audit

        ids = [make_user(f"u{i}@x.org", organizer_of=organizer) for i in range(start, start + n)]
        with app.app_context():
            for user_id in ids:
                actor = db.session.get(User, user_id)
                audit.record("thing.done", actor=actor, event_id=organizer, summary=actor.email)
            db.session.commit()
        for i in range(start, start + n):
            queue_mail(app, organizer, to=f"m{i}@x.org")

    pages = [
        f"/events/{organizer}/roles",
        f"/events/{organizer}/audit",
        f"/events/{organizer}/outbox",
    ]
    add_rows(0, 2)
    few = [_queries(app, lambda url=url: client.get(url)) for url in pages]
    add_rows(2, 10)
    many = [_queries(app, lambda url=url: client.get(url)) for url in pages]
    assert few == many
