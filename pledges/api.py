"""The pledge registry in the JSON API: /api/v1/pledges and /api/v1/pledges/<public_id>.

Public (no login), only published or completed pledges and only their public fields.
The routes are on webapp.api's blueprint ("api.pledges", "api.pledge"), so its one JSON
error shape applies; create_app imports the feature packages before registering it.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from sqlalchemy import func, select

from models import PledgerSector, PledgeType
from webapp.api import ApiError, openapi_path, openapi_schema, page_args
from webapp.api import bp as api_bp
from webapp.extensions import db

from .core import PUBLIC_STATES
from .registry import (
    FLAG_FILTERS,
    SORTS,
    load_reference,
    matching_ids,
    parse_filters,
    parse_sort,
    public_fields,
    public_pledge,
    registry_query,
)

#: Public API answers may be cached briefly by browsers and proxies.
CACHE = "public, max-age=300"


def pledge_url(public_id: str) -> str:
    """The absolute address of a pledge's public page."""
    return url_for("pledges.public_pledge", public_id=public_id, _external=True)


@api_bp.get("/pledges", endpoint="pledges")
def list_pledges():
    """Public pledges matching the filters, one page: {items, page, per_page, total}."""
    reference = load_reference()
    filters, errors = parse_filters(request.args, reference)
    if errors:
        name = next(iter(errors))
        raise ApiError(
            400, f"{name}: {errors[name]}", "invalid_parameter", parameter=name, errors=errors
        )
    sort = parse_sort(request.args.get("sort"))
    if sort is None:
        raise ApiError(
            400,
            "sort: choose one of " + ", ".join(SORTS) + ".",
            "invalid_parameter",
            parameter="sort",
        )
    page, per_page = page_args()
    total = db.session.scalar(select(func.count()).select_from(matching_ids(filters).subquery()))
    pledges = db.session.scalars(
        registry_query(filters, sort).limit(per_page).offset((page - 1) * per_page)
    )
    items = [
        public_fields(p, reference.countries) | {"url": pledge_url(p.public_id)} for p in pledges
    ]
    response = jsonify(items=items, page=page, per_page=per_page, total=total or 0)
    response.headers["Cache-Control"] = CACHE
    return response


@api_bp.get("/pledges/<public_id>", endpoint="pledge")
def get_pledge(public_id: str):
    """One public pledge by its public id; 404 for unknown or unpublished ones."""
    pledge = public_pledge(public_id)
    if pledge is None:
        raise ApiError(404, f"No published pledge with id {public_id[:40]}.", "not_found")
    reference = load_reference()
    response = jsonify(public_fields(pledge, reference.countries) | {"url": pledge_url(public_id)})
    response.headers["Cache-Control"] = CACHE
    return response


# --- OpenAPI ------------------------------------------------------------------------------


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **extra}


_STRINGS = {"type": "array", "items": {"type": "string"}}

openapi_schema(
    "Pledge",
    {
        "type": "object",
        "required": ["public_id", "title", "status", "organization", "url"],
        "properties": {
            "public_id": {"type": "string", "examples": ["P2C-2026-0042"]},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "type": _nullable("string", enum=[t.value for t in PledgeType] + [None]),
            "sector": _nullable("string", enum=[s.value for s in PledgerSector] + [None]),
            "organization": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "country": _nullable("string", description="ISO 3166-1 alpha-2"),
                },
            },
            "focus_areas": _STRINGS,
            "pillars": _STRINGS,
            "kap_priorities": _STRINGS,
            "regional_initiatives": _STRINGS,
            "sdgs": _STRINGS,
            "countries": {**_STRINGS, "description": "Target countries, ISO 3166-1 alpha-2"},
            "regions": {**_STRINGS, "description": "ITU-D regions of the target countries"},
            "ldc": {"type": "boolean", "description": "Targets at least one LDC"},
            "lldc": {"type": "boolean", "description": "Targets at least one LLDC"},
            "sids": {"type": "boolean", "description": "Targets at least one SIDS"},
            "beneficiary_groups": _STRINGS,
            "people_to_reach": _nullable("integer"),
            "amount": _nullable("number"),
            "currency": _nullable("string", description="ISO 4217"),
            "usd_value": _nullable("number"),
            "usd_rate_date": _nullable("string", format="date"),
            "start_date": _nullable("string", format="date"),
            "end_date": _nullable("string", format="date"),
            "published_at": _nullable("string", format="date-time"),
            "status": {"type": "string", "enum": [s.value for s in PUBLIC_STATES]},
            "announced": {"type": "boolean"},
            "announced_at": _nullable("string", format="date-time"),
            "announced_session": {"type": "string"},
            "url": {"type": "string", "format": "uri"},
        },
    },
)


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": schema}


FILTER_PARAMETERS = [
    _query(
        "q",
        "Words searched in title, description and organization name",
        {"type": "string", "maxLength": 200},
    ),
    _query("focus_area", "Focus area code (ACCESS, ADOPTION, ...)", {"type": "string"}),
    _query(
        "sector", "Pledger sector", {"type": "string", "enum": [s.value for s in PledgerSector]}
    ),
    _query(
        "region",
        "ITU-D region of a target country (AFR, AMS, ARB, ASP, CIS, EUR)",
        {"type": "string"},
    ),
    _query("country", "Target country, ISO 3166-1 alpha-2", {"type": "string"}),
    *(
        _query(flag, f"1: targets at least one {flag.upper()}", {"type": "boolean"})
        for flag in FLAG_FILTERS
    ),
    _query("sdg", "SDG code (SDG1 ... SDG17, or the number)", {"type": "string"}),
    _query("kap_priority", "Kigali Action Plan priority code", {"type": "string"}),
    _query("regional_initiative", "Regional initiative code (AFR1, ...)", {"type": "string"}),
    _query("pledge_type", "Pledge type", {"type": "string", "enum": [t.value for t in PledgeType]}),
    _query("status", "Pledge status", {"type": "string", "enum": [s.value for s in PUBLIC_STATES]}),
    _query("event", "Event id", {"type": "integer"}),
]
_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}

openapi_path(
    "/pledges",
    "get",
    {
        "summary": "List published pledges",
        "parameters": [
            *FILTER_PARAMETERS,
            _query("sort", "Order of the results", {"type": "string", "enum": list(SORTS)}),
            _query("page", "Page number", {"type": "integer", "minimum": 1}),
            _query(
                "per_page", "Pledges per page", {"type": "integer", "minimum": 1, "maximum": 100}
            ),
        ],
        "responses": {
            "200": {
                "description": "A page of pledges",
                "content": {
                    "application/json": {
                        "schema": {
                            "allOf": [
                                {"$ref": "#/components/schemas/Page"},
                                {
                                    "type": "object",
                                    "properties": {
                                        "items": {
                                            "type": "array",
                                            "items": {"$ref": "#/components/schemas/Pledge"},
                                        }
                                    },
                                },
                            ]
                        }
                    }
                },
            },
            "400": {"description": "A bad parameter, named in details.parameter", **_ERROR},
        },
    },
)
openapi_path(
    "/pledges/{public_id}",
    "get",
    {
        "summary": "One published pledge",
        "parameters": [
            {
                "name": "public_id",
                "in": "path",
                "required": True,
                "description": "The pledge's public id, e.g. P2C-2026-0042",
                "schema": {"type": "string"},
            }
        ],
        "responses": {
            "200": {
                "description": "The pledge",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Pledge"}}
                },
            },
            "404": {"description": "No published pledge with this id", **_ERROR},
        },
    },
)
