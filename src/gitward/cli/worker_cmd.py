"""`gitward worker`: the receiver's job worker (judges queued pushes and pull requests)."""

from __future__ import annotations

import argparse
import threading

from gitward.cli.serve_cmd import add_config_argument, config_dir

HELP = "run the receiver's job worker: judge queued pushes and pull requests"


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    add_config_argument(parser)
    parser.add_argument("--threads", type=int, default=2, help="jobs run at once")
    parser.add_argument(
        "--sweep-every",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="look for heads that never got a status this often (0: only at start)",
    )
    parser.add_argument(
        "--reclaim-every",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="look for jobs a dead worker left this often",
    )


def run(args: argparse.Namespace) -> int:
    from gitward.config import forges_file, policy_path  # noqa: PLC0415
    from gitward.receiver import service, worker  # noqa: PLC0415
    from gitward.receiver.queue import Queue  # noqa: PLC0415

    service.configure_logging()
    config = config_dir(args.config)
    forges = forges_file.load(forges_file.path_for(config))
    by_forge = worker.clients(forges)
    queue = Queue(forges.receiver.queue)
    judge = worker.judge(policy_path(config), forges, by_forge)
    stop = threading.Event()
    if args.sweep_every > 0:
        worker.sweep_periodically(queue, forges, by_forge, args.sweep_every, stop)
    else:
        worker.sweep(queue, forges, by_forge)
    try:
        return service.run_worker(queue, worker.runner(judge), args.threads, args.reclaim_every)
    finally:
        stop.set()
