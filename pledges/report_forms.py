"""The progress report form. Numbers stay text fields so whatever was typed comes back on an
error; the service parses them and names the field that is wrong."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from webapp.forms import options, strip

from .reporting import MAX_LINK_LENGTH, MAX_LINKS, MAX_NARRATIVE, STATUS_LABELS

LIGHT_LABELS = {
    "green": _l("Green: up to date"),
    "yellow": _l("Yellow: a report is due"),
    "red": _l("Red: two years overdue"),
    "inactive": _l("Inactive: never reported"),
}


class ReportForm(FlaskForm):
    status = SelectField(
        _l("Status"),
        validators=[DataRequired(message=_l("Choose a status."))],
        choices=[],
    )
    percent_complete = StringField(
        _l("Percent complete (0–100)"), validators=[Optional(), Length(max=20)], filters=[strip]
    )
    amount_disbursed = StringField(
        _l("Amount disbursed to date, in the pledge's currency"),
        validators=[Optional(), Length(max=40)],
        filters=[strip],
    )
    people_reached = StringField(
        _l("People reached to date"), validators=[Optional(), Length(max=20)], filters=[strip]
    )
    narrative = TextAreaField(
        _l("What happened since the last report"),
        validators=[
            Optional(),
            Length(
                max=MAX_NARRATIVE,
                message=_l("The narrative is longer than %(max)s characters.", max="20,000"),
            ),
        ],
        filters=[strip],
    )
    evidence_links = TextAreaField(
        _l("Evidence links, one per line"),
        validators=[
            Optional(),
            Length(
                max=(MAX_LINK_LENGTH + 2) * MAX_LINKS,
                message=_l("Give at most %(max)s evidence links.", max=MAX_LINKS),
            ),
        ],
        filters=[strip],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = options(
            ((code, str(label)) for code, label in STATUS_LABELS.items()),
            blank=str(_l("Choose…")),
        )
