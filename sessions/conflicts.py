"""Conflict detection for the programme (being written; see the interface below).

@dataclass(frozen=True) class Conflict: kind, hard, session_id, message, link, other_session_id
def event_conflicts(event) -> list[Conflict]
def session_conflicts(session) -> list[Conflict]
def hard_conflicts(session) -> list[Conflict]
"""
