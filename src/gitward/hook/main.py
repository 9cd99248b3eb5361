"""`gitward hook pre-receive`: judge one push and tell git to accept (0) or refuse (1) it.

stdin `old new ref` lines -> RefUpdates; policy from `--config`, else $GITWARD_CONFIG (which the
installed shim sets), else gitward.config's default; pusher and push options from the forge's
environment -> facts.gather -> policy.engine.evaluate -> one audit log line -> the report on
stderr.

Fail closed: whatever goes wrong (policy unreadable, verifier missing, object unreadable, time
budget exceeded, a bug) refuses the push with ONE line on stderr and never a traceback; the
details go to the admin's logs (`hook.fail`).

Three clocks bound a run: the `Deadline` every git call (and the audit log's lock) honours, an
interval timer slightly above the budget whose handler raises wherever the main thread is stuck
(`hook.backstop`; both refuse), and in the hook's own process a watchdog thread that ends the
process when even that could not (`hook.watchdog`).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TextIO

from gitward.errors import BadInput
from gitward.hook.ancestry import Ancestry, ancestry
from gitward.hook.attempt import DEFAULT_BUDGET, Attempt
from gitward.hook.backstop import BACKSTOP_MARGIN, Rearm, backstop
from gitward.hook.fail import fail
from gitward.hook.pusher import push_options
from gitward.hook.watchdog import arm
from gitward.model import RefUpdate, Violation
from gitward.report import render as report

QUARANTINE_VARS = (
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_QUARANTINE_PATH",
)
USAGE = """\
usage: gitward hook pre-receive [--config PATH]
git runs this hook with GIT_DIR set and the pushed ref updates on stdin ("OLD NEW REF" lines).
Run by hand it judges nothing and writes nothing; to check commits, use `gitward check`.
"""


def main(
    argv: Sequence[str] | None = None,
    stdin: TextIO | None = None,
    stderr: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
    ancestors: Ancestry = ancestry,
    *,
    watchdog: bool = False,
) -> int:
    """Run the pre-receive check; `argv` excludes `gitward hook pre-receive`. Never raises.

    `ancestors` lists the argv of the hook's ancestor processes (tests pass their own): a name
    for a local push needs the `git push` that started receive-pack among them. `watchdog`:
    this is the hook's own process, which may be ended at the budget plus a margin whatever it
    is doing (never in a test's process)."""
    env = os.environ if environ is None else environ
    err = stderr if stderr is not None else sys.stderr
    why = _by_hand(argv or (), env, stdin)
    if why is not None:
        # Exit 2 before anything else: a failed run would leave its logs in the current
        # directory (the fallback for an unknown $GIT_DIR).
        with contextlib.suppress(Exception):  # the exit code still says it
            err.write(f"gitward: not run by git ({why})\n{USAGE}" if why else USAGE)
        return 2
    attempt = Attempt(env, time.monotonic(), datetime.now(UTC), ancestors)
    if watchdog:
        arm(attempt)
    try:
        with backstop(DEFAULT_BUDGET) as rearm:
            config = _config_option(list(argv or []))
            attempt.config = config or env.get("GITWARD_CONFIG") or None
            text = (stdin if stdin is not None else _real_stdin()).read()
            attempt.code = _run(attempt, text, err, rearm)
            return attempt.code
    except BaseException as exc:  # fail closed on anything, even SystemExit
        attempt.code = 1
        fail(attempt, exc, err)
        return 1


def _by_hand(args: Sequence[str], env: Mapping[str, str], stdin: TextIO | None) -> str | None:
    """Why this run is not git's ("" for --help), or None when it looks like git's."""
    if "--help" in args or "-h" in args:
        return ""
    if "GIT_DIR" not in env:  # git sets it for every hook
        return "GIT_DIR is not set"
    source = stdin if stdin is not None else sys.stdin
    try:
        if source is not None and source.isatty():  # git gives hooks a pipe
            return "stdin is a terminal"
    except ValueError:  # closed: reading it fails below, and refuses
        pass
    return None


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


def _run(attempt: Attempt, text: str, err: TextIO, rearm: Rearm) -> int:
    # Imported here, inside main's try: a missing library (pysequoia, PyYAML) must refuse the
    # push with one line like any other failure, not crash with a traceback at import time.
    from gitward.audit import log as audit  # noqa: PLC0415
    from gitward.config import load_located, locate  # noqa: PLC0415
    from gitward.deadline import Deadline  # noqa: PLC0415
    from gitward.facts import gather as facts  # noqa: PLC0415
    from gitward.facts.before import read_refs_before  # noqa: PLC0415
    from gitward.facts.merges import gather_merge  # noqa: PLC0415
    from gitward.git.repo import Repo  # noqa: PLC0415
    from gitward.hook.mergeclaim import merge_claim  # noqa: PLC0415
    from gitward.policy.engine import evaluate  # noqa: PLC0415

    try:
        attempt.updates = [RefUpdate.from_stdin_line(ln) for ln in text.splitlines() if ln.strip()]
    except ValueError as exc:
        raise BadInput(f"bad line from git on stdin: {exc}") from exc
    if not attempt.updates:
        return 0  # git never runs pre-receive without updates: nothing to judge
    env = attempt.env
    located = attempt.located = locate(attempt.config)
    if located.settings_ok:  # the admin's budget, even when the rest of the policy is broken
        attempt.budget = located.settings.timeout_seconds
        rearm(attempt.left() + BACKSTOP_MARGIN)
    loaded = attempt.loaded = load_located(located)
    deadline = Deadline(attempt.left())
    origin = attempt.origin = attempt.detect()
    overrides = {k: env[k] for k in QUARANTINE_VARS if k in env}
    refused: tuple[Violation, ...] = ()
    if located.from_repo is not None:  # a push to the policy repository: its own rules
        from gitward.config.policyrepo import incoming  # noqa: PLC0415

        loaded, refused = incoming.for_push(
            loaded, located.from_repo, attempt.git_dir, attempt.updates, overrides
        )
    claim = merge_claim(env)  # Gitea pushing a pull request's merge, if it says so
    with Repo(attempt.git_dir, overrides, deadline) as repo:
        before = read_refs_before(repo, attempt.updates, deadline)  # git moves refs after
        push = facts.gather(
            repo,
            attempt.updates,
            before,
            loaded,
            origin.pusher,
            push_options(env),
            attempt.received_at,
            deadline,
            repository=origin.repository,
        )
        merge = gather_merge(repo, push, before, claim, loaded, deadline) if claim else None
    deadline.check("judging the push")
    verdict = evaluate(loaded.policy, loaded.signers, push, merge, deadline)
    verdict = verdict._replace(violations=(*refused, *verdict.violations))
    seen = {o for ref in push.refs for oids in ref.commits_by_rule.values() for o in oids}
    checked = len(seen | set(merge.commits if merge is not None else ()))
    name = "accepted" if verdict.allowed else "refused"
    audit.append(loaded.audit_log, attempt.record(name, checked, verdict), deadline)
    attempt.code = 0 if verdict.allowed else 1
    rearm(0)  # decided and recorded: the report must not be cut off half-way
    if attempt.speak():
        err.write("".join(line + "\n" for line in report.render(verdict, checked)))
        err.flush()
    return attempt.code
