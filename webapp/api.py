"""JSON API under /api/v1/: one error shape, and an OpenAPI document later issues extend.

Feature packages add their paths with `openapi_path(...)` and their routes to `bp`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_login import current_user
from sqlalchemy import func, select

from models import Event

from .errors import error_response
from .extensions import db
from .pagination import MAX_INT

bp = Blueprint("api", __name__, url_prefix="/api/v1")

API_VERSION = "1.0.0"

_PATHS: dict[str, dict[str, Any]] = {}
_SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["status", "code", "message"],
                "properties": {
                    "status": {"type": "integer"},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "details": {"type": "object"},
                },
            }
        },
    },
    "Page": {
        "type": "object",
        "properties": {
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
        },
    },
    "Event": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "acronym": {"type": "string"},
            "city": {"type": "string"},
            "country": {"type": "string", "nullable": True},
            "timezone": {"type": "string"},
            "opening_date": {"type": "string", "format": "date"},
            "closing_date": {"type": "string", "format": "date"},
            "languages": {"type": "array", "items": {"type": "string"}},
        },
    },
}


def openapi_path(path: str, method: str, spec: dict[str, Any]) -> None:
    """Add one operation to the OpenAPI document."""
    spec.setdefault("responses", {})
    spec["responses"].setdefault(
        "default",
        {"description": "Error", "content": {"application/json": {"schema": _ref("Error")}}},
    )
    _PATHS.setdefault(path, {})[method.lower()] = spec


def openapi_schema(name: str, schema: dict[str, Any]) -> None:
    _SCHEMAS[name] = schema


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def page_args(max_per_page: int = 100) -> tuple[int, int]:
    """page and per_page from the query string; bad values are a 400 with the reason."""
    try:
        page = int(request.args.get("page", 1))
        per_page = int(request.args.get("per_page", 25))
    except ValueError:
        raise ApiError(
            400, "page and per_page must be whole numbers.", "invalid_parameter"
        ) from None
    if not 1 <= page <= MAX_INT or not 1 <= per_page <= max_per_page:
        raise ApiError(
            400,
            f"page must be 1 or more and per_page between 1 and {max_per_page}.",
            "invalid_parameter",
        )
    return page, per_page


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str, **details: Any):
        super().__init__(message)
        self.status, self.message, self.code, self.details = status, message, code, details


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    return error_response(error.status, error.message, error.code, **error.details)


def event_json(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "name": event.name,
        "acronym": event.acronym,
        "city": event.city,
        "country": event.country_iso2,
        "timezone": event.timezone,
        "opening_date": event.opening_date.isoformat(),
        "closing_date": event.closing_date.isoformat(),
        "languages": event.languages,
    }


@bp.get("/")
def index():
    """What the API offers."""
    return jsonify(
        name="Convene API",
        version=API_VERSION,
        openapi=request.host_url.rstrip("/") + "/api/v1/openapi.json",
        user=current_user.email if current_user.is_authenticated else None,
    )


@bp.get("/events")
def list_events():
    """Events, newest opening first, paginated."""
    page, per_page = page_args()
    total = db.session.scalar(select(func.count(Event.id)))
    events = db.session.scalars(
        select(Event)
        .order_by(Event.opening_date.desc(), Event.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return jsonify(items=[event_json(e) for e in events], page=page, per_page=per_page, total=total)


@bp.get("/events/<int:event_id>")
def get_event(event_id: int):
    """One event."""
    event = db.session.get(Event, event_id)
    if event is None:
        raise ApiError(404, f"No event with id {event_id}.", "not_found")
    return jsonify(event_json(event))


openapi_path(
    "/events",
    "get",
    {
        "summary": "List events",
        "parameters": [
            {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
            {
                "name": "per_page",
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": 100},
            },
        ],
        "responses": {
            "200": {
                "description": "A page of events",
                "content": {
                    "application/json": {
                        "schema": {
                            "allOf": [
                                _ref("Page"),
                                {
                                    "type": "object",
                                    "properties": {
                                        "items": {"type": "array", "items": _ref("Event")}
                                    },
                                },
                            ]
                        }
                    }
                },
            }
        },
    },
)
openapi_path(
    "/events/{event_id}",
    "get",
    {
        "summary": "One event",
        "parameters": [
            {"name": "event_id", "in": "path", "required": True, "schema": {"type": "integer"}}
        ],
        "responses": {
            "200": {
                "description": "The event",
                "content": {"application/json": {"schema": _ref("Event")}},
            },
            "404": {
                "description": "No such event",
                "content": {"application/json": {"schema": _ref("Error")}},
            },
        },
    },
)


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document of this API."""
    return jsonify(
        {
            "openapi": "3.1.0",
            "info": {"title": "Convene API", "version": API_VERSION},
            "servers": [{"url": "/api/v1"}],
            "paths": _PATHS,
            "components": {"schemas": _SCHEMAS},
        }
    )
