"""Payments through the client, with online payment off (no Stripe key): organizers' paid
items and orders (filters, totals, CSV, offline payments, refunds), the participants'
shop, buying and cancelling, the order page and the PDF receipt; every route per role
(organizer, the buyer, another participant, a focal point, anonymous). Card payments and
Stripe's webhook are in test_stripe_webhook.py."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from models import (
    Approval,
    AttendanceMode,
    AuditEntry,
    MembershipCategory,
    Order,
    OrderStatus,
    Organization,
    PaidItem,
    PaymentMethod,
    Refund,
    Registration,
    RegistrationCategory,
    User,
    utcnow,
)
from tests.conftest import outbox
from webapp.extensions import db

S = OrderStatus


def user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def make_registration(app, event_id: int, email: str, **fields) -> int:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        first, _, last = user.name.partition(" ")
        registration = Registration(
            event_id=event_id,
            user_id=user.id,
            category=fields.pop("category", RegistrationCategory.OBSERVER),
            mode=fields.pop("mode", AttendanceMode.IN_PERSON),
            first_name=first,
            last_name=last or first,
            email=user.email,
            organization_name=fields.pop("organization_name", "Example Org"),
            **fields,
        )
        db.session.add(registration)
        db.session.commit()
        return registration.id


def make_item(app, event_id: int, **fields) -> int:
    with app.app_context():
        item = PaidItem(
            event_id=event_id,
            name=fields.pop("name", "Exhibition stand"),
            price_cents=fields.pop("price_cents", 150_000),
            currency=fields.pop("currency", "CHF"),
            quantity_limit=fields.pop("quantity_limit", 3),
            max_per_order=fields.pop("max_per_order", 2),
            audience=fields.pop("audience", {}),
            **fields,
        )
        db.session.add(item)
        db.session.commit()
        return item.id


def make_order(app, world, *, email="buyer@x.org", quantity=1, status=S.OPEN, **fields) -> int:
    """An order of the world's item, reserving its units (as buying does)."""
    with app.app_context():
        item = db.session.get(PaidItem, fields.pop("item_id", world["item"]))
        uid = db.session.scalar(select(User.id).where(User.email == email))
        registration = db.session.scalar(
            select(Registration.id).where(
                Registration.user_id == uid, Registration.event_id == item.event_id
            )
        )
        reserved = status in (S.OPEN, S.PAID, S.PARTLY_REFUNDED)
        if reserved:
            item.sold += quantity
        order = Order(
            event_id=item.event_id,
            item_id=item.id,
            registration_id=registration,
            user_id=uid,
            quantity=quantity,
            amount_cents=item.price_cents * quantity,
            currency=item.currency,
            status=status,
            method=fields.pop("method", PaymentMethod.BANK_TRANSFER),
            reserved=reserved,
            **fields,
        )
        db.session.add(order)
        db.session.commit()
        return order.id


def get_order(app, order_id: int) -> Order:
    with app.app_context():
        order = db.session.get(Order, order_id)
        db.session.expunge(order)
        return order


def sold(app, item_id: int) -> int:
    with app.app_context():
        return db.session.get(PaidItem, item_id).sold


def audits(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )
        for row in rows:
            db.session.expunge(row)
        return rows


@pytest.fixture(name="world")
def world_fixture(app, make_user, make_event):
    """An event with an organizer, two registered participants, a focal point, an
    unregistered user, and an item (CHF 1,500.00, 3 for sale, 2 per order)."""
    event_id = make_event("PAY-1", name="Payment Conference")
    other_event_id = make_event("PAY-2")
    with app.app_context():
        member = Organization(name="Ministry of ICT", membership=MembershipCategory.MEMBER_STATE)
        db.session.add(member)
        db.session.commit()
        member_id = member.id
    make_user("org@x.org", "Olga Organizer", organizer_of=event_id)
    make_user("org2@x.org", "Oscar Other", organizer_of=other_event_id)
    make_user("buyer@x.org", "Bea Buyer")
    make_user("other@x.org", "Otto Other")
    make_user("fp@x.org", "Fay Focal", focal_point_of=(event_id, member_id))
    make_user("nobody@x.org", "Nora Nobody")
    make_registration(app, event_id, "buyer@x.org")
    make_registration(app, event_id, "other@x.org")
    make_registration(
        app,
        event_id,
        "fp@x.org",
        category=RegistrationCategory.MEMBER_STATE,
        organization_id=member_id,
        approval=Approval.APPROVED,
    )
    item = make_item(app, event_id)
    other_item = make_item(app, other_event_id, name="Other stand")
    return {
        "event": event_id,
        "other_event": other_event_id,
        "item": item,
        "other_item": other_item,
        "member": member_id,
    }


# ---------------------------------------------------------------------- items


def test_organizer_adds_an_item_with_audience(app, client, login, world):
    login("org@x.org")
    url = f"/events/{world['event']}/items"
    page = client.get(url)
    assert page.status_code == 200
    assert "Exhibition stand" in page.get_data(as_text=True)
    response = client.post(
        url,
        data={
            "name": "Gala dinner",
            "description": "Thursday evening",
            "price": "1'250.50",
            "currency": "EUR",
            "quantity_limit": "",
            "max_per_order": "4",
            "modes": ["in_person"],
            "categories": ["member_state", "sector_member"],
            "active": "y",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        item = db.session.scalar(select(PaidItem).where(PaidItem.name == "Gala dinner"))
        assert item.price_cents == 125_050 and item.currency == "EUR"
        assert item.quantity_limit is None and item.max_per_order == 4
        assert item.audience == {
            "modes": ["in_person"],
            "categories": ["member_state", "sector_member"],
        }
    assert [a.summary for a in audits(app, "paid_item.created")] == ["Gala dinner: EUR 1250.50"]


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("price", "abc", "at most two decimals"),
        ("price", "0", "more than zero"),
        ("price", "-5", "at most two decimals"),
        ("price", "12.345", "at most two decimals"),
        ("price", "1000000", "too large"),
        ("currency", "XYZ", "Not a valid choice"),
        ("quantity_limit", "lots", "whole number"),
        ("max_per_order", "0", "At least 1"),
        ("max_per_order", "101", "At most 100"),
    ],
)
def test_item_form_refuses_bad_values(app, client, login, world, field, value, message):
    login("org@x.org")
    data = {
        "name": "Side-event room",
        "price": "300",
        "currency": "CHF",
        "quantity_limit": "5",
        "max_per_order": "1",
        "active": "y",
    }
    data[field] = value
    response = client.post(f"/events/{world['event']}/items", data=data)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert message in text
    assert 'value="Side-event room"' in text  # what was typed comes back
    with app.app_context():
        assert db.session.scalar(select(func.count(PaidItem.id))) == 2


def test_item_limit_cannot_go_below_sold(app, client, login, world):
    make_order(app, world, quantity=2)
    login("org@x.org")
    url = f"/events/{world['event']}/items/{world['item']}"
    assert client.get(url).status_code == 200
    data = {
        "name": "Exhibition stand",
        "price": "1500.00",
        "currency": "CHF",
        "quantity_limit": "1",
        "max_per_order": "2",
        "active": "y",
    }
    response = client.post(url, data=data)
    assert response.status_code == 409
    assert "2 units are already sold or reserved" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(PaidItem, world["item"]).quantity_limit == 3
    data["quantity_limit"] = "2"
    assert client.post(url, data=data).status_code == 302
    data["quantity_limit"] = ""
    assert client.post(url, data=data).status_code == 302
    with app.app_context():
        assert db.session.get(PaidItem, world["item"]).quantity_limit is None


def test_item_currency_is_fixed_once_ordered(app, client, login, world):
    make_order(app, world)
    login("org@x.org")
    response = client.post(
        f"/events/{world['event']}/items/{world['item']}",
        data={
            "name": "Exhibition stand",
            "price": "1500",
            "currency": "EUR",
            "quantity_limit": "3",
            "max_per_order": "2",
        },
    )
    assert response.status_code == 409
    assert "currency can no longer change" in response.get_data(as_text=True)


@pytest.mark.parametrize("email", ["buyer@x.org", "fp@x.org", "org2@x.org"])
def test_items_pages_are_for_organizers(app, client, login, world, email):
    login(email)
    assert client.get(f"/events/{world['event']}/items").status_code == 403
    assert client.get(f"/events/{world['event']}/items/{world['item']}").status_code == 403
    response = client.post(
        f"/events/{world['event']}/items",
        data={"name": "X", "price": "1", "currency": "CHF", "max_per_order": "1"},
    )
    assert response.status_code == 403


def test_items_pages_anonymous_and_foreign_ids(app, client, login, world):
    assert client.get(f"/events/{world['event']}/items").status_code == 302
    assert client.get(f"/events/{world['event']}/orders").status_code == 302
    login("org@x.org")
    assert client.get(f"/events/{world['event']}/items/{world['other_item']}").status_code == 404
    assert client.get(f"/events/{world['event']}/items/2147483647").status_code == 404
    assert client.get("/events/2147483647/items").status_code == 404


# ----------------------------------------------------------------------- shop


def test_shop_shows_what_is_left_and_buying_reserves(app, client, login, world):
    make_order(app, world, email="other@x.org", quantity=1)
    login("buyer@x.org")
    page = client.get(f"/events/{world['event']}/shop")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Exhibition stand" in text and "2 left" in text
    assert "js.stripe.com" not in text  # Stripe.js only on the payment page
    response = client.post(
        f"/events/{world['event']}/shop/buy", data={"item": world["item"], "quantity": "2"}
    )
    assert response.status_code == 302
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.user_id == user_id(app, "buyer@x.org")))
        assert order.status == S.OPEN and order.method == PaymentMethod.BANK_TRANSFER
        assert order.quantity == 2 and order.amount_cents == 300_000 and order.reserved
        order_id = order.id
    assert response.headers["Location"].endswith(f"/events/{world['event']}/orders/{order_id}")
    assert sold(app, world["item"]) == 3
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Pay by bank transfer" in page and f"PAY-1-O-{order_id:05d}" in page
    assert "Sold out" in client.get(f"/events/{world['event']}/shop").get_data(as_text=True)
    assert [a.data["quantity"] for a in audits(app, "order.created")] == [2]


@pytest.mark.parametrize(
    "quantity,status,message",
    [
        ("3", 400, "At most 2 per order"),
        ("0", 400, "At least 1"),
        ("two", 400, "whole number"),
        ("", 400, "whole number"),
        ("99999999999999999999", 400, ""),
    ],
)
def test_buy_refuses_bad_quantities(app, client, login, world, quantity, status, message):
    login("buyer@x.org")
    response = client.post(
        f"/events/{world['event']}/shop/buy", data={"item": world["item"], "quantity": quantity}
    )
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert sold(app, world["item"]) == 0


def test_buy_more_than_is_left_is_409(app, client, login, world):
    make_order(app, world, email="other@x.org", quantity=2)
    login("buyer@x.org")
    response = client.post(
        f"/events/{world['event']}/shop/buy", data={"item": world["item"], "quantity": "2"}
    )
    assert response.status_code == 409
    assert "Only 1 left." in response.get_data(as_text=True)
    make_order(app, world, email="other@x.org", quantity=1)
    response = client.post(
        f"/events/{world['event']}/shop/buy", data={"item": world["item"], "quantity": "1"}
    )
    assert response.status_code == 409
    assert "Sold out" in response.get_data(as_text=True)
    assert sold(app, world["item"]) == 3
    with app.app_context():
        assert db.session.scalar(select(func.count(Order.id))) == 2


def test_buy_needs_a_registration(app, client, login, world):
    login("nobody@x.org")
    page = client.get(f"/events/{world['event']}/shop")
    assert page.status_code == 200
    assert "Only participants registered" in page.get_data(as_text=True)
    response = client.post(
        f"/events/{world['event']}/shop/buy", data={"item": world["item"], "quantity": "1"}
    )
    assert response.status_code == 403
    assert "Register for the event first" in response.get_data(as_text=True)
    assert sold(app, world["item"]) == 0


@pytest.mark.parametrize(
    "change",
    [{"cancelled_at": "now"}, {"approval": Approval.REJECTED}],
    ids=["cancelled", "rejected"],
)
def test_cancelled_or_rejected_registrations_cannot_buy(app, client, login, world, change):
    with app.app_context():
        registration = db.session.scalar(
            select(Registration).where(Registration.user_id == user_id(app, "buyer@x.org"))
        )
        for key, value in change.items():
            setattr(registration, key, utcnow() if value == "now" else value)
        db.session.commit()
    login("buyer@x.org")
    response = client.post(
        f"/events/{world['event']}/shop/buy", data={"item": world["item"], "quantity": "1"}
    )
    assert response.status_code == 403


def test_buy_respects_the_audience_and_item_state(app, client, login, world):
    online_only = make_item(
        app, world["event"], name="Online pack", audience={"modes": ["online"], "categories": []}
    )
    delegates = make_item(
        app,
        world["event"],
        name="Delegates lounge",
        audience={"modes": [], "categories": ["member_state"]},
    )
    hidden = make_item(app, world["event"], name="Withdrawn", active=False)
    login("buyer@x.org")  # an in-person observer
    text = client.get(f"/events/{world['event']}/shop").get_data(as_text=True)
    assert "Exhibition stand" in text
    assert "Online pack" not in text and "Delegates lounge" not in text and "Withdrawn" not in text
    buy = f"/events/{world['event']}/shop/buy"
    assert client.post(buy, data={"item": online_only, "quantity": "1"}).status_code == 403
    assert client.post(buy, data={"item": delegates, "quantity": "1"}).status_code == 403
    assert client.post(buy, data={"item": hidden, "quantity": "1"}).status_code == 404
    assert client.post(buy, data={"item": world["other_item"], "quantity": "1"}).status_code == 404
    assert client.post(buy, data={"item": "x", "quantity": "1"}).status_code == 404
    client.post("/account/logout")
    login("fp@x.org")  # a Member State delegate
    assert "Delegates lounge" in client.get(f"/events/{world['event']}/shop").get_data(as_text=True)
    assert client.post(buy, data={"item": delegates, "quantity": "1"}).status_code == 302


def test_shop_anonymous_redirects_to_login(app, client, world):
    assert client.get(f"/events/{world['event']}/shop").status_code == 302
    response = client.post(
        f"/events/{world['event']}/shop/buy", data={"item": world["item"], "quantity": "1"}
    )
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert sold(app, world["item"]) == 0


def test_buyer_cancels_an_open_order_and_units_return(app, client, login, world):
    order_id = make_order(app, world, quantity=2)
    login("buyer@x.org")
    response = client.post(f"/events/{world['event']}/orders/{order_id}/cancel")
    assert response.status_code == 302
    assert get_order(app, order_id).status == S.CANCELLED
    assert sold(app, world["item"]) == 0
    # Twice: refused, units not given back twice.
    assert client.post(f"/events/{world['event']}/orders/{order_id}/cancel").status_code == 409
    assert sold(app, world["item"]) == 0
    assert len(audits(app, "order.cancelled")) == 1


def test_a_paid_order_cannot_be_cancelled(app, client, login, world):
    order_id = make_order(app, world, status=S.PAID, receipt_number="PAY-1-R-00001")
    login("buyer@x.org")
    assert client.post(f"/events/{world['event']}/orders/{order_id}/cancel").status_code == 409
    assert get_order(app, order_id).status == S.PAID


# ---------------------------------------------------------------- order pages


def test_order_pages_per_role(app, client, login, world):
    order_id = make_order(app, world)
    base = f"/events/{world['event']}/orders/{order_id}"
    assert client.get(base).status_code == 302  # anonymous: login
    login("other@x.org")
    for path in ("", "/status.json", "/pay", "/receipt.pdf"):
        assert client.get(base + path).status_code == 404, path
    assert client.post(base + "/cancel").status_code == 404
    assert client.post(base + "/refund", data={"amount": "1"}).status_code == 404
    client.post("/account/logout")
    login("fp@x.org")
    assert client.get(base).status_code == 404
    client.post("/account/logout")
    login("org2@x.org")  # organizer of another event
    assert client.get(base).status_code == 404
    client.post("/account/logout")
    login("buyer@x.org")
    assert client.get(base).status_code == 200
    assert client.get(base + "/status.json").get_json()["status"] == "open"
    assert client.get(base + "/receipt.pdf").status_code == 404  # not paid yet
    pay = client.get(base + "/pay")  # no Stripe key: back to the order page
    assert pay.status_code == 302 and pay.headers["Location"].endswith(base)
    assert client.post(base + "/refund", data={"amount": "1"}).status_code == 403
    assert (
        client.post(
            base + "/record-payment", data={"method": "bank_transfer", "reference": "x"}
        ).status_code
        == 403
    )
    assert client.get(f"/events/{world['event']}/orders").status_code == 403
    assert client.get(f"/events/{world['other_event']}/orders/{order_id}").status_code == 404
    client.post("/account/logout")
    login("org@x.org")
    page = client.get(base)
    assert page.status_code == 200
    assert "Record an offline payment" in page.get_data(as_text=True)
    assert client.get(base + "/pay").status_code == 403  # only the buyer pays


def test_notes_of_the_card_processor_are_shown_translated(app, client, login, world, monkeypatch):
    """The webhook stores its own notes in English (as Stripe's messages are); the order
    page shows them in the reader's language."""
    from registration import payments

    monkeypatch.setitem(payments.NOTE_LABELS, payments.PAYMENT_FAILED_NOTE, "Le paiement a échoué.")
    order_id = make_order(app, world, status=S.FAILED, failure_reason=payments.PAYMENT_FAILED_NOTE)
    login("buyer@x.org")
    html = client.get(f"/events/{world['event']}/orders/{order_id}").get_data(as_text=True)
    assert "Le paiement a échoué." in html and payments.PAYMENT_FAILED_NOTE not in html


def test_organizer_records_a_bank_transfer(app, client, login, world):
    order_id = make_order(app, world, quantity=2)
    login("org@x.org")
    url = f"/events/{world['event']}/orders/{order_id}/record-payment"
    response = client.post(url, data={"method": "bank_transfer", "reference": ""})
    assert response.status_code == 400
    assert "Give the bank reference" in response.get_data(as_text=True)
    response = client.post(url, data={"method": "stripe", "reference": "X"})
    assert response.status_code == 400
    response = client.post(url, data={"method": "bank_transfer", "reference": "UBS 2027-0042"})
    assert response.status_code == 302
    order = get_order(app, order_id)
    assert order.status == S.PAID and order.method == PaymentMethod.BANK_TRANSFER
    assert order.payment_reference == "UBS 2027-0042"
    assert order.receipt_number == "PAY-1-R-00001" and order.paid_at is not None
    assert sold(app, world["item"]) == 2
    [message] = outbox(app, "buyer@x.org")
    assert "payment received" in message.subject and "PAY-1-R-00001" in message.body_text
    [entry] = audits(app, "order.paid")
    assert entry.data["method"] == "bank_transfer" and entry.actor_id == user_id(app, "org@x.org")
    # Twice: refused, nothing changes.
    assert client.post(url, data={"method": "cash", "reference": "again"}).status_code == 409
    assert get_order(app, order_id).payment_reference == "UBS 2027-0042"
    # The next paid order gets the next number.
    second = make_order(app, world, email="other@x.org")
    client.post(
        f"/events/{world['event']}/orders/{second}/record-payment",
        data={"method": "cash", "reference": "Cash 17"},
    )
    assert get_order(app, second).receipt_number == "PAY-1-R-00002"


def test_recording_a_payment_of_a_cancelled_order_takes_units_again(app, client, login, world):
    order_id = make_order(app, world, quantity=1, status=S.CANCELLED)
    login("org@x.org")
    client.post(
        f"/events/{world['event']}/orders/{order_id}/record-payment",
        data={"method": "cash", "reference": "Desk 3"},
    )
    order = get_order(app, order_id)
    assert order.status == S.PAID and order.reserved
    assert sold(app, world["item"]) == 1


def test_offline_refunds_partial_then_above_then_full(app, client, login, world):
    order_id = make_order(app, world, quantity=2, status=S.PAID, receipt_number="PAY-1-R-00001")
    login("org@x.org")
    url = f"/events/{world['event']}/orders/{order_id}/refund"
    response = client.post(url, data={"amount": "500.00", "reason": "Smaller stand"})
    assert response.status_code == 302
    order = get_order(app, order_id)
    assert order.status == S.PARTLY_REFUNDED and order.refunded_cents == 50_000
    assert sold(app, world["item"]) == 2  # a partial refund keeps the units
    # Above what is left (3,000 paid − 500 refunded = 2,500): 400, nothing changes.
    response = client.post(url, data={"amount": "2500.01"})
    assert response.status_code == 400
    assert "At most 2500.00 CHF can be refunded" in response.get_data(as_text=True)
    for bad in ("0", "-1", "abc", ""):
        assert client.post(url, data={"amount": bad}).status_code == 400
    assert get_order(app, order_id).refunded_cents == 50_000
    # A stale form (the refunded total changed since it was opened): 409.
    response = client.post(url, data={"amount": "10", "expected_refunded": "0"})
    assert response.status_code == 409
    response = client.post(url, data={"amount": "2500", "expected_refunded": "50000"})
    assert response.status_code == 302
    order = get_order(app, order_id)
    assert order.status == S.REFUNDED and order.refunded_cents == 300_000
    assert not order.reserved and sold(app, world["item"]) == 0
    with app.app_context():
        refunds = db.session.scalars(select(Refund).order_by(Refund.id)).all()
        assert [(r.amount_cents, r.stripe_refund_id) for r in refunds] == [
            (50_000, None),
            (250_000, None),
        ]
    subjects = [m.subject for m in outbox(app, "buyer@x.org")]
    assert subjects == [
        f"Payment Conference: part of your order PAY-1-O-{order_id:05d} is refunded",
        f"Payment Conference: your order PAY-1-O-{order_id:05d} is refunded",
    ]
    # Nothing left to refund.
    assert client.post(url, data={"amount": "1"}).status_code == 409


def test_refund_of_an_unpaid_order_is_refused(app, client, login, world):
    order_id = make_order(app, world)
    login("org@x.org")
    response = client.post(
        f"/events/{world['event']}/orders/{order_id}/refund", data={"amount": "1"}
    )
    assert response.status_code == 409
    assert get_order(app, order_id).refunded_cents == 0


def test_receipt_pdf_for_the_buyer_and_organizers(app, client, login, world):
    with app.app_context():
        registration = db.session.scalar(
            select(Registration).where(Registration.user_id == user_id(app, "buyer@x.org"))
        )
        registration.first_name, registration.last_name = "Zoë", "Ñúñez-Владимирова 张"
        db.session.commit()
    order_id = make_order(
        app, world, status=S.PAID, receipt_number="PAY-1-R-00007", paid_at=utcnow()
    )
    url = f"/events/{world['event']}/orders/{order_id}/receipt.pdf"
    login("buyer@x.org")
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    client.post("/account/logout")
    login("org@x.org")
    assert client.get(url).status_code == 200
    client.post("/account/logout")
    login("other@x.org")
    assert client.get(url).status_code == 404


def test_orders_list_filters_totals_and_csv(app, client, login, world):
    dinner = make_item(app, world["event"], name="Dinner", price_cents=8_000, currency="EUR")
    paid = make_order(app, world, status=S.PAID, receipt_number="PAY-1-R-00001")
    make_order(app, world, email="other@x.org", status=S.OPEN)
    make_order(app, world, item_id=dinner, status=S.PAID, quantity=2, refunded_cents=1_000)
    login("org@x.org")
    url = f"/events/{world['event']}/orders"
    page = client.get(url)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "3 orders, newest first" in text
    assert "CHF" in text and "EUR" in text
    text = client.get(url + "?status=paid").get_data(as_text=True)
    assert "2 orders" in text
    text = client.get(url + f"?item={dinner}").get_data(as_text=True)
    assert "1 order," in text
    text = client.get(url + "?method=stripe").get_data(as_text=True)
    assert "No orders match" in text
    # Nonsense filters are ignored, not errors.
    assert client.get(url + "?status=x&item=zz&method=q&page=-3").status_code == 200
    csv_response = client.get(f"/events/{world['event']}/orders.csv?status=paid")
    assert csv_response.status_code == 200 and csv_response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(csv_response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "Order" and len(rows) == 3
    by_ref = {r[0]: r for r in rows[1:]}
    assert by_ref[f"PAY-1-O-{paid:05d}"][6] == "1500.00"
    assert {r[7] for r in rows[1:]} == {"CHF", "EUR"}
    with app.app_context():
        from models import Event
        from registration import payments

        event = db.session.get(Event, world["event"])
        totals = {t["currency"]: t for t in payments.totals(payments.orders_query(event))}
    assert totals["CHF"] == {
        "currency": "CHF",
        "orders": 2,
        "paid": 150_000,
        "refunded": 0,
        "net": 150_000,
    }
    assert totals["EUR"]["paid"] == 16_000 and totals["EUR"]["net"] == 15_000


@pytest.mark.parametrize("email", ["buyer@x.org", "fp@x.org", "org2@x.org"])
def test_orders_list_and_csv_are_for_organizers(app, client, login, world, email):
    login(email)
    assert client.get(f"/events/{world['event']}/orders").status_code == 403
    assert client.get(f"/events/{world['event']}/orders.csv").status_code == 403


def test_webhook_without_a_configured_secret_is_refused(app, client, world):
    response = client.post(
        "/webhooks/stripe", data=b"{}", headers={"Stripe-Signature": "t=1,v1=abc"}
    )
    assert response.status_code == 503
    assert "STRIPE_WEBHOOK_SECRET" in response.get_json()["error"]["message"]
