from __future__ import annotations

from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class Product(db.Model):
    """A good or a service on sale. Prices are integer kopecks, VAT included.

    ``stock`` is how many units of a good are left to sell; None means not counted
    (services and gift certificates, or a good whose stock the shop does not track).
    It is taken when a payment is applied (:mod:`storefront.payments.stock`) and never
    goes below zero: the database refuses it.
    """

    __table_args__ = (CheckConstraint("stock >= 0", name="stock_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    sku: Mapped[str] = mapped_column(String(100), unique=True)
    # Russian, printed on the fiscal receipt (54-FZ): it must say what was sold. Russian
    # pages show it too; English pages show ``name_en`` (the receipt stays Russian).
    name: Mapped[str] = mapped_column(String(500))
    name_en: Mapped[str] = mapped_column(String(500), default="", server_default="")
    description: Mapped[str] = mapped_column(Text, default="")  # Russian
    description_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    price: Mapped[int]  # kopecks, VAT included
    vat_code: Mapped[str] = mapped_column(String(20))
    measure: Mapped[str] = mapped_column(String(10), default="шт")
    measure_code: Mapped[str] = mapped_column(String(4), default="796")  # OKEI
    item_type: Mapped[str] = mapped_column(String(10), default="commodity")
    image: Mapped[str] = mapped_column(String(200), default="")  # path under static/
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)  # catalog order
    stock: Mapped[int | None]  # units left; None: not counted

    @property
    def tracks_stock(self) -> bool:
        return self.stock is not None

    @property
    def in_stock(self) -> bool:
        return self.stock is None or self.stock > 0


class CatalogVersion(db.Model):
    """One row whose ``version`` goes up, in the same transaction, whenever something the
    catalog shows changes (a price, a name, active or not, in or out of stock).

    Every worker keeps the rendered catalog under the version it read before rendering
    (:mod:`storefront.shop.catalog_page`), so a change committed on any instance is seen
    by the next request on every instance. See :mod:`storefront.catalog_version`.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=0)
