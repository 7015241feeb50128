"""Forms of the account pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from ..forms import options, strip
from ..i18n import LANGUAGE_NAMES

EMAIL = [DataRequired(), Email(message=_l("Enter a valid email address.")), Length(max=254)]
NEW_PASSWORD = [DataRequired(), Length(min=10, max=200)]


class SignupForm(FlaskForm):
    name = StringField(
        _l("Full name"), validators=[DataRequired(), Length(max=200)], filters=[strip]
    )
    email = EmailField(_l("Email"), validators=EMAIL, filters=[strip])
    password = PasswordField(_l("Password"), validators=NEW_PASSWORD)
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    locale = SelectField(_l("Preferred language"), choices=options(LANGUAGE_NAMES.items()))


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=EMAIL, filters=[strip])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Remember me on this device"))


class EmailOnlyForm(FlaskForm):
    email = EmailField(_l("Email"), validators=EMAIL, filters=[strip])


class ResetForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=NEW_PASSWORD)
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class ChangePasswordForm(ResetForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])


class ChangeEmailForm(FlaskForm):
    new_email = EmailField(_l("New email"), validators=EMAIL, filters=[strip])
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])


class PreferencesForm(FlaskForm):
    name = StringField(
        _l("Full name"), validators=[DataRequired(), Length(max=200)], filters=[strip]
    )
    locale = SelectField(_l("Preferred language"), choices=options(LANGUAGE_NAMES.items()))
