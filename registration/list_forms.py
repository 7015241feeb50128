"""Forms of the organizers' registration pages: settings, overrides and cancellations."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from models import AttendanceMode
from webapp.events.services import MAX_OFFSET_DAYS
from webapp.forms import strip

from . import settings as reg_settings
from .accreditation import MAX_REASON


class SettingsForm(FlaskForm):
    capacity_in_person = IntegerField(
        _l("Seats in person"),
        validators=[Optional(), NumberRange(min=0, max=reg_settings.MAX_CAPACITY)],
    )
    capacity_online = IntegerField(
        _l("Seats online"),
        validators=[Optional(), NumberRange(min=0, max=reg_settings.MAX_CAPACITY)],
    )
    offer_hours = IntegerField(
        _l("Hours a freed seat is kept for the next person waiting"),
        validators=[
            InputRequired(),
            NumberRange(min=reg_settings.MIN_OFFER_HOURS, max=reg_settings.MAX_OFFER_HOURS),
        ],
    )
    opens_days = IntegerField(
        _l("Registration opens: days before the opening"),
        validators=[InputRequired(), NumberRange(min=-MAX_OFFSET_DAYS, max=MAX_OFFSET_DAYS)],
    )
    closes_days = IntegerField(
        _l("Registration closes: days before the opening"),
        validators=[InputRequired(), NumberRange(min=-MAX_OFFSET_DAYS, max=MAX_OFFSET_DAYS)],
    )

    def load(self, values: reg_settings.Settings) -> None:
        self.capacity_in_person.data = values.capacity[AttendanceMode.IN_PERSON]
        self.capacity_online.data = values.capacity[AttendanceMode.ONLINE]
        self.offer_hours.data = values.offer_hours
        self.opens_days.data = values.opens_days
        self.closes_days.data = values.closes_days

    def values(self) -> reg_settings.Settings:
        return reg_settings.Settings(
            capacity={
                AttendanceMode.IN_PERSON: self.capacity_in_person.data,
                AttendanceMode.ONLINE: self.capacity_online.data,
            },
            offer_hours=self.offer_hours.data,
            opens_days=self.opens_days.data,
            closes_days=self.closes_days.data,
        )


class ReasonForm(FlaskForm):
    """A reason for an override or a cancellation (required when rejecting: checked by
    the service, which knows the decision)."""

    reason = TextAreaField(
        _l("Reason (mailed to the participant)"),
        validators=[Optional(), Length(max=MAX_REASON)],
        filters=[strip],
    )
