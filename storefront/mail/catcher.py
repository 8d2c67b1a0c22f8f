"""The demo's mail server: takes every message over SMTP and keeps it as an ``.eml`` file.

    python -m storefront.mail.catcher --port 8025 --folder instance/mail

``make demo`` runs it beside the shop and points ``SMTP_*`` at it, so the demo's mail
goes through the same code as production's, over real SMTP, and ends up in files that
any mail client opens and that staff read at ``/staff/mail``. Built on ``aiosmtpd``; it
relays nothing. SIGTERM or SIGINT stops it.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller

log = logging.getLogger("mail-catcher")


class SaveToFolder:
    """An aiosmtpd handler writing each message, as received, to ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        body = envelope.original_content or envelope.content
        name = f"{datetime.now(UTC):%Y%m%d-%H%M%S-%f}-{secrets.token_hex(4)}.eml"
        # Written whole, then moved into place: a reader never sees half a message.
        handle, draft = tempfile.mkstemp(dir=self.folder, prefix=".incoming-")
        with os.fdopen(handle, "wb") as file:
            file.write(body if isinstance(body, bytes) else body.encode())
        os.replace(draft, self.folder / name)
        log.info("message to %s kept as %s", ", ".join(envelope.rcpt_tos), name)
        return "250 Message accepted for delivery"


def start(folder: Path, host: str = "127.0.0.1", port: int = 8025) -> Controller:
    """Serve on ``host:port`` in a thread of this process; returns once it answers."""
    controller = Controller(SaveToFolder(folder), hostname=host, port=port)
    controller.start()
    return controller


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--folder", type=Path, default=Path("instance") / "mail")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="mail catcher: %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's line per command
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    controller = start(args.folder, args.host, args.port)
    log.info("listening on %s:%s; messages go to %s", args.host, args.port, args.folder)
    try:
        stopping.wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
