"""The accreditation rules on objects in memory (no database): who may decide on which
registration, and which decisions are allowed from each state."""

from __future__ import annotations

import pytest

from models import (
    Approval,
    AttendanceMode,
    Event,
    Registration,
    RegistrationCategory,
    Role,
    RoleGrant,
    User,
    utcnow,
)
from registration.accreditation import MAX_REASON, Rights, check_decision, clean_reason, rights
from registration.core import RegistrationError

EVENT, OTHER_EVENT = 1, 2
MEMBER, OTHER_MEMBER = 10, 20


def user(uid, *grants, admin=False) -> User:
    account = User(id=uid, email=f"u{uid}@x.org", name=f"U{uid}", is_admin=admin, is_active=True)
    account.grants = [
        RoleGrant(user_id=uid, event_id=event, role=role, organization_id=org)
        for event, role, org in grants
    ]
    return account


def registration(org=MEMBER, user_id=None, approval=Approval.PENDING, event_id=EVENT, **fields):
    event = Event(id=event_id, name="E", acronym=f"E{event_id}")
    return Registration(
        id=100,
        event=event,
        event_id=event_id,
        user_id=user_id,
        organization_id=org,
        category=RegistrationCategory.MEMBER_STATE,
        mode=AttendanceMode.IN_PERSON,
        first_name="Ann",
        last_name="Example",
        email="ann@example.org",
        approval=approval,
        **fields,
    )


ORGANIZER = user(1, (EVENT, Role.ORGANIZER, None))
OTHER_ORGANIZER = user(2, (OTHER_EVENT, Role.ORGANIZER, None))
FOCAL = user(3, (EVENT, Role.FOCAL_POINT, MEMBER))
OTHER_FOCAL = user(4, (EVENT, Role.FOCAL_POINT, OTHER_MEMBER))
FOCAL_ELSEWHERE = user(5, (OTHER_EVENT, Role.FOCAL_POINT, MEMBER))
PARTICIPANT = user(6)
STRANGER = user(7)
ADMIN = user(8, admin=True)
COCHAIR = user(9)
COCHAIR.grants = [RoleGrant(user_id=9, event_id=EVENT, role=Role.COCHAIR, focus_area_code="ACCESS")]


@pytest.mark.parametrize(
    "actor, reg, expected",
    [
        (ORGANIZER, registration(), Rights.OVERRIDE),
        (ORGANIZER, registration(org=None), Rights.OVERRIDE),
        (ADMIN, registration(), Rights.OVERRIDE),
        (OTHER_ORGANIZER, registration(), Rights.NONE),
        (FOCAL, registration(), Rights.DECIDE),
        (FOCAL, registration(org=OTHER_MEMBER), Rights.NONE),
        (FOCAL, registration(org=None), Rights.NONE),
        (OTHER_FOCAL, registration(), Rights.NONE),
        (FOCAL_ELSEWHERE, registration(), Rights.NONE),
        (PARTICIPANT, registration(user_id=6), Rights.READ),
        (FOCAL, registration(org=OTHER_MEMBER, user_id=3), Rights.READ),
        (STRANGER, registration(), Rights.NONE),
        (COCHAIR, registration(), Rights.NONE),
        (None, registration(), Rights.NONE),
    ],
)
def test_who_may_decide(actor, reg, expected):
    assert rights(actor, reg) == expected


def refusal(level, reg, approve=True, reason="", override=False) -> RegistrationError:
    with pytest.raises(RegistrationError) as caught:
        check_decision(level, reg, approve, reason, override=override)
    return caught.value


@pytest.mark.parametrize("level", [Rights.DECIDE, Rights.OVERRIDE])
def test_pending_may_be_approved_or_rejected_with_a_reason(level):
    check_decision(level, registration(), True, "")
    check_decision(level, registration(), True, "A note")
    check_decision(level, registration(), False, "Not a delegate")


def test_unknown_and_read_only_actors_are_refused_first():
    assert refusal(Rights.NONE, registration()).status == 404
    assert refusal(Rights.READ, registration()).status == 403
    # Even with a conflict or a missing reason, not knowing it comes first.
    decided = registration(approval=Approval.APPROVED)
    assert refusal(Rights.NONE, decided, approve=False).status == 404
    assert refusal(Rights.READ, decided, approve=False, override=True).status == 403


def test_rejection_needs_a_reason_of_reasonable_length():
    error = refusal(Rights.DECIDE, registration(), approve=False, reason="")
    assert (error.status, error.field) == (400, "reason")
    assert "reason" in str(error)
    error = refusal(Rights.DECIDE, registration(), approve=False, reason="x" * (MAX_REASON + 1))
    assert (error.status, error.field) == (400, "reason")
    check_decision(Rights.DECIDE, registration(), False, "x" * MAX_REASON)


@pytest.mark.parametrize("decided", [Approval.APPROVED, Approval.REJECTED])
@pytest.mark.parametrize("approve", [True, False])
def test_a_decided_registration_is_a_conflict_without_override(decided, approve):
    error = refusal(Rights.DECIDE, registration(approval=decided), approve, "r")
    assert error.status == 409 and "already" in str(error)
    error = refusal(Rights.OVERRIDE, registration(approval=decided), approve, "r")
    assert error.status == 409


def test_only_organizers_override_and_only_to_the_other_decision():
    approved, rejected = (
        registration(approval=Approval.APPROVED),
        registration(approval=Approval.REJECTED),
    )
    assert refusal(Rights.DECIDE, approved, False, "r", override=True).status == 403
    check_decision(Rights.OVERRIDE, approved, False, "Withdrawn", override=True)
    check_decision(Rights.OVERRIDE, rejected, True, "", override=True)
    assert refusal(Rights.OVERRIDE, approved, True, "", override=True).status == 409
    assert refusal(Rights.OVERRIDE, rejected, False, "r", override=True).status == 409
    assert refusal(Rights.OVERRIDE, approved, False, "", override=True).field == "reason"


def test_a_cancelled_registration_is_not_decided():
    cancelled = registration(cancelled_at=utcnow())
    assert refusal(Rights.DECIDE, cancelled).status == 409
    assert refusal(Rights.OVERRIDE, cancelled, override=True).status == 409


def test_reasons_are_cleaned():
    assert clean_reason("  Not a delegate \x00 ") == "Not a delegate"
    assert clean_reason(None) == ""
    assert clean_reason(["list"]) == ""
