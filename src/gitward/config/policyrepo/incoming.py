"""A push to the policy repository itself: its own rules, and what no rule may let through.

Pushes to the repository the policy is read from are judged by the policy's
`policy_repository_rules` (`Policy.for_policy_repository`). Besides, an update of the policy's
ref is refused, whatever the rules say (`builtin/policy-ref`; no mode or bypass applies), when
accepting it would leave every guarded repository without a usable policy, since each of their
pushes would then fail closed, and so would the push meant to repair it:

- a deletion of the ref;
- a commit that does not descend from the policy in use (the next load would refuse it as a
  step back);
- a commit whose policy does not load (read from the push's quarantine, into a scratch copy).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from gitward import config
from gitward.config.policyrepo import gitread
from gitward.config.policyrepo.locate import PolicyCommit, rebased
from gitward.errors import GitwardError
from gitward.model import RefUpdate, Violation

CHECK = "builtin/policy-ref"
_HINT = "run `gitward config check .` in your clone, fix what it lists, commit and push again"


def for_push(
    loaded: config.LoadedConfig,
    found: PolicyCommit,
    git_dir: Path,
    updates: Sequence[RefUpdate],
    objects: Mapping[str, str],
) -> tuple[config.LoadedConfig, tuple[Violation, ...]]:
    """The policy as it judges a push of `updates` to the repository `git_dir`, and the
    `builtin/policy-ref` violations of that push. `objects`: the push's quarantine variables.
    Outside the policy repository: `loaded` as it is, and none."""
    src = found.pointer
    try:
        here = git_dir.samefile(src.repository)
    except OSError:  # either one missing: not the same repository
        here = False
    if not here:
        return loaded, ()
    found_violations = []
    for update in updates:
        if update.ref == src.ref:
            what = _problem(found, update, objects)
            if what is not None:
                found_violations.append(Violation(CHECK, update.ref, what, _HINT))
    return loaded._replace(policy=loaded.policy.for_policy_repository()), tuple(found_violations)


def _problem(found: PolicyCommit, update: RefUpdate, objects: Mapping[str, str]) -> str | None:
    if update.is_delete:
        return "deleting the policy's ref would leave every repository without a policy"
    src = found.pointer
    if not gitread.descends(src.repository, found.commit, update.new, objects):
        return (
            f"{update.new[:10]} does not descend from {found.commit[:10]}, the policy in use: "
            "the policy only moves forward"
        )
    problems = _load_problems(found, update.new, objects)
    if not problems:
        return None
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"the policy at {update.new[:10]} does not load: {problems[0]}{more}"


def _load_problems(found: PolicyCommit, commit: str, objects: Mapping[str, str]) -> list[str]:
    """Every problem of the policy at `commit` (none: it loads), paths shown as in the
    repository."""
    import tempfile  # noqa: PLC0415  # only pushes to the policy ref pay for it

    from gitward.config.policyrepo import cache  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="gitward-incoming-") as tmp:
        try:
            tree = cache.materialise(found.pointer.repository, commit, Path(tmp), objects)
            located = rebased(config.locate_file(tree / "policy.yaml"), found.pointer, tree)
            config.load_located(located)
        except GitwardError as exc:
            prefix = f"{Path(tmp) / commit}/"
            return [p.replace(prefix, "") for p in str(exc).splitlines()]
    return []
