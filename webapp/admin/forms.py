"""Forms of the administration pages: granting roles, and the outbox and audit filters."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from models import Organization

from ..forms import options, strip
from .services import OUTBOX_STATE_LABELS, ROLE_LABELS, labelled


class GrantForm(FlaskForm):
    """Give a role to an existing account; the scope fields apply to one role each."""

    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(message=_l("Enter the email address of the person.")),
            Length(max=254),
            Email(message=_l("Enter a valid email address.")),
        ],
        filters=[strip],
    )
    role = SelectField(_l("Role"), validators=[DataRequired()])
    focus_area = SelectField(_l("Focus area (co-chairs)"), validators=[Optional()])
    organization = SelectField(_l("Member organization (focal points)"), validators=[Optional()])

    def __init__(self, areas: dict[str, str], organizations: list[Organization], **kwargs):
        super().__init__(**kwargs)
        self.role.choices = options(labelled(ROLE_LABELS.items()))
        self.focus_area.choices = options(areas.items(), blank=str(_l("— none —")))
        self.organization.choices = options(
            ((str(o.id), o.name) for o in organizations), blank=str(_l("— none —"))
        )

    @property
    def organization_id(self) -> int | None:
        return int(self.organization.data) if self.organization.data else None


class _FilterForm(FlaskForm):
    """Filters travel in the query string: no CSRF token, nothing changes."""

    class Meta:
        csrf = False


class OutboxFilterForm(_FilterForm):
    state = SelectField(_l("State"), validators=[Optional()])
    template = StringField(_l("Template"), validators=[Length(max=120)], filters=[strip])
    q = StringField(_l("Recipient or subject"), validators=[Length(max=200)], filters=[strip])

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.state.choices = options(labelled(OUTBOX_STATE_LABELS.items()), blank=str(_l("Any")))


def _check_year(field) -> None:
    """Dates far outside any event's life overflow date arithmetic; refuse them."""
    if field.data and not 2000 <= field.data.year <= 2100:
        raise ValidationError(
            _l("Enter a date between %(start)d and %(end)d.", start=2000, end=2100)
        )


class AuditFilterForm(_FilterForm):
    action = StringField(_l("Action starts with"), validators=[Length(max=80)], filters=[strip])
    actor = StringField(_l("Who (email)"), validators=[Length(max=254)], filters=[strip])
    object_type = StringField(_l("Object type"), validators=[Length(max=40)], filters=[strip])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

    def validate_date_from(self, field):
        _check_year(field)

    def validate_date_to(self, field):
        _check_year(field)
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))
