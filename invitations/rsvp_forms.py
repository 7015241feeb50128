"""Forms of the RSVP pages (the invitee has no account: CSRF comes from the session)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from webapp.forms import strip

from .rsvp import MAX_NAME, MAX_REASON


class AcceptForm(FlaskForm):
    """Accepting needs no fields: the button and the CSRF token."""


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason (optional)"),
        validators=[Optional(), Length(max=MAX_REASON)],
        filters=[strip],
    )


class DelegateForm(FlaskForm):
    name = StringField(
        _l("Delegate's full name"),
        validators=[DataRequired(message=_l("Give the delegate's name.")), Length(max=MAX_NAME)],
        filters=[strip],
    )
    email = EmailField(
        _l("Delegate's email"),
        validators=[
            DataRequired(message=_l("Give the delegate's email address.")),
            Email(message=_l("Enter a valid email address.")),
            Length(max=254),
        ],
        filters=[strip],
    )
    function = StringField(
        _l("Delegate's function"), validators=[Optional(), Length(max=200)], filters=[strip]
    )
    organization = StringField(
        _l("Delegate's organization (optional)"),
        validators=[Optional(), Length(max=300)],
        filters=[strip],
    )


class AccountForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=10, max=200)])
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
