"""The audit line of one receiver verdict (`"event": "receiver.verdict"`). PURE.

One line per judged job, push or pull request, beside the hook's `push` lines in the same
chain: the same `verdict` words ("accepted", "refused", "error") and the same `violations`
entries (rule ids, not messages), so `gitward audit search --verdict/--rule/--repository` and
the admin page's chart read both alike. Nothing of the forge's credentials is in a job, so
nothing of them can reach the line; text the forge sent is cut to bounded lengths.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitward.audit.record import AUDIT_VIOLATIONS

EVENT = "receiver.verdict"
TEXT_LEN = 300  # delivery ids, actors and error lines: short by nature, bounded regardless
# A job's result `state` (the forge status it posted) -> the audit log's verdict words.
VERDICTS = {"success": "accepted", "warning": "accepted", "failure": "refused"}


def _text(value: object) -> str | None:
    return None if value in (None, "") else str(value)[:TEXT_LEN]


def verdict_record(
    *,
    time: str,
    job_id: str,
    forge: str,
    forge_type: str | None,
    repository: str,
    kind: str,
    ref: str,
    commit: str | None,
    number: int | None,
    delivery_id: str,
    actor: str,
    result: Mapping[str, Any],
) -> dict[str, object]:
    """The audit line for the finished job `job_id`, whose result is `result` (`judge`)."""
    state = str(result.get("state", "error"))
    found = result.get("violations")
    violations = [v for v in found if isinstance(v, Mapping)] if isinstance(found, list) else []
    record: dict[str, object] = {
        "time": time,
        "event": EVENT,
        "actor": _text(actor),
        "repository": repository,
        # Who pushed, or opened the pull request, as the forge says (`--pusher` finds it).
        "pusher": None
        if not actor
        else {"name": _text(actor), "source": f"{forge_type or forge}-webhook", "id": None},
        "forge": forge,
        "kind": kind,
        "ref": ref,
        "number": number,
        "commit": commit or None,
        "verdict": VERDICTS.get(state, "error"),
        "state": state,
        "commits_checked": result.get("commits_checked"),
        "policy_version": result.get("policy_version"),
        # The policy repository's commit that judged (`install --config-repo`); else null.
        "policy_commit": result.get("policy_commit"),
        "violations_total": result.get("violations_total", len(violations)),
        "violations": [
            {k: v.get(k) for k in ("rule_id", "mode", "ref", "oid")}
            for v in violations[:AUDIT_VIOLATIONS]
        ],
        "delivery_id": _text(delivery_id),
        "job": job_id,
    }
    if "error" in result:
        record["error"] = _text(result["error"])
    return record
