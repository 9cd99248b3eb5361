"""What the pusher reads: short lines for the hook's stderr. PURE.

git relays hook stderr to the pusher (Gitea and most forges prefix each line with `remote: `),
so lines stay short and every string that comes from the push or the policy passes through
`sanitize.clean` (see there for why). Layout:

    gitward: push refused: 2 problems on 1 ref
    gitward: ref refs/heads/main
    gitward:   protect-main/signature on 1a2b3c4d5e
    gitward:     commit is not signed ("Add feature")
    gitward:     fix: run `git commit --amend --no-edit -S` and push again
    gitward: warnings (not blocking):
    gitward:   refs/heads/topic: defaults/conventional-commits on 9f8e7d6c5b
    ...
    gitward: bypassed (recorded in the audit log):
    gitward:   refs/heads/main: protect-main by alice: "prod is down"

Both are bounded however many problems a push has (creating a branch under a broad rule can
find one per commit): the report lists at most `PER_REF` violations of one ref and `SHOWN` in
all, blocking ones first, then says how many more there are (the audit line,
`audit.record`, keeps the counts and the first violations).
"""

from __future__ import annotations

from collections.abc import Iterable

from gitward.model import Verdict, Violation
from gitward.report.sanitize import ELLIPSIS, clean

PREFIX = "gitward: "
REF_LEN = 80
MESSAGE_LEN = 160
HINT_LEN = 240
NAME_LEN = 60
# Text width after `PREFIX`: with git's `remote: ` in front, lines stay under 100 columns.
WIDTH = 82
PER_REF = 20  # violations listed per ref (in its block, or among the warnings)
SHOWN = 50  # violations listed in all
BYPASSES_SHOWN = 20
MORE = "run `gitward check` on the pushed range, or see the audit log"
_ORDER = {"enforce": 0, "bypassed": 1, "warn": 2}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _violation(v: Violation, *, with_ref: bool) -> list[str]:
    import textwrap  # noqa: PLC0415  # here: an accepted push wraps nothing (~0.9 ms to import)

    where = f"{clean(v.ref, REF_LEN)}: " if with_ref else ""
    on = f" on {clean(v.oid[:10], 10)}" if v.oid else ""
    lines = [f"  {where}{clean(v.rule_id, NAME_LEN)}{on}"]
    lines += textwrap.wrap(
        clean(v.message, MESSAGE_LEN),
        WIDTH,
        initial_indent="    ",
        subsequent_indent="      ",
        break_long_words=False,
        break_on_hyphens=False,
    )
    # Hints hold commands to copy: never wrapped inside, only split where they say "; ", and
    # each part is cut on its own, so a long fix never loses the bypass advice after it.
    for i, part in enumerate(v.hint.split("; ") if v.hint else []):
        lines.append(f"    {'fix: ' if i == 0 else '     '}{clean(part, HINT_LEN)}")
    return lines


def _by_ref(violations: Iterable[Violation]) -> dict[str, list[Violation]]:
    grouped: dict[str, list[Violation]] = {}
    for v in violations:
        grouped.setdefault(v.ref, []).append(v)
    return grouped


def _listed(verdict: Verdict) -> tuple[list[Violation], int]:
    """The violations the report lists, blocking ones first (grouped by ref), at most
    `PER_REF` per ref and section and `SHOWN` in all; and how many it leaves out."""
    candidates = [v for vs in _by_ref(verdict.blocking).values() for v in vs]
    candidates += verdict.warnings
    listed: list[Violation] = []
    per_ref: dict[tuple[str, str], int] = {}
    for v in candidates:
        key = (v.mode, v.ref)
        if len(listed) < SHOWN and per_ref.get(key, 0) < PER_REF:
            listed.append(v)
            per_ref[key] = per_ref.get(key, 0) + 1
    return listed, len(candidates) - len(listed)


def render(verdict: Verdict, commits_checked: int = 0) -> list[str]:
    """The report lines (without newlines), each starting with `PREFIX`; bounded in number.

    `commits_checked`: how many distinct commits the rules judged for this push."""
    body: list[str] = []
    listed, omitted = _listed(verdict)
    blocking = verdict.blocking
    if blocking:
        refs = len({v.ref for v in blocking})
        body.append(f"push refused: {_plural(len(blocking), 'problem')} on {_plural(refs, 'ref')}")
        for ref, violations in _by_ref(v for v in listed if v.mode == "enforce").items():
            body.append(f"ref {clean(ref, REF_LEN)}")
            for v in violations:
                body.extend(_violation(v, with_ref=False))
    if verdict.warnings:
        body.append("warnings (not blocking):")
        for v in listed:
            if v.mode == "warn":
                body.extend(_violation(v, with_ref=True))
    if omitted:
        body.append(clean(f"{ELLIPSIS} and {omitted} more ({MORE})", WIDTH))
    if verdict.bypasses:
        body.append("bypassed (recorded in the audit log):")
        for b in verdict.bypasses[:BYPASSES_SHOWN]:
            body.append(
                f"  {clean(b.ref, REF_LEN)}: {clean(b.rule_id, NAME_LEN)} by "
                f'{clean(b.actor, NAME_LEN)}: "{clean(b.reason, MESSAGE_LEN)}"'
            )
        if len(verdict.bypasses) > BYPASSES_SHOWN:
            more = len(verdict.bypasses) - BYPASSES_SHOWN
            body.append(f"  {ELLIPSIS} and {more} more (see the audit log)")
    if not blocking:
        # "commits", not "new commits": the count is of every commit some rule judged, and a
        # rule also judges commits the repository already holds elsewhere (a commit parked on
        # an unprotected branch is checked when it reaches a protected one).
        body.append(f"push accepted ({_plural(commits_checked, 'commit')} checked)")
    return [PREFIX + line for line in body]


def refusal_line(what: str) -> str:
    """The single line shown when gitward itself failed (fail closed)."""
    tail = "ask your git admin (details in the gitward log)"
    return f"{PREFIX}push refused: {clean(what, MESSAGE_LEN)}; {tail}"
