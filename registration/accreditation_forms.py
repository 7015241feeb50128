"""Forms of the accreditation pages: the queue's filters and "register a delegate"."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.validators import Email, InputRequired, Length, Optional

from models import AttendanceMode, RegistrationCategory
from webapp import reference
from webapp.forms import options, strip

from . import core

#: The categories a focal point registers delegates in.
DELEGATE_CATEGORIES = (RegistrationCategory.MEMBER_STATE, RegistrationCategory.SECTOR_MEMBER)


class DelegateForm(FlaskForm):
    """A focal point registers a delegate of their member (approved at once)."""

    member = SelectField(_l("Member represented"), validators=[InputRequired()])
    first_name = StringField(
        _l("First name"), validators=[Optional(), Length(max=120)], filters=[strip]
    )
    last_name = StringField(
        _l("Last name"), validators=[InputRequired(), Length(max=120)], filters=[strip]
    )
    email = EmailField(
        _l("Email"),
        validators=[InputRequired(), Length(max=254), Email(check_deliverability=False)],
        filters=[strip],
    )
    function = StringField(
        _l("Function"), validators=[Optional(), Length(max=200)], filters=[strip]
    )
    category = SelectField(_l("Category"), validators=[InputRequired()])
    mode = SelectField(_l("Attendance mode"), validators=[InputRequired()])
    country_iso2 = SelectField(_l("Country"), validators=[Optional()])
    delegation = StringField(
        _l("Delegation"), validators=[Optional(), Length(max=200)], filters=[strip]
    )
    head_of_delegation = BooleanField(_l("Head of delegation"))

    def __init__(self, *args, members: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.member.choices = options(
            ((str(i), name) for i, name in members),
            blank=_l("Choose the member") if len(members) != 1 else None,
        )
        if len(members) == 1 and not self.member.data:
            self.member.data = str(members[0][0])
        self.category.choices = options(
            (c.value, core.CATEGORY_LABELS[c]) for c in DELEGATE_CATEGORIES
        )
        self.mode.choices = options((m.value, core.MODE_LABELS[m]) for m in AttendanceMode)
        self.country_iso2.choices = options(reference.country_choices(), blank=_l("Not given"))

    def values(self) -> dict:
        return {
            "first_name": self.first_name.data or "",
            "last_name": self.last_name.data or "",
            "email": (self.email.data or "").lower(),
            "function": self.function.data or "",
            "category": RegistrationCategory(self.category.data),
            "mode": AttendanceMode(self.mode.data),
            "country_iso2": self.country_iso2.data or None,
            "delegation": self.delegation.data or "",
            "head_of_delegation": bool(self.head_of_delegation.data),
        }
