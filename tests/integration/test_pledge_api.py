"""/api/v1/pledges against its OpenAPI document: every returned field is documented with
its type, every documented parameter works, bad ones are a 400 naming the parameter."""

from __future__ import annotations

import pytest

from models import PledgeState
from tests.unit.test_pledge_registry import add_pledge, make_event_and_org
from webapp.extensions import db

TYPES = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "array": list,
    "object": dict,
    "null": type(None),
}


def resolve(document, schema):
    """A schema with its $ref followed."""
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def conforms(document, schema, value, where="$"):
    """Assert `value` matches `schema`: types, enums, and no undocumented field."""
    schema = resolve(document, schema)
    if "allOf" in schema:
        merged = {"type": "object", "properties": {}}
        for part in schema["allOf"]:
            merged["properties"].update(resolve(document, part).get("properties", {}))
        schema = merged
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if schema.get("nullable"):
        kinds.append("null")
    ok = any(
        isinstance(value, TYPES[k]) and not (k in ("integer", "number") and isinstance(value, bool))
        for k in kinds
    )
    assert ok, f"{where}: {value!r} is not {kinds}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if isinstance(value, dict) and "properties" in schema:  # else a free-form object
        properties = schema["properties"]
        for key, item in value.items():
            assert key in properties, f"{where}.{key} is not in the OpenAPI document"
            conforms(document, properties[key], item, f"{where}.{key}")
        for key in schema.get("required", []):
            assert key in value, f"{where}.{key} is required"
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            conforms(document, schema["items"], item, f"{where}[{i}]")


@pytest.fixture
def document(client):
    """The OpenAPI document."""
    return client.get("/api/v1/openapi.json").get_json()


@pytest.fixture
def public(app):
    """Three public pledges with every field filled, and a draft; returns public ids."""
    with app.app_context():
        event, org = make_event_and_org()
        ids = [
            add_pledge(
                event.id,
                org.id,
                f"Pledge {i}",
                focus=["ACCESS"],
                countries=["AF", "FJ"],
                sdgs=["SDG9"],
                usd=1000 * (i + 1),
                people_to_reach=500,
                pillars=["Pillar A"],
                days_ago=i,
            ).public_id
            for i in range(3)
        ]
        add_pledge(event.id, org.id, "Draft", state=PledgeState.DRAFT)
        db.session.commit()
        return ids, event.id


def test_list_conforms(client, document, public):
    response = client.get("/api/v1/pledges")
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 3 and body["page"] == 1 and body["per_page"] == 25
    schema = document["paths"]["/pledges"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]
    conforms(document, schema, body)
    assert {i["public_id"] for i in body["items"]} == set(public[0])
    assert body["items"][0]["ldc"] is True and body["items"][0]["sids"] is True


def test_one_pledge_conforms(client, document, public):
    body = client.get(f"/api/v1/pledges/{public[0][0]}").get_json()
    conforms(document, {"$ref": "#/components/schemas/Pledge"}, body)
    assert body["regions"] == ["ASP"] and body["pillars"] == ["Pillar A"]
    # A pledge with nothing optional filled still conforms.
    pledge_schema = document["components"]["schemas"]["Pledge"]
    assert set(body) == set(pledge_schema["properties"])


def test_sparse_pledge_conforms(app, client, document):
    with app.app_context():
        event, org = make_event_and_org(country=None)
        pledge = add_pledge(event.id, org.id, "Bare", sector=None, pledge_type=None)
        db.session.commit()
        public_id = pledge.public_id
    body = client.get(f"/api/v1/pledges/{public_id}").get_json()
    conforms(document, {"$ref": "#/components/schemas/Pledge"}, body)
    assert body["type"] is None and body["usd_value"] is None


#: A valid value for every documented parameter.
VALID = {
    "q": "pledge",
    "focus_area": "ACCESS",
    "sector": "government",
    "region": "ASP",
    "country": "AF",
    "ldc": "1",
    "lldc": "true",
    "sids": "1",
    "sdg": "SDG9",
    "kap_priority": "affordable_connectivity",
    "regional_initiative": "AFR1",
    "pledge_type": "financial",
    "status": "published",
    "event": None,  # the fixture's event
    "sort": "value",
    "page": "1",
    "per_page": "2",
}
#: An invalid value for every documented parameter.
INVALID = {
    "q": "x" * 201,
    "focus_area": "NOPE",
    "sector": "pirates",
    "region": "MARS",
    "country": "ZZ",
    "ldc": "maybe",
    "lldc": "2",
    "sids": "yes please",
    "sdg": "SDG18",
    "kap_priority": "nope",
    "regional_initiative": "AFR99",
    "pledge_type": "bribe",
    "status": "draft",
    "event": "abc",
    "sort": "random",
    "page": "0",
    "per_page": "1000",
}


def _parameters(document):
    return [p["name"] for p in document["paths"]["/pledges"]["get"]["parameters"]]


def test_every_documented_parameter_is_covered(document):
    assert set(_parameters(document)) == set(VALID) == set(INVALID)
    for parameter in document["paths"]["/pledges"]["get"]["parameters"]:
        assert parameter["description"] and parameter["schema"]["type"]


@pytest.mark.parametrize("name", list(VALID))
def test_every_documented_parameter_works(client, public, name):
    value = str(public[1]) if name == "event" else VALID[name]
    response = client.get("/api/v1/pledges", query_string={name: value})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    if name in ("focus_area", "country", "ldc", "sids", "sdg", "region", "event", "q", "sort"):
        assert body["total"] == 3
    if name in ("kap_priority", "regional_initiative"):
        assert body["total"] == 0
    if name == "per_page":
        assert len(body["items"]) == 2 and body["total"] == 3
    if name == "sort":
        assert [i["usd_value"] for i in body["items"]] == [3000, 2000, 1000]


@pytest.mark.parametrize("name", list(INVALID))
def test_bad_parameter_is_400_naming_it(client, document, public, name):
    response = client.get("/api/v1/pledges", query_string={name: INVALID[name]})
    assert response.status_code == 400
    body = response.get_json()
    conforms(document, {"$ref": "#/components/schemas/Error"}, body)
    assert body["error"]["status"] == 400
    if name not in ("page", "per_page"):
        assert body["error"]["details"]["parameter"] == name


def test_unknown_and_unpublished_are_404(client, public):
    for public_id in ("P2C-1999-0001", "nope", "x" * 300):
        response = client.get(f"/api/v1/pledges/{public_id}")
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"


def test_page_past_the_end_is_empty(client, public):
    body = client.get("/api/v1/pledges?page=5&per_page=2").get_json()
    assert body["items"] == [] and body["total"] == 3


def test_documented_paths(document):
    assert "/pledges" in document["paths"] and "/pledges/{public_id}" in document["paths"]
    assert "Pledge" in document["components"]["schemas"]
