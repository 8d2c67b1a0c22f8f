"""A real SMTP server for the mail tests: the demo's catcher (aiosmtpd) on a free port.

``Catcher.messages()`` parses the ``.eml`` files it kept; ``slow`` makes it take that
many seconds per message, as a busy server would.
"""

from __future__ import annotations

import asyncio
import socket
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from aiosmtpd.controller import Controller

from storefront.mail.catcher import SaveToFolder


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SlowSave(SaveToFolder):
    def __init__(self, folder: Path, seconds: float) -> None:
        super().__init__(folder)
        self.seconds = seconds

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        await asyncio.sleep(self.seconds)
        return await super().handle_DATA(server, session, envelope)


class Catcher:
    def __init__(self, folder: Path, port: int | None = None, slow: float = 0.0) -> None:
        self.folder = folder
        self.port = port or free_port()
        handler = SlowSave(folder, slow) if slow else SaveToFolder(folder)
        self.controller = Controller(handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> Catcher:
        self.controller.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.controller.stop()

    def files(self) -> list[Path]:
        return sorted(self.folder.glob("*.eml")) if self.folder.is_dir() else []

    def messages(self) -> list[EmailMessage]:
        parser = BytesParser(policy=policy.default)
        return [parser.parsebytes(path.read_bytes()) for path in self.files()]


def smtp_settings(port: int, **more: object) -> dict[str, object]:
    """The shop's settings for sending to 127.0.0.1:``port`` in the clear."""
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_SECURITY": "none",
            "SMTP_SENDER": "Sever Coffee <shop@sever-coffee.example>", "SMTP_TIMEOUT": 5,
            "STOREFRONT_STAFF_EMAIL": "staff@sever-coffee.example", **more}
