"""Every page of the foundation renders in English and in Chinese, for the roles that see it,
on the demo data; and nothing on a page loads from outside the app."""

import re

import pytest
from sqlalchemy import select

from models import Deadline, Event, Organization, OutboxMessage, Person
from webapp.demo import load_demo
from webapp.extensions import db

PAGES = [
    "/",
    "/events/",
    "/events/{event}",
    "/events/{event}/timeline",
    "/events/{event}/edit",
    "/events/new",
    "/events/{event}/move-opening",
    "/events/{event}/deadlines/new",
    "/events/{event}/deadlines/{deadline}/edit",
    "/events/{event}/roles",
    "/events/{event}/outbox",
    "/events/{event}/outbox/{message}",
    "/events/{event}/audit",
    "/directory/people",
    "/directory/organizations",
    "/directory/people/new",
    "/directory/people/{person}/edit",
    "/directory/organizations/new",
    "/directory/organizations/{organization}/edit",
    "/directory/import",
    "/admin/",
    "/admin/outbox",
    "/admin/audit",
    "/account/",
]
ANONYMOUS = ["/account/login", "/account/signup", "/account/forgot", "/account/verify/resend"]


@pytest.fixture
def demo(app):
    """The demo data, and the ids pages need."""
    with app.app_context():
        load_demo()
        db.session.commit()
        event = db.session.scalar(select(Event))
        return {
            "event": event.id,
            "deadline": db.session.scalar(
                select(Deadline.id).where(Deadline.event_id == event.id, Deadline.source == "event")
            ),
            "message": db.session.scalar(select(OutboxMessage.id)),
            "person": db.session.scalar(select(Person.id)),
            "organization": db.session.scalar(select(Organization.id)),
        }


def _assert_local_assets(html: str) -> None:
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not re.match(r"(https?:)?//", url), f"external asset: {url}"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_page_renders(client, demo, lang):
    client.post(
        "/account/login", data={"email": "admin@demo.convene.test", "password": "convene-demo"}
    )
    client.post("/language", data={"lang": lang})
    for template in PAGES:
        path = template.format(**demo)
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, (path, html[:500])
        assert f'lang="{lang}"' in html, path
        _assert_local_assets(html)
        if lang == "zh":
            assert re.search(r"[\u4e00-\u9fff]", html), f"no Chinese on {path}"


@pytest.mark.parametrize("lang", ["en", "zh", "ar"])
def test_public_pages_render(client, demo, lang):
    for path in ANONYMOUS + ["/", "/events/", f"/events/{demo['event']}"]:
        response = client.get(f"{path}?lang={lang}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert f'lang="{lang}"' in html
        assert ('dir="rtl"' in html) == (lang == "ar")
        _assert_local_assets(html)


@pytest.mark.parametrize(
    ("account", "sees", "not_sees"),
    [
        ("organizer", ["Organizer of WTDC-27", "Directory"], ["Site administration"]),
        ("cochair", ["Co-chair of"], ["Directory", "Organizer of"]),
        ("focalpoint", ["Focal point of"], ["Directory", "Organizer of"]),
        ("participant", ["When you are invited"], ["Directory", "Organizer of"]),
        ("admin", ["Site administration", "Directory"], []),
    ],
)
def test_home_leads_each_role_to_its_work(client, demo, account, sees, not_sees):
    client.post(
        "/account/login", data={"email": f"{account}@demo.convene.test", "password": "convene-demo"}
    )
    html = client.get("/").get_data(as_text=True)
    for text in sees:
        assert text in html, (account, text)
    main = html.split('<main id="main">', 1)[1]
    for text in not_sees:
        assert text not in main, (account, text)
