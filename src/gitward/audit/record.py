"""The audit line of one push decision ("accepted", "refused" or "error"). PURE.

Bounded however many problems a push has: messages and reasons are cut, at most
`AUDIT_VIOLATIONS` violations (blocking, then bypassed, then warnings) and `AUDIT_BYPASSES`
bypasses are listed, and the totals count them all. docs/audit.md describes every field.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from gitward.model import Origin, RefUpdate, Verdict

REASON_LEN = 1000
AUDIT_VIOLATIONS = 100  # violation entries kept in an audit line (the counts are all kept)
AUDIT_BYPASSES = 50
_ORDER = {"enforce": 0, "bypassed": 1, "warn": 2}


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
    policy_commit: str | None = None,
) -> dict[str, object]:
    """The audit log line for one decision ("accepted", "refused" or "error").

    Ref names have undecodable bytes shown as `\\xNN` (git forbids `\\` in ref names, so this
    is unambiguous), the same in every field; other strings stay raw (the audit writer escapes
    them). Bounded: messages and reasons are cut, at most `AUDIT_VIOLATIONS` violations
    (blocking, then bypassed, then warnings) and `AUDIT_BYPASSES` bypasses are listed, and
    `violations_total` / `violation_counts` / `bypasses_total` count them all.
    `policy_commit`: the commit the policy was read from, when it lives in a git repository."""
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
        "policy_commit": policy_commit,
        "duration_ms": duration_ms,
    }
    if error is not None:
        record["error"] = error
    return record
