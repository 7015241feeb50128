"""Editing a focus area: its short label and, in each language of the event, its name,
description and pillars. Seeding from the reference data is in `core.ensure_focus_areas`.

English is always offered (every text falls back to it) and its name is required; other
languages may stay empty until translated.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l

from models import Event, FocusArea, User
from webapp import audit
from webapp.config import LANGUAGES
from webapp.extensions import db

from .core import ProgrammeError

MAX_LABEL = 60
MAX_NAME = 200
MAX_DESCRIPTION = 4000
MAX_PILLAR = 200
MAX_PILLARS = 12


def languages(event: Event) -> list[str]:
    """The languages an area is edited in: English first, then the event's others."""
    others = [c for c in event.languages or [] if c in LANGUAGES and c != "en"]
    return ["en", *dict.fromkeys(others)]


def _text(value: object) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _pillars(value: object, field: str) -> list[str]:
    """One pillar a line; blank lines dropped."""
    lines = (
        [" ".join(line.split()) for line in value.splitlines()] if isinstance(value, str) else []
    )
    lines = [line for line in lines if line]
    if len(lines) > MAX_PILLARS:
        raise ProgrammeError(_l("Give at most %(n)d pillars.", n=MAX_PILLARS), field)
    if any(len(line) > MAX_PILLAR for line in lines):
        raise ProgrammeError(_l("Each pillar has at most %(n)d characters.", n=MAX_PILLAR), field)
    return lines


def update_area(
    actor: User | None,
    area: FocusArea,
    label: object,
    texts: Mapping[str, Mapping[str, object]],
) -> FocusArea:
    """Set the label and the texts; `texts` is {lang: {"name", "description", "pillars"}}
    with pillars as text, one a line. Languages not offered for the event are ignored;
    texts of other languages already stored are kept."""
    label = _text(label)
    if not label:
        raise ProgrammeError(_l("Give the area a short label."), "label")
    if len(label) > MAX_LABEL:
        raise ProgrammeError(_l("Use at most %(n)d characters.", n=MAX_LABEL), "label")
    names, descriptions, pillars = (
        dict(area.name or {}),
        dict(area.description or {}),
        dict(area.pillars or {}),
    )
    for lang in languages(area.event):
        given = texts.get(lang) or {}
        name = _text(given.get("name"))
        description = given.get("description")
        description = description.strip() if isinstance(description, str) else ""
        if lang == "en" and not name:
            raise ProgrammeError(_l("Give the name in English."), "name_en")
        if len(name) > MAX_NAME:
            raise ProgrammeError(_l("Use at most %(n)d characters.", n=MAX_NAME), f"name_{lang}")
        if len(description) > MAX_DESCRIPTION:
            raise ProgrammeError(
                _l("Use at most %(n)d characters.", n=MAX_DESCRIPTION), f"description_{lang}"
            )
        names[lang] = name
        descriptions[lang] = description
        pillars[lang] = _pillars(given.get("pillars"), f"pillars_{lang}")
    changed = [
        key
        for key, old, new in (
            ("label", area.label, label),
            ("name", area.name, names),
            ("description", area.description, descriptions),
            ("pillars", area.pillars, pillars),
        )
        if old != new
    ]
    area.label, area.name, area.description, area.pillars = label, names, descriptions, pillars
    audit.record(
        "focus_area.updated",
        actor=actor,
        event_id=area.event_id,
        obj=area,
        summary=f"{area.code}: {', '.join(changed) or 'no change'}",
        changed=changed,
    )
    db.session.flush()
    return area
