"""Write to the audit log. Services call `record`; it flushes with the caller's transaction."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from models import AuditEntry, User

from .extensions import db


def record(
    action: str,
    *,
    actor: User | None,
    event_id: int | None = None,
    obj: Any = None,
    summary: str = "",
    **data: Any,
) -> AuditEntry:
    """Add an audit entry for `action` done by `actor` on `obj`."""
    if has_request_context():
        data.setdefault("ip", request.remote_addr)
    entry = AuditEntry(
        action=action,
        actor_id=actor.id if actor is not None else None,
        event_id=event_id,
        object_type=type(obj).__name__.lower() if obj is not None else "",
        object_id=getattr(obj, "id", None),
        summary=summary[:500],
        data=data,
    )
    db.session.add(entry)
    return entry
