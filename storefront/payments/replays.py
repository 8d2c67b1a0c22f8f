"""A worker's memory of notifications whose answer can never change: replays cost no query.

Invoicebox sends a notification again until it reads ``success`` (ten times over a day),
and whoever captures one valid notification can replay it as often as they like. Once a
notification has paid its payment, or found it already paid, every identical copy must
get the same ``success`` and change nothing: ``completed`` is a terminal payment status
and everything else the answer depends on is in the signed body itself. So the handler
remembers the digests of such bodies, after the transaction that recorded them has
committed, and answers a verified identical copy from here without touching the
database. The first copy stays stored with the order; copies are logged, not stored.

The memory is per worker process, bounded (least recently seen go first), and safe
between the worker's threads. Forgetting is always safe: a forgotten copy takes the
full path again and gets the same answer from the database. The one thing it assumes
is that a completed payment stays completed in the database, so restoring the database
to an earlier point in time needs the workers restarted, as a deploy restarts them.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

CAPACITY = 10_000  # about 2 MB per worker


@dataclass(frozen=True)
class Remembered:
    """What the log line of a copy names: the ids of the stored first copy."""

    invoicebox_order_id: str | None
    order_id: int | None


class ReplayMemory:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[bytes, Remembered] = OrderedDict()
        self._lock = threading.Lock()

    def recall(self, body: bytes) -> Remembered | None:
        """What this worker remembers of exactly this body, if anything."""
        key = _digest(body)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def remember(self, body: bytes, ids: Remembered) -> None:
        """Call only after the transaction that recorded ``body`` has committed."""
        key = _digest(body)
        with self._lock:
            self._entries[key] = ids
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def _digest(body: bytes) -> bytes:
    return hashlib.sha256(body).digest()
