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

Both are bounded however many problems a push has (creating a branch under a broad rule can
find one per commit): the report lists at most `PER_REF` violations of one ref and `SHOWN` in
all, blocking ones first, then says how many more there are; the audit line keeps the counts
and the first `AUDIT_VIOLATIONS` violations (blocking, then bypassed, then warnings).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from gitward.model import RefUpdate, Verdict, Violation
from gitward.pusher import Origin
from gitward.sanitize import ELLIPSIS, clean

PREFIX = "gitward: "
REF_LEN = 80
MESSAGE_LEN = 160
HINT_LEN = 240
NAME_LEN = 60
# Text width after `PREFIX`: with git's `remote: ` in front, lines stay under 100 columns.
WIDTH = 82
REASON_LEN = 1000
PER_REF = 20  # violations listed per ref (in its block, or among the warnings)
SHOWN = 50  # violations listed in all
BYPASSES_SHOWN = 20
AUDIT_VIOLATIONS = 100  # violation entries kept in an audit line (the counts are all kept)
AUDIT_BYPASSES = 50
MORE = "run `gitward check` on the pushed range, or see the audit log"
_ORDER = {"enforce": 0, "bypassed": 1, "warn": 2}


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
    """The report lines (without newlines), each starting with `PREFIX`; bounded in number."""
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
        body.append(f"push accepted ({_plural(commits_checked, 'new commit')} checked)")
    return [PREFIX + line for line in body]


def refusal_line(what: str) -> str:
    """The single line shown when gitward itself failed (fail closed)."""
    tail = "ask your git admin (details in the gitward log)"
    return f"{PREFIX}push refused: {clean(what, MESSAGE_LEN)}; {tail}"


def _utf8(text: str) -> str:
    """Ref names arrive with undecodable bytes as surrogates; show them as \\x escapes."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that was no byte: left to the writer's escapes
        return text


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

    Ref names have undecodable bytes shown as `\\xNN` (git forbids `\\` in ref names, so this
    is unambiguous), the same in every field; other strings stay raw (the audit writer escapes
    them). Bounded: messages and reasons are cut, at most `AUDIT_VIOLATIONS` violations
    (blocking, then bypassed, then warnings) and `AUDIT_BYPASSES` bypasses are listed, and
    `violations_total` / `violation_counts` / `bypasses_total` count them all."""
    pusher = origin.pusher if origin is not None else None
    violations = () if verdict is None else verdict.violations
    bypasses = () if verdict is None else verdict.bypasses
    counts = dict.fromkeys(_ORDER, 0)
    for v in violations:
        counts[v.mode] = counts.get(v.mode, 0) + 1
    first = sorted(violations, key=lambda v: _ORDER.get(v.mode, 0))[:AUDIT_VIOLATIONS]
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
        "violations_total": len(violations),
        "violation_counts": counts,
        "violations": [
            {
                "rule_id": v.rule_id,
                "mode": v.mode,
                "ref": _utf8(v.ref),
                "oid": v.oid,
                "message": v.message[:REASON_LEN],
            }
            for v in first
        ],
        "bypasses_total": len(bypasses),
        "bypasses": [
            {
                "rule_id": b.rule_id,
                "ref": _utf8(b.ref),
                "actor": b.actor,
                "reason": b.reason[:REASON_LEN],
            }
            for b in bypasses[:AUDIT_BYPASSES]
        ],
        "duration_ms": duration_ms,
    }
    if error is not None:
        record["error"] = error
    return record
