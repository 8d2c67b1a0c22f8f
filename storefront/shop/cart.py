"""The buyer's cart: product slugs and quantities in the session, nothing else.

Prices are never stored in the cart or taken from a form: every time the cart is shown
or checked out, the lines are priced from the catalog, and the totals come from the
Invoicebox basket arithmetic, so the buyer sees exactly the amount and VAT Invoicebox
will validate. The cart page shows the catalog as the process last read it (at most
``STOREFRONT_CATALOG_CACHE_SECONDS`` ago, like the catalog and product pages); checkout
reads the database, and that is what the order is priced from.

Stock is read afresh every time the cart is loaded: a line wanting more than there is says
so, and checkout refuses until the buyer changes it. Nothing is held for the buyer: stock
is taken only when the payment arrives (``storefront/payments/stock.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from flask import session
from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from ..extensions import db
from ..invoicebox import decimal_to_kopecks, vat_rate
from ..models import Product
from ..payments import LineDraft, basket_for

SESSION_KEY = "cart"
# The public links of the last few orders placed from this browser (see checkout).
RECENT_ORDERS_KEY = "recent_orders"
MIN_QUANTITY = 1
MAX_QUANTITY = 99
GOODS = "commodity"  # the item type that is shipped (and whose stock is counted)


class CartError(ValueError):
    """A cart change that cannot be made; the message is fit for the buyer."""


@dataclass(frozen=True)
class CartLine:
    product: Product
    quantity: int
    total: int  # kopecks, VAT included
    vat: int  # kopecks
    available: int | None = None  # units in stock as read with the cart; None: not counted

    @property
    def short(self) -> bool:
        """More is wanted than there is in stock."""
        return self.available is not None and self.quantity > self.available

    def draft(self) -> LineDraft:
        p = self.product
        return LineDraft(
            product_id=p.id, sku=p.sku, name=p.name, unit_price=p.price,
            quantity=self.quantity, vat_code=p.vat_code, item_type=p.item_type,
            measure=p.measure, measure_code=p.measure_code,
        )


@dataclass(frozen=True)
class VatShare:
    label: str  # "VAT 22 %" or "Not subject to VAT", in the active language
    amount: int  # kopecks


@dataclass(frozen=True)
class Cart:
    lines: list[CartLine]
    amount: int  # kopecks, VAT included
    vat_amount: int  # kopecks
    vat_shares: list[VatShare]

    @property
    def is_empty(self) -> bool:
        return not self.lines

    @property
    def drafts(self) -> list[LineDraft]:
        return [line.draft() for line in self.lines]

    @property
    def short_lines(self) -> list[CartLine]:
        return [line for line in self.lines if line.short]

    @property
    def has_goods(self) -> bool:
        return any(line.product.item_type == GOODS for line in self.lines)


def quantities() -> dict[str, int]:
    """The cart as ``{slug: quantity}`` in the order items were added; junk is ignored.

    It is stored as a list of ``[slug, quantity]`` pairs because the session serialiser
    sorts dict keys, which would reorder the cart.
    """
    raw = session.get(SESSION_KEY)
    if not isinstance(raw, list):
        return {}
    items: dict[str, int] = {}
    for pair in raw:
        if not isinstance(pair, list) or len(pair) != 2:
            continue
        slug, qty = pair
        if isinstance(slug, str) and type(qty) is int and MIN_QUANTITY <= qty <= MAX_QUANTITY:
            items[slug] = qty
    return items


def item_count() -> int:
    return sum(quantities().values())


def add(product: Product, quantity: int) -> int:
    """Add ``quantity`` of ``product`` (as just read from the database); returns the new
    quantity. Raises CartError, also when there is not that much in stock."""
    items = quantities()
    new_quantity = items.get(product.slug, 0) + quantity
    _check(new_quantity)
    _check_stock(product.stock, new_quantity)
    items[product.slug] = new_quantity
    _save(items)
    return new_quantity


def set_quantity(slug: str, quantity: int) -> None:
    """Set the quantity of a product already in the cart. Raises CartError."""
    items = quantities()
    if slug not in items:
        raise CartError(_("That product is not in your cart."))
    _check(quantity)
    _check_stock(_stock_of([slug]).get(slug), quantity)
    items[slug] = quantity
    _save(items)


def remove(slug: str) -> bool:
    items = quantities()
    removed = items.pop(slug, None) is not None
    _save(items)
    return removed


def clear() -> None:
    session.pop(SESSION_KEY, None)


def load(catalog: Mapping[str, Product] | None = None,
         stock: Mapping[str, int | None] | None = None) -> Cart:
    """Price the cart from the catalog. Products no longer on sale drop out of it.

    ``catalog`` is the products on sale by slug, when the caller has them (the cart page
    shows the process's catalog snapshot); without it they are read from the database,
    as checkout does, so the order is priced from what the database says now.

    ``stock`` is the stock of the cart's products by slug, read with the catalog's
    version for this request (the cart page, ``catalog_page.on_sale_with_stock``);
    without it, it is read here through the session, as checkout does. Either way it is
    what the database says now.
    """
    items = quantities()
    if catalog is None:
        catalog = {
            p.slug: p
            for p in db.session.execute(
                db.select(Product).where(Product.slug.in_(list(items)), Product.active.is_(True))
            ).scalars()
        }
    products = {slug: catalog[slug] for slug in items if slug in catalog}
    if set(items) - set(products):
        _save({slug: qty for slug, qty in items.items() if slug in products})
    chosen = [(products[slug], qty) for slug, qty in items.items() if slug in products]
    if not chosen:
        return Cart([], 0, 0, [])
    basket = basket_for(CartLine(p, q, 0, 0).draft() for p, q in chosen)
    if stock is None:
        stock = _stock_of(list(products))
    lines = [
        CartLine(product, qty, decimal_to_kopecks(item.total_amount),
                 decimal_to_kopecks(item.total_vat_amount), stock.get(product.slug))
        for (product, qty), item in zip(chosen, basket, strict=True)
    ]
    return Cart(
        lines=lines,
        amount=decimal_to_kopecks(basket.amount),
        vat_amount=decimal_to_kopecks(basket.vat_amount),
        vat_shares=_vat_shares(lines),
    )


def _vat_shares(lines: list[CartLine]) -> list[VatShare]:
    by_rate: dict[int, int] = defaultdict(int)
    for line in lines:
        by_rate[int(vat_rate(line.product.vat_code))] += line.vat
    shares = [VatShare(_("VAT %(rate)s %%", rate=rate).replace(" %", "\u00a0%"), amount)
              for rate, amount in sorted(by_rate.items()) if rate]
    if 0 in by_rate:
        shares.append(VatShare(_("Not subject to VAT"), 0))
    return shares


def _check(quantity: int) -> None:
    if not MIN_QUANTITY <= quantity <= MAX_QUANTITY:
        raise CartError(_("You can order between %(least)s and %(most)s of each item.",
                          least=MIN_QUANTITY, most=MAX_QUANTITY))


def _check_stock(stock: int | None, quantity: int) -> None:
    if stock is None or quantity <= stock:
        return
    if stock == 0:
        raise CartError(_("Sorry, this is out of stock."))
    raise CartError(_("Sorry, only %(count)s left in stock.", count=stock))


# Built once, with the slugs bound on each call: built anew for every read, the statement
# and the lookup of its compiled form cost more CPU than executing it (136 µs a read
# against 54 µs, timed alone on PostgreSQL).
_STOCK = select(Product.slug, Product.stock).where(
    Product.slug.in_(bindparam("slugs", expanding=True)))


def _stock_of(slugs: list[str]) -> dict[str, int | None]:
    """The stock of these products as the database says now (one small query)."""
    if not slugs:
        return {}
    return dict(db.session.execute(_STOCK, {"slugs": slugs}).all())


def _save(items: dict[str, int]) -> None:
    session[SESSION_KEY] = [[slug, qty] for slug, qty in items.items()]
    session.modified = True
