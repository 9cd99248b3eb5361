"""Running the receiver: gunicorn for the web workers, a huey consumer for the job workers.

`gitward serve` runs both (the job worker as a child process), so one command is a working
receiver; `gitward serve --no-worker` and `gitward worker` split them across hosts.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from gitward.receiver.queue import Queue, Runner

LOG = logging.getLogger("gitward.receiver")
TIMEOUT = 30  # a web request: intake answers in milliseconds; anything longer is stuck
GRACEFUL_TIMEOUT = 30  # time a worker gets to finish its request on SIGTERM


def metrics_dir(data_dir: Path) -> Path:
    """A fresh directory for prometheus-client's multiprocess files (stale ones would keep
    counting processes that are gone)."""
    path = data_dir / "metrics"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def serve_web(config: Path, bind: str, workers: int) -> int:
    """Run gunicorn with `create_app(config)` in this process until it is stopped."""
    from gunicorn.app.base import BaseApplication  # noqa: PLC0415

    from gitward.receiver.app import create_app  # noqa: PLC0415

    class Application(BaseApplication):  # type: ignore[misc]  # gunicorn ships no types
        def load_config(self) -> None:
            settings = {
                "bind": bind,
                "workers": workers,
                "timeout": TIMEOUT,
                "graceful_timeout": GRACEFUL_TIMEOUT,
                "accesslog": None,
                "errorlog": "-",
                "proc_name": "gitward-receiver",
                # gunicorn's runtime control socket (workers, reload, shutdown) at a path
                # shared by every gunicorn of the account: not needed, so not exposed.
                "control_socket_disable": True,
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return create_app(config)

    Application().run()
    return 0


def start_worker_process(config: Path, threads: int) -> subprocess.Popen[bytes]:
    """`gitward worker` as a child, with the parent's interpreter and environment."""
    argv = [sys.executable, "-m", "gitward", "worker", "--config", str(config)]
    return subprocess.Popen([*argv, "--threads", str(threads)])


def run_worker(queue: Queue, runner: Runner, threads: int, reclaim_every: float) -> int:
    """Consume jobs until stopped. SIGTERM is graceful: running jobs finish (a job that
    cannot is given back to the queue), then the process exits. SIGINT stops at once; a job it
    cuts short stays `running` under a dead owner and is queued again on the next start."""
    from huey.consumer import Consumer  # noqa: PLC0415

    queue.serve(runner)
    queue.reclaim()  # what a killed worker left behind, before taking anything new
    stop = threading.Event()
    queue.reclaim_periodically(reclaim_every, stop)
    consumer = Consumer(
        queue.huey,
        workers=threads,
        worker_type="thread",
        periodic=False,
        initial_delay=0.05,
        max_delay=1.0,
        graceful_signal="TERM",
        shutdown_timeout=GRACEFUL_TIMEOUT,
    )
    try:
        consumer.run()
    finally:
        stop.set()
    return 0


def configure_logging() -> None:
    level = os.environ.get("GITWARD_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(levelname)s %(message)s")
