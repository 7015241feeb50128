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
    """Field filter: surrounding spaces are never meant, NUL characters never (PostgreSQL
    refuses them in text)."""
    return value.replace("\x00", "").strip() if isinstance(value, str) else value


def show_error(form, error: Exception) -> None:
    """Put a service's message beside the field it names (`error.field`), or above the form."""
    name = getattr(error, "field", None)
    target = form[name] if name and name in form else None
    if target is None:
        form.form_errors.append(str(error))
    else:
        target.errors = [*target.errors, str(error)]
