"""The shop's forms. Every one is a FlaskForm, so every POST carries a CSRF token.

Cart forms name a product by its slug and a quantity; they have no price field, and
a price posted anyway is never read. Labels and messages are lazy translations: they are
written in the language of the request that shows them.
"""

from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectChoice,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from ..numbers import WholeNumberField, is_ascii_digits
from ..payments import MAX_MESSAGE
from .cart import MAX_QUANTITY, MIN_QUANTITY
from .validators import inn_is_valid, kpp_is_valid, normalize_phone

# The version of the privacy policy a buyer consents to at checkout, stored with the order
# (152-FZ): change it whenever the policy's text changes.
PRIVACY_POLICY_VERSION = "2026-11-30"

DELIVERY_METHODS = [
    SelectChoice("pickup", _l("Pickup from the shop (free)")),
    SelectChoice("courier", _l("Courier within Moscow (the delivery line is added to the order)")),
]
CUSTOMER_TYPES = [SelectChoice("private", _l("Individual")), SelectChoice("legal", _l("Company"))]
_SLUG = Regexp(r"^[a-z0-9-]{1,100}$", message=_l("Unknown product."))
_QUANTITY_RANGE = _l("Enter a quantity from %(least)s to %(most)s.", least=MIN_QUANTITY,
                     most=MAX_QUANTITY)
_QUANTITY = [
    InputRequired(message=_l("Enter a quantity.")),
    NumberRange(MIN_QUANTITY, MAX_QUANTITY, message=_QUANTITY_RANGE),
]


def _quantity_field(label: str, **kwargs) -> WholeNumberField:
    return WholeNumberField(label, validators=_QUANTITY, maximum=MAX_QUANTITY,
                            invalid_value_message=_QUANTITY_RANGE, **kwargs)


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _compact(value: str | None) -> str | None:
    """Drop the spaces people type inside numbers: "77 07 08 33 93" -> "7707083393"."""
    return "".join(value.split()).upper() if isinstance(value, str) else value


class AddToCartForm(FlaskForm):
    product = HiddenField(validators=[DataRequired(), _SLUG])
    quantity = _quantity_field(_l("Quantity"), default=1)
    next = HiddenField()


class QuantityForm(FlaskForm):
    product = HiddenField(validators=[DataRequired(), _SLUG])
    quantity = _quantity_field(_l("Quantity"))


class RemoveForm(FlaskForm):
    product = HiddenField(validators=[DataRequired(), _SLUG])


class PayForm(FlaskForm):
    """A button-only POST ("Pay", "Try again", "Pay again"): only the CSRF token."""


class CheckoutForm(FlaskForm):
    """The payer's details. Company buyers add INN, KPP and legal address.

    ``checkout_token`` is a one-time token issued with the form: the order saved from
    it keeps the token, so the same form submitted twice finds that order.
    """

    checkout_token = HiddenField(
        validators=[DataRequired(), Regexp(r"^[A-Za-z0-9_-]{32,64}$")]
    )
    customer_type = RadioField(
        _l("Buying as"), choices=CUSTOMER_TYPES, default="private",
        validators=[InputRequired(message=_l("Choose Individual or Company."))],
    )
    full_name = StringField(
        _l("Full name"), filters=[_strip],
        validators=[DataRequired(message=_l("Enter your full name, or the company's name.")),
                    Length(max=500)],
    )
    email = EmailField(
        _l("Email"), filters=[_strip],
        validators=[DataRequired(message=_l("Enter your email address.")),
                    Email(message=_l("Enter a valid email address, like name@example.ru.")),
                    Length(max=100)],
    )
    phone = TelField(
        _l("Phone"), filters=[_strip],
        validators=[DataRequired(message=_l("Enter your phone number.")), Length(max=30)],
    )
    inn = StringField(_l("INN"), filters=[_compact])
    kpp = StringField(_l("KPP"), filters=[_compact])
    address = TextAreaField(_l("Legal address"), filters=[_strip],
                            validators=[Length(max=1000)])
    # How goods reach the buyer: asked only when the cart holds goods (``needs_delivery``).
    delivery = RadioField(_l("Delivery"), choices=DELIVERY_METHODS, default="pickup",
                          validate_choice=False)
    delivery_address = TextAreaField(_l("Delivery address"), filters=[_strip],
                                     validators=[Length(max=1000)])
    # 152-FZ: no order without the buyer's consent to the processing of their data.
    consent = BooleanField(
        _l("I consent to the processing of my personal data"),
        validators=[DataRequired(message=_l("Without your consent to the processing of your "
                                            "personal data we cannot take the order."))],
    )

    # Set by the view from the cart before validating: goods need a delivery method.
    needs_delivery = False

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    @property
    def is_company(self) -> bool:
        return self.customer_type.data == "legal"

    @property
    def phone_digits(self) -> str:
        return normalize_phone(self.phone.data or "") or ""

    def validate_phone(self, field: TelField) -> None:
        if normalize_phone(field.data or "") is None:
            raise ValidationError(
                _l("Enter a phone number with its area code, like +7 900 111-22-33."))

    def validate_inn(self, field: StringField) -> None:
        if not self.is_company:
            return
        if not field.data:
            raise ValidationError(_l("Enter the company's INN."))
        if not is_ascii_digits(field.data) or len(field.data) not in (10, 12):
            raise ValidationError(
                _l("An INN has 10 digits (organisation) or 12 (sole trader)."))
        if not inn_is_valid(field.data):
            raise ValidationError(_l("This INN's check digits do not match; please check it."))

    def validate_kpp(self, field: StringField) -> None:
        if not self.is_company:
            return
        inn = self.inn.data or ""
        if len(inn) == 12 and field.data:
            raise ValidationError(_l("A sole trader has no KPP; leave it empty."))
        if len(inn) == 10:
            if not field.data:
                raise ValidationError(_l("Enter the organisation's KPP (9 characters)."))
            if not kpp_is_valid(field.data):
                raise ValidationError(_l("A KPP has 9 characters, like 773601001."))

    @property
    def by_courier(self) -> bool:
        return self.needs_delivery and self.delivery.data == "courier"

    def validate_delivery(self, field: RadioField) -> None:
        if not self.needs_delivery:
            return
        if field.data not in {choice.value for choice in DELIVERY_METHODS}:
            raise ValidationError(_l("Choose how the goods reach you: courier or pickup."))

    def validate_delivery_address(self, field: TextAreaField) -> None:
        if self.by_courier and not field.data:
            raise ValidationError(_l("Enter the address the courier brings the order to."))

    def validate_address(self, field: TextAreaField) -> None:
        if self.is_company and not field.data:
            raise ValidationError(_l("Enter the company's legal address."))


class RefundRequestLineForm(Form):
    """How many units of one order line the buyer asks to have refunded."""

    sku = HiddenField(validators=[DataRequired(), Length(max=100)])
    quantity = WholeNumberField(default=0, maximum=MAX_QUANTITY,
                                invalid_value_message=_l("Enter a whole number."),
                                validators=[Optional(), NumberRange(min=0, max=MAX_QUANTITY)])


class RefundRequestForm(FlaskForm):
    """The buyer's refund request: quantities per line, and why. It refunds nothing: staff
    read it and decide."""

    lines = FieldList(FormField(RefundRequestLineForm), max_entries=100)
    reason = TextAreaField(
        _l("Why do you want a refund?"), filters=[_strip],
        validators=[DataRequired(message=_l("Tell us why you want the refund.")),
                    Length(max=MAX_MESSAGE)],
    )
