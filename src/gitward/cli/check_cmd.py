"""`gitward check [--config PATH] [--repo PATH] [--ref REF] [--json] REV_RANGE`.

Runs the push-time evaluation on history that already exists, so an admin can see what a rule
would refuse before turning it on. `A..B` checks exactly the commits `git rev-list A..B` lists,
as an update of REF from A to B; a single revision `B` checks what a push creating REF at B
would bring to each rule (B's history minus the *other* refs the rule protects).

Only what the history shows is reported: checks about the act of pushing (force-push,
deletion, creation, pusher, ref name, immutable tags, replace refs) need a real push and are
left out. Exit 0 when nothing blocking was found, 1 otherwise.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from gitward.git.repo import Repo
    from gitward.model import RefUpdate

HELP = "evaluate the policy on existing history (no push needed)"
# Checks that judge the act of pushing, not the commits: meaningless on existing history.
PUSH_ONLY = frozenset(
    {"force-push", "deletion", "creation", "pusher", "ref-name", "immutable",
     "anonymous-pusher", "replace-refs"}
)  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("--config", metavar="PATH", help="policy file or directory")
    parser.add_argument("--repo", metavar="PATH", default=".", help="repository (default: .)")
    parser.add_argument(
        "--ref",
        metavar="REF",
        help="ref whose rules apply (default: the branch HEAD names; `main` = refs/heads/main)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("rev_range", metavar="REV_RANGE", help="`A..B` or a single revision")


def run(args: argparse.Namespace) -> int:
    return check(
        args.rev_range,
        config=args.config,
        repo_path=args.repo,
        ref=args.ref,
        as_json=args.json,
        out=sys.stdout,
        err=sys.stderr,
    )


def check(
    rev_range: str,
    *,
    config: str | None = None,
    repo_path: str | Path = ".",
    ref: str | None = None,
    as_json: bool = False,
    out: TextIO,
    err: TextIO,
) -> int:
    """Evaluate `rev_range`, print the report to `out`; raises GitwardError on failures."""
    from gitward.cli import check_report  # noqa: PLC0415
    from gitward.config import load  # noqa: PLC0415  # the dispatcher imports us for --help
    from gitward.deadline import Deadline  # noqa: PLC0415
    from gitward.facts.gather import gather  # noqa: PLC0415
    from gitward.git.repo import Repo  # noqa: PLC0415
    from gitward.model import Pusher  # noqa: PLC0415
    from gitward.policy.engine import evaluate  # noqa: PLC0415

    loaded = load(config)
    with Repo(Path(repo_path)) as repo:
        update = _update(repo, rev_range, ref)
        progress = check_report.Progress(err) if err.isatty() else None
        push = gather(
            repo,
            [update],
            loaded,
            Pusher(name=_user(), source="local"),
            (),
            datetime.now(UTC),
            Deadline.unlimited(),
            ranges=True,
            progress=progress,
        )
        if progress is not None:
            progress.done()
    verdict = evaluate(loaded.policy, loaded.signers, push)
    found = [v for v in verdict.violations if v.rule_id.rsplit("/", 1)[-1] not in PUSH_ONLY]
    allowed = not any(v.mode == "enforce" for v in found)
    if as_json:
        result = check_report.json_result(update, rev_range, len(push.commits), found, allowed)
        json.dump(result, out, indent=2)
        out.write("\n")
    else:
        lines = check_report.text_lines(update, len(push.commits), found)
        out.writelines(line + "\n" for line in lines)
    return 0 if allowed else 1


def _user() -> str | None:
    try:
        return os.environ.get("USER") or getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return None


def _update(repo: Repo, rev_range: str, ref: str | None) -> RefUpdate:
    from gitward.errors import GitError  # noqa: PLC0415
    from gitward.model import RefUpdate  # noqa: PLC0415

    if "..." in rev_range:
        raise GitError("symmetric ranges (A...B) are not supported; use A..B or one revision")
    old_rev, sep, new_rev = rev_range.rpartition("..")
    old = _resolve(repo, old_rev or "HEAD") if sep else None
    new = _resolve(repo, new_rev or "HEAD")
    if ref is None:
        ref = repo.symbolic_ref("HEAD") or "refs/heads/main"
    elif not ref.startswith("refs/"):
        ref = f"refs/heads/{ref}"
    return RefUpdate(old or "0" * len(new), new, ref)


def _resolve(repo: Repo, rev: str) -> str:
    from gitward.errors import GitError  # noqa: PLC0415

    try:
        return repo.rev_parse(rev)
    except GitError:
        raise GitError(f"unknown revision {rev!r} in {repo.path}") from None
