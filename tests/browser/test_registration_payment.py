"""A participant buys an item in Chromium and the order turns paid after localstripe's
signed webhook reaches the live server.

The payment page loads localstripe's stand-in for Stripe.js (STRIPE_JS_URL), which has
no Payment Element: the page falls back to the Card Element, whose fields localstripe
draws as plain inputs. localstripe's `confirmCardPayment` does not read those fields; it
only completes a 3-D Secure step. So the test attaches a test card that asks for 3-D
Secure to the PaymentIntent through localstripe's API and confirms it there (as Stripe.js
would with the typed card); in the browser the participant then presses Pay and completes
the 3-D Secure check, which makes localstripe charge the card and post its signed
`payment_intent.succeeded` to the live server. The order page says "processing" until
that webhook arrives, then "Paid".
"""

from __future__ import annotations

import re
import threading

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from models import (
    AttendanceMode,
    Order,
    OrderStatus,
    PaidItem,
    Registration,
    RegistrationCategory,
    User,
)
from tests.conftest import PASSWORD, make_test_config
from tests.stripe_server import (  # noqa: F401 - a fixture
    PUBLISHABLE_KEY,
    SECRET_KEY,
    WEBHOOK_SECRET,
    localstripe_fixture,
)
from webapp import create_app
from webapp.extensions import db

pytestmark = pytest.mark.browser

#: A test card localstripe asks 3-D Secure for.
THREE_D_SECURE_CARD = "4000002500003155"


@pytest.fixture(scope="module")
def pay_server(app, localstripe):
    """The app with online payment on (against localstripe), CSRF on, served on a free
    port; localstripe's webhook points at it."""
    live = create_app(
        make_test_config(
            app.config["SQLALCHEMY_DATABASE_URI"],
            WTF_CSRF_ENABLED=True,
            JOBS_MODE="thread",
            STRIPE_SECRET_KEY=SECRET_KEY,
            STRIPE_PUBLISHABLE_KEY=PUBLISHABLE_KEY,
            STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
            STRIPE_API_BASE=localstripe.url,
            STRIPE_JS_URL=localstripe.js_url,
        )
    )
    server = make_server("127.0.0.1", 0, live, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    live.config["BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    localstripe.webhook(f"{url}/webhooks/stripe")
    yield url
    localstripe.silence()
    server.shutdown()
    with live.app_context():
        db.engine.dispose()


@pytest.fixture
def pay_page(browser, pay_server, localstripe):
    """A tab on the payment server that may reach that server and localstripe (the
    stand-in for js.stripe.com and api.stripe.com) and nothing else."""
    context = browser.new_context(base_url=pay_server, locale="en-GB")
    outside: list[str] = []
    allowed = (pay_server, localstripe.url, "data:")

    def guard(route):
        outside.append(route.request.url)
        route.abort()

    context.route(lambda url: not url.startswith(allowed), guard)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
    assert not outside, f"requests left the app: {outside}"


def test_participant_buys_a_stand_and_the_order_turns_paid(
    app, pay_page, make_event, make_user, localstripe
):
    page = pay_page
    event_id = make_event("PAY-B", name="Browser Payment Conference")
    make_user("bea@x.org", "Bea Buyer")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "bea@x.org"))
        db.session.add(
            Registration(
                event_id=event_id,
                user_id=user.id,
                category=RegistrationCategory.SECTOR_MEMBER,
                mode=AttendanceMode.IN_PERSON,
                first_name="Bea",
                last_name="Buyer",
                email=user.email,
            )
        )
        db.session.add(
            PaidItem(
                event_id=event_id,
                name="Exhibition stand",
                description="3 × 3 m in hall B",
                price_cents=150_000,
                currency="CHF",
                quantity_limit=4,
                max_per_order=2,
            )
        )
        db.session.commit()

    page.goto("/account/login")
    page.get_by_label("Email").fill("bea@x.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.goto(f"/events/{event_id}/shop")
    expect(page.get_by_role("heading", name="Exhibition stand")).to_be_visible()
    expect(page.get_by_text("4 left")).to_be_visible()
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Buy").click()

    # The payment page: localstripe's Stripe.js drew its card fields.
    expect(page).to_have_url(re.compile(r"/orders/\d+/pay$"))
    expect(page.get_by_role("heading", name=re.compile("Pay order"))).to_be_visible()
    number = page.get_by_placeholder("number")
    expect(number).to_be_visible()
    number.fill(THREE_D_SECURE_CARD)
    page.get_by_placeholder("exp_month").fill("12")
    page.get_by_placeholder("exp_year").fill("34")
    page.get_by_placeholder("cvc").fill("123")
    page.get_by_placeholder("postal_code").fill("1211")

    order_id = int(re.search(r"/orders/(\d+)/pay$", page.url).group(1))
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.status == OrderStatus.OPEN and order.stripe_payment_intent
        intent = order.stripe_payment_intent
    # What Stripe.js does with the typed card, localstripe's stand-in cannot: attach it
    # and confirm through the API; the card asks for 3-D Secure, done in the browser.
    status, body = localstripe.pay(intent, localstripe.card(THREE_D_SECURE_CARD))
    assert status == 200 and body["status"] == "requires_action", body

    page.get_by_role("button", name=re.compile("Pay CHF")).click()
    page.get_by_role("button", name="Complete authentication").click()

    # Back on the order page, which turns "Paid" when the signed webhook has arrived.
    expect(page).to_have_url(re.compile(rf"/orders/{order_id}$"))
    expect(page.locator("#order-status")).to_have_text("Paid", timeout=20_000)
    expect(page.get_by_role("link", name=re.compile("Download the receipt"))).to_be_visible()
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.status == OrderStatus.PAID and order.receipt_number == "PAY-B-R-00001"
        assert db.session.get(PaidItem, order.item_id).sold == 2
