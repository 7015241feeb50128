"""Forms of the co-chair pages: the organizer's appointment form and the appointee's
answer (the appointee may have no account: CSRF comes from the session)."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, TextAreaField
from wtforms.validators import EqualTo, InputRequired, Length, Optional

from webapp.forms import options, strip

from .cochairs import MAX_EMAIL, MAX_REASON
from .core import SEAT_LABELS


class AppointForm(FlaskForm):
    """Who (a directory person, by email or picked from the search), where and which
    seat. Choices of `focus_area` are set by the view."""

    person_id = HiddenField()
    email = EmailField(
        _l("Email of the directory person"),
        validators=[Optional(), Length(max=MAX_EMAIL)],
        filters=[strip],
    )
    focus_area = SelectField(
        _l("Focus area"),
        validators=[InputRequired(message=_l("Choose a focus area."))],
        validate_choice=False,
    )
    seat = SelectField(
        _l("Seat"),
        validators=[InputRequired(message=_l("Choose a seat category."))],
        validate_choice=False,
    )

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        locale = str(get_locale() or "en")
        self.focus_area.choices = options(
            [(str(a.id), f"{a.label} — {a.text('name', locale)}") for a in areas],
            blank=str(_l("Choose…")),
        )
        self.seat.choices = options(
            [(s.value, str(label)) for s, label in SEAT_LABELS.items()], blank=str(_l("Choose…"))
        )


class ActionForm(FlaskForm):
    """Withdraw and resend need no fields: the button and the CSRF token."""


class AcceptForm(FlaskForm):
    """Accepting; the password fields are shown only to someone without an account."""

    password = PasswordField(_l("Password"), validators=[Optional(), Length(max=200)])
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[EqualTo("password", message=_l("The passwords differ."))],
    )


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason (optional)"),
        validators=[Optional(), Length(max=MAX_REASON)],
        filters=[strip],
    )
