from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class Product(db.Model):
    """A good or a service on sale. Prices are integer kopecks, VAT included."""

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
