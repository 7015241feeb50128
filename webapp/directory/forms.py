"""Forms of the directory pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import Form, SearchField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from models import MembershipCategory

from .. import reference
from ..forms import options, strip
from ..i18n import LANGUAGE_NAMES
from ..reference import REGIONS
from .services import GENDERS, MAX_LENGTH, Filters

MEMBERSHIP_LABELS = {
    MembershipCategory.MEMBER_STATE: _l("Member State"),
    MembershipCategory.SECTOR_MEMBER: _l("Sector Member"),
    MembershipCategory.ASSOCIATE: _l("Associate"),
    MembershipCategory.ACADEMIA: _l("Academia"),
    MembershipCategory.NON_MEMBER: _l("Not a member"),
}
GENDER_LABELS = {"f": _l("Female"), "m": _l("Male"), "x": _l("Other or not stated")}


def _text(label, name: str, required: bool = False) -> StringField:
    """A trimmed text field as long as its column allows."""
    first = DataRequired() if required else Optional()
    return StringField(label, validators=[first, Length(max=MAX_LENGTH[name])], filters=[strip])


def _country_options():
    return options(reference.country_choices(), blank=_l("No country"))


def _group_options(blank):
    return options(reference.choices("constituent_group"), blank=blank)


class PersonForm(FlaskForm):
    honorific = _text(_l("Honorific"), "honorific")
    first_name = _text(_l("First name"), "first_name")
    last_name = _text(_l("Last name"), "last_name", required=True)
    function = _text(_l("Function"), "function")
    email = StringField(
        _l("Email"),
        validators=[
            Optional(),
            Length(max=MAX_LENGTH["email"]),
            Email(message=_l("Enter a valid email address.")),
        ],
        filters=[strip],
    )
    organization = _text(_l("Organization"), "organization")
    country_iso2 = SelectField(_l("Country"))
    languages = SelectMultipleField(
        _l("Working languages"), choices=options(LANGUAGE_NAMES.items())
    )
    gender = SelectField(
        _l("Gender"),
        choices=options(((g, GENDER_LABELS[g]) for g in GENDERS), blank=_l("Not given")),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country_iso2.choices = _country_options()


class OrganizationForm(FlaskForm):
    name = _text(_l("Name"), "name", required=True)
    constituent_group = SelectField(_l("Constituent group"))
    country_iso2 = SelectField(_l("Country"))
    membership = SelectField(
        _l("Membership"),
        choices=options((m.value, label) for m, label in MEMBERSHIP_LABELS.items()),
        default=MembershipCategory.NON_MEMBER.value,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.constituent_group.choices = _group_options(_l("No group"))
        self.country_iso2.choices = _country_options()


class ImportForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        validators=[
            FileRequired(message=_l("Choose a file to import.")),
            FileAllowed(["csv"], message=_l("Choose a .csv file.")),
        ],
    )


class DeleteForm(FlaskForm):
    """Only the CSRF token: deleting takes a POST from our own page."""


class FilterForm(Form):
    """The list pages' search box and filters, read from the query string."""

    q = SearchField(_l("Search"), validators=[Optional(), Length(max=200)], filters=[strip])
    group = SelectField(_l("Constituent group"))
    region = SelectField(_l("Region"))
    country = SelectField(_l("Country"))

    def __init__(self, formdata=None, **kwargs):
        super().__init__(formdata, **kwargs)
        self.group.choices = _group_options(_l("All groups"))
        self.region.choices = options(REGIONS.items(), blank=_l("All regions"))
        self.country.choices = options(reference.country_choices(), blank=_l("All countries"))

    def _valid(self, select: SelectField) -> str | None:
        # A stale or hand-edited link filters on nothing rather than failing.
        allowed = {c.value for c in select.choices}
        return select.data if select.data and select.data in allowed else None

    def filters(self) -> Filters:
        """The Filters the services understand."""
        return Filters(
            q=(self.q.data or "")[:200],
            constituent_group=self._valid(self.group),
            region=self._valid(self.region),
            country=self._valid(self.country),
        )
