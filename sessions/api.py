"""The public programme in the JSON API: /api/v1/sessions and /api/v1/sessions/<id>.

Public (no login): published sessions only, with what the public session page shows
(no one who declined; no people under the Chatham House rule). `event` is optional:
without it the list spans every event. Bad filter values are a 400 naming the parameter.
The routes are on webapp.api's blueprint ("api.sessions", "api.session").
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, jsonify, request, url_for
from sqlalchemy import func, select

from models import (
    Event,
    FocusArea,
    ProgrammeSession,
    ReferenceItem,
    Room,
    SessionFormat,
    SessionMode,
    SessionPart,
    Visibility,
)
from webapp.api import ApiError, openapi_path, openapi_schema, page_args
from webapp.api import bp as api_bp
from webapp.extensions import db
from webapp.i18n import LANGUAGE_NAMES

from . import programme as prog
from .core import MAX_ID, event_days

#: Public API answers may be cached briefly by browsers and proxies.
CACHE = "public, max-age=300"


def _absolute(path: str) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + path


def session_json(session: ProgrammeSession, event: Event) -> dict[str, Any]:
    """The public fields of a published session; times in the event's zone with offset."""
    tz = prog.zone(event)
    area = session.focus_area
    return {
        "id": session.id,
        "event_id": session.event_id,
        "title": session.title,
        "format": session.format.value,
        "description": session.description or "",
        "focus_area": {"code": area.code, "label": area.label, "name": area.text("name", "en")}
        if area
        else None,
        "starts_at": _iso(prog.aware(session.starts_at, tz)),
        "ends_at": _iso(prog.aware(session.ends_at, tz)),
        "timezone": tz.key,
        "room": {"id": session.room.id, "name": session.room.name} if session.room else None,
        "mode": session.mode.value,
        "stream_url": prog.public_stream_url(session) or None,
        "visibility": session.visibility.value,
        "chatham_house": bool(session.chatham_house),
        "languages": list(session.languages or []),
        "interpretation": list(session.interpretation or []),
        "agenda": [
            {
                "title": timed.item.title,
                "minutes": timed.item.minutes,
                "starts_at": _iso(prog.aware(timed.starts_at, tz)),
                "ends_at": _iso(prog.aware(timed.ends_at, tz)),
            }
            for timed in prog.agenda_times(session)
        ],
        "people": [
            {
                "name": p.person.full_name,
                "function": p.person.function or "",
                "organization": p.person.organization.name if p.person.organization else None,
                "part": p.part.value,
            }
            for p in prog.public_people(session)
        ],
        "url": _absolute(
            url_for("sessions.public_session", event_id=session.event_id, session_id=session.id)
        ),
        "ical_url": _absolute(
            url_for("sessions.session_ics", event_id=session.event_id, session_id=session.id)
        ),
    }


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _event_arg() -> Event | None:
    raw = (request.args.get("event") or "").strip()
    if not raw:
        return None
    if not re.fullmatch(r"[0-9]{1,19}", raw) or not 1 <= int(raw) <= MAX_ID:
        raise ApiError(
            400, "event: give the event's id (a number).", "invalid_parameter", parameter="event"
        )
    event = db.session.get(Event, int(raw))
    if event is None:
        raise ApiError(404, f"No event with id {raw}.", "not_found", parameter="event")
    return event


def _filters(event: Event | None) -> prog.Filters:
    """The filters of the query string, checked against the event when one is given."""
    if event is not None:
        room_ids = db.session.scalars(select(Room.id).where(Room.event_id == event.id))
        codes = db.session.scalars(select(FocusArea.code).where(FocusArea.event_id == event.id))
        filters, errors = prog.parse_filters(
            request.args, days=event_days(event), room_ids=list(room_ids), area_codes=list(codes)
        )
    else:
        codes = db.session.scalars(
            select(ReferenceItem.code).where(ReferenceItem.kind == "focus_area")
        )
        filters, errors = prog.parse_filters(request.args, area_codes=list(codes))
    if errors:
        name = next(iter(errors))
        raise ApiError(
            400, f"{name}: {errors[name]}", "invalid_parameter", parameter=name, errors=errors
        )
    return filters


@api_bp.get("/sessions", endpoint="sessions")
def list_sessions():
    """Published sessions matching the filters, in programme order, one page."""
    event = _event_arg()
    filters = _filters(event)
    page, per_page = page_args()
    query = prog.matching(event.id if event else None, filters)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    sessions = list(
        db.session.scalars(prog.load(query).limit(per_page).offset((page - 1) * per_page)).unique()
    )
    events = {event.id: event} if event else _events_of(sessions)
    items = [session_json(s, events[s.event_id]) for s in sessions]
    response = jsonify(items=items, page=page, per_page=per_page, total=total or 0)
    response.headers["Cache-Control"] = CACHE
    return response


def _events_of(sessions: list[ProgrammeSession]) -> dict[int, Event]:
    """The events of a page of sessions, in one query."""
    ids = {s.event_id for s in sessions}
    if not ids:
        return {}
    return {e.id: e for e in db.session.scalars(select(Event).where(Event.id.in_(ids)))}


@api_bp.get("/sessions/<int:session_id>", endpoint="session")
def get_session(session_id: int):
    """One published session; 404 for unknown or unpublished ones."""
    query = prog.load(prog.matching(None).where(ProgrammeSession.id == session_id))
    session = db.session.scalars(query).unique().first()
    if session is None:
        raise ApiError(404, f"No published session with id {session_id}.", "not_found")
    event = db.session.get(Event, session.event_id)
    response = jsonify(session_json(session, event))
    response.headers["Cache-Control"] = CACHE
    return response


# --- OpenAPI ------------------------------------------------------------------------------


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **extra}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_LANGUAGES = {"type": "array", "items": {"type": "string", "enum": list(LANGUAGE_NAMES)}}
_WHEN = "Event-local time with the zone's UTC offset, ISO 8601"

openapi_schema(
    "ProgrammeSession",
    {
        "type": "object",
        "required": ["id", "event_id", "title", "format", "visibility", "url"],
        "properties": {
            "id": {"type": "integer"},
            "event_id": {"type": "integer"},
            "title": {"type": "string"},
            "format": {"type": "string", "enum": [f.value for f in SessionFormat]},
            "description": {"type": "string"},
            "focus_area": {
                "type": ["object", "null"],
                "description": "None for sessions across the focus areas",
                "properties": {
                    "code": {"type": "string", "examples": ["ACCESS"]},
                    "label": {"type": "string"},
                    "name": {"type": "string"},
                },
            },
            "starts_at": _nullable("string", format="date-time", description=_WHEN),
            "ends_at": _nullable("string", format="date-time", description=_WHEN),
            "timezone": {"type": "string", "description": "IANA zone of the event"},
            "room": {
                "type": ["object", "null"],
                "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
            },
            "mode": {"type": "string", "enum": [m.value for m in SessionMode]},
            "stream_url": _nullable(
                "string", format="uri", description="Online and hybrid sessions open to all"
            ),
            "visibility": {"type": "string", "enum": [v.value for v in Visibility]},
            "chatham_house": {
                "type": "boolean",
                "description": "Held under the Chatham House rule: people is always empty",
            },
            "languages": {**_LANGUAGES, "description": "Spoken on the floor"},
            "interpretation": {**_LANGUAGES, "description": "Interpreted into"},
            "agenda": {"type": "array", "items": _ref("AgendaItem")},
            "people": {"type": "array", "items": _ref("SessionPerson")},
            "url": {"type": "string", "format": "uri"},
            "ical_url": {"type": "string", "format": "uri"},
        },
    },
)
openapi_schema(
    "AgendaItem",
    {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "minutes": {"type": "integer"},
            "starts_at": _nullable("string", format="date-time"),
            "ends_at": _nullable("string", format="date-time"),
        },
    },
)
openapi_schema(
    "SessionPerson",
    {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "function": {"type": "string"},
            "organization": _nullable("string"),
            "part": {"type": "string", "enum": [p.value for p in SessionPart]},
        },
    },
)


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": schema}


FILTER_PARAMETERS = [
    _query("event", "Event id; without it, every event's sessions", {"type": "integer"}),
    _query(
        "day", "Sessions starting on this day (event-local)", {"type": "string", "format": "date"}
    ),
    _query("room", "Room id", {"type": "integer"}),
    _query("focus_area", "Focus area code (ACCESS, ADOPTION, ...)", {"type": "string"}),
    _query(
        "format", "Session format", {"type": "string", "enum": [f.value for f in SessionFormat]}
    ),
    _query(
        "mode",
        "How the session is held",
        {"type": "string", "enum": [m.value for m in SessionMode]},
    ),
    _query(
        "language",
        "Spoken or interpreted into this UN language",
        {"type": "string", "enum": list(LANGUAGE_NAMES)},
    ),
]
_ERROR = {"content": {"application/json": {"schema": _ref("Error")}}}

openapi_path(
    "/sessions",
    "get",
    {
        "summary": "List published programme sessions",
        "description": "In programme order: event, start time (unplaced last), room, id.",
        "parameters": [
            *FILTER_PARAMETERS,
            _query("page", "Page number", {"type": "integer", "minimum": 1}),
            _query(
                "per_page", "Sessions per page", {"type": "integer", "minimum": 1, "maximum": 100}
            ),
        ],
        "responses": {
            "200": {
                "description": "A page of sessions",
                "content": {
                    "application/json": {
                        "schema": {
                            "allOf": [
                                _ref("Page"),
                                {
                                    "type": "object",
                                    "properties": {
                                        "items": {
                                            "type": "array",
                                            "items": _ref("ProgrammeSession"),
                                        }
                                    },
                                },
                            ]
                        }
                    }
                },
            },
            "400": {"description": "A bad parameter, named in details.parameter", **_ERROR},
            "404": {"description": "No event with this id", **_ERROR},
        },
    },
)
openapi_path(
    "/sessions/{session_id}",
    "get",
    {
        "summary": "One published programme session",
        "parameters": [
            {
                "name": "session_id",
                "in": "path",
                "required": True,
                "description": "The session's id",
                "schema": {"type": "integer"},
            }
        ],
        "responses": {
            "200": {
                "description": "The session",
                "content": {"application/json": {"schema": _ref("ProgrammeSession")}},
            },
            "404": {"description": "No published session with this id", **_ERROR},
        },
    },
)
