"""Running the reconcile command against the live shop's database and sandbox, as cron or a
systemd timer would: a separate process with the shop's own settings."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from storefront.extensions import db
from storefront.models import Payment, now_utc

from .flows import Placed
from .live import BIN, REPO_ROOT, ProductionShop

DROP_COUNT = 5  # enough for every notification an order gets in a test


def start_reconcile(shop: ProductionShop, *args: str, **settings: str) -> subprocess.Popen:
    """``flask invoicebox reconcile ARGS`` in the background, with extra settings."""
    return subprocess.Popen(
        [str(BIN / "flask"), "--app", "storefront", "invoicebox", "reconcile", *args],
        cwd=REPO_ROOT, env={**shop.env, **settings}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)


def reconcile(shop: ProductionShop, *args: str, **settings: str) -> str:
    """One run of the command to its end; its output (the log). Fails on a non-zero exit."""
    proc = start_reconcile(shop, *args, **settings)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output
    return output


@contextmanager
def two_runners(shop: ProductionShop, **settings: str) -> Iterator[list[str]]:
    """Two ``reconcile --every 1`` runners at once while the block runs, stopped with SIGTERM
    at its end (as systemd stops them). The list it gives fills with their outputs once both
    have stopped; both must have exited cleanly."""
    runners = [start_reconcile(shop, "--every", "1", **settings) for _ in range(2)]
    outputs: list[str] = []
    try:
        yield outputs
    finally:
        for runner in runners:
            runner.send_signal(signal.SIGTERM)
    outputs.extend(runner.communicate(timeout=30)[0] for runner in runners)
    assert [runner.returncode for runner in runners] == [0, 0], outputs


def drop_notifications(shop: ProductionShop, placed: Placed) -> None:
    """The sandbox will never send this order's notifications."""
    shop.sandbox.scenario("notification_drop", count=DROP_COUNT, path=f"{placed.number}-")


def make_overdue(shop: ProductionShop, number: str, seconds: int = 3600) -> None:
    """Pretend the order's attempts were created ``seconds`` ago and never checked."""
    with shop.app.app_context():
        db.session.execute(
            db.update(Payment).where(Payment.merchant_order_id.startswith(f"{number}-"))
            .values(created_at=now_utc() - timedelta(seconds=seconds), checked_at=None))
        db.session.commit()


def payment_of(shop: ProductionShop, number: str) -> Payment:
    with shop.app.app_context():
        payment = db.session.execute(
            db.select(Payment).where(Payment.merchant_order_id.startswith(f"{number}-"))
            .order_by(Payment.attempt.desc()).limit(1)).scalar_one()
        db.session.expunge(payment)
        return payment
