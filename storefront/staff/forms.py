"""Forms of the staff area. Every state-changing one carries the CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    PasswordField,
    SearchField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from ..numbers import MoneyField, WholeNumberField
from ..states import ORDER_STATUS_LABELS


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(message=_l("Enter your email.")),
                                                Length(max=254)])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(message=_l("Enter your password.")), Length(max=200)])
    submit = SubmitField(_l("Sign in"))


class ActionForm(FlaskForm):
    """A button-only POST (sign out, sync, cancel): nothing but the CSRF token."""


class OrderFilterForm(Form):
    """The orders list's filter, read from the query string (a GET changes nothing)."""

    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("", _l("All statuses"))]
        # The labels are states.py's English words, translated where they are shown.
        + [SelectChoice(status.value, label) for status, label in ORDER_STATUS_LABELS.items()],
        validators=[Optional()],
    )
    q = SearchField(_l("Number or email"), validators=[Optional(), Length(max=100)])
    overdue = BooleanField(_l("Only holds not shipped in time"))


class RefundLineForm(Form):
    """One position of the refund screen; the service checks it against fresh amounts."""

    sku = HiddenField(validators=[DataRequired(), Length(max=100)])
    # Optional: "refund everything" disables the inputs, and disabled inputs are not sent.
    quantity = WholeNumberField(default=0, validators=[Optional(), NumberRange(min=0)])
    # Refund the part of the line that is less than one unit (see the refund screen).
    remainder = BooleanField(default=False)


class RefundForm(FlaskForm):
    # One-time token: the same form sent twice makes one refund (Refund.form_token).
    form_token = HiddenField(validators=[DataRequired(), Regexp(r"^[A-Za-z0-9_-]{16,64}$")])
    lines = FieldList(FormField(RefundLineForm), max_entries=200)
    everything = BooleanField(_l("Refund everything that is still refundable"))
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(message=_l("Say why the money goes back.")), Length(max=1000)],
    )
    submit = SubmitField(_l("Issue refund"))
    # Set by the confirmation page's button: only then is the refund issued.
    confirm = HiddenField(default="")
    # The buyer's refund request this refund answers, when it was opened from one.
    refund_request = HiddenField(validators=[Optional(), Regexp(r"^[0-9]{1,9}$")])
    # Keep a fee: part of the refund the buyer does not get back (a correction order).
    fee_amount = MoneyField(
        _l("Fee to keep, ₽"), validators=[Optional()],
        invalid_value_message=_l("Enter the fee in roubles, such as 150 or 150.50."))
    fee_reason = StringField(_l("Why the fee is kept"), validators=[Optional(), Length(max=200)])

    def validate_fee_amount(self, field: MoneyField) -> None:
        if field.errors:  # not an amount at all: that is the one thing to say
            return
        if field.data == 0:
            raise ValidationError(_l("A fee must be more than zero."))

    def validate_fee_reason(self, field: StringField) -> None:
        given = bool((field.data or "").strip())
        if self.fee_amount.data and not given:
            raise ValidationError(_l("Say why the fee is kept."))
        if given and self.fee_amount.data is None and not self.fee_amount.errors:
            raise ValidationError(_l("Enter the fee, or leave its reason empty."))


class DeclineRequestForm(FlaskForm):
    """Declining a buyer's refund request: the message is shown to the buyer."""

    message = TextAreaField(
        _l("Message to the buyer"),
        validators=[DataRequired(message=_l("Tell the buyer why the request is declined.")),
                    Length(max=1000)],
    )
    submit = SubmitField(_l("Decline the request"))


class CancelForm(FlaskForm):
    """The cancel confirmation: a reason, kept in the order's history."""

    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(message=_l("Say why the order is canceled.")),
                    Length(max=1000)],
    )
    submit = SubmitField(_l("Cancel order"))


MAX_STOCK = 1_000_000


class StockForm(FlaskForm):
    """A good's stock as staff counted it; empty means the shop does not count it."""

    stock = WholeNumberField(
        _l("Stock"), maximum=MAX_STOCK,
        invalid_value_message=_l("Enter a whole number of units from 0 to %(most)s, or leave "
                                 "it empty.", most=MAX_STOCK),
        validators=[Optional(), NumberRange(0, MAX_STOCK)],
    )


class ActiveForm(FlaskForm):
    """Put a product on sale ("1") or take it off ("0")."""

    active = HiddenField(validators=[DataRequired(), Regexp(r"^[01]$")])


class ShipLineForm(Form):
    """One line of the Ship screen; the service checks it against what is left, under lock."""

    sku = HiddenField(validators=[DataRequired(), Length(max=100)])
    quantity = WholeNumberField(default=0, validators=[Optional(), NumberRange(min=0)])


class ShipForm(FlaskForm):
    # One-time token: the same form sent twice makes one shipment (Shipment.form_token).
    form_token = HiddenField(validators=[DataRequired(), Regexp(r"^[A-Za-z0-9_-]{16,64}$")])
    lines = FieldList(FormField(ShipLineForm), max_entries=200)
    document_number = StringField(
        _l("Document number"),
        validators=[DataRequired(message=_l("Give the shipping document's number.")),
                    Length(max=36)],
    )
    document_date = DateField(
        _l("Document date"),
        validators=[DataRequired(message=_l("Give the shipping document's date."))],
    )
    submit = SubmitField(_l("Ship"))
