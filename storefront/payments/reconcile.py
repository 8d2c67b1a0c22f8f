"""Reconciliation: what the shop learns without anyone clicking.

A notification can be lost for good (the shop was down, a proxy ate the POST); a refund
ends at Invoicebox without telling anyone. :func:`run_pass` asks the API about

* payments still ``pending`` or ``created`` once the grace period
  (``STOREFRONT_RECONCILE_GRACE_SECONDS``) has passed since they were created or last
  checked, and attempts past their ``expires_at`` that nobody has read since: each is read
  by id (or by ``merchantOrderId`` when its creation had an unknown outcome) and applied
  exactly as a notification or a staff "Sync" would apply it (:func:`.sync.read_attempt`,
  :func:`.sync.apply_read`); an attempt whose create had an unknown outcome and that
  Invoicebox does not know is marked failed, as the checkout would;
* refunds keeping a fee left as drafts (the correction order's answer was lost, or never
  came): each is read by its ``merchantOrderId`` and adopted, or its correction order is
  sent again, or it is canceled when Invoicebox refuses it (:mod:`.refund_fee`);
* orders with refunds still open, refreshed by :func:`.refund_sync.refresh_refunds`;
* reversals of orders the shop could not deliver (shipment control), issued as full
  refunds by :func:`.reversals.carry_out_due`;
* orders with shipments that have not ended (``sending``, ``draft``, ``processing``),
  refreshed by :func:`.shipment_sync.refresh_shipments` under a lease on each shipment;
* with ``STOREFRONT_AUTO_SHIP_SERVICES`` on, paid services not yet shipped
  (:mod:`.auto_ship`);

and then sends the mail waiting in the outbox (:func:`storefront.mail.deliver_due`, under
leases of its own; a mail server that is down delays mail and nothing else).

Several runners may run at once, on any number of machines. Each claims a batch in one
short transaction (a conditional ``UPDATE ... RETURNING`` that sets the payment's lease,
``lease_owner`` and ``lease_until``, only where no live lease is held and the payment is
still due), calls the API with no transaction open, and applies each answer under the
order's lock. A runner that dies leaves leases that simply expire. Drafts are leased the
same way (the refund's ``lease_owner`` / ``lease_until``); refund refreshes are claimed
through the order's ``refunds_checked_at``.

Every call spends from the account's shared budget as background work
(:mod:`storefront.budget`): the runner stops a pass when only the reserve is left, and
backs off for ``Retry-After`` when Invoicebox answers 429. Nothing is lost either way: an
item not read stays due and the next pass takes it.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import TypeVar

from .. import budget
from ..extensions import db
from ..invoicebox import InvoiceboxError, RateLimited
from ..mail import MailReport, deliver_due
from ..models import Order, Payment, Refund, now_utc
from ..states import PAYMENT_PAYABLE, REFUND_OPEN
from .auto_ship import ship_services
from .checkout import fail_if_absent
from .locking import retry_on_conflict
from .refund_fee import claim_drafts, finish_draft, release_draft
from .refund_sync import refresh_refunds
from .reversals import carry_out_due
from .shipment_sync import run_shipments
from .sync import apply_read, read_attempt

log = logging.getLogger(__name__)
T = TypeVar("T")

# A claim outlives a slow pass (each read may take a few retries), and ends on its own
# when a runner dies with it.
LEASE_SECONDS = 300
# Longest wait on one Retry-After before the pass gives up and leaves the rest.
MAX_BACKOFF_SECONDS = 30.0
MAX_BACKOFFS_PER_PASS = 3


@dataclass
class PassReport:
    """What one pass did, for the log line and for tests."""

    payments_read: int = 0
    payments_changed: int = 0
    refund_orders_read: int = 0
    refunds_changed: int = 0
    drafts_read: int = 0
    drafts_changed: int = 0
    reversals_issued: int = 0
    shipment_orders_read: int = 0
    shipments_changed: int = 0
    services_shipped: int = 0
    backoffs: int = 0
    stopped: str | None = None  # why the pass ended early: "budget" or "rate_limited"
    errors: list[str] = field(default_factory=list)
    mail: MailReport = field(default_factory=MailReport)


def runner_name() -> str:
    """Who holds a lease: host and process, enough to find a stuck runner."""
    return f"{socket.gethostname()}:{os.getpid()}"[:80]


def run_pass(owner: str | None = None, *, stop=lambda: False) -> PassReport:
    """One pass over due payments, then due refunds; commits. ``stop()`` ends it early,
    between items."""
    owner = owner or runner_name()
    report = PassReport()
    with budget.background():
        _payments(owner, report, stop)
        if report.stopped is None:
            _drafts(owner, report, stop)
        if report.stopped is None:
            _refunds(report, stop)
        if report.stopped is None:
            _reversals(report, stop)
        if report.stopped is None:
            _shipments(owner, report, stop)
        if report.stopped is None and not stop():
            _auto_ship(report)
    if not stop():
        report.mail = _mail(owner, stop)
    log.info(
        "reconcile pass: %d payment(s) read, %d changed; %d draft refund(s) read, %d "
        "changed; %d order(s) with open refunds read, %d changed; %d reversal(s) issued; "
        "%d order(s) with open shipments read, %d changed; %d order(s) with services "
        "shipped; %d back-off(s); mail: %d sent, %d deferred%s",
        report.payments_read, report.payments_changed, report.drafts_read,
        report.drafts_changed, report.refund_orders_read, report.refunds_changed,
        report.reversals_issued, report.shipment_orders_read, report.shipments_changed,
        report.services_shipped, report.backoffs, report.mail.sent, report.mail.deferred,
        f"; stopped early: {report.stopped}" if report.stopped else "",
    )
    return report


def _mail(owner: str, stop) -> MailReport:
    """The outbox's turn; whatever goes wrong there leaves the pass's other work done."""
    try:
        return deliver_due(owner, stop=stop)
    except Exception:
        log.exception("reconcile: the mail step failed; its messages wait for the next pass")
        db.session.rollback()
        return MailReport()


def claim_payments(owner: str, limit: int) -> list[tuple[int, int, str | None, str]]:
    """Lease up to ``limit`` due payments to ``owner`` in one statement; commits.

    Returns ``(payment id, order id, invoicebox id, merchantOrderId)`` of each claimed.
    The conditions are in the ``UPDATE`` itself, so a concurrent runner that read the
    same candidates finds them leased (PostgreSQL re-checks them on the locked row).
    """
    now = now_utc()
    grace = timedelta(seconds=budget.setting("STOREFRONT_RECONCILE_GRACE_SECONDS"))
    last_news = db.func.coalesce(Payment.checked_at, Payment.created_at)
    due = db.and_(
        Payment.status.in_(PAYMENT_PAYABLE),
        db.or_(Payment.lease_until.is_(None), Payment.lease_until < now),
        db.or_(last_news <= now - grace,
               db.and_(Payment.expires_at <= now,
                       db.or_(Payment.checked_at.is_(None),
                              Payment.checked_at < Payment.expires_at))),
    )
    candidates = db.select(Payment.id).where(due).order_by(last_news).limit(limit)
    rows = db.session.execute(
        db.update(Payment)
        .where(Payment.id.in_(candidates.scalar_subquery()), due)
        .values(lease_owner=owner, lease_until=now + timedelta(seconds=LEASE_SECONDS))
        .returning(Payment.id, Payment.order_id, Payment.invoicebox_order_id,
                   Payment.merchant_order_id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return [tuple(row) for row in rows]


def release(payment_id: int, owner: str) -> None:
    """End ``owner``'s lease on the payment; commits. The payment's ``checked_at`` now
    keeps it out of the next passes until the grace period has passed again."""
    db.session.execute(
        db.update(Payment).where(Payment.id == payment_id, Payment.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False))
    db.session.commit()


def _payments(owner: str, report: PassReport, stop) -> None:
    claimed = claim_payments(owner, budget.setting("STOREFRONT_RECONCILE_BATCH"))
    queue = list(claimed)
    while queue and not stop():
        payment_id, order_id, invoicebox_id, merchant_order_id = queue[0]
        try:
            remote = read_attempt(order_id, invoicebox_id, merchant_order_id)
        except budget.BudgetExhausted as exc:
            log.info("reconcile: only the reserve is left; next window in %d s",
                     exc.retry_after)
            report.stopped = "budget"
            break
        except RateLimited as exc:
            if not _back_off(report, exc):
                break
            continue  # the same payment again
        except InvoiceboxError as exc:  # unknown, not absent: due again next pass
            log.warning("reconcile: payment %s not read: %s", merchant_order_id, exc)
            report.errors.append(f"{merchant_order_id}: {exc}")
            release(payment_id, owner)
            queue.pop(0)
            continue
        changed = apply_read(order_id, payment_id, remote, by="reconcile")
        if remote is None and invoicebox_id is None:
            # Its creation had an unknown outcome and Invoicebox has no such order: once
            # the create can no longer be in flight, it was never made.
            changed = retry_on_conflict(partial(fail_if_absent, order_id, payment_id)) or changed
        report.payments_read += 1
        report.payments_changed += int(changed)
        release(payment_id, owner)
        queue.pop(0)
    for payment_id, *_ in queue:  # not read: due again at once for any runner
        release(payment_id, owner)


def _drafts(owner: str, report: PassReport, stop) -> None:
    """Finish or cancel refunds keeping a fee whose correction order is not confirmed."""
    queue = claim_drafts(owner, budget.setting("STOREFRONT_RECONCILE_BATCH"))
    while queue and not stop():
        refund_id = queue[0]
        try:
            changed = finish_draft(refund_id, owner)
        except budget.BudgetExhausted:
            report.stopped = "budget"
            break
        except RateLimited as exc:
            if not _back_off(report, exc):
                break
            continue  # the same draft again
        except InvoiceboxError as exc:  # not read: due again next pass
            log.warning("reconcile: draft refund %s not finished: %s", refund_id, exc)
            report.errors.append(f"refund {refund_id}: {exc}")
            release_draft(refund_id, owner)
            queue.pop(0)
            continue
        report.drafts_read += 1
        report.drafts_changed += int(changed)
        release_draft(refund_id, owner)
        queue.pop(0)
    for refund_id in queue:  # not read: due again at once for any runner
        release_draft(refund_id, owner)


def _refunds(report: PassReport, stop) -> None:
    for order_id in _claim_refund_orders(budget.setting("STOREFRONT_RECONCILE_BATCH")):
        if stop():
            return
        order = db.session.get(Order, order_id)
        try:
            changed = refresh_refunds(order, force=True)
        except budget.BudgetExhausted:
            report.stopped = "budget"
            return
        except RateLimited as exc:
            _back_off(report, exc)
            return  # stays due: the next pass takes it
        except InvoiceboxError as exc:
            log.warning("reconcile: refunds of order %s not refreshed: %s", order_id, exc)
            report.errors.append(f"order {order_id}: {exc}")
            continue
        report.refund_orders_read += 1
        report.refunds_changed += int(changed)


def _batch_step(report: PassReport, work: Callable[[int], T]) -> T | None:
    """Run ``work(batch size)``, a step that claims and works through its own batch; None
    when the account's budget or a 429 ended it (what it did not reach stays due)."""
    try:
        return work(budget.setting("STOREFRONT_RECONCILE_BATCH"))
    except budget.BudgetExhausted:
        report.stopped = "budget"
    except RateLimited as exc:
        _back_off(report, exc)  # claimed items are released: due again next pass
    return None


def _reversals(report: PassReport, stop) -> None:
    if (done := _batch_step(report, lambda batch: carry_out_due(batch, stop))) is not None:
        issued, errors = done
        report.reversals_issued += issued
        report.errors.extend(errors)


def _shipments(owner: str, report: PassReport, stop) -> None:
    done = _batch_step(report, lambda batch: run_shipments(owner, batch, stop))
    if done is not None:
        read, changed, errors = done
        report.shipment_orders_read += read
        report.shipments_changed += changed
        report.errors.extend(errors)


def _auto_ship(report: PassReport) -> None:
    if (done := _batch_step(report, ship_services)) is not None:
        shipped, errors = done
        report.services_shipped += shipped
        report.errors.extend(errors)


def _claim_refund_orders(limit: int) -> list[int]:
    """Claim orders with open refunds not looked at for the grace period; commits.

    The claim is the order's ``refunds_checked_at``, set in the same ``UPDATE`` that
    checks it, so two runners never refresh one order at once.
    """
    now = now_utc()
    grace = timedelta(seconds=budget.setting("STOREFRONT_RECONCILE_GRACE_SECONDS"))
    open_refund = db.select(Refund.id).where(Refund.order_id == Order.id,
                                             Refund.status.in_(REFUND_OPEN)).exists()
    due = db.and_(open_refund, db.or_(Order.refunds_checked_at.is_(None),
                                      Order.refunds_checked_at <= now - grace))
    candidates = db.select(Order.id).where(due).order_by(Order.refunds_checked_at).limit(limit)
    ids = db.session.execute(
        db.update(Order).where(Order.id.in_(candidates.scalar_subquery()), due)
        .values(refunds_checked_at=now).returning(Order.id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    db.session.commit()
    return list(ids)


def _back_off(report: PassReport, exc: RateLimited) -> bool:
    """Wait out a 429; False when the pass should stop (too many, or too long)."""
    report.backoffs += 1
    wait = exc.retry_after if exc.retry_after is not None else 1.0
    if report.backoffs > MAX_BACKOFFS_PER_PASS or wait > MAX_BACKOFF_SECONDS:
        log.warning("reconcile: rate-limited by Invoicebox; the rest waits for the next pass")
        report.stopped = "rate_limited"
        return False
    log.info("reconcile: rate-limited by Invoicebox; waiting %.1f s", wait)
    time.sleep(wait)
    return True
