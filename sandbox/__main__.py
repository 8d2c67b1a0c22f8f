"""Run the sandbox: ``python -m sandbox [--host H] [--port P] [--state PATH] [--config PATH]``.

Options fall back to ``SANDBOX_HOST``, ``SANDBOX_PORT``, ``SANDBOX_STATE``, ``SANDBOX_CONFIG``
and ``SANDBOX_LOG_LEVEL``; defaults are 127.0.0.1:8001 and ``instance/sandbox.sqlite3``.
``--state`` names the SQLite file (or a directory to hold ``sandbox.sqlite3``); the state
survives restarts unless ``--reset`` is given. ``--port 0`` takes any free port; with
``--ready-file`` the sandbox writes ``{"port": ..., "url": ..., "pid": ...}`` there once it
listens. ``SANDBOX_PUBLIC_URL`` sets the base of ``paymentUrl`` (default
``http://<host>:<port>``).

It is served by waitress: one process, a pool of request threads, HTTP/1.1 keep-alive and no
``Server`` banner, so clients see what a production API looks like (and the notifier and sweeper
threads share the process with the views, which a multi-process server would split apart).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from types import FrameType

from waitress import create_server

from .app import create_app
from .config import ConfigError, load_config
from .store import Store

log = logging.getLogger("sandbox")

DEFAULT_STATE = Path("instance") / "sandbox.sqlite3"
# Request threads. A view may wait on the shop (a synchronous notification whose handler calls
# the API back) or sleep in the api_timeout scenario, so there must be threads to spare.
THREADS = 16


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    env = os.environ
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="A local stand-in for the Invoicebox payment gateway, API v3.")
    parser.add_argument("--host", default=env.get("SANDBOX_HOST", "127.0.0.1"),
                        help="interface to listen on (SANDBOX_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=int(env.get("SANDBOX_PORT", "8001")),
                        help="port, 0 for any free one (SANDBOX_PORT, default 8001)")
    parser.add_argument("--state", type=Path,
                        default=Path(env.get("SANDBOX_STATE", DEFAULT_STATE)),
                        help=f"SQLite file or directory (SANDBOX_STATE, default {DEFAULT_STATE})")
    parser.add_argument("--config", type=Path, default=env.get("SANDBOX_CONFIG") or None,
                        help="JSON file with further merchants and switches (SANDBOX_CONFIG)")
    parser.add_argument("--reset", action="store_true", help="start with empty state")
    parser.add_argument("--ready-file", type=Path,
                        help="write {port, url, pid} here once listening")
    parser.add_argument("--log-level", default=env.get("SANDBOX_LOG_LEVEL", "INFO"),
                        help="logging level (SANDBOX_LOG_LEVEL, default INFO)")
    return parser.parse_args(argv)


def state_file(path: Path) -> Path:
    return path / "sandbox.sqlite3" if path.is_dir() or str(path).endswith(os.sep) else path


def wipe(path: Path) -> None:
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        candidate.unlink(missing_ok=True)


def listening_socket(host: str, port: int) -> socket.socket:
    """One listening socket (waitress would open one per address a host name resolves to,
    each on its own free port when ``port`` is 0)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=1024)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # waitress's run() treats this as a clean stop


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = load_config(args.config, os.environ)
    except ConfigError as exc:
        log.error("configuration error: %s", exc)
        return 2
    path = state_file(args.state)
    if args.reset:
        wipe(path)
    store = Store(path)

    holder: dict[str, object] = {}

    def application(environ, start_response):  # the real app needs the bound port first
        return holder["app"](environ, start_response)

    sock = listening_socket(args.host, args.port)
    server = create_server(application, sockets=[sock], threads=THREADS, ident="",
                           connection_limit=500, asyncore_use_poll=True)
    port = sock.getsockname()[1]
    url_host = "127.0.0.1" if args.host in ("0.0.0.0", "") else args.host
    if ":" in url_host:
        url_host = f"[{url_host}]"
    base = config.payment_page_base or f"http://{url_host}:{port}"
    app = create_app(replace(config, payment_page_base=base), store)
    holder["app"] = app
    svc = app.extensions["sandbox"]
    svc.start_background()
    signal.signal(signal.SIGTERM, _stop)
    log.info("Invoicebox sandbox on http://%s:%s (payment pages at %s), API prefixes %s,"
             " merchants %s", url_host, port, base, "/".join(config.api_prefixes),
             ", ".join(m.id for m in config.merchants))
    if args.ready_file:  # written then renamed, so a reader never sees half a file
        partial = args.ready_file.with_name(args.ready_file.name + ".tmp")
        partial.write_text(json.dumps({"port": port, "url": f"http://{url_host}:{port}",
                                       "pid": os.getpid()}))
        partial.replace(args.ready_file)
    try:
        server.run()
    finally:
        svc.stop_background()
        store.close()
        log.info("sandbox stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
