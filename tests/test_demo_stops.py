"""However ``make demo`` is stopped, its servers (and its mail catcher) stop with it.

The servers run in sessions of their own (so that a terminal's Ctrl-C reaches only the demo
script, which stops them in order). Before, a signal to ``make``'s process alone left them
running: make passes SIGINT on to nobody and waits, and a SIGKILL of make or of the script
orphaned them. Each case starts the real demo on free ports, waits until both servers
answer, sends one signal to one process, and then expects every process of the demo gone
and both ports silent within a few seconds.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

import pytest

from tests.production.live import free_port

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60.0
STOP_TIMEOUT = 8.0

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(),
                                reason="finds the demo's processes in /proc (Linux)")


def _answers(url: str) -> bool:
    try:
        with urlopen(url, timeout=1) as response:
            return response.status == 200
    except (URLError, OSError):
        return False


def _listens(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _parents() -> dict[int, int]:
    """Every live process and its parent, from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            found[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    return found


def _tree(root: int) -> set[int]:
    """``root`` and all its descendants."""
    parents = _parents()
    tree, grew = {root}, True
    while grew:
        children = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= children
        grew = bool(children)
    return tree


def _alive(pid: int) -> bool:
    """Running, as opposed to gone or a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


class Demo:
    """``make demo`` (or the script itself) on free ports, with its state in ``workdir``."""

    def __init__(self, workdir: Path, via_make: bool) -> None:
        self.shop_port, self.sandbox_port = free_port(), free_port()
        self.smtp_port = free_port()
        self.checks = (f"http://127.0.0.1:{self.shop_port}/healthz",
                       f"http://127.0.0.1:{self.sandbox_port}/_sandbox/health")
        theirs = ("STOREFRONT_", "INVOICEBOX_", "SANDBOX_", "SMTP_", "DATABASE_URL",
                  "SECRET_KEY", "WEB_CONCURRENCY", "MAKE", "MFLAGS")
        env = {k: v for k, v in os.environ.items() if not k.startswith(theirs)}
        env.update(STOREFRONT_PORT=str(self.shop_port), SANDBOX_PORT=str(self.sandbox_port),
                   SMTP_PORT=str(self.smtp_port), STOREFRONT_MAIL_DIR=str(workdir / "mail"),
                   DATABASE_URL=f"sqlite:///{workdir / 'shop.db'}",
                   SANDBOX_STATE=str(workdir / "sandbox.sqlite3"))
        command = (["make", "--no-print-directory", "demo"] if via_make
                   else [sys.executable, str(ROOT / "scripts" / "demo.py")])
        self.log = open(workdir / "demo.log", "wb")  # noqa: SIM115  (closed in stop_all)
        # A session of its own, like a supervisor's child: no signal of this test run's
        # terminal reaches it, and none of its signals reach pytest.
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        self.processes: set[int] = set()

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not (all(_answers(url) for url in self.checks) and _listens(self.smtp_port)):
            assert self.process.poll() is None, f"the demo exited:\n{self.log_text()}"
            assert time.monotonic() < deadline, f"the demo did not start:\n{self.log_text()}"
            time.sleep(0.2)
        self.processes = _tree(self.process.pid)
        # (make,) the script, two servers, the mail catcher and the runner
        assert len(self.processes) >= 5, self.processes

    def signal_demo_script(self, signum: int) -> None:
        """Send ``signum`` to scripts/demo.py itself (under make: make's child)."""
        script = [pid for pid in self.processes if pid != self.process.pid
                  and "scripts/demo.py" in Path(f"/proc/{pid}/cmdline").read_text()]
        os.kill(script[0] if script else self.process.pid, signum)

    def wait_until_gone(self) -> tuple[set[int], list[str]]:
        """The processes still alive and the URLs still answering after STOP_TIMEOUT."""
        deadline = time.monotonic() + STOP_TIMEOUT
        while True:
            self.process.poll()  # reaps make (or the script) once it exits: then it is gone
            alive = {pid for pid in self.processes if _alive(pid)}
            answering = [url for url in self.checks if _answers(url)]
            if _listens(self.smtp_port):
                answering.append(f"smtp://127.0.0.1:{self.smtp_port}")
            if (not alive and not answering) or time.monotonic() > deadline:
                return alive, answering
            time.sleep(0.2)

    def stop_all(self) -> None:
        """Clean up after a failed case: kill what is left of this demo, by process id."""
        for pid in self.processes | {self.process.pid}:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.log.close()

    def log_text(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-3000:]


# (who gets the signal, which signal)
CASES = [
    ("make", signal.SIGINT),  # a supervisor's SIGINT: make waits for the demo to end
    ("make", signal.SIGTERM),
    ("make", signal.SIGKILL),  # the demo script is orphaned and must notice
    ("script", signal.SIGKILL),  # the servers are orphaned and must notice
    ("script under make", signal.SIGTERM),
]


@pytest.mark.parametrize(("target", "signum"), CASES,
                         ids=[f"{target}-{signal.Signals(s).name}" for target, s in CASES])
def test_every_way_of_stopping_the_demo_stops_both_servers(tmp_path, target, signum):
    demo = Demo(tmp_path, via_make=target != "script")
    try:
        demo.wait_until_ready()
        if target == "make":
            demo.process.send_signal(signum)
        else:
            demo.signal_demo_script(signum)
        alive, answering = demo.wait_until_gone()
        assert answering == [], demo.log_text()
        assert alive == set(), demo.log_text()
    finally:
        demo.stop_all()
