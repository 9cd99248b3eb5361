"""What the pusher reads (short lines for the hook's stderr) and the audit line. PURE.

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
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from gitward.model import RefUpdate, Verdict, Violation
from gitward.pusher import Origin
from gitward.sanitize import clean

PREFIX = "gitward: "
REF_LEN = 80
MESSAGE_LEN = 160
HINT_LEN = 240
NAME_LEN = 60
# Text width after `PREFIX`: with git's `remote: ` in front, lines stay under 100 columns.
WIDTH = 82
REASON_LEN = 1000


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _violation(v: Violation, *, with_ref: bool) -> list[str]:
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
    # Hints hold commands to copy: never wrapped inside, only split where they say "; ".
    for i, part in enumerate(clean(v.hint, HINT_LEN).split("; ") if v.hint else []):
        lines.append(f"    {'fix: ' if i == 0 else '     '}{part}")
    return lines


def _by_ref(violations: Iterable[Violation]) -> dict[str, list[Violation]]:
    grouped: dict[str, list[Violation]] = {}
    for v in violations:
        grouped.setdefault(v.ref, []).append(v)
    return grouped


def render(verdict: Verdict, commits_checked: int = 0) -> list[str]:
    """The report lines (without newlines), each starting with `PREFIX`."""
    body: list[str] = []
    blocking = _by_ref(verdict.blocking)
    if blocking:
        problems = sum(len(vs) for vs in blocking.values())
        body.append(
            f"push refused: {_plural(problems, 'problem')} on {_plural(len(blocking), 'ref')}"
        )
        for ref, violations in blocking.items():
            body.append(f"ref {clean(ref, REF_LEN)}")
            for v in violations:
                body.extend(_violation(v, with_ref=False))
    if verdict.warnings:
        body.append("warnings (not blocking):")
        for v in verdict.warnings:
            body.extend(_violation(v, with_ref=True))
    if verdict.bypasses:
        body.append("bypassed (recorded in the audit log):")
        for b in verdict.bypasses:
            body.append(
                f"  {clean(b.ref, REF_LEN)}: {clean(b.rule_id, NAME_LEN)} by "
                f'{clean(b.actor, NAME_LEN)}: "{clean(b.reason, MESSAGE_LEN)}"'
            )
    if not blocking:
        body.append(f"push accepted ({_plural(commits_checked, 'new commit')} checked)")
    return [PREFIX + line for line in body]


def refusal_line(what: str) -> str:
    """The single line shown when gitward itself failed (fail closed)."""
    tail = "ask your git admin (details in the gitward log)"
    return f"{PREFIX}push refused: {clean(what, MESSAGE_LEN)}; {tail}"


def _utf8(text: str) -> str:
    """Ref names arrive with undecodable bytes as surrogates; show them as \\x escapes."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def audit_record(
    *,
    received_at: datetime,
    origin: Origin | None,
    updates: Sequence[RefUpdate],
    verdict_name: str,
    commits_checked: int,
    verdict: Verdict | None,
    duration_ms: int,
    error: str | None = None,
) -> dict[str, object]:
    """The audit log line for one decision ("accepted", "refused" or "error").

    Strings stay raw (the audit writer escapes them as JSON); a bypass reason is bounded."""
    pusher = origin.pusher if origin is not None else None
    record: dict[str, object] = {
        "time": received_at.astimezone(UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "event": "push",
        "actor": pusher.name if pusher is not None else None,
        "repository": origin.repository if origin is not None else None,
        "pusher": None
        if pusher is None
        else {"name": pusher.name, "source": pusher.source, "id": pusher.user_id},
        "ref_updates": [{"ref": _utf8(u.ref), "old": u.old, "new": u.new} for u in updates],
        "commits_checked": commits_checked,
        "verdict": verdict_name,
        "violations": []
        if verdict is None
        else [
            {"rule_id": v.rule_id, "mode": v.mode, "ref": v.ref, "oid": v.oid, "message": v.message}
            for v in verdict.violations
        ],
        "bypasses": []
        if verdict is None
        else [
            {"rule_id": b.rule_id, "ref": b.ref, "actor": b.actor, "reason": b.reason[:REASON_LEN]}
            for b in verdict.bypasses
        ],
        "duration_ms": duration_ms,
    }
    if error is not None:
        record["error"] = error
    return record
