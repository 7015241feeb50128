"""The registration demo: every approval and seat state, a full in-person pool whose
`taken` matches the registrations, the focal point's pending requests, the demo
participant's registration and paid order; loading it twice changes nothing."""

from sqlalchemy import func, select

from models import (
    Approval,
    AttendanceMode,
    Event,
    Order,
    OrderStatus,
    PaidItem,
    Refund,
    Registration,
    Role,
    RoleGrant,
    SeatPool,
    SeatState,
    User,
)
from registration.demo import load_registration_demo
from webapp.extensions import db


def _counts(event_id):
    return tuple(
        db.session.scalar(select(func.count()).select_from(model).where(where))
        for model, where in (
            (Registration, Registration.event_id == event_id),
            (PaidItem, PaidItem.event_id == event_id),
            (Order, Order.event_id == event_id),
            (SeatPool, SeatPool.event_id == event_id),
            (Refund, Refund.order_id.in_(select(Order.id).where(Order.event_id == event_id))),
        )
    )


def _load(app):
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.acronym == "WTDC-27"))
        organizer = db.session.scalar(
            select(User).where(User.email == "organizer@demo.convene.test")
        )
        line = load_registration_demo(event, organizer)
        db.session.commit()
        return event.id, line, _counts(event.id)


def test_registration_demo_is_idempotent_and_shows_every_state(app, runner):
    result = runner.invoke(args=["convene", "demo"])
    assert result.exit_code == 0, result.output
    event_id, line, counts = _load(app)
    assert line.startswith("Registration: ")
    again_id, again_line, again = _load(app)
    assert (again_id, again_line, again) == (event_id, line, counts)
    registrations_count, items, orders, pools, refunds = counts
    assert 70 <= registrations_count <= 100
    assert items == 3 and orders >= 8 and pools == 2 and refunds == 2

    with app.app_context():
        registrations = list(
            db.session.scalars(
                select(Registration)
                .where(Registration.event_id == event_id)
                .order_by(Registration.id)
            )
        )
        assert {r.approval for r in registrations} == set(Approval)
        assert {r.seat for r in registrations} == set(SeatState)
        assert {r.mode for r in registrations} == set(AttendanceMode)
        assert len({r.category for r in registrations}) >= 5
        assert all(r.checked_in_at is None for r in registrations)  # the event is ahead
        for r in registrations:
            if r.approval == Approval.REJECTED:
                assert r.decision_reason and r.seat == SeatState.NONE and r.decided_at
        # Seat accounting as registration/seats.py keeps it.
        for mode in AttendanceMode:
            pool = db.session.scalar(
                select(SeatPool).where(SeatPool.event_id == event_id, SeatPool.mode == mode)
            )
            held = sum(
                1
                for r in registrations
                if r.mode == mode and r.seat in (SeatState.HELD, SeatState.OFFERED)
            )
            assert pool.taken == held
            if mode == AttendanceMode.IN_PERSON:
                assert pool.capacity == pool.taken  # full: the waiting list shows
            else:
                assert pool.capacity is None
        waiting = [r for r in registrations if r.seat == SeatState.WAITING]
        assert len(waiting) >= 5
        assert len({r.waiting_since for r in waiting}) == len(waiting)  # a clear order
        assert all(r.mode == AttendanceMode.IN_PERSON for r in waiting)
        offered = [r for r in registrations if r.seat == SeatState.OFFERED]
        assert len(offered) == 1 and offered[0].offer_expires_at is not None

        # The focal point has requests of their member to decide.
        grant = db.session.scalar(
            select(RoleGrant)
            .join(User, User.id == RoleGrant.user_id)
            .where(
                User.email == "focalpoint@demo.convene.test",
                RoleGrant.role == Role.FOCAL_POINT,
                RoleGrant.event_id == event_id,
            )
        )
        of_member = [r for r in registrations if r.organization_id == grant.organization_id]
        assert sum(r.approval == Approval.PENDING for r in of_member) >= 2
        assert any(r.registered_by_id == grant.user_id for r in of_member)
        own = next(r for r in registrations if r.user_id == grant.user_id)
        assert own.approval == Approval.APPROVED and own.approval_waived

        # The demo participant: approved, in person, a seat, a badge code, a paid order.
        participant = db.session.scalar(
            select(User).where(User.email == "participant@demo.convene.test")
        )
        mine = next(r for r in registrations if r.user_id == participant.id)
        assert mine.confirmed and mine.mode == AttendanceMode.IN_PERSON
        assert mine.badge_nonce
        paid = db.session.scalars(
            select(Order).where(Order.registration_id == mine.id, Order.status == OrderStatus.PAID)
        ).all()
        assert len(paid) == 1 and paid[0].receipt_number

        for order in db.session.scalars(select(Order).where(Order.event_id == event_id)):
            assert order.reserved == (
                order.status in (OrderStatus.OPEN, OrderStatus.PAID, OrderStatus.PARTLY_REFUNDED)
            )
            assert (order.receipt_number is not None) == (order.paid_at is not None)
        statuses = set(db.session.scalars(select(Order.status).where(Order.event_id == event_id)))
        assert {OrderStatus.PAID, OrderStatus.OPEN, OrderStatus.PARTLY_REFUNDED} <= statuses
        for item in db.session.scalars(select(PaidItem).where(PaidItem.event_id == event_id)):
            reserved = db.session.scalar(
                select(func.coalesce(func.sum(Order.quantity), 0)).where(
                    Order.item_id == item.id, Order.reserved.is_(True)
                )
            )
            assert item.sold == reserved
            assert item.quantity_limit is None or item.sold <= item.quantity_limit


def test_demo_pages_show_the_registrations(app, runner, client):
    """The organizer's list, the focal point's queue and the participant's page open on
    the demo data."""
    assert runner.invoke(args=["convene", "demo"]).exit_code == 0
    event_id, _, _ = _load(app)
    with app.app_context():
        pending = db.session.scalar(
            select(Registration)
            .join(RoleGrant, RoleGrant.organization_id == Registration.organization_id)
            .where(
                Registration.event_id == event_id,
                Registration.approval == Approval.PENDING,
                RoleGrant.role == Role.FOCAL_POINT,
                RoleGrant.event_id == event_id,
            )
            .order_by(Registration.id)
            .limit(1)
        )
        pending_name = pending.last_name
    with app.test_request_context():
        from flask import url_for

        pages = {
            "organizer": url_for("registration.list", event_id=event_id),
            "focalpoint": url_for("registration.accreditation", event_id=event_id),
            "participant": url_for("registration.mine", event_id=event_id),
        }
    for role, url in pages.items():
        response = client.post(
            "/account/login",
            data={"email": f"{role}@demo.convene.test", "password": "convene-demo"},
        )
        assert response.status_code == 302, role
        page = client.get(url)
        assert page.status_code == 200, (role, url)
        if role == "focalpoint":
            assert pending_name in page.get_data(as_text=True)
        client.post("/account/logout")
