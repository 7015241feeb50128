"""The exchange-rate page: who may see it, adding a rate, validation beside the fields."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import ExchangeRate
from webapp.extensions import db


@pytest.fixture
def world(make_event, make_user):
    """An organizer of some event and a participant."""
    make_user("org@x.org", organizer_of=make_event("RT-A"))
    make_user("member@x.org")


@pytest.mark.parametrize(
    ("who", "status"), [(None, 302), ("member@x.org", 403), ("org@x.org", 200)]
)
def test_page_per_role(client, login, world, who, status):
    if who:
        login(who)
    assert client.get("/pledges/rates").status_code == status
    assert client.post("/pledges/rates", data={}).status_code == (400 if status == 200 else status)


def test_add_a_rate_and_list_it(app, client, login, world):
    login("org@x.org")
    response = client.post(
        "/pledges/rates",
        data={"currency": "eur", "usd_per_unit": "1.0825", "as_of": "2025-03-01", "source": "ECB"},
    )
    assert response.status_code == 302
    page = client.get("/pledges/rates").get_data(as_text=True)
    assert "EUR" in page and "1.0825" in page and "ECB" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(ExchangeRate.id))) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"currency": "EURO"}, "Field cannot be longer than 3"),
        ({"currency": "E1"}, "three-letter ISO 4217"),
        ({"currency": "USD"}, "always worth one"),
        ({"currency": ""}, "Enter a currency"),
        ({"usd_per_unit": "0"}, "greater than zero"),
        ({"usd_per_unit": "-3"}, "greater than zero"),
        ({"usd_per_unit": "100000"}, "below"),
        ({"usd_per_unit": "abc"}, "Not a valid decimal"),
        ({"usd_per_unit": ""}, "Enter the rate"),
        ({"as_of": "yesterday"}, "Not a valid date"),
        ({"source": "s" * 300}, "200"),
    ],
)
def test_bad_rates(app, client, login, world, changes, message):
    login("org@x.org")
    data = {
        "currency": "GBP",
        "usd_per_unit": "1.25",
        "as_of": "2025-01-01",
        "source": "X",
        **changes,
    }
    response = client.post("/pledges/rates", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(ExchangeRate.id))) == 0


def test_duplicate_rate_is_refused(client, login, world):
    login("org@x.org")
    data = {"currency": "GBP", "usd_per_unit": "1.25", "as_of": "2025-01-01", "source": "X"}
    assert client.post("/pledges/rates", data=data).status_code == 302
    again = client.post("/pledges/rates", data=data)
    assert again.status_code == 400 and "already stored" in again.get_data(as_text=True)
