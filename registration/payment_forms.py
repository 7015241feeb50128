"""Forms of payments: paid items, buying, refunds, offline payments, the orders filter.
Amounts and numbers stay text fields so whatever was typed comes back on an error; the
services in registration/payments.py parse them and name the field that is wrong."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from models import OrderStatus, PaymentMethod
from webapp.forms import options, strip

from . import payments
from .core import CATEGORY_LABELS, METHOD_LABELS, MODE_LABELS, ORDER_STATUS_LABELS


class CheckboxesField(SelectMultipleField):
    """A list of checkboxes (an empty choice means "everyone")."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        # Unknown values are reported by the service next to the field.
        pass


class ItemForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(message=_l("Give the item a name.")),
            Length(max=payments.MAX_NAME),
        ],
        filters=[strip],
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=payments.MAX_DESCRIPTION)],
        filters=[strip],
    )
    price = StringField(
        _l("Price"),
        validators=[DataRequired(message=_l("Give a price, for example 150.00.")), Length(max=20)],
        filters=[strip],
    )
    currency = SelectField(_l("Currency"), choices=[], default="CHF")
    quantity_limit = StringField(
        _l("Quantity for sale (blank: no limit)"),
        validators=[Optional(), Length(max=12)],
        filters=[strip],
    )
    max_per_order = StringField(
        _l("Maximum per order"),
        validators=[DataRequired(message=_l("Give a whole number.")), Length(max=12)],
        filters=[strip],
        default="1",
    )
    modes = CheckboxesField(_l("Attendance modes that may buy (none ticked: all)"), choices=[])
    categories = CheckboxesField(_l("Categories that may buy (none ticked: all)"), choices=[])
    active = BooleanField(_l("On sale"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency.choices = [(c, c) for c in payments.CURRENCIES]
        self.modes.choices = [(m.value, str(label)) for m, label in MODE_LABELS.items()]
        self.categories.choices = [(c.value, str(label)) for c, label in CATEGORY_LABELS.items()]


class BuyForm(FlaskForm):
    item = HiddenField(validators=[DataRequired(), Length(max=12)])
    quantity = StringField(
        _l("Quantity"),
        validators=[DataRequired(message=_l("Give a whole number.")), Length(max=12)],
        filters=[strip],
        default="1",
    )


class RefundForm(FlaskForm):
    amount = StringField(
        _l("Amount to refund"),
        validators=[DataRequired(message=_l("Give an amount, for example 25.00.")), Length(max=20)],
        filters=[strip],
    )
    reason = StringField(
        _l("Reason (the buyer reads it)"),
        validators=[Optional(), Length(max=payments.MAX_REASON)],
        filters=[strip],
    )
    #: The refunded total the organizer saw: a double submit refunds once.
    expected_refunded = HiddenField(validators=[Optional(), Length(max=12)])


class OfflinePaymentForm(FlaskForm):
    method = SelectField(_l("Paid by"), choices=[])
    reference = StringField(
        _l("Bank reference or cash receipt number"),
        validators=[
            DataRequired(message=_l("Give the bank reference or the cash receipt number.")),
            Length(max=payments.MAX_REFERENCE),
        ],
        filters=[strip],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.method.choices = [(m.value, str(METHOD_LABELS[m])) for m in payments.OFFLINE_METHODS]


class CancelForm(FlaskForm):
    """Just the CSRF token."""


class OrderFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=[], validators=[Optional()])
    item = SelectField(_l("Item"), choices=[], validators=[Optional()])
    method = SelectField(_l("Payment method"), choices=[], validators=[Optional()])

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        statuses = [(s.value, str(ORDER_STATUS_LABELS[s])) for s in OrderStatus]
        statuses.append(("attention", str(_l("Needs attention"))))
        self.status.choices = options(statuses, blank=str(_l("All statuses")))
        self.item.choices = options(
            ((str(i.id), i.name) for i in items), blank=str(_l("All items"))
        )
        self.method.choices = options(
            ((m.value, str(METHOD_LABELS[m])) for m in PaymentMethod),
            blank=str(_l("All methods")),
        )
