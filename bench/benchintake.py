"""The intake figure: signed `push` deliveries acknowledged by `gitward serve --no-worker`
(embedded SQLite queue, no job worker: intake only), against the same gunicorn set-up serving a
route that answers 204 with no work (`benchnoop`). Target: at least half its requests per
second; p50/p99 latency reported for both.

Both servers run side by side, idle while the other is measured; each round measures the
baseline, then gitward, with the same number of distinct deliveries (a new `after` id each, so
the queue stores every one) and the same client processes. The figures are the median round's
rate and the latency percentiles over all rounds.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import statistics
from pathlib import Path

import benchforge as forge
import benchhttp
import benchserve as procs
from gitward.receiver.store_sqlite import SqliteStore

BEFORE = hashlib.sha1(b"bench-before", usedforsecurity=False).hexdigest()
TARGET = 0.5


def deliveries(port: int, first: int, count: int) -> list[bytes]:
    """`count` distinct signed push deliveries, numbered from `first`."""
    out = []
    for i in range(first, first + count):
        after = hashlib.sha1(b"bench-after-%d" % i, usedforsecurity=False).hexdigest()
        body = forge.push_payload("refs/heads/main", BEFORE, after)
        headers = forge.headers("push", body, f"bench-delivery-{i}")
        out.append(benchhttp.request("127.0.0.1", port, "/webhooks/gh", headers, body))
    return out


def fs_type(path: Path) -> str:
    """The file system holding `path` (its fsyncs are most of a delivery's cost)."""
    best, kind, where = "", "?", path.resolve()
    for line in Path("/proc/mounts").read_text().splitlines():
        _, point, fstype, *_ = line.split()
        if where.is_relative_to(point) and len(point) > len(best):
            best, kind = point, fstype
    return kind


def measure(root: Path, cfg: Path, args: argparse.Namespace) -> bool:
    etc, data = root / "intake-etc", root / "intake-data"
    shutil.copytree(cfg, etc)
    port, base_port = procs.free_port(), procs.free_port()
    procs.write_forges(etc, data, port, "http://127.0.0.1:9/api/v3", "git://127.0.0.1:9")
    workers, clients, count = args.intake_workers, args.intake_clients, args.intake_requests
    warm = max(clients * 10, count // 10)
    loads: dict[str, list[benchhttp.Load]] = {"noop": [], "gitward": []}
    sent = 0
    with (
        procs.process(procs.serve(etc, port, workers), root / "intake-serve.log") as gw,
        procs.process(procs.noop(base_port, workers), root / "intake-noop.log") as noop,
    ):
        procs.wait_up(f"http://127.0.0.1:{port}", gw, root / "intake-serve.log")
        procs.wait_up(f"http://127.0.0.1:{base_port}", noop, root / "intake-noop.log")
        targets = {"noop": base_port, "gitward": port}
        for at in targets.values():  # warm-up, not counted
            benchhttp.run(("127.0.0.1", at), deliveries(at, sent, warm), clients)
        sent += warm
        for _ in range(args.intake_rounds):
            for name, at in targets.items():
                batch = deliveries(at, sent, count)
                loads[name].append(benchhttp.run(("127.0.0.1", at), batch, clients))
            sent += count
    stored = SqliteStore(data / "queue.db").depth()
    return report(loads, stored, sent, args, fs_type(data))


def report(
    loads: dict[str, list[benchhttp.Load]],
    stored: int,
    sent: int,
    args: argparse.Namespace,
    fs: str,
) -> bool:
    def rate(name: str) -> float:
        return statistics.median(load.per_second for load in loads[name])

    def latency(name: str) -> str:
        pooled = benchhttp.Load(0, 0.0, [x for lo in loads[name] for x in lo.latencies], {}, 0)
        p50, p99 = pooled.percentile(50) * 1000, pooled.percentile(99) * 1000
        return f"p50 {p50:.1f} ms p99 {p99:.1f} ms"

    problems = []
    for name, wanted in (("gitward", 202), ("noop", 204)):
        for load in loads[name]:
            odd = {s: n for s, n in load.statuses.items() if s != wanted}
            if odd or load.errors:
                problems.append(f"{name} answered {odd} with {load.errors} failed request(s)")
    if stored != sent:
        problems.append(f"the queue holds {stored} jobs, {sent} deliveries were sent")
    ratio = rate("gitward") / rate("noop")
    ok = ratio >= TARGET and not problems
    print(
        f"intake: {args.intake_requests} push deliveries x {args.intake_rounds} rounds, "
        f"{args.intake_clients} clients, {args.intake_workers} web workers, queue on {fs}  "
        f"gitward serve --no-worker {rate('gitward'):.0f} req/s ({latency('gitward')})  "
        f"no-op 204 route {rate('noop'):.0f} req/s ({latency('noop')})  "
        f"ratio {ratio:.2f} (target >= {TARGET:.2f})  {'PASS' if ok else 'FAIL'}"
    )
    for problem in problems:
        print(f"intake: {problem}")
    return ok
