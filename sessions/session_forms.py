"""Forms of the curation pages: a session's details, its agenda items, and a person added
to it. Field checks here; rules across records (areas, rooms, times in the event,
duplicates) in `curation`, whose messages land beside the fields of the same names."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.forms import options, strip
from webapp.i18n import LANGUAGE_NAMES

from .core import (
    FORMAT_LABELS,
    MAX_ID,
    MODE_LABELS,
    PART_LABELS,
    STAKEHOLDER_ROLE_LABELS,
    VISIBILITY_LABELS,
)
from .curation import (
    MAX_CAPACITY,
    MAX_DESCRIPTION,
    MAX_ITEM_MINUTES,
    MAX_NOTES,
    MAX_TITLE,
    MAX_URL,
    UN_LANGUAGES,
)

#: The browser's datetime-local format first, so values render back into the input.
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def optional_id(value: Any) -> int | None:
    """A select's value as an id, or None for the empty choice; nonsense raises
    ValueError, which WTForms reports beside the field."""
    if value in (None, "", "None"):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit() and int(value) <= MAX_ID:
        return int(value)
    raise ValueError(_l("Choose one of the options."))


class IdField(SelectField):
    """A select of ids (areas, rooms) whose choices the service checks, so that an id the
    user may not use is refused with the right status rather than as "not a choice"."""

    def __init__(self, label, **kwargs):
        super().__init__(label, coerce=optional_id, validate_choice=False, **kwargs)

    def process_formdata(self, valuelist):
        if valuelist:
            try:
                self.data = optional_id(valuelist[0])
            except ValueError:
                raise ValueError(_l("Choose one of the options.")) from None


def _languages(label):
    return SelectMultipleField(
        label,
        choices=options((code, LANGUAGE_NAMES[code]) for code in UN_LANGUAGES),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[Optional()],
    )


class SessionForm(FlaskForm):
    """Every detail of a session but its status, which moves on the manage page."""

    focus_area = IdField(_l("Focus area"))
    title = StringField(
        _l("Title"),
        validators=[InputRequired(_l("Give the session a title.")), Length(max=MAX_TITLE)],
        filters=[strip],
    )
    format = SelectField(_l("Format"), choices=options(FORMAT_LABELS.items()), default="panel")
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=MAX_DESCRIPTION)], filters=[strip]
    )
    room = IdField(_l("Room"))
    starts_at = DateTimeLocalField(_l("Starts"), validators=[Optional()], format=DATETIME_FORMATS)
    ends_at = DateTimeLocalField(_l("Ends"), validators=[Optional()], format=DATETIME_FORMATS)
    mode = SelectField(_l("Mode"), choices=options(MODE_LABELS.items()), default="in_person")
    stream_url = StringField(
        _l("Streaming link"), validators=[Optional(), Length(max=MAX_URL)], filters=[strip]
    )
    visibility = SelectField(
        _l("Visibility"), choices=options(VISIBILITY_LABELS.items()), default="public"
    )
    chatham_house = BooleanField(_l("Under the Chatham House rule"))
    capacity = IntegerField(
        _l("Capacity (seats)"),
        validators=[
            Optional(),
            NumberRange(
                min=1,
                max=MAX_CAPACITY,
                message=_l(
                    "Give a whole number of seats from 1 to %(max)s.", max=f"{MAX_CAPACITY:,}"
                ),
            ),
        ],
    )
    languages = _languages(_l("Languages spoken"))
    interpretation = _languages(_l("Interpretation into"))

    def __init__(self, *args, areas=(), rooms=(), cross_area: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        locale = str(get_locale() or "en")
        # Areas and rooms from the database, read per form, not at import.
        self.focus_area.choices = options(
            ((str(a.id), f"{a.label} — {a.text('name', locale)}") for a in areas),
            blank=_l("No focus area (cross-area session)") if cross_area else None,
        )
        self.room.choices = options(((str(r.id), r.name) for r in rooms), blank=_l("No room yet"))

    def values(self) -> dict[str, Any]:
        """The submitted values as keyword arguments for the curation services."""
        return {f.short_name: f.data for f in self if f.short_name != "csrf_token"}


class AgendaItemForm(FlaskForm):
    title = StringField(
        _l("Item"),
        validators=[InputRequired(_l("Give the item a title.")), Length(max=MAX_TITLE)],
        filters=[strip],
    )
    minutes = IntegerField(
        _l("Minutes"),
        default=10,
        validators=[
            InputRequired(),
            NumberRange(
                min=1,
                max=MAX_ITEM_MINUTES,
                message=_l(
                    "Give the minutes as a whole number from 1 to %(max)s.", max=MAX_ITEM_MINUTES
                ),
            ),
        ],
    )
    notes = TextAreaField(
        _l("Notes"), validators=[Optional(), Length(max=MAX_NOTES)], filters=[strip]
    )

    def values(self) -> dict[str, Any]:
        return {"title": self.title.data, "minutes": self.minutes.data, "notes": self.notes.data}


class PersonForm(FlaskForm):
    """A directory person chosen in the search (`person`) or named by email address."""

    person = IntegerField(
        _l("Person"),
        validators=[Optional(), NumberRange(min=1, max=MAX_ID, message=_l("Choose a person."))],
    )
    email = StringField(
        _l("Or their email address"), validators=[Optional(), Length(max=254)], filters=[strip]
    )
    part = SelectField(_l("Part"), choices=options(PART_LABELS.items()), default="speaker")
    stakeholder_role = SelectField(
        _l("Stakeholder role"),
        choices=options(STAKEHOLDER_ROLE_LABELS.items(), blank=_l("Not given")),
        validators=[Optional()],
    )
