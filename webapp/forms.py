"""Helpers shared by every feature's forms."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms.fields.choices import SelectChoice


def options(pairs: Iterable[tuple[str, str]], blank: str | None = None) -> list[SelectChoice]:
    """Select choices from (value, label) pairs, with an optional empty first option."""
    result = [SelectChoice(value="", label=blank)] if blank is not None else []
    result.extend(SelectChoice(value=value, label=label) for value, label in pairs)
    return result


def strip(value):
    """Field filter: surrounding spaces are never meant."""
    return value.strip() if isinstance(value, str) else value
