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
    name: str  # Russian: printed on the receipt and shown on Russian pages
    name_en: str  # shown on English pages
    description_en: str
    description: str  # Russian
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
        name_en="Ethiopia Yirgacheffe coffee beans, 250 g",
        description_en="Floral and bright, with notes of jasmine, bergamot and apricot. "
        "Light roast for filter and pour-over; roasted within the week you order.",
        description="Цветочный и яркий, с нотами жасмина, бергамота и абрикоса. Светлая обжарка "
        "для фильтра и пуровера; обжариваем в течение недели после заказа.",
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
        name_en="Colombia Huila drip bags, pack of 10",
        description_en="Pour-over coffee for the office or the road: hang the bag on a cup, "
        "add 180 ml of water just off the boil, wait three minutes.",
        description="Кофе для офиса и дороги: повесьте пакет на чашку, залейте 180 мл воды чуть "
        "ниже кипения и подождите три минуты.",
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
        name_en="Tieguanyin oolong tea, loose leaf, 100 g",
        description_en="A lightly oxidised Fujian oolong with a creamy, orchid-like taste. "
        "Holds up to six infusions in a gaiwan.",
        description="Слабоферментированный фуцзяньский улун со сливочным, орхидейным вкусом. "
        "Выдерживает до шести проливов в гайване.",
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
        name_en="Demerara cane sugar, 500 g",
        description_en="Golden crystals with a gentle caramel taste, good with espresso "
        "drinks and in baking.",
        description="Золотистые кристаллы с мягким карамельным вкусом: хороши к эспрессо-напиткам "
        "и в выпечке.",
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
        name_en="Glass French press, 350 ml",
        description_en="Heat-resistant glass jug, stainless steel plunger with a fine "
        "double mesh. Makes two cups.",
        description="Колба из жаропрочного стекла, поршень из нержавеющей стали с мелким двойным "
        "фильтром. На две чашки.",
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
        name_en="Handmade ceramic mug, North Sea glaze, 300 ml",
        description_en="Thrown on the wheel by a studio in Gzhel. Every glaze comes out "
        "a little different. Dishwasher safe.",
        description="Сделана на гончарном круге в мастерской в Гжели. Каждая глазурь ложится "
        "немного по-своему. Можно мыть в посудомоечной машине.",
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
        name_en="The Barista's Guide to Coffee, hardcover book",
        description_en="From farm to cup: varieties, processing, roasting, grinding and "
        "brewing, with recipes. 256 pages, in Russian.",
        description="От фермы до чашки: сорта, обработка, обжарка, помол и заваривание, с "
        "рецептами. 256 страниц, на русском языке.",
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
        name_en="Gift certificate worth 3,000 ₽",
        description_en="Sent by email as a printable card with a code, valid for a year "
        "in the shop and the café.",
        description="Приходит на электронную почту в виде открытки с кодом для печати; действует "
        "год в магазине и кафе.",
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
        name_en="Private pour-over brewing lesson, per hour",
        description_en="One to one with our head barista: V60, Chemex and AeroPress. "
        "Order as many hours as you like; we call you to agree the date.",
        description="Один на один с нашим шеф-бариста: V60, Chemex и AeroPress. Закажите сколько "
        "угодно часов — мы позвоним, чтобы согласовать дату.",
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
        name_en="Coffee subscription, one month (two 250 g bags)",
        description_en="Two different single origins a month, picked by our roaster and "
        "delivered in the first week. Order several months ahead if you like.",
        description="Два разных моносорта в месяц на выбор нашего обжарщика, с доставкой в первую "
        "неделю. Можно оплатить несколько месяцев вперёд.",
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
        name_en="Courier delivery within Moscow",
        description_en="Next working day between 10:00 and 21:00; the courier calls an "
        "hour ahead. Add it once to an order of goods.",
        description="На следующий рабочий день с 10:00 до 21:00; курьер позвонит за час. Добавьте "
        "один раз к заказу товаров.",
        price=39000,
        vat_code="RUS_VAT22",
        measure="шт",
        measure_code="796",
        item_type="service",
    ),
)

_BY_SLUG = {entry.slug: entry for entry in CATALOG}

# The catalog's delivery line: added to an order of goods the buyer wants brought by courier.
DELIVERY_SLUG = "courier-delivery-moscow"

# How many units of each good a fresh catalog starts with. Services and gift certificates
# have no stock (None: not counted). Staff change it on the products page.
STARTING_STOCK = 100


def starting_stock(entry: CatalogEntry) -> int | None:
    return STARTING_STOCK if entry.item_type == "commodity" else None


def seed_catalog() -> int:
    """Insert the catalog's products that are not in the database yet (matched by slug).

    Existing rows are left alone, so prices changed by hand survive a re-run, except that
    a product without an English name (saved before the shop had two languages) gets the
    catalog's English name and both descriptions. New goods start with
    :data:`STARTING_STOCK` units; a product already saved keeps its stock. Adds to the
    session without committing; returns how many products were added.
    """
    existing = {p.slug: p for p in db.session.execute(db.select(Product)).scalars()}
    added = 0
    for position, entry in enumerate(CATALOG, start=1):
        if entry.slug in existing:
            product = existing[entry.slug]
            if not product.name_en:
                product.name_en = entry.name_en
                product.description = entry.description
                product.description_en = entry.description_en
            continue
        db.session.add(
            Product(
                slug=entry.slug,
                sku=entry.sku,
                name=entry.name,
                name_en=entry.name_en,
                description=entry.description,
                description_en=entry.description_en,
                price=entry.price,
                vat_code=entry.vat_code,
                measure=entry.measure,
                measure_code=entry.measure_code,
                item_type=entry.item_type,
                image=entry.image,
                active=True,
                position=position,
                stock=starting_stock(entry),
            )
        )
        added += 1
    return added
