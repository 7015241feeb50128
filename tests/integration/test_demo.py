"""The demo command loads a live-looking conference, and running it twice changes nothing."""

from sqlalchemy import func, select

from models import Deadline, Event, Organization, Person, RoleGrant, User
from webapp.extensions import db


def _counts():
    return tuple(
        db.session.scalar(select(func.count()).select_from(m))
        for m in (Event, Deadline, Organization, Person, User, RoleGrant)
    )


def test_demo_is_idempotent_and_complete(app, runner, client):
    first = runner.invoke(args=["convene", "demo"])
    assert first.exit_code == 0, first.output
    assert "organizer@demo.convene.test" in first.output
    assert "convene-demo" in first.output
    with app.app_context():
        counts = _counts()
        assert counts[3] >= 300  # a directory of a few hundred people
        groups = set(db.session.scalars(select(Organization.constituent_group)))
        assert {"MS_MIN", "SM", "PRIV", "CSO", "UN"} <= groups
    second = runner.invoke(args=["convene", "demo"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        assert _counts() == counts
    for role in ("organizer", "cochair", "focalpoint", "participant", "admin"):
        response = client.post(
            "/account/login",
            data={"email": f"{role}@demo.convene.test", "password": "convene-demo"},
        )
        assert response.status_code == 302, role
        client.post("/account/logout")
