"""The permission matrix of `webapp.permissions.can`: who may do what on which object."""

import pytest
from flask_login import AnonymousUserMixin

from models import Event, MembershipCategory, Organization, User
from webapp.extensions import db
from webapp.permissions import can


@pytest.fixture
def world(ctx, make_user, make_event):
    """Two events, two member organizations and one user per role."""
    a, b = db.session.get(Event, make_event("EV-A")), db.session.get(Event, make_event("EV-B"))
    x = Organization(name="Org X", membership=MembershipCategory.MEMBER_STATE)
    y = Organization(name="Org Y", membership=MembershipCategory.SECTOR_MEMBER)
    db.session.add_all([x, y])
    db.session.commit()
    ids = {
        "admin": make_user("admin@x.org", admin=True),
        "organizer": make_user("org@x.org", organizer_of=a.id),
        "cochair": make_user("cochair@x.org", cochair_of=(a.id, "ACCESS")),
        "focal": make_user("focal@x.org", focal_point_of=(a.id, x.id)),
        "participant": make_user("someone@x.org"),
        "inactive": make_user("gone@x.org", admin=True),
    }
    users = {role: db.session.get(User, uid) for role, uid in ids.items()}
    users["inactive"].is_active = False
    return {"a": a, "b": b, "x": x, "y": y, **users}


# (who, action, object key, allowed). Object keys are resolved by `resolve` below.
MATRIX = [
    ("admin", "site.admin", None, True),
    ("admin", "roles.manage", "a", True),
    ("admin", "outbox.read", "b", True),
    ("admin", "member.accredit", "a/y", True),
    ("organizer", "site.admin", None, False),
    ("organizer", "event.manage", "a", True),
    ("organizer", "event.manage", "b", False),
    ("organizer", "roles.manage", "a", True),
    ("organizer", "roles.manage", "b", False),
    ("organizer", "outbox.read", "a", True),
    ("organizer", "outbox.read", "b", False),
    ("organizer", "audit.read", "a", True),
    ("organizer", "audit.read", "b", False),
    ("organizer", "focus_area.curate", "a/ADOPTION", True),
    ("organizer", "focus_area.curate", "b/ADOPTION", False),
    ("organizer", "member.accredit", "a/x", True),
    ("organizer", "member.accredit", "b/x", False),
    ("cochair", "focus_area.curate", "a/ACCESS", True),
    ("cochair", "focus_area.curate", "a/ADOPTION", False),
    ("cochair", "focus_area.curate", "b/ACCESS", False),
    ("cochair", "roles.manage", "a", False),
    ("cochair", "outbox.read", "a", False),
    ("focal", "member.accredit", "a/x", True),
    ("focal", "member.accredit", "a/y", False),
    ("focal", "member.accredit", "b/x", False),
    ("focal", "focus_area.curate", "a/ACCESS", False),
    ("focal", "audit.read", "a", False),
    ("participant", "site.admin", None, False),
    ("participant", "event.manage", "a", False),
    ("participant", "roles.manage", "a", False),
    ("participant", "outbox.read", "a", False),
    ("participant", "audit.read", "a", False),
    ("participant", "focus_area.curate", "a/ACCESS", False),
    ("participant", "member.accredit", "a/x", False),
    ("participant", "directory.view", None, False),
    ("inactive", "site.admin", None, False),
    ("inactive", "roles.manage", "a", False),
]


def resolve(world, key):
    """ "a" -> event A; "a/ACCESS" -> (event A, code); "a/x" -> (event A, org X id)."""
    if key is None:
        return None
    event_key, _, scope = key.partition("/")
    event = world[event_key]
    if not scope:
        return event
    if scope in ("x", "y"):
        return event, world[scope].id
    return event, scope


@pytest.mark.parametrize(("who", "action", "key", "allowed"), MATRIX)
def test_matrix(world, who, action, key, allowed):
    assert can(world[who], action, resolve(world, key)) is allowed


@pytest.mark.parametrize("action", ["site.admin", "roles.manage", "outbox.read", "audit.read"])
def test_anonymous_may_do_nothing(world, action):
    obj = None if action == "site.admin" else world["a"]
    assert can(AnonymousUserMixin(), action, obj) is False
    assert can(None, action, obj) is False


def test_organizer_of_any_event_is_secretariat(world):
    assert can(world["organizer"], "event.create") is True
    assert can(world["organizer"], "directory.view") is True
    assert can(world["cochair"], "event.create") is False


def test_unknown_action_raises(world):
    with pytest.raises(KeyError):
        can(world["admin"], "no.such.action")
