"""Forms of the staff area. Every state-changing one carries the CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    PasswordField,
    SearchField,
    SelectField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ..numbers import WholeNumberField
from ..states import ORDER_STATUS_LABELS


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    submit = SubmitField("Sign in")


class ActionForm(FlaskForm):
    """A button-only POST (sign out, sync, cancel): nothing but the CSRF token."""


class OrderFilterForm(Form):
    """The orders list's filter, read from the query string (a GET changes nothing)."""

    status = SelectField(
        "Status",
        choices=[SelectChoice("", "All statuses")]
        + [SelectChoice(status.value, label) for status, label in ORDER_STATUS_LABELS.items()],
        validators=[Optional()],
    )
    q = SearchField("Number or email", validators=[Optional(), Length(max=100)])


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
    everything = BooleanField("Refund everything that is still refundable")
    reason = TextAreaField(
        "Reason",
        validators=[DataRequired(message="Say why the money goes back."), Length(max=1000)],
    )
    submit = SubmitField("Issue refund")
