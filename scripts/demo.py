"""Run the shop and the Invoicebox sandbox together, ready to click through: ``make demo``.

* the sandbox (``python -m sandbox``) on 127.0.0.1:8001, its state in
  ``instance/sandbox.sqlite3``, told to deliver notifications for the demo merchant to the
  shop and to retry them on the fast schedule;
* the shop (``STOREFRONT_MODE=demo``) on 127.0.0.1:8000, its database migrated and seeded
  (catalog and the demo staff account) with the ``flask`` commands first;
* the reconcile runner (``flask invoicebox reconcile --every 5``), which asks the sandbox
  about payments and refunds whose news has not arrived (after a 20 s grace period in the
  demo, ``STOREFRONT_RECONCILE_GRACE_SECONDS``) and sends the mail waiting in the outbox;
* the mail catcher (``python -m storefront.mail.catcher``, built on aiosmtpd) on
  127.0.0.1:8025, the shop's SMTP server in the demo: it keeps every message as an
  ``.eml`` file in ``instance/mail/`` (``STOREFRONT_MAIL_DIR``), and staff read them at
  ``/staff/mail``.

``STOREFRONT_PORT``, ``SANDBOX_PORT`` and ``SMTP_PORT`` move them; the shop's public URL
follows its port and its ``INVOICEBOX_API_URL`` follows the sandbox's. ``DATABASE_URL`` and
``SANDBOX_STATE`` move the two databases, ``STOREFRONT_MAIL_DIR`` the caught mail;
``WEB_CONCURRENCY`` serves the shop with that many gunicorn workers.

However the demo is stopped, the servers and the runner stop with it: Ctrl-C; SIGINT,
SIGTERM or SIGHUP to this script or to the ``make`` running it; even SIGKILL of ``make`` or
of this script (see :class:`ParentWatch` and ``scripts/demo_child.py``). If any of the three
dies, the others are stopped too and the script exits non-zero.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from urllib.error import URLError
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
HOST = "127.0.0.1"
DEMO_MERCHANT_ID = "ffffffff-ffff-ffff-ffff-ffffffffffff"
CHILD = ROOT / "scripts" / "demo_child.py"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
PARENT_POLL_SECONDS = 0.25
# Bit n-1 of a /proc signal mask is signal n.
_TERMINATION_MASK = sum(1 << (sig - 1) for sig in (signal.SIGHUP, signal.SIGINT,
                                                      signal.SIGQUIT, signal.SIGTERM))

log = logging.getLogger("demo")


def shop_server_command(port: int) -> list[str]:
    """How the shop is served: the module and arguments of ``python -m``.

    With ``WEB_CONCURRENCY`` set, gunicorn runs that many worker processes, as
    ``make serve`` does in production; otherwise Flask's threaded werkzeug server, as
    ``flask run`` does. Everything else only needs the port to answer.
    """
    workers = os.environ.get("WEB_CONCURRENCY", "").strip()
    if workers:
        # gunicorn.conf.py reads the bind address and worker count from the environment.
        return ["gunicorn", "--config", str(ROOT / "gunicorn.conf.py"),
                "--workers", workers, "--bind", f"{HOST}:{port}"]
    return ["flask", "--app", "storefront", "run", "--host", HOST,
            "--port", str(port), "--with-threads", "--no-reload", "--no-debugger"]


def sandbox_state() -> Path:
    return Path(os.environ.get("SANDBOX_STATE") or INSTANCE / "sandbox.sqlite3")


RECONCILE_EVERY_SECONDS = 5
DEMO_RECONCILE_GRACE_SECONDS = "20"


def reconcile_command() -> list[str]:
    """The module and arguments of ``python -m`` that run the reconcile loop."""
    return ["flask", "--app", "storefront", "invoicebox", "reconcile",
            "--every", str(RECONCILE_EVERY_SECONDS)]


def mail_folder() -> Path:
    return Path(os.environ.get("STOREFRONT_MAIL_DIR") or INSTANCE / "mail")


def catcher_command(port: int) -> list[str]:
    """The module and arguments of ``python -m`` that run the mail catcher."""
    return ["storefront.mail.catcher", "--host", HOST, "--port", str(port),
            "--folder", str(mail_folder())]


def sandbox_command(port: int, config: Path) -> list[str]:
    """The module and arguments of ``python -m`` that serve the sandbox."""
    return ["sandbox", "--host", HOST, "--port", str(port),
            "--state", str(sandbox_state()), "--config", str(config)]


def shop_environment(shop_port: int, sandbox_port: int, smtp_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(STOREFRONT_MODE="demo", STOREFRONT_PORT=str(shop_port),
               INVOICEBOX_API_URL=f"http://{HOST}:{sandbox_port}",
               # The mail goes to the catcher, never to a real server.
               SMTP_HOST=HOST, SMTP_PORT=str(smtp_port), SMTP_SECURITY="none",
               STOREFRONT_MAIL_DIR=str(mail_folder()))
    for name in ("SMTP_USER", "SMTP_PASSWORD"):
        env.pop(name, None)
    env.pop("STOREFRONT_PUBLIC_URL", None)  # follows STOREFRONT_PORT in demo mode
    env.setdefault("STOREFRONT_RECONCILE_GRACE_SECONDS", DEMO_RECONCILE_GRACE_SECONDS)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def sandbox_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("SANDBOX_NOTIFY_MODE", "fast")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def shipment_control() -> bool:
    """``STOREFRONT_SHIPMENT_CONTROL``, as the shop reads it: the sandbox's merchant mirrors it."""
    return os.environ.get("STOREFRONT_SHIPMENT_CONTROL", "").strip().lower() in (
        "on", "1", "true", "yes")


def write_sandbox_config(shop_url: str) -> Path:
    """Point the demo merchant's notification and return URLs at the shop, and switch its
    shipment control as the shop's is switched."""
    path = sandbox_state().parent / "sandbox-config.json"
    config = {"merchants": [{
        "id": DEMO_MERCHANT_ID,
        "name": "Sever Coffee Roasters (demo)",
        "notification_url": f"{shop_url}/invoicebox/notification",
        "return_url": shop_url,
        "shipment_control": shipment_control(),
    }]}
    path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return path


def prepare_database(env: dict[str, str]) -> None:
    """Migrate the shop's database and load the catalog and demo staff (both repeatable).

    Their output (Alembic's line per migration) is shown only when a step fails.
    """
    log.info("preparing the shop's database: migrations, catalog, demo staff account")
    for args in (["db", "upgrade"], ["seed"]):
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "storefront", *args],
                              cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            sys.stderr.write(done.stdout + done.stderr)
            raise subprocess.CalledProcessError(done.returncode, done.args)


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def listens(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False


def answers(url: str) -> bool:
    try:
        with urlopen(url, timeout=1) as response:
            return response.status == 200
    except (URLError, OSError):
        return False


class Children:
    """The servers and the runner. Each runs in its own session, so a Ctrl-C reaches only this
    script, which then stops them in order instead of leaving half a demo running.

    Each is run through ``scripts/demo_child.py`` with the read end of a pipe whose write
    end only this process holds: if this process dies without stopping them (SIGKILL),
    the kernel closes the pipe and they stop themselves.
    """

    def __init__(self) -> None:
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._lifeline, self._held = os.pipe()  # neither end is inherited unless passed

    def start(self, name: str, module_args: list[str], env: dict[str, str]) -> None:
        """Start ``python -m MODULE ARGS...`` (``module_args``) as the server ``name``."""
        command = [sys.executable, str(CHILD), str(self._lifeline), *module_args]
        self.processes[name] = subprocess.Popen(command, cwd=ROOT, env=env,
                                                start_new_session=True,
                                                pass_fds=(self._lifeline,))

    def exited(self) -> str | None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                return name
        return None

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT
        for name, process in self.processes.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %.0f s; killing it", name, STOP_TIMEOUT)
                process.kill()
                process.wait()
        os.close(self._held)
        os.close(self._lifeline)


class ParentWatch(threading.Thread):
    """Sets ``stop`` when the process that started the demo is gone or is being stopped.

    * Gone: ``make`` killed with SIGKILL leaves this script to init (or a subreaper), so
      the parent process id changes.
    * Being stopped (Linux): GNU make passes a SIGTERM sent to it alone on to its recipe,
      but not a SIGINT or SIGHUP: it assumes a terminal sent that one to the whole process
      group, resets the signal to its default action and waits for the recipe to end. A
      SIGINT from a supervisor would so leave the demo running and ``make`` waiting for
      ever. The one trace is in ``/proc/<make>/status``: the signal is no longer among
      those caught (``SigCgt``). A termination signal that the parent caught when the demo
      started and no longer catches means the parent is on its way out.
    """

    def __init__(self, stop: threading.Event) -> None:
        super().__init__(name="parent-watch", daemon=True)
        self.stop = stop
        self.parent = os.getppid()
        self.caught = self._caught()

    def _caught(self) -> int | None:
        """The parent's caught-signal mask, where ``/proc`` shows it."""
        try:
            status = Path(f"/proc/{self.parent}/status").read_text(encoding="ascii")
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("SigCgt:"):
                return int(line.split()[1], 16)
        return None

    def reason(self) -> str | None:
        if os.getppid() != self.parent:
            return "the process that started the demo is gone"
        if self.caught is not None:
            now = self._caught()
            if now is not None and self.caught & ~now & _TERMINATION_MASK:
                return "the process that started the demo is stopping"
        return None

    def run(self) -> None:
        while not self.stop.wait(PARENT_POLL_SECONDS):
            if (why := self.reason()) is not None:
                log.info("%s", why)
                self.stop.set()


def wait_until_ready(children: Children, checks: dict[str, str | int],
                     stop: threading.Event) -> bool:
    """Wait until every check answers: a URL with 200, a port by accepting."""
    deadline = time.monotonic() + START_TIMEOUT
    pending = dict(checks)
    while pending and not stop.is_set():
        if (dead := children.exited()) is not None:
            log.error("the %s exited during start-up", dead)
            return False
        pending = {name: check for name, check in pending.items()
                   if not (listens(check) if isinstance(check, int) else answers(check))}
        if time.monotonic() > deadline:
            log.error("no answer from %s within %.0f s", ", ".join(pending), START_TIMEOUT)
            return False
        stop.wait(0.2)
    return not stop.is_set()


def banner(shop_url: str, sandbox_url: str, smtp_port: int) -> str:
    return "\n".join([
        "",
        "  Sever Coffee Roasters, paying through the Invoicebox sandbox, is ready.",
        "",
        f"    Shop ............... {shop_url}/",
        f"    Staff area ......... {shop_url}/staff/  (staff@example.com / staff)",
        f"    Invoicebox sandbox . {sandbox_url}/_sandbox/  (orders, notifications, scenarios)",
        f"    Mail ............... {shop_url}/staff/mail  (SMTP catcher on {HOST}:{smtp_port};",
        f"                         each message is kept as an .eml file in {mail_folder()})",
        "",
        "  Add something to the cart, check out, then press «Оплатить» (Pay) or",
        "  «Отказаться» (Decline) on the sandbox's payment page: it speaks the order's",
        "  language. The header switches the shop between Русский and English. A lost",
        "  notification is picked up by the reconcile runner within a minute.",
        "  Mail to the buyer (order placed, payment received, refund issued) is sent by",
        "  the runner, never to a real address.",
        "  «Оплатить гарантийно» (Pay as guarantee) reserves the money until the order",
        "  ships; staff ship a paid order with «Отгрузить» (Ship) on its page.",
        "  Ctrl-C stops the servers and the runner; README.md says how to start again.",
        "",
    ])


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="demo: %(message)s")
    shop_port = int(os.environ.get("STOREFRONT_PORT", "8000"))
    sandbox_port = int(os.environ.get("SANDBOX_PORT", "8001"))
    smtp_port = int(os.environ.get("SMTP_PORT", "8025"))
    shop_url, sandbox_url = f"http://{HOST}:{shop_port}", f"http://{HOST}:{sandbox_port}"
    for name, port in (("STOREFRONT_PORT", shop_port), ("SANDBOX_PORT", sandbox_port),
                       ("SMTP_PORT", smtp_port)):
        if not port_is_free(port):
            log.error("port %s is in use; stop what uses it or set %s", port, name)
            return 1
    INSTANCE.mkdir(exist_ok=True)
    sandbox_state().parent.mkdir(parents=True, exist_ok=True)
    env = shop_environment(shop_port, sandbox_port, smtp_port)
    try:
        prepare_database(env)
    except subprocess.CalledProcessError:
        log.error("could not prepare the shop's database (see above)")
        return 1

    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, request_stop)
    ParentWatch(stop).start()

    children = Children()
    try:
        children.start("sandbox", sandbox_command(sandbox_port, write_sandbox_config(shop_url)),
                       sandbox_environment())
        children.start("mail catcher", catcher_command(smtp_port), env)
        children.start("shop", shop_server_command(shop_port), env)
        children.start("reconcile runner", reconcile_command(), env)
        checks: dict[str, str | int] = {"sandbox": f"{sandbox_url}/_sandbox/health",
                                        "shop": f"{shop_url}/healthz",
                                        "mail catcher": smtp_port}
        if not wait_until_ready(children, checks, stop):
            return 0 if stop.is_set() else 1
        print(banner(shop_url, sandbox_url, smtp_port), flush=True)
        while not stop.is_set():
            if (dead := children.exited()) is not None:
                log.error("the %s stopped unexpectedly; stopping the demo", dead)
                return 1
            stop.wait(0.5)
        log.info("stopping")
        return 0
    finally:
        children.stop()


if __name__ == "__main__":
    sys.exit(main())
