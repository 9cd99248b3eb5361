"""`gitward serve`: the webhook receiver (web workers, and the job worker unless --no-worker)."""

from __future__ import annotations

import argparse
import os
import signal
from pathlib import Path

HELP = "run the webhook receiver: intake on HTTP and, unless --no-worker, the job worker"


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="DIR",
        help="config directory holding policy.yaml and forges.yaml "
        "(default: $GITWARD_CONFIG, else /etc/gitward)",
    )


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    add_config_argument(parser)
    parser.add_argument("--bind", default="127.0.0.1:8088", help="address to listen on")
    parser.add_argument("--workers", type=int, default=2, help="web worker processes")
    parser.add_argument(
        "--threads", type=int, default=2, help="job worker threads (with the job worker)"
    )
    parser.add_argument(
        "--no-worker",
        action="store_true",
        help="run only the web workers; start `gitward worker` elsewhere",
    )


def config_dir(value: str | None) -> Path:
    """The config directory from --config, $GITWARD_CONFIG or /etc/gitward (a policy file
    names its directory)."""
    chosen = Path(value or os.environ.get("GITWARD_CONFIG") or "/etc/gitward")
    return chosen if chosen.is_dir() else chosen.parent


def run(args: argparse.Namespace) -> int:
    from gitward.config import forges_file  # noqa: PLC0415  # the dispatcher imports us
    from gitward.receiver import service  # noqa: PLC0415

    service.configure_logging()
    config = config_dir(args.config)
    forges = forges_file.load(forges_file.path_for(config))  # fail before forking anything
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(service.metrics_dir(forges.receiver.data_dir))
    worker = None if args.no_worker else service.start_worker_process(config, args.threads)
    try:
        return service.serve_web(config, args.bind, args.workers)
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)  # graceful: its jobs finish or go back
            worker.wait(timeout=service.GRACEFUL_TIMEOUT + 5)
