"""Synthetic orders, bulk-loaded with SQL, for ``make bench`` and ``make bench-scale``.

Checkout makes about 25 orders a second, so a benchmark that needs tens of thousands of
unpaid orders, or a million orders of every kind, writes them straight into a migrated,
seeded PostgreSQL database: ``INSERT ... SELECT`` over ``generate_series``, every value
derived from the order's position ``n``, so a load is repeatable and takes seconds.

Two mixes:

* ``realistic``: what two years of a shop leave behind. 62 % paid, 10 % awaiting payment,
  10 % expired, 5 % canceled, 3 % new (never sent to Invoicebox), 4 % partially refunded,
  6 % refunded; one to three lines each; a payment per order sent to Invoicebox; a
  notification per paid, expired or canceled order (a tenth of the paid ones twice); a
  history of two to five events; the gateway calls that made the payment and the refund;
  completed refunds with their lines. About three orders per customer.
* ``unpaid``: every order awaiting payment, its Invoicebox order created and payable: what
  a notification turns into a paid order.

Order numbers, tokens and Invoicebox ids are unique, and amounts add up as checkout would
have stored them (VAT included, kopecks). The shop's own code never runs here: what it
writes is what these rows must look like, so a loader that drifts from it shows as a
notification refused or a page that fails.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import psycopg

TABLES = ("order", "order_line", "payment", "notification", "order_event", "gateway_call",
          "refund", "refund_line")
MIXES = ("realistic", "unpaid")

# The status of order n is _STATUS[(n * 37) % 100]: the statuses are spread, not in blocks.
_SHARES = (("paid", 62), ("awaiting_payment", 10), ("expired", 10), ("canceled", 5),
           ("new", 3), ("partially_refunded", 4), ("refunded", 6))
_FIRST = ("Мария", "Анна", "Ольга", "Елена", "Наталья", "Иван", "Сергей", "Алексей", "Дмитрий",
          "Андрей")
_FIRST_LATIN = ("maria", "anna", "olga", "elena", "natalia", "ivan", "sergey", "alexey",
                "dmitry", "andrey")
_LAST = ("Иванов", "Петров", "Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов",
         "Новиков", "Морозов")
_LAST_LATIN = ("ivanov", "petrov", "smirnov", "kuznetsov", "popov", "sokolov", "lebedev",
               "kozlov", "novikov", "morozov")
_DOMAINS = ("mail.ru", "yandex.ru", "gmail.com", "bk.ru", "inbox.ru", "list.ru")
_NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # as storefront/payments/orders.py


def _array(values: tuple[str, ...]) -> str:
    return "ARRAY[" + ", ".join("'" + v + "'" for v in values) + "]"


def _status_case() -> str:
    parts, upper = [], 0
    for status, share in _SHARES:
        upper += share
        parts.append(f"WHEN (n * 37) %% 100 < {upper} THEN '{status}'")
    return "CASE " + " ".join(parts) + " END"


def _suffix(value: str) -> str:
    """Five characters of the order-number alphabet, a bijection of n below 2**25."""
    return " || ".join(
        f"substr('{_NUMBER_ALPHABET}', ((({value}) >> {shift}) & 31)::int + 1, 1)"
        for shift in (20, 15, 10, 5, 0))


# One row per order, before anything is inserted: what the order is and when things happened.
_PLAN = """
CREATE TEMP TABLE synth_order ON COMMIT DROP AS
SELECT n,
       status,
       c,
       created_at,
       created_at + interval '3 minutes' AS paid_at,
       created_at + interval '2 days' AS refunded_at,
       c %% 10 = 0 AS legal,
       to_char(created_at, 'YYMMDD') || '-' || {suffix} AS number,
       md5('ib' || n)::uuid::text AS invoicebox_order_id
FROM (
    SELECT n,
           {status} AS status,
           (n * 2654435761) %% %(customers)s AS c,
           now() - (%(last)s::int - n) * %(step)s::float8 * interval '1 second' AS created_at
    FROM generate_series(%(first)s::int, %(last)s::int) AS g(n)
) AS planned;
CREATE TEMP TABLE synth_line ON COMMIT DROP AS
SELECT o.n, k, p.id AS product_id, p.sku, p.name, p.measure, p.measure_code, p.vat_code,
       p.item_type, p.price AS unit_price, q.quantity, p.price * q.quantity AS total,
       round(p.price * q.quantity * CASE p.vat_code WHEN 'RUS_VAT22' THEN 22.0 / 122
                                                    WHEN 'RUS_VAT10' THEN 10.0 / 110
                                                    ELSE 0 END)::int AS vat
FROM synth_order o
CROSS JOIN generate_series(0, 2) AS k
CROSS JOIN LATERAL (SELECT 1 + (o.n + k) %% 3 AS quantity) q
JOIN (SELECT row_number() OVER (ORDER BY id) - 1 AS rn, * FROM product) p
  ON p.rn = (o.n * 7 + k * 3) %% %(products)s
WHERE k <= o.n %% 3;
"""

_ORDERS = """
INSERT INTO "order" (id, number, public_token, checkout_token, status, customer_type,
    customer_name, customer_email, customer_phone, customer_inn, customer_kpp,
    customer_address, currency, amount, vat_amount, created_at, updated_at, paid_at)
SELECT o.n,
       o.number,
       md5('public' || o.n) || substr(md5('public2' || o.n), 1, 11),
       md5('checkout' || o.n) || substr(md5('checkout2' || o.n), 1, 11),
       o.status,
       CASE WHEN o.legal THEN 'legal' ELSE 'private' END,
       CASE WHEN o.legal THEN 'ООО «' || ({last})[(o.c %% 10 + 1)::int] || ' и партнёры»'
            ELSE ({first})[(o.c %% 10 + 1)::int] || ' ' || ({last})[(o.c / 10 %% 10 + 1)::int]
                 || CASE WHEN o.c %% 10 < 5 THEN 'а' ELSE '' END END,
       ({first_latin})[(o.c %% 10 + 1)::int] || '.' || ({last_latin})[(o.c / 10 %% 10 + 1)::int]
           || o.c || '@' || ({domains})[(o.c %% 6 + 1)::int],
       '79' || lpad(((o.c * 7919) %% 1000000000)::text, 9, '0'),
       CASE WHEN o.legal THEN lpad(((o.c * 104729) %% 10000000000)::text, 10, '7') END,
       CASE WHEN o.legal THEN '771001001' END,
       CASE WHEN o.legal THEN 'г. Москва, ул. Садовая, д. ' || (o.c %% 90 + 1) END,
       'RUB', l.amount, l.vat_amount, o.created_at, o.created_at + interval '3 minutes',
       CASE WHEN o.status IN ('paid', 'partially_refunded', 'refunded') THEN o.paid_at END
FROM synth_order o
JOIN (SELECT n, sum(total) AS amount, sum(vat) AS vat_amount FROM synth_line GROUP BY n) l
  USING (n);
INSERT INTO order_line (order_id, product_id, sku, name, measure, measure_code, vat_code,
    item_type, payment_type, unit_price, quantity, total, vat)
SELECT n, product_id, sku, name, measure, measure_code, vat_code, item_type,
       'full_prepayment', unit_price, quantity, total, vat
FROM synth_line;
INSERT INTO payment (id, order_id, attempt, merchant_order_id, invoicebox_order_id,
    payment_url, status, amount, expires_at, created_at, updated_at, paid_at)
SELECT o.n, o.n, 1, o.number || '-1', o.invoicebox_order_id,
       'https://pay.invoicebox.ru/order/' || md5('container' || o.n)::uuid,
       CASE o.status WHEN 'awaiting_payment' THEN 'created' WHEN 'expired' THEN 'expired'
                     WHEN 'canceled' THEN 'canceled' ELSE 'completed' END,
       r.amount,
       CASE WHEN o.status = 'awaiting_payment' THEN now() + interval '1 day'
            ELSE o.created_at + interval '1 day' END,
       o.created_at, o.created_at + interval '3 minutes', r.paid_at
FROM synth_order o JOIN "order" r ON r.id = o.n
WHERE o.status <> 'new';
"""

_HISTORY = """
INSERT INTO gateway_call (created_at, order_id, method, path, http_status, request_id,
    outcome, duration_ms)
SELECT o.created_at + interval '1 second', o.n, 'POST', '/v3/billing/api/order/order', 200,
       md5('request' || o.n), 'ok', 150 + o.n %% 300
FROM synth_order o WHERE o.status <> 'new';
INSERT INTO order_event (order_id, created_at, kind, message, data)
SELECT o.n, o.created_at, 'placed', 'Order ' || o.number || ' placed by the buyer.', NULL
FROM synth_order o
UNION ALL
SELECT o.n, o.created_at + interval '2 seconds', 'payment_created',
       'Invoicebox order ' || o.invoicebox_order_id || ' created (attempt 1).',
       json_build_object('payment_id', o.n)
FROM synth_order o WHERE o.status <> 'new'
UNION ALL
SELECT o.n, o.paid_at, 'paid', 'Paid: Invoicebox order ' || o.invoicebox_order_id
       || ' (attempt 1), confirmed by notification.',
       json_build_object('payment_id', o.n, 'source', 'notification')
FROM synth_order o WHERE o.status IN ('paid', 'partially_refunded', 'refunded')
UNION ALL
SELECT o.n, o.created_at + interval '1 day', 'payment_' || o.status,
       'Invoicebox order ' || o.invoicebox_order_id || ' (attempt 1) is ' || o.status || '.',
       json_build_object('payment_id', o.n)
FROM synth_order o WHERE o.status IN ('expired', 'canceled');
INSERT INTO notification (received_at, raw_body, body_size, body_sha256, signature_valid,
    invoicebox_order_id, merchant_order_id, gateway_status, order_id, payment_id,
    reply_status, applied)
SELECT o.paid_at + copy * interval '10 minutes', b.body, octet_length(b.body),
       encode(sha256(b.body), 'hex'),
       true, o.invoicebox_order_id, o.number || '-1', s.gateway_status, o.n, o.n, 'success',
       copy = 0
FROM synth_order o
JOIN "order" r ON r.id = o.n
CROSS JOIN LATERAL (SELECT CASE WHEN o.status IN ('expired', 'canceled') THEN o.status
                                ELSE 'completed' END AS gateway_status) s
CROSS JOIN LATERAL (SELECT convert_to(json_build_object(
           'id', o.invoicebox_order_id, 'description', 'Order ' || o.number,
           'currencyId', 'RUB', 'amount', round(r.amount / 100.0, 2),
           'vatAmount', round(r.vat_amount / 100.0, 2), 'merchantId', %(merchant_id)s::text,
           'status', s.gateway_status, 'createdAt', o.created_at,
           'merchantOrderId', o.number || '-1', 'paidAt', o.paid_at,
           'customer', json_build_object('type', r.customer_type, 'name', r.customer_name,
                                         'phone', r.customer_phone,
                                         'email', r.customer_email))::text, 'UTF8') AS body) b
CROSS JOIN generate_series(0, 1) AS copy
WHERE o.status IN ('paid', 'partially_refunded', 'refunded', 'expired', 'canceled')
  AND (copy = 0 OR (o.n %% 10 = 0 AND o.status NOT IN ('expired', 'canceled')));
"""

# A refunded order gave back every line; a partially refunded one, one unit of its first.
_REFUNDS = """
INSERT INTO refund_line (refund_id, sku, name, quantity, unit_price, total, vat)
SELECT l.n, l.sku, l.name,
       CASE WHEN o.status = 'refunded' THEN l.quantity ELSE 1 END, l.unit_price,
       CASE WHEN o.status = 'refunded' THEN l.total ELSE l.unit_price END,
       CASE WHEN o.status = 'refunded' THEN l.vat ELSE round(l.vat::numeric / l.quantity) END
FROM synth_line l JOIN synth_order o USING (n)
WHERE o.status = 'refunded' OR (o.status = 'partially_refunded' AND l.k = 0);
"""
_REFUND_ROWS = """
INSERT INTO refund (id, order_id, payment_id, merchant_order_id, invoicebox_refund_id,
    status, amount, vat_amount, reason, request_id, created_at, updated_at, completed_at)
SELECT o.n, o.n, o.n, 'R-' || o.number || '-1', md5('refund' || o.n)::uuid::text,
       'completed', t.amount, t.vat, 'Returned by the buyer', md5('refund-request' || o.n),
       o.refunded_at, o.refunded_at + interval '1 hour', o.refunded_at + interval '1 hour'
FROM synth_order o
JOIN "order" r ON r.id = o.n
JOIN (SELECT refund_id, sum(total) AS amount, sum(vat) AS vat FROM refund_line
      GROUP BY refund_id) t ON t.refund_id = o.n
WHERE o.status IN ('partially_refunded', 'refunded');
INSERT INTO order_event (order_id, created_at, kind, message, data)
SELECT order_id, completed_at, 'refund_completed',
       'Refund ' || merchant_order_id || ' (' || round(amount / 100.0, 2)
           || ' RUB) completed: the money is back', NULL
FROM refund WHERE order_id BETWEEN %(first)s AND %(last)s;
INSERT INTO gateway_call (created_at, order_id, refund_id, method, path, http_status,
    request_id, outcome, duration_ms)
SELECT created_at, order_id, id, 'POST', '/v3/billing/api/order/refund-order', 200,
       request_id, 'ok', 200
FROM refund WHERE order_id BETWEEN %(first)s AND %(last)s;
"""


def _run(conn: psycopg.Connection, script: str, params: dict[str, Any]) -> None:
    """Each statement of ``script`` in turn (a parameterised statement must stand alone)."""
    for statement in script.split(";\n"):
        if statement.strip():
            conn.execute(statement, params)


def load_orders(conn: psycopg.Connection, count: int, *, mix: str = "realistic",
                days: float = 730.0, merchant_id: str = "") -> range:
    """Add ``count`` orders of ``mix``, created over the last ``days``; their ids.

    The order, payment and refund tables must not hold ids above their sequences (the
    loader continues from the largest id) and the catalog must be seeded. Commits.
    """
    if mix not in MIXES:
        raise ValueError(f"mix must be one of {MIXES}")
    first = (conn.execute('SELECT coalesce(max(id), 0) FROM "order"').fetchone()[0]) + 1
    for table in ("payment", "refund"):
        # Payments and refunds take their order's id, so that nothing needs a lookup.
        if conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0] >= first:
            raise RuntimeError(f"{table} ids run ahead of order ids; load into fresh tables")
    products = conn.execute("SELECT count(*) FROM product").fetchone()[0]
    if products < 3:
        raise RuntimeError("seed the catalog first (flask seed)")
    last = first + count - 1
    params = {"first": first, "last": last, "step": days * 86400 / count,
              "customers": max(count // 3, 1), "products": products,
              "merchant_id": merchant_id}
    status = "'awaiting_payment'" if mix == "unpaid" else _status_case()
    if conn.execute("SELECT count(*) FROM pg_class WHERE relpersistence = 't' "
                    "AND relnamespace = pg_my_temp_schema()").fetchone()[0] == 0:
        # Room for the plan tables in memory; settable until the session's first temp table.
        conn.execute("SET temp_buffers = '512MB'")
    with conn.transaction():
        conn.execute("SET LOCAL synchronous_commit = off")
        _run(conn, _PLAN.format(status=status,
                                suffix=_suffix("(n::bigint * 1103515245) %% 33554432")), params)
        _run(conn, _ORDERS.format(
            first=_array(_FIRST), last=_array(_LAST), first_latin=_array(_FIRST_LATIN),
            last_latin=_array(_LAST_LATIN), domains=_array(_DOMAINS)), params)
        _run(conn, _HISTORY, params)
        if mix == "realistic":
            _run(conn, _REFUNDS, params)
            _run(conn, _REFUND_ROWS, params)
        for table in TABLES:
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM \"{table}\"))")
    return range(first, last + 1)


def notification_bodies(conn: psycopg.Connection, ids: Sequence[int],
                        merchant_id: str) -> list[bytes]:
    """The ``completed`` notification Invoicebox would send for each payable order in ``ids``.

    Shaped like the gateway's order (CONTRACT §5.2, with the basket) and serialised as the
    gateway serialises, so each one is signed and sent as it is.
    """
    from storefront.invoicebox import gateway_json

    rows = conn.execute("""
        SELECT json_build_object(
            'id', p.invoicebox_order_id, 'description', 'Order ' || o.number,
            'currencyId', o.currency, 'amount', o.amount / 100.0,
            'vatAmount', o.vat_amount / 100.0,
            'basketItems', (SELECT json_agg(json_build_object(
                'sku', l.sku, 'name', l.name, 'measure', l.measure,
                'measureCode', l.measure_code, 'quantity', l.quantity,
                'amount', l.unit_price / 100.0, 'totalAmount', l.total / 100.0,
                'totalVatAmount', l.vat / 100.0, 'vatCode', l.vat_code, 'type', l.item_type,
                'paymentType', l.payment_type) ORDER BY l.id)
                FROM order_line l WHERE l.order_id = o.id),
            'merchantId', %(merchant_id)s::text, 'status', 'completed', 'subtype', 'order',
            'createdAt', to_char(p.created_at, 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
            'merchantOrderId', p.merchant_order_id, 'paymentUrl', p.payment_url,
            'paidAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
            'customer', json_build_object('type', o.customer_type, 'name', o.customer_name,
                                          'phone', o.customer_phone,
                                          'email', o.customer_email))::text
        FROM "order" o JOIN payment p ON p.order_id = o.id
        WHERE o.id = ANY(%(ids)s) AND p.status = 'created'
        ORDER BY o.id
    """, {"ids": list(ids), "merchant_id": merchant_id}).fetchall()
    return [gateway_json(json.loads(text, parse_float=Decimal)) for (text,) in rows]


@contextmanager
def indexes_rebuilt(conn: psycopg.Connection, tables: tuple[str, ...] = TABLES
                    ) -> Iterator[None]:
    """Drop the tables' foreign keys, unique constraints and indexes; rebuild them after.

    Bulk loads go several times faster into bare tables, and an index built over the
    finished table is compact. Primary keys stay. The definitions are read from the
    catalog, so whatever the migrations made is exactly what is rebuilt.
    """
    names = [f'"{t}"' for t in tables]
    constraints = conn.execute("""
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype
        FROM pg_constraint
        WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u')
        ORDER BY contype DESC""", (names,)).fetchall()  # unique first, then foreign keys
    indexes = conn.execute("""
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """, (names,)).fetchall()
    with conn.transaction():
        for table, name, _, _ in reversed(constraints):
            conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            conn.execute(f"DROP INDEX {name}")
    try:
        yield
    finally:
        with conn.transaction():
            conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for _, definition in indexes:
                conn.execute(definition)
            for table, name, definition, _ in constraints:
                conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def vacuum_analyze(conn: psycopg.Connection, tables: tuple[str, ...] = TABLES) -> None:
    """Fresh statistics and visibility maps, as autovacuum would leave them (needs autocommit)."""
    for table in tables:
        conn.execute(f'VACUUM (ANALYZE) "{table}"')


def summary(conn: psycopg.Connection) -> dict[str, Any]:
    """Row counts per table, for the benchmark's report."""
    return {table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            for table in TABLES}
