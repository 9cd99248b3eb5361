"""The receiver figures of bench/run.py, run at toy sizes: they measure what they claim (every
delivery stored, the expected verdict) and print their lines. Whether a figure PASSes is not
checked here: timing on a shared test machine says nothing; the benchmark itself is for that.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).parents[1] / "bench" / "run.py"


def bench(*args: str) -> tuple[int, list[str]]:
    argv = [sys.executable, str(RUN), *args]
    done = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=240)
    assert done.returncode in (0, 1), done.stdout + done.stderr  # 1: a figure missed its target
    return done.returncode, done.stdout.splitlines()


def test_intake_compares_gitward_serve_with_a_no_work_route() -> None:
    code, lines = bench("--only", "intake", "--intake-requests", "60", "--intake-rounds", "2",
                        "--intake-clients", "2")  # fmt: skip
    figures = [line for line in lines if line.startswith("intake:")]
    assert len(figures) == 1, lines  # a second line names a problem (an answer or a lost job)
    pattern = (
        r"intake: 60 push deliveries x 2 rounds, 2 clients, 2 web workers, queue on \S+  "
        r"gitward serve --no-worker \d+ req/s \(p50 [\d.]+ ms p99 [\d.]+ ms\)  "
        r"no-op 204 route \d+ req/s \(p50 [\d.]+ ms p99 [\d.]+ ms\)  "
        r"ratio [\d.]+ \(target >= 0.50\)  (PASS|FAIL)"
    )
    assert re.fullmatch(pattern, figures[0]), figures[0]
    assert (code == 0) == figures[0].endswith("PASS")


def test_pull_request_figures_time_the_verdict_and_read_the_worker_peak() -> None:
    code, lines = bench("--only", "pull", "--pull-commits", "3", "--pull-large", "12")
    figures = [line for line in lines if line.startswith("pull:")]
    assert len(figures) == 2, lines  # a third line names a problem (a wrong verdict)
    timed, sized = figures
    assert re.fullmatch(
        r"pull: 3 SSH-signed commits  delivery to final status [\d.]+ s \(target < 5 s\)  "
        r"pending after [\d.]+ s  job judged in [\d.]+ s  worker peak RSS \d+ MB  (PASS|FAIL)",
        timed,
    ), timed
    assert re.fullmatch(
        r"pull: 12 SSH-signed commits  delivery to final status [\d.]+ s  "
        r"pending after [\d.]+ s  job judged in [\d.]+ s  "
        r"worker peak RSS [1-9]\d* MB \(target < 300 MB\)  (PASS|FAIL)",
        sized,
    ), sized
    assert (code == 0) == all(f.endswith("PASS") for f in figures)
