"""Forms of the participant's pages: the registration form (new and edit), the
cancellation's confirmation and the account deletion's password."""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from models import Registration
from webapp import reference
from webapp.forms import options, strip

from .core import CATEGORY_LABELS, MODE_LABELS
from .registering import TEXT_LIMITS


def _text(label, name: str, required: bool = False):
    checks = [DataRequired()] if required else [Optional()]
    return StringField(label, validators=[*checks, Length(max=TEXT_LIMITS[name])], filters=[strip])


class RegistrationForm(FlaskForm):
    """Field names are the service's, so its messages land beside the fields. The service
    checks every rule again (the form only catches types and lengths)."""

    category = SelectField(_l("Category"), validators=[InputRequired()])
    mode = SelectField(_l("How you attend"), validators=[InputRequired()])
    first_name = _text(_l("First name"), "first_name")
    last_name = _text(_l("Family name"), "last_name", required=True)
    organization_name = _text(_l("Organization"), "organization_name")
    country_iso2 = SelectField(_l("Country"), validators=[InputRequired()])
    function = _text(_l("Function"), "function")
    delegation = _text(_l("Delegation"), "delegation")
    head_of_delegation = BooleanField(_l("I am the head of my delegation"))
    visa_support = BooleanField(_l("I need a letter in support of my visa application"))
    passport_number = _text(_l("Passport number"), "passport_number")
    nationality_iso2 = SelectField(_l("Nationality"), validators=[Optional()])
    date_of_birth = DateField(_l("Date of birth"), validators=[Optional()])
    accessibility_needs = TextAreaField(
        _l("Accessibility needs"),
        validators=[Optional(), Length(max=TEXT_LIMITS["accessibility_needs"])],
        filters=[strip],
    )
    dietary_needs = _text(_l("Dietary needs"), "dietary_needs")
    listed_publicly = BooleanField(_l("List my name, organization and country publicly"))

    def __init__(self, *args, organization_fixed: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if organization_fixed:
            # The directory's organization is shown, not typed.
            del self["organization_name"]
        self.category.choices = options(
            ((c.value, label) for c, label in CATEGORY_LABELS.items()), blank=_l("Choose…")
        )
        self.mode.choices = options((m.value, label) for m, label in MODE_LABELS.items())
        countries = reference.country_choices()
        self.country_iso2.choices = options(countries, blank=_l("Choose…"))
        self.nationality_iso2.choices = options(countries, blank=_l("Choose…"))

    def load(self, registration: Registration) -> None:
        """Fill the fields from a stored registration (the edit page)."""
        for name, field in self._fields.items():
            if name == "csrf_token":
                continue
            value = getattr(registration, name)
            if name == "date_of_birth":
                value = date.fromisoformat(value) if value else None
            elif isinstance(value, enum.Enum):
                value = value.value
            field.data = value

    def values(self) -> dict[str, Any]:
        """The plain values the services take."""
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class ConfirmForm(FlaskForm):
    """A POST that needs an explicit yes (cancelling)."""

    confirm = BooleanField(
        _l("Yes, cancel my registration"),
        validators=[DataRequired(_l("Tick the box to confirm."))],
    )


class DeleteAccountForm(FlaskForm):
    """Deleting the account asks for the password again."""

    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=1024)])
    confirm = BooleanField(
        _l("I understand that this cannot be undone"),
        validators=[DataRequired(_l("Tick the box to confirm."))],
    )
