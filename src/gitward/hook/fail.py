"""How a failed hook run refuses the push: one line for the pusher, the details for the admin.

Whatever went wrong (policy unreadable, verifier missing, object unreadable, time budget
exceeded, a bug), the pusher gets ONE line naming the kind of failure and never a traceback.
The traceback goes to the admin's error log `gitward-errors.log` next to the audit log, which
gets an "error" line. When the policy's settings are unknown (so is the audit log's place),
both go to $GITWARD_LOG_DIR, else to the repository's directory ($GIT_DIR), the audit line as
`gitward-audit.jsonl`. Every step is best effort: logging never turns a refusal into a crash.

Bounded, like the rest of the run: the policy is never read again (what was read is in the
`Attempt`; the read may be what hung), files are opened without blocking, and the audit log's
lock is waited for until `LOG_GRACE` after the budget at most. The pusher has the refusal line
before any of it.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from gitward.errors import (
    BadInput,
    BudgetExceeded,
    CheckerUnavailable,
    ConfigError,
    GitError,
    PolicyFailed,
    PolicyRollback,
    VerifierUnavailable,
)
from gitward.report import render as report

if TYPE_CHECKING:
    from gitward.hook.attempt import Attempt

ERROR_LOG = "gitward-errors.log"
FALLBACK_AUDIT = "gitward-audit.jsonl"
# How long after the budget the logs may take (a locked audit log): the push is already refused.
LOG_GRACE = 0.5

# What the pusher is told, by exception type (most specific first along the MRO).
WHAT: dict[type[BaseException], str] = {
    PolicyRollback: "the gitward policy on the server was moved back to an older commit",
    ConfigError: "the gitward policy on the server cannot be loaded",
    VerifierUnavailable: "a signature verifier is missing on the server",
    CheckerUnavailable: "a content checker is missing on the server",
    ImportError: "a library gitward needs is missing on the server",
    GitError: "gitward could not read the pushed objects",
    BudgetExceeded: "the check ran out of its time budget",
    OSError: "gitward hit a file system error on the server (audit log?)",
}


def describe(exc: BaseException, budget: float) -> str:
    """The pusher's one-line explanation of a failure (no details: those are the admin's)."""
    for cls in type(exc).__mro__:
        if cls in WHAT:
            what = WHAT[cls]
            return f"{what} ({budget:g} s)" if cls is BudgetExceeded else what
    if isinstance(exc, PolicyFailed):  # the pusher may have to ask about that policy
        return f"the Rego policy {exc.policy} failed to judge a pushed manifest"
    if isinstance(exc, BadInput):
        return "git sent input gitward cannot read"
    return "gitward hit an internal error"


def fail(attempt: Attempt, exc: BaseException, err: TextIO) -> None:
    """Refuse with one line; log the traceback and an "error" audit line (best effort)."""
    what = describe(exc, attempt.budget)
    if attempt.speak():
        try:
            err.write(report.refusal_line(what) + "\n")
            err.flush()
        except Exception:  # noqa: S110  # nowhere left to tell; git still sees exit 1
            pass
    folder, audit_path = _log_places(attempt, exc)
    import traceback  # noqa: PLC0415  # only failures need it (~2.5 ms at start-up)

    details = "".join(traceback.format_exception(exc))
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        text = f"--- {stamp} {attempt.git_dir}: push refused: {what}\n{details}"
        _append(folder / ERROR_LOG, text.encode("utf-8", "backslashreplace"))
    except Exception:  # noqa: S110  # logging must never turn a refusal into a crash
        pass
    try:
        from gitward.audit import log as audit  # noqa: PLC0415  # see hook._run
        from gitward.deadline import Deadline  # noqa: PLC0415

        until = Deadline(max(attempt.end + LOG_GRACE - time.monotonic(), 1e-3))
        record = attempt.record("error", 0, None, f"{what}: {exc}"[:2000])
        audit.append(audit_path, record, until)
    except Exception:  # noqa: S110
        pass


def _append(path: Path, data: bytes) -> None:
    # O_NONBLOCK: a FIFO in the log's place fails at once instead of waiting for a reader.
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | os.O_NONBLOCK
    fd = os.open(path, flags, 0o640)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def _log_places(attempt: Attempt, exc: BaseException) -> tuple[Path, Path]:
    """(folder of the error log, audit log) for a failed run: next to the configured audit
    log when the policy loaded, or at least its settings parsed, or when a refused step back of
    the policy repository names the last policy's; else $GITWARD_LOG_DIR, else the
    repository's directory (with `FALLBACK_AUDIT` as the audit log)."""
    if attempt.loaded is not None:
        return attempt.loaded.audit_log.parent, attempt.loaded.audit_log
    if isinstance(exc, PolicyRollback) and exc.audit_log is not None:
        return exc.audit_log.parent, exc.audit_log
    located = attempt.located
    if located is not None and located.settings_ok:
        return located.audit_log.parent, located.audit_log
    folder = Path(attempt.env.get("GITWARD_LOG_DIR") or attempt.git_dir)
    return folder, folder / FALLBACK_AUDIT
