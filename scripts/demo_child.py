"""Run a server for the demo, and stop it when the demo is gone, however the demo ended.

    python scripts/demo_child.py FD MODULE [ARGS...]

runs ``python -m MODULE ARGS...`` in this same process. ``FD`` is the read end of a pipe
whose write end only ``scripts/demo.py`` holds. Nothing is ever written to it: when the
demo exits, even by SIGKILL, the kernel closes the write end and a read returns end of
file. A thread waits for that and sends this process SIGTERM, which each of the demo's
servers takes as "stop" (gunicorn then stops its workers); if the server is still there
after ``GRACE_SECONDS``, SIGKILL. A pipe works the same on every Unix, unlike Linux's
parent-death signal.
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
import threading
import time

GRACE_SECONDS = 10.0


def stop_when_closed(fd: int) -> None:
    while os.read(fd, 1):  # b"" is the end of file: the demo is gone
        pass
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(GRACE_SECONDS)
    os.kill(os.getpid(), signal.SIGKILL)


def main() -> None:
    fd, module, args = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    threading.Thread(target=stop_when_closed, args=(fd,), name="demo-watch", daemon=True).start()
    sys.argv = [module, *args]
    sys.path[0] = os.getcwd()  # as ``python -m`` has it, not this script's folder
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
