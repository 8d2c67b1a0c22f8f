"""Mail to buyers and staff, through a transactional outbox.

* :mod:`.messages` queues each message (order placed, payment received, order shipped
  (one per shipment), order not deliverable, refund issued, refund request answered, and
  to staff a new refund request) with one ``INSERT`` in the
  transaction of the change it tells about (:mod:`.outbox`, unique per message);
* :mod:`.delivery` drains the outbox in each pass of ``flask invoicebox reconcile``:
  claimed under a lease, rendered (:mod:`.render`, templates in ``templates/mail/``, in
  the order's language) and sent over SMTP (:mod:`.smtp`) with no transaction open,
  retried with back-off while the server is down;
* :mod:`.catcher` is the demo's SMTP server (aiosmtpd), keeping ``.eml`` files that
  :mod:`.inbox` reads for ``/staff/mail``.

Nothing is ever sent inside a web request.
"""

from .delivery import MailReport, deliver_due
from .messages import (
    public_url,
    queue_order_placed,
    queue_order_shipped,
    queue_order_undeliverable,
    queue_payment_received,
    queue_refund_issued,
    queue_refund_request_answered,
    queue_refund_request_received,
)
from .outbox import MailKind

__all__ = [
    "MailKind",
    "MailReport",
    "deliver_due",
    "public_url",
    "queue_order_placed",
    "queue_order_shipped",
    "queue_order_undeliverable",
    "queue_payment_received",
    "queue_refund_issued",
    "queue_refund_request_answered",
    "queue_refund_request_received",
]
