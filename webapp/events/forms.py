"""Forms of the event pages: the event, its deadlines, and moving the opening date."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import options, strip
from ..i18n import LANGUAGE_NAMES
from ..reference import country_choices
from .services import MAX_OFFSET_DAYS, timezones

#: The browser's datetime-local format first, so values render back into the input.
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


class EventForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)], filters=[strip])
    acronym = StringField(
        _l("Acronym"), validators=[DataRequired(), Length(max=40)], filters=[strip]
    )
    city = StringField(_l("City"), validators=[Optional(), Length(max=120)], filters=[strip])
    country_iso2 = SelectField(_l("Country"), validators=[Optional()])
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=200)], filters=[strip])
    timezone = SelectField(_l("Time zone"), default="UTC")
    opening_date = DateField(_l("Opening date"), validators=[InputRequired()])
    closing_date = DateField(_l("Closing date"), validators=[InputRequired()])
    languages = SelectMultipleField(
        _l("Languages"),
        choices=options(LANGUAGE_NAMES.items()),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=10000)], filters=[strip]
    )
    p2c_start = DateTimeLocalField(
        _l("P2C segment starts"), validators=[Optional()], format=DATETIME_FORMATS
    )
    p2c_end = DateTimeLocalField(
        _l("P2C segment ends"), validators=[Optional()], format=DATETIME_FORMATS
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Choices from the database and the tz database, read per form, not at import.
        self.country_iso2.choices = options(country_choices(), blank=_l("Not set"))
        self.timezone.choices = options((zone, zone) for zone in timezones())

    def validate_languages(self, field) -> None:
        """At least one; not DataRequired, which would mark every checkbox required."""
        if not field.data:
            raise ValidationError(_l("Choose at least one language."))

    def values(self) -> dict:
        """The submitted values as keyword arguments for the services."""
        return {
            field.short_name: field.data
            for field in self
            if field.short_name not in ("csrf_token", "submit")
        }


class EditEventForm(EventForm):
    """The opening date moves on its own page, with the deadlines."""

    opening_date = None


class DeadlineForm(FlaskForm):
    label = StringField(
        _l("What is due"), validators=[DataRequired(), Length(max=200)], filters=[strip]
    )
    kind = RadioField(
        _l("Date"),
        choices=options(
            [("relative", _l("Relative to the opening date")), ("fixed", _l("On a fixed date"))]
        ),
        default="relative",
    )
    days = IntegerField(_l("Days"), validators=[Optional()])
    direction = SelectField(
        _l("Before or after the opening"),
        choices=options([("before", _l("before the opening")), ("after", _l("after the opening"))]),
        default="before",
    )
    fixed_date = DateField(_l("Fixed date"), validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)], filters=[strip])

    def validate(self, extra_validators=None) -> bool:
        """The date fields that count depend on the kind."""
        if not super().validate(extra_validators):
            return False
        if self.kind.data == "relative":
            if self.days.data is None:
                self.days.errors.append(_l("Enter a number of days."))
            elif not 0 <= self.days.data <= MAX_OFFSET_DAYS:
                self.days.errors.append(
                    _l("Enter a number between %(min)d and %(max)d.", min=0, max=MAX_OFFSET_DAYS)
                )
        elif self.fixed_date.data is None:
            self.fixed_date.errors.append(_l("Enter a date."))
        return not self.errors

    @property
    def offset_days(self) -> int | None:
        if self.kind.data != "relative" or self.days.data is None:
            return None
        return -self.days.data if self.direction.data == "before" else self.days.data

    @property
    def when(self) -> dict:
        """offset_days or fixed_date for the services, the other one None."""
        if self.kind.data == "relative":
            return {"offset_days": self.offset_days, "fixed_date": None}
        return {"offset_days": None, "fixed_date": self.fixed_date.data}

    def fill_from(self, deadline) -> None:
        """Show a stored deadline in the form's terms."""
        self.label.data = deadline.label
        self.notes.data = deadline.notes
        if deadline.offset_days is not None:
            self.kind.data = "relative"
            self.days.data = abs(deadline.offset_days)
            self.direction.data = "before" if deadline.offset_days < 0 else "after"
        else:
            self.kind.data = "fixed"
            self.fixed_date.data = deadline.fixed_date


class MoveOpeningForm(FlaskForm):
    new_opening = DateField(_l("New opening date"), validators=[InputRequired()])
    confirm = HiddenField()
