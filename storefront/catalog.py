"""What the shop sells: a small Moscow coffee roastery with tea and tableware.

Each entry is everything a 54-FZ fiscal receipt needs to describe the sale: a concrete
Russian name, the unit and its OKEI code, the VAT code and whether it is a good or a
service. Prices are integer kopecks, VAT included.

VAT codes follow Russian law from 2026: 22 % is the general rate (coffee, tea,
tableware, delivery); printed books and sugar are on the reduced 10 % list; licensed
education and gift certificates (an advance, taxed when redeemed) carry no VAT.
"""

from __future__ import annotations

from dataclasses import dataclass

from .extensions import db
from .models import Product


@dataclass(frozen=True)
class CatalogEntry:
    slug: str
    sku: str
    name: str  # printed on the receipt
    subtitle: str  # English line under the name on the shop's pages
    description: str
    price: int  # kopecks, VAT included
    vat_code: str
    measure: str
    measure_code: str  # OKEI
    item_type: str  # "commodity" | "service"

    @property
    def image(self) -> str:
        return f"img/products/{self.slug}.svg"


CATALOG: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        slug="ethiopia-yirgacheffe-250",
        sku="CB-ETH-250",
        name="Кофе в зёрнах «Эфиопия Иргачеффе», свежая обжарка, 250 г",
        subtitle="Ethiopia Yirgacheffe coffee beans, 250 g",
        description="Floral and bright, with notes of jasmine, bergamot and apricot. "
        "Light roast for filter and pour-over; roasted within the week you order.",
        price=89000,
        vat_code="RUS_VAT22",
        measure="шт",
        measure_code="796",
        item_type="commodity",
    ),
    CatalogEntry(
        slug="colombia-drip-bags-10",
        sku="DB-COL-10",
        name="Дрип-пакеты «Колумбия Уила», упаковка 10 шт. по 12 г",
        subtitle="Colombia Huila drip bags, pack of 10",
        description="Pour-over coffee for the office or the road: hang the bag on a cup, "
        "add 180 ml of water just off the boil, wait three minutes.",
        price=65000,
        vat_code="RUS_VAT22",
        measure="упак",
        measure_code="778",
        item_type="commodity",
    ),
    CatalogEntry(
        slug="tieguanyin-oolong-100",
        sku="TEA-TGY-100",
        name="Чай улун «Те Гуань Инь», листовой, 100 г",
        subtitle="Tieguanyin oolong tea, loose leaf, 100 g",
        description="A lightly oxidised Fujian oolong with a creamy, orchid-like taste. "
        "Holds up to six infusions in a gaiwan.",
        price=129000,
        vat_code="RUS_VAT22",
        measure="шт",
        measure_code="796",
        item_type="commodity",
    ),
    CatalogEntry(
        slug="demerara-sugar-500",
        sku="SUG-DEM-500",
        name="Сахар тростниковый нерафинированный «Демерара», 500 г",
        subtitle="Demerara cane sugar, 500 g",
        description="Golden crystals with a gentle caramel taste, good with espresso "
        "drinks and in baking.",
        price=24900,
        vat_code="RUS_VAT10",
        measure="шт",
        measure_code="796",
        item_type="commodity",
    ),
    CatalogEntry(
        slug="french-press-350",
        sku="FP-GLS-350",
        name="Френч-пресс из боросиликатного стекла, 350 мл",
        subtitle="Glass French press, 350 ml",
        description="Heat-resistant glass jug, stainless steel plunger with a fine "
        "double mesh. Makes two cups.",
        price=249000,
        vat_code="RUS_VAT22",
        measure="шт",
        measure_code="796",
        item_type="commodity",
    ),
    CatalogEntry(
        slug="ceramic-mug-300",
        sku="MUG-CER-300",
        name="Кружка керамическая ручной работы, глазурь «Северное море», 300 мл",
        subtitle="Handmade ceramic mug, North Sea glaze, 300 ml",
        description="Thrown on the wheel by a studio in Gzhel. Every glaze comes out "
        "a little different. Dishwasher safe.",
        price=119000,
        vat_code="RUS_VAT22",
        measure="шт",
        measure_code="796",
        item_type="commodity",
    ),
    CatalogEntry(
        slug="barista-guide-book",
        sku="BK-BARISTA",
        name="Книга «Кофе. Путеводитель бариста», твёрдый переплёт",
        subtitle="The Barista's Guide to Coffee, hardcover book",
        description="From farm to cup: varieties, processing, roasting, grinding and "
        "brewing, with recipes. 256 pages, in Russian.",
        price=145000,
        vat_code="RUS_VAT10",
        measure="шт",
        measure_code="796",
        item_type="commodity",
    ),
    CatalogEntry(
        slug="gift-certificate-3000",
        sku="GC-3000",
        name="Подарочный сертификат номиналом 3 000 ₽",
        subtitle="Gift certificate worth 3,000 ₽",
        description="Sent by email as a printable card with a code, valid for a year "
        "in the shop and the café.",
        price=300000,
        vat_code="VATNONE",
        measure="шт",
        measure_code="796",
        item_type="service",
    ),
    CatalogEntry(
        slug="brewing-lesson-1h",
        sku="SRV-LESSON-1H",
        name="Индивидуальное занятие по альтернативному завариванию кофе, 1 час",
        subtitle="Private pour-over brewing lesson, per hour",
        description="One to one with our head barista: V60, Chemex and AeroPress. "
        "Order as many hours as you like; we call you to agree the date.",
        price=250000,
        vat_code="VATNONE",
        measure="ч",
        measure_code="356",
        item_type="service",
    ),
    CatalogEntry(
        slug="coffee-subscription-month",
        sku="SUB-MONTH",
        name="Подписка на кофе: 2 пачки зернового кофе по 250 г в месяц",
        subtitle="Coffee subscription, one month (two 250 g bags)",
        description="Two different single origins a month, picked by our roaster and "
        "delivered in the first week. Order several months ahead if you like.",
        price=169000,
        vat_code="RUS_VAT22",
        measure="мес",
        measure_code="362",
        item_type="service",
    ),
    CatalogEntry(
        slug="courier-delivery-moscow",
        sku="delivery",
        name="Доставка курьером по Москве в пределах МКАД",
        subtitle="Courier delivery within Moscow",
        description="Next working day between 10:00 and 21:00; the courier calls an "
        "hour ahead. Add it once to an order of goods.",
        price=39000,
        vat_code="RUS_VAT22",
        measure="шт",
        measure_code="796",
        item_type="service",
    ),
)

_BY_SLUG = {entry.slug: entry for entry in CATALOG}


def subtitle_for(slug: str) -> str:
    """The English line shown under a product's receipt name, if the catalog has one."""
    entry = _BY_SLUG.get(slug)
    return entry.subtitle if entry else ""


def seed_catalog() -> int:
    """Insert the catalog's products that are not in the database yet (matched by slug).

    Existing rows are left alone, so prices changed by hand survive a re-run. Adds to
    the session without committing; returns how many products were added.
    """
    existing = set(db.session.execute(db.select(Product.slug)).scalars())
    added = 0
    for position, entry in enumerate(CATALOG, start=1):
        if entry.slug in existing:
            continue
        db.session.add(
            Product(
                slug=entry.slug,
                sku=entry.sku,
                name=entry.name,
                description=entry.description,
                price=entry.price,
                vat_code=entry.vat_code,
                measure=entry.measure,
                measure_code=entry.measure_code,
                item_type=entry.item_type,
                image=entry.image,
                active=True,
                position=position,
            )
        )
        added += 1
    return added
