"""`gitward hook pre-receive`: judge one push and tell git to accept (0) or refuse (1) it.

stdin `old new ref` lines -> RefUpdates; policy from `--config`, else $GITWARD_CONFIG (which the
installed shim sets), else gitward.config's default; pusher and push options from the forge's
environment -> facts.gather -> policy.engine.evaluate -> one audit log line -> the report on
stderr.

Fail closed: whatever goes wrong (policy unreadable, verifier missing, object unreadable, time
budget exceeded, a bug) refuses the push with ONE line on stderr and never a traceback. The
details go to the admin's error log `gitward-errors.log` next to the audit log, which gets an
"error" line. When the policy cannot be read at all (so the audit log's place is unknown), both
go to $GITWARD_LOG_DIR, else to the repository's directory ($GIT_DIR), the audit line as
`gitward-audit.jsonl`.

Two clocks bound a run: the `Deadline` every git call honours, and an interval timer slightly
above the budget whose handler raises wherever the code is stuck (both refuse the push).
"""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, TextIO

from gitward import report
from gitward.errors import BudgetExceeded, ConfigError, GitError, GitwardError, VerifierUnavailable
from gitward.model import RefUpdate, Verdict
from gitward.pusher import Origin, detect, push_options

if TYPE_CHECKING:
    from gitward.config import LoadedConfig

# The timer fires this long after the budget: the Deadline should stop work first (with a
# better message); the timer catches whatever does not check the Deadline.
BACKSTOP_MARGIN = 0.25
DEFAULT_BUDGET = 4.0  # until the policy, which sets the real budget, is loaded
QUARANTINE_VARS = (
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_QUARANTINE_PATH",
)
ERROR_LOG = "gitward-errors.log"
FALLBACK_AUDIT = "gitward-audit.jsonl"

# What the pusher is told, by exception type (most specific first along the MRO).
WHAT: dict[type[BaseException], str] = {
    ConfigError: "the gitward policy on the server cannot be loaded",
    VerifierUnavailable: "a signature verifier is missing on the server",
    ImportError: "a library gitward needs is missing on the server",
    GitError: "gitward could not read the pushed objects",
    BudgetExceeded: "the check ran out of its time budget",
    OSError: "gitward hit a file system error on the server (audit log?)",
}


class BadInput(GitwardError):
    """git sent a line that is not `old new ref`."""


class Attempt:
    """What one run learned so far; the failure path logs whatever is known.

    A plain class, not a dataclass: creating a dataclass costs about 1 ms at import."""

    __slots__ = ("budget", "config", "env", "loaded", "origin", "received_at", "started", "updates")

    def __init__(self, env: Mapping[str, str], started: float, received_at: datetime) -> None:
        self.env = env
        self.started = started
        self.received_at = received_at
        self.updates: list[RefUpdate] = []
        self.loaded: LoadedConfig | None = None
        self.origin: Origin | None = None
        self.budget = DEFAULT_BUDGET
        self.config: str | None = None  # the policy path asked for (None: config's default)

    @property
    def git_dir(self) -> Path:
        return Path(self.env.get("GIT_DIR", ".")).absolute()

    def record(
        self, verdict_name: str, checked: int, verdict: Verdict | None, error: str | None = None
    ) -> dict[str, object]:
        return report.audit_record(
            received_at=self.received_at,
            origin=self.origin or detect(self.env, self.git_dir),
            updates=self.updates,
            verdict_name=verdict_name,
            commits_checked=checked,
            verdict=verdict,
            duration_ms=round((time.monotonic() - self.started) * 1000),
            error=error,
        )


def main(
    argv: Sequence[str] | None = None,
    stdin: TextIO | None = None,
    stderr: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Run the pre-receive check; `argv` excludes `gitward hook pre-receive`. Never raises."""
    env = os.environ if environ is None else environ
    err = stderr if stderr is not None else sys.stderr
    attempt = Attempt(env, time.monotonic(), datetime.now(UTC))
    try:
        with _backstop(DEFAULT_BUDGET) as rearm:
            config = _config_option(list(argv or []))
            attempt.config = config or env.get("GITWARD_CONFIG") or None
            text = (stdin if stdin is not None else _real_stdin()).read()
            return _run(attempt, text, err, rearm)
    except BaseException as exc:  # fail closed on anything, even SystemExit
        _fail(attempt, exc, err)
        return 1


def _config_option(argv: list[str]) -> str | None:
    """`--config PATH` / `--config=PATH`, the hook's only option (argparse costs ~10 ms a push)."""
    if not argv:
        return None
    if len(argv) == 2 and argv[0] == "--config":
        return argv[1]
    if len(argv) == 1 and argv[0].startswith("--config="):
        return argv[0].removeprefix("--config=")
    raise BadInput(f"unexpected hook arguments: {' '.join(argv)}")


def _real_stdin() -> TextIO:
    # Ref names are bytes to git; keep undecodable ones intact instead of failing on them.
    return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="surrogateescape")


def _run(attempt: Attempt, text: str, err: TextIO, rearm: _Rearm) -> int:
    # Imported here, inside main's try: a missing library (pysequoia, PyYAML) must refuse the
    # push with one line like any other failure, not crash with a traceback at import time.
    from gitward import audit, facts  # noqa: PLC0415
    from gitward.config import load  # noqa: PLC0415
    from gitward.deadline import Deadline  # noqa: PLC0415
    from gitward.git import Repo  # noqa: PLC0415
    from gitward.policy.engine import evaluate  # noqa: PLC0415

    try:
        attempt.updates = [RefUpdate.from_stdin_line(ln) for ln in text.splitlines() if ln.strip()]
    except ValueError as exc:
        raise BadInput(f"bad line from git on stdin: {exc}") from exc
    if not attempt.updates:
        return 0  # git never runs pre-receive without updates: nothing to judge
    env = attempt.env
    loaded = attempt.loaded = load(attempt.config)
    attempt.budget = loaded.policy.settings.timeout_seconds
    left = max(attempt.budget - (time.monotonic() - attempt.started), 1e-6)
    rearm(left + BACKSTOP_MARGIN)
    deadline = Deadline(left)
    origin = attempt.origin = detect(env, attempt.git_dir)
    overrides = {k: env[k] for k in QUARANTINE_VARS if k in env}
    with Repo(attempt.git_dir, overrides, deadline) as repo:
        push = facts.gather(
            repo,
            attempt.updates,
            loaded,
            origin.pusher,
            push_options(env),
            attempt.received_at,
            deadline,
            repository=origin.repository,
        )
    deadline.check("judging the push")
    verdict = evaluate(loaded.policy, loaded.signers, push)
    checked = len({o for ref in push.refs for oids in ref.commits_by_rule.values() for o in oids})
    name = "accepted" if verdict.allowed else "refused"
    audit.append(loaded.audit_log, attempt.record(name, checked, verdict))
    rearm(0)  # decided and recorded: the report must not be cut off half-way
    err.write("".join(line + "\n" for line in report.render(verdict, checked)))
    err.flush()
    return 0 if verdict.allowed else 1


def describe(exc: BaseException, budget: float) -> str:
    """The pusher's one-line explanation of a failure (no details: those are the admin's)."""
    for cls in type(exc).__mro__:
        if cls in WHAT:
            what = WHAT[cls]
            return f"{what} ({budget:g} s)" if cls is BudgetExceeded else what
    if isinstance(exc, BadInput):
        return "git sent input gitward cannot read"
    return "gitward hit an internal error"


def _fail(attempt: Attempt, exc: BaseException, err: TextIO) -> None:
    """Refuse with one line; log the traceback and an "error" audit line (best effort)."""
    what = describe(exc, attempt.budget)
    try:
        err.write(report.refusal_line(what) + "\n")
        err.flush()
    except Exception:  # noqa: S110  # nowhere left to tell; git still sees exit 1
        pass
    folder, audit_path = _log_places(attempt)
    import traceback  # noqa: PLC0415  # only failures need it (~2.5 ms at start-up)

    details = "".join(traceback.format_exception(exc))
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / ERROR_LOG).open("a", encoding="utf-8", errors="backslashreplace") as log:
            log.write(f"--- {stamp} {attempt.git_dir}: push refused: {what}\n{details}")
    except Exception:  # noqa: S110  # logging must never turn a refusal into a crash
        pass
    try:
        from gitward import audit  # noqa: PLC0415  # see _run

        audit.append(audit_path, attempt.record("error", 0, None, f"{what}: {exc}"[:2000]))
    except Exception:  # noqa: S110
        pass


def _log_places(attempt: Attempt) -> tuple[Path, Path]:
    """(folder of the error log, audit log) for a failed run: next to the configured audit
    log when the policy loaded, or at least its settings parse; else $GITWARD_LOG_DIR, else
    the repository's directory (with `FALLBACK_AUDIT` as the audit log)."""
    if attempt.loaded is not None:
        return attempt.loaded.audit_log.parent, attempt.loaded.audit_log
    try:
        from gitward.config import locate  # noqa: PLC0415  # see _run

        located = locate(attempt.config)
        if located.settings_ok:
            return located.audit_log.parent, located.audit_log
    except Exception:  # noqa: S110  # unreadable policy: fall back below
        pass
    folder = Path(attempt.env.get("GITWARD_LOG_DIR") or attempt.git_dir)
    return folder, folder / FALLBACK_AUDIT


class _Rearm:
    """Re-arms the backstop timer (a no-op outside the main thread)."""

    def __init__(self, armed: bool) -> None:
        self.armed = armed

    def __call__(self, seconds: float) -> None:
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.0))


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise BudgetExceeded("stopped by the backstop timer")


@contextmanager
def _backstop(seconds: float) -> Iterator[_Rearm]:
    """Arm SIGALRM `seconds + margin` from now; restore the previous handler on exit.

    Signal handlers only run in the main thread; elsewhere (a test calling `main` from a
    thread) the Deadline alone bounds the run."""
    if threading.current_thread() is not threading.main_thread():
        yield _Rearm(False)
        return
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    rearm = _Rearm(True)
    try:
        rearm(seconds + BACKSTOP_MARGIN)
        yield rearm
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
