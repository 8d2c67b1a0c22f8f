"""The benchmark's write ceiling: a bare Flask app that writes one row per request.

Each request runs one ``INSERT`` and ``COMMIT`` into PostgreSQL through SQLAlchemy and
psycopg 3, with the shop's pool settings (Flask-SQLAlchemy's default pool, with
``pool_pre_ping``, see ``storefront/__init__.py``). ``make bench`` serves it with exactly
the shop's gunicorn settings, so its rate is the floor cost of any write endpoint on this
stack, and the notification scenario's ratio to it shows what the shop's own work costs.

``BENCH_WRITE_DATABASE_URL`` names the database; ``scripts/bench.py`` creates the table.
"""

import os

from flask import Flask
from sqlalchemy import create_engine, text

from storefront.config import normalise_database_url

TABLE = "bench_write"  # (id bigserial PRIMARY KEY, written_at timestamptz, body text)

engine = create_engine(normalise_database_url(os.environ["BENCH_WRITE_DATABASE_URL"]),
                       pool_pre_ping=True)
app = Flask(__name__)


@app.route("/", methods=["GET", "POST"])
def write() -> str:
    with engine.begin() as connection:
        connection.execute(text(f"INSERT INTO {TABLE} (body) VALUES (:body)"), {"body": "hello"})
    return "written"
