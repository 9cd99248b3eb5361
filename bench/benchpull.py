"""The pull-request figure: a pull request of N signed commits, from the webhook delivery to
the final commit status arriving at the forge, through a running receiver.

The forge is a git daemon (its repository packed, as a forge keeps it) and a REST double
(`benchforge`), both on loopback; the receiver is `gitward serve --no-worker` plus one
`gitward worker` process started here, so its peak RSS (VmHWM: the worker process itself, not
the git processes it runs) is read without guessing which child is which. The base branch is
already mirrored: a push job on it runs first. Then the pull request's delivery is timed until
its final status is received. The figure includes what a real receiver would also spend: the
worker noticing the job (huey polls the queue), fetching, judging, and the forge client's
pacing of its two status posts (pending, then final: at least a second apart).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import time
from pathlib import Path
from typing import NamedTuple

import benchforge as forge
import benchkeys as keys
import benchobjs as gitobjs
import benchserve as procs
from gitward.receiver.store_sqlite import SqliteStore

ZERO = "0" * 40
SECONDS_TARGET = 5.0  # for --pull-commits
RSS_TARGET_MB = 300  # for --pull-large


class Run(NamedTuple):
    commits: int
    seconds: float  # delivery sent -> final status received
    pending: float  # delivery sent -> pending status received
    judged: float  # the job's own time, from its record
    rss_kib: int  # the worker's peak
    problem: str  # "" when the verdict is the expected one


def served(root: Path, commits: int, sign: gitobjs.Sign) -> tuple[Path, str, str]:
    """The forge's acme/app: `main` at one signed commit, pull request 1 adding `commits`
    more; (base folder for git daemon, base commit, head commit)."""
    top = root / "served"
    repo = top / "acme" / "app.git"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True, env=procs.ENV)
    (base,) = gitobjs.commit_chain(repo, 1, sign)
    *_, head = gitobjs.commit_chain(repo, commits, sign, parent=base, start=1)
    for ref, oid in (("refs/heads/main", base), ("refs/pull/1/head", head)):
        subprocess.run(["git", "--git-dir", str(repo), "update-ref", ref, oid], check=True,
                       env=procs.ENV)  # fmt: skip
    subprocess.run(["git", "--git-dir", str(repo), "repack", "-a", "-d", "-q"], check=True,
                   env=procs.ENV)  # fmt: skip
    return top, base, head


def one(root: Path, cfg: Path, signer: keys.SSHSigner, commits: int, wait: float) -> Run:
    root.mkdir()
    etc, data = root / "etc", root / "data"
    shutil.copytree(cfg, etc)
    top, base, head = served(root, commits, signer.sign)
    port = procs.free_port()
    url = f"http://127.0.0.1:{port}/webhooks/gh"
    with (
        forge.forge_double() as (double, api_url),
        procs.git_daemon(top, root / "daemon.log") as git_url,
    ):
        procs.write_forges(etc, data, port, api_url, git_url)
        log = root / "receiver.log"
        with (
            procs.process(procs.serve(etc, port, 2), log) as web,
            procs.process(procs.gitward("worker", "--config", str(etc)), log) as worker,
        ):
            procs.wait_up(f"http://127.0.0.1:{port}", web, log)
            body = forge.push_payload("refs/heads/main", ZERO, base)
            procs.post(url, body, forge.headers("push", body, "bench-base"))
            mirrored = double.final(base, wait)
            if mirrored is None or mirrored.state != "success":
                return Run(commits, 0, 0, 0, 0, f"the base branch's job ended {mirrored}")
            time.sleep(1.1)  # past the forge client's pacing of the base job's last post
            body = forge.pull_payload(1, "main", head)
            sent = time.monotonic()
            status, answer = procs.post(url, body, forge.headers("pull_request", body, "pr"))
            final = double.final(head, wait)
            rss = procs.peak_rss_kib(worker.pid)
    if status != 202 or final is None:
        return Run(commits, 0, 0, 0, rss, f"delivery answered {status}, final status {final}")
    pending = double.first(head)
    at = pending.at - sent if pending else float("nan")
    expected = final.state == "success" and final.description.startswith(f"{commits} commit")
    problem = "" if expected else f"final status {final.state}: {final.description}"
    return Run(commits, final.at - sent, at, judged(data, str(answer["job"])), rss, problem)


def judged(data: Path, job_id: str) -> float:
    """The seconds the job's record says judging took (fetch, facts, policy)."""
    record = SqliteStore(data / "queue.db").get(job_id)
    seconds = (record.result or {}).get("seconds") if record else None
    return float(seconds) if isinstance(seconds, int | float) else float("nan")


def measure(root: Path, cfg: Path, signer: keys.SSHSigner, args: argparse.Namespace) -> bool:
    ok = True
    for commits, is_timed in ((args.pull_commits, True), (args.pull_large, False)):
        if commits <= 0:
            continue
        run = one(root / f"pull-{commits}", cfg, signer, commits, args.pull_wait)
        ok &= report(run, is_timed)
    return ok


def report(run: Run, is_timed: bool) -> bool:
    mb = run.rss_kib / 1024
    if is_timed:
        ok = run.seconds < SECONDS_TARGET and not run.problem
        target = f" (target < {SECONDS_TARGET:g} s)"
        rss = f"worker peak RSS {mb:.0f} MB"
    else:
        ok = mb < RSS_TARGET_MB and not run.problem
        target = ""
        rss = f"worker peak RSS {mb:.0f} MB (target < {RSS_TARGET_MB} MB)"
    print(
        f"pull: {run.commits} SSH-signed commits  delivery to final status {run.seconds:.2f} s"
        f"{target}  pending after {run.pending:.2f} s  job judged in {run.judged:.2f} s  "
        f"{rss}  {'PASS' if ok else 'FAIL'}"
    )
    if run.problem:
        print(f"pull: {run.problem}")
    return ok
