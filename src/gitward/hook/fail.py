"""How a failed hook run refuses the push: one line for the pusher, the details for the admin.

Whatever went wrong (policy unreadable, verifier missing, object unreadable, time budget
exceeded, a bug), the pusher gets ONE line naming the kind of failure and never a traceback.
The traceback goes to the admin's error log `gitward-errors.log` next to the audit log, which
gets an "error" line. When the policy cannot be read at all (so the audit log's place is
unknown), both go to $GITWARD_LOG_DIR, else to the repository's directory ($GIT_DIR), the audit
line as `gitward-audit.jsonl`. Every step is best effort: logging never turns a refusal into a
crash.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from gitward.errors import BadInput, BudgetExceeded, ConfigError, GitError, VerifierUnavailable
from gitward.report import render as report

if TYPE_CHECKING:
    from gitward.hook.attempt import Attempt

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


def describe(exc: BaseException, budget: float) -> str:
    """The pusher's one-line explanation of a failure (no details: those are the admin's)."""
    for cls in type(exc).__mro__:
        if cls in WHAT:
            what = WHAT[cls]
            return f"{what} ({budget:g} s)" if cls is BudgetExceeded else what
    if isinstance(exc, BadInput):
        return "git sent input gitward cannot read"
    return "gitward hit an internal error"


def fail(attempt: Attempt, exc: BaseException, err: TextIO) -> None:
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
        from gitward.audit import log as audit  # noqa: PLC0415  # see hook._run

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
        from gitward.config import locate  # noqa: PLC0415  # see hook._run

        located = locate(attempt.config)
        if located.settings_ok:
            return located.audit_log.parent, located.audit_log
    except Exception:  # noqa: S110  # unreadable policy: fall back below
        pass
    folder = Path(attempt.env.get("GITWARD_LOG_DIR") or attempt.git_dir)
    return folder, folder / FALLBACK_AUDIT
