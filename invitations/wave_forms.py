"""Forms of the wave pages. The wave form has one subject and body per event language, so
its class is built per event."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from models import Event, Region, Wave
from webapp.extensions import db
from webapp.forms import options, strip
from webapp.i18n import LANGUAGE_NAMES
from webapp.reference import choices

from .target_forms import STATUS_LABELS
from .waves import MAX_BODY, MAX_NAME, MAX_SUBJECT

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def parse_days(text: str) -> list[int]:
    """'30, 14, 3' -> [30, 14, 3]; ValueError for anything else."""
    parts = [p for p in re.split(r"[,;\s]+", text or "") if p]
    if not all(re.fullmatch(r"-?\d{1,5}", p) for p in parts):
        raise ValueError(text)
    return [int(p) for p in parts]


class WaveForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=MAX_NAME)], filters=[strip]
    )
    groups = SelectMultipleField(_l("Constituent groups"), validators=[Optional()])
    regions = SelectMultipleField(_l("Regions"), validators=[Optional()])
    statuses = SelectMultipleField(_l("Statuses"), validators=[Optional()])
    stars_only = BooleanField(_l("Stars only"))
    send_by_days = IntegerField(
        _l("Send by: days before the opening"), validators=[InputRequired()]
    )
    rsvp_by_days = IntegerField(
        _l("RSVP by: days before the opening"), validators=[InputRequired()]
    )
    reminder_days = StringField(
        _l("Reminders: days before the RSVP deadline"),
        validators=[Optional(), Length(max=200)],
        filters=[strip],
    )
    escalation_days = IntegerField(
        _l("Flag silent stars: days before the RSVP deadline"),
        default=7,
        validators=[InputRequired()],
    )
    waives_approval = BooleanField(_l("Invitees who accept are registered without approval"))

    languages: list[str] = []

    def validate_reminder_days(self, field) -> None:
        """Numbers only; the service checks the rules."""
        try:
            parse_days(field.data)
        except ValueError:
            raise ValidationError(
                _l("Enter days as numbers separated by commas, such as 30, 14, 3.")
            ) from None

    def letter_fields(self) -> list[tuple[str, object, object]]:
        """(language name, subject field, body field) per event language."""
        return [
            (LANGUAGE_NAMES.get(code, code), self[f"subject_{code}"], self[f"body_{code}"])
            for code in self.languages
        ]

    def values(self) -> dict:
        """Keyword arguments for create_wave / update_wave."""
        return {
            "name": self.name.data,
            "audience": {
                "groups": self.groups.data or [],
                "regions": self.regions.data or [],
                "statuses": self.statuses.data or [],
                "stars_only": bool(self.stars_only.data),
            },
            "letters": {
                code: {
                    "subject": self[f"subject_{code}"].data or "",
                    "body": self[f"body_{code}"].data or "",
                }
                for code in self.languages
            },
            # The form speaks of days before the opening; the model of days from it.
            "send_by_days": -self.send_by_days.data,
            "rsvp_by_days": -self.rsvp_by_days.data,
            "reminder_days": parse_days(self.reminder_days.data),
            "escalation_days": self.escalation_days.data,
            "waives_approval": bool(self.waives_approval.data),
        }

    def fill_from(self, wave: Wave) -> None:
        """Show a stored wave in the form's terms."""
        audience = wave.audience or {}
        self.name.data = wave.name
        self.groups.data = audience.get("groups") or []
        self.regions.data = audience.get("regions") or []
        self.statuses.data = audience.get("statuses") or []
        self.stars_only.data = bool(audience.get("stars_only"))
        for code in self.languages:
            letter = (wave.letters or {}).get(code) or {}
            self[f"subject_{code}"].data = letter.get("subject", "")
            self[f"body_{code}"].data = letter.get("body", "")
        self.send_by_days.data = -wave.send_by_days
        self.rsvp_by_days.data = -wave.rsvp_by_days
        self.reminder_days.data = ", ".join(str(d) for d in wave.reminder_days or [])
        self.escalation_days.data = wave.escalation_days
        self.waives_approval.data = bool(wave.waives_approval)


def wave_form(event: Event, **kwargs) -> WaveForm:
    """The wave form with a subject and a body for each of the event's languages."""

    class EventWaveForm(WaveForm):
        pass

    for code in event.languages:
        language = LANGUAGE_NAMES.get(code, code)
        setattr(
            EventWaveForm,
            f"subject_{code}",
            StringField(
                _l("Subject (%(language)s)", language=language),
                validators=[Optional(), Length(max=MAX_SUBJECT)],
                filters=[strip],
            ),
        )
        setattr(
            EventWaveForm,
            f"body_{code}",
            TextAreaField(
                _l("Letter (%(language)s)", language=language),
                validators=[Optional(), Length(max=MAX_BODY)],
            ),
        )
    EventWaveForm.languages = list(event.languages)
    form = EventWaveForm(**kwargs)
    form.groups.choices = options(choices("constituent_group"))
    form.regions.choices = options(
        (r.code, r.name_en) for r in db.session.scalars(db.select(Region).order_by(Region.code))
    )
    form.statuses.choices = options((s.value, str(label)) for s, label in STATUS_LABELS.items())
    return form


class ScheduleForm(FlaskForm):
    scheduled_for = DateTimeLocalField(
        _l("Send at (event time)"), validators=[InputRequired()], format=DATETIME_FORMATS
    )
