"""Forms of the coalition pages, the pledge import and the exchange-rate page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, DateField, DecimalField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from webapp.forms import strip

from .coalition import CONFIRMATION, MAX_REASON, MAX_TEXT


class SignForm(FlaskForm):
    """The signature of the Digital Coalition statement for one of the user's organizations."""

    organization = SelectField(_l("Organization"), validate_choice=False)
    signer_name = StringField(
        _l("Name of the person who signs"),
        validators=[
            InputRequired(message=_l("Enter the name of the person who signs.")),
            Length(max=MAX_TEXT),
        ],
        filters=[strip],
    )
    signer_function = StringField(
        _l("Function"),
        validators=[
            InputRequired(message=_l("Enter the function of the person who signs.")),
            Length(max=MAX_TEXT),
        ],
        filters=[strip],
    )
    signed_on = DateField(
        _l("Date of signature"),
        validators=[Optional()],
        format="%Y-%m-%d",
    )
    confirmed = BooleanField(CONFIRMATION)


class RevokeForm(FlaskForm):
    """An organizer's revocation of a signature, with the reason."""

    reason = TextAreaField(
        _l("Reason"),
        validators=[
            InputRequired(message=_l("Give the reason for revoking the signature.")),
            Length(max=MAX_REASON),
        ],
        filters=[strip],
    )


class ImportForm(FlaskForm):
    """The upload of a pledge file."""

    file = FileField(
        _l("CSV or XLSX file"),
        validators=[
            FileRequired(message=_l("Choose a file to import.")),
            FileAllowed(["csv", "xlsx"], message=_l("Choose a .csv or .xlsx file.")),
        ],
    )


class RateForm(FlaskForm):
    """A stored exchange rate: US dollars per unit of a currency on a date."""

    currency = StringField(
        _l("Currency (ISO 4217 code)"),
        validators=[InputRequired(message=_l("Enter a currency code.")), Length(max=3)],
        filters=[strip],
    )
    usd_per_unit = DecimalField(
        _l("US dollars per unit"),
        places=None,
        validators=[InputRequired(message=_l("Enter the rate as a number."))],
    )
    as_of = DateField(
        _l("Date of the rate"),
        format="%Y-%m-%d",
        validators=[InputRequired(message=_l("Enter the date of the rate."))],
    )
    source = StringField(_l("Source"), validators=[Length(max=200)], filters=[strip])
