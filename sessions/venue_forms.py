"""Forms of the venue page (rooms, blocks, screens) and of placing a session.

Room fields are not checked against a list of choices: the view looks the id up in the
event, so another event's room is a 404 like any other foreign id, and a value that is
not a number at all is a 400 beside the field.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from models import BlockKind, Room
from webapp.events.forms import DATETIME_FORMATS
from webapp.forms import options, strip

from .core import BLOCK_LABELS
from .venue import MAX_CAPACITY, MAX_NAME, MAX_NOTES, MAX_TITLE


def _room_id(form, field) -> None:
    value = field.data or ""
    if value and (not value.isdigit() or len(value) > 18):
        raise ValidationError(_l("Choose a room from the list."))


def _room_options(rooms: list[Room], blank) -> list:
    return options(((str(r.id), r.name) for r in rooms), blank=blank)


class RoomForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[InputRequired(), Length(max=MAX_NAME)], filters=[strip]
    )
    capacity = IntegerField(
        _l("Capacity (seats; 0 if unknown)"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=MAX_CAPACITY)],
    )
    position = IntegerField(
        _l("Position in the grid"), default=0, validators=[Optional(), NumberRange(0, 1000)]
    )
    notes = TextAreaField(_l("Notes"), validators=[Length(max=MAX_NOTES)], filters=[strip])

    def values(self) -> tuple:
        return (
            self.name.data,
            self.capacity.data or 0,
            self.position.data or 0,
            self.notes.data or "",
        )


class BlockForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=options((k.value, BLOCK_LABELS[k]) for k in BlockKind))
    title = StringField(
        _l("Title"), validators=[InputRequired(), Length(max=MAX_TITLE)], filters=[strip]
    )
    room_id = SelectField(_l("Room"), validate_choice=False, validators=[_room_id], filters=[strip])
    starts_at = DateTimeLocalField(
        _l("Starts"), format=DATETIME_FORMATS, validators=[InputRequired()]
    )
    ends_at = DateTimeLocalField(_l("Ends"), format=DATETIME_FORMATS, validators=[InputRequired()])

    def __init__(self, *args, rooms: list[Room], **kwargs):
        super().__init__(*args, **kwargs)
        self.room_id.choices = _room_options(rooms, blank=_l("The whole venue"))


class ScreenForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[InputRequired(), Length(max=MAX_NAME)], filters=[strip]
    )
    room_id = SelectField(_l("Room"), validate_choice=False, validators=[_room_id], filters=[strip])

    def __init__(self, *args, rooms: list[Room], **kwargs):
        super().__init__(*args, **kwargs)
        self.room_id.choices = _room_options(rooms, blank=_l("Around the venue"))


class PlaceForm(FlaskForm):
    """Room and times of one session; leaving both times empty takes it off the grid."""

    room_id = SelectField(_l("Room"), validate_choice=False, validators=[_room_id], filters=[strip])
    starts_at = DateTimeLocalField(_l("Starts"), format=DATETIME_FORMATS, validators=[Optional()])
    ends_at = DateTimeLocalField(_l("Ends"), format=DATETIME_FORMATS, validators=[Optional()])

    def __init__(self, *args, rooms: list[Room], **kwargs):
        super().__init__(*args, **kwargs)
        self.room_id.choices = _room_options(rooms, blank=_l("No room (online)"))
