"""The intake baseline: gitward's own gunicorn set-up serving a route that does no work.

    .venv/bin/python bench/benchnoop.py --bind 127.0.0.1:8089 --workers 2

Runs `gitward.receiver.service.serve_web`, the function `gitward serve` runs, with the app
factory swapped for one whose `POST /webhooks/<name>` answers 204 without reading anything:
same gunicorn settings (worker class, workers, timeouts, logging), same process layout, so the
ratio measures what gitward's intake costs and nothing else.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path

from flask import Flask, Response

import gitward.receiver.app
from gitward.receiver import service
from gitward.receiver.queue import Queue


def create_noop_app(
    config: str | Path,
    *,
    environ: Mapping[str, str] | None = None,
    queue: Queue | None = None,
) -> Flask:
    """A stand-in for `create_app` (same signature): nothing read, nothing checked."""
    app = Flask("gitward_bench_noop")

    @app.post("/webhooks/<name>")
    def webhook(name: str) -> Response:
        return Response(status=204)

    @app.get("/healthz")
    def healthz() -> Response:
        return Response(status=200)

    return app


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bind", required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    service.configure_logging()
    # serve_web imports create_app from this module when it runs: the swap reaches it.
    gitward.receiver.app.create_app = create_noop_app
    return service.serve_web(Path(), args.bind, args.workers)


if __name__ == "__main__":
    raise SystemExit(main())
