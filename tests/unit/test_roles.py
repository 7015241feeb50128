"""Granting and revoking roles: the rules of `webapp.admin.services`."""

import pytest
from sqlalchemy import select

from models import (
    AuditEntry,
    Event,
    MembershipCategory,
    Organization,
    Role,
    RoleGrant,
    User,
)
from webapp.admin import services
from webapp.admin.services import AdminError
from webapp.extensions import db


@pytest.fixture
def setup(ctx, make_user, make_event):
    """An event with one organizer, a would-be grantee and two organizations."""
    event = db.session.get(Event, make_event())
    organizer = db.session.get(User, make_user("org@x.org", organizer_of=event.id))
    person = db.session.get(User, make_user("person@x.org", name="Pat Person"))
    member = Organization(name="Ruritania", membership=MembershipCategory.MEMBER_STATE)
    other = Organization(name="Some University", membership=MembershipCategory.ACADEMIA)
    db.session.add_all([member, other])
    db.session.commit()
    return {
        "event": event,
        "organizer": organizer,
        "person": person,
        "member": member,
        "other": other,
    }


def test_grant_cochair_records_audit(setup):
    s = setup
    grant = services.grant_role(
        s["organizer"], s["event"], " Person@X.org ", "cochair", focus_area_code="access"
    )
    assert (grant.user_id, grant.role, grant.focus_area_code) == (
        s["person"].id,
        Role.COCHAIR,
        "ACCESS",
    )
    assert grant.granted_by_id == s["organizer"].id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "role.granted"))
    assert entry.event_id == s["event"].id
    assert entry.actor_id == s["organizer"].id
    assert "person@x.org" in entry.summary and "Connecting people everywhere" in entry.summary


def test_grant_focal_point_for_member(setup):
    s = setup
    grant = services.grant_role(
        s["organizer"], s["event"], "person@x.org", Role.FOCAL_POINT, organization_id=s["member"].id
    )
    assert grant.organization_id == s["member"].id
    assert grant.focus_area_code is None


def test_scope_of_another_role_is_dropped(setup):
    s = setup
    grant = services.grant_role(
        s["organizer"],
        s["event"],
        "person@x.org",
        "organizer",
        focus_area_code="ACCESS",
        organization_id=s["member"].id,
    )
    assert (grant.focus_area_code, grant.organization_id) == (None, None)


@pytest.mark.parametrize(
    ("email", "role", "area", "org", "field", "message"),
    [
        ("ghost@x.org", "organizer", None, None, "email", "No account with this email"),
        ("", "organizer", None, None, "email", "Enter the email address"),
        ("person@x.org", "emperor", None, None, "role", "Choose one of the listed roles"),
        ("person@x.org", "cochair", None, None, "focus_area", "needs a focus area"),
        ("person@x.org", "cochair", "NOPE", None, "focus_area", "Unknown focus area"),
        ("person@x.org", "focal_point", None, None, "organization", "needs a member organization"),
        ("person@x.org", "focal_point", None, "other", "organization", "Member States and Sector"),
        ("person@x.org", "focal_point", None, 999999, "organization", "Unknown organization"),
    ],
)
def test_grant_refused(setup, email, role, area, org, field, message):
    s = setup
    org_id = s[org].id if isinstance(org, str) else org
    with pytest.raises(AdminError, match=message) as info:
        services.grant_role(
            s["organizer"], s["event"], email, role, focus_area_code=area, organization_id=org_id
        )
    assert info.value.field == field


@pytest.mark.parametrize(("role", "area"), [("organizer", None), ("cochair", "ADOPTION")])
def test_duplicate_refused(setup, role, area):
    s = setup
    services.grant_role(s["organizer"], s["event"], "person@x.org", role, focus_area_code=area)
    with pytest.raises(AdminError, match="already has this role"):
        services.grant_role(s["organizer"], s["event"], "person@x.org", role, focus_area_code=area)


def test_same_role_other_scope_is_fine(setup):
    s = setup
    services.grant_role(
        s["organizer"], s["event"], "person@x.org", "cochair", focus_area_code="ACCESS"
    )
    services.grant_role(
        s["organizer"], s["event"], "person@x.org", "cochair", focus_area_code="ADOPTION"
    )
    assert len(services.grants_of(s["event"])) == 3


def test_revoke_records_audit(setup):
    s = setup
    grant = services.grant_role(
        s["organizer"], s["event"], "person@x.org", "cochair", focus_area_code="ACCESS"
    )
    grant_id = grant.id
    services.revoke_role(s["organizer"], grant)
    assert db.session.get(RoleGrant, grant_id) is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "role.revoked"))
    assert (entry.object_id, entry.event_id) == (grant_id, s["event"].id)
    assert entry.data["user_id"] == s["person"].id


def test_last_organizer_stays(setup):
    s = setup
    [own] = s["organizer"].grants
    with pytest.raises(AdminError, match="last organizer"):
        services.revoke_role(s["organizer"], own)
    services.grant_role(s["organizer"], s["event"], "person@x.org", "organizer")
    services.revoke_role(s["organizer"], own)  # now someone else organizes
    assert [g.user_id for g in services.grants_of(s["event"])] == [s["person"].id]


def test_grant_in_event_ignores_other_events(setup, make_event):
    s = setup
    other = db.session.get(Event, make_event("OTHER"))
    grant = services.grant_role(s["organizer"], other, "person@x.org", "organizer")
    assert services.grant_in_event(s["event"], grant.id) is None
    assert services.grant_in_event(other, grant.id) is grant
