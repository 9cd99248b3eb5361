"""One readable line per audit record, for `gitward audit tail/search` on a terminal. PURE.

Records quote pushers (commit subjects, bypass reasons, ref names): every piece goes through
`report.sanitize.clean`, so no control or bidi character a pusher chose reaches the terminal.
Fields this module does not know are still shown, as compact JSON, so a new event kind is
never silently reduced to its time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from gitward.report.sanitize import clean

Record = Mapping[str, object]
SHOWN_REFS = 3  # ref updates named on a push's line; the rest are counted
SHORT_OID = 10


def line(record: Record) -> str:
    """`time event actor: what happened`, on one line."""
    head = " ".join(clean(str(record.get(key) or "-"), 80) for key in ("time", "event", "actor"))
    event = record.get("event")
    event = event if isinstance(event, str) else ""
    # An exact event (`push`), else its family (`signers` for `signers.add`, ...).
    describe = _BY_EVENT.get(event) or _BY_EVENT.get(event.partition(".")[0], _other)
    return f"{head}: {describe(record)}"


def _push(record: Record) -> str:
    parts = [str(record.get("verdict"))]
    pusher = record.get("pusher")
    if isinstance(pusher, dict):
        parts.append(f"via {pusher.get('source')}")
    parts.append(f"to {record.get('repository')}")
    updates = record.get("ref_updates")
    updates = updates if isinstance(updates, list) else []
    for update in updates[:SHOWN_REFS]:
        if isinstance(update, dict):
            old, new = (str(update.get(k))[:SHORT_OID] for k in ("old", "new"))
            parts.append(f"{update.get('ref')} {old}..{new}")
    if len(updates) > SHOWN_REFS:
        parts.append(f"(+{len(updates) - SHOWN_REFS} refs)")
    counts = record.get("violation_counts")
    if isinstance(counts, dict) and any(counts.values()):
        parts.append(", ".join(f"{n} {mode}" for mode, n in counts.items() if n))
    rules = sorted({str(v.get("rule_id")) for v in _dicts(record.get("violations"))})
    if rules:
        parts.append("rules " + ",".join(rules))
    for bypass in _dicts(record.get("bypasses")):
        parts.append(f"bypass {bypass.get('rule_id')} ({bypass.get('reason')})")
    if "error" in record:
        parts.append(f"error: {record['error']}")
    return clean(" ".join(parts), 600)


def _receiver(record: Record) -> str:
    def get(key: str) -> str:
        return str(record.get(key) or "-")

    pull = record.get("kind") == "pull_request"
    kind = f"pull request #{get('number')} into" if pull else "push to"
    parts = [get("verdict"), f"via {get('forge')}", kind, get("repository"), get("ref"),
             f"at {get('commit')[:SHORT_OID]}"]  # fmt: skip
    rules = sorted({str(v.get("rule_id")) for v in _dicts(record.get("violations"))})
    if rules:
        parts.append("rules " + ",".join(rules))
    if "error" in record:
        parts.append(f"error: {record['error']}")
    parts.append(f"(delivery {get('delivery_id')})")
    return clean(" ".join(parts), 600)


def _signer_edit(record: Record) -> str:
    details = record.get("details")
    shown = json.dumps(details, separators=(",", ":"), ensure_ascii=False)
    return clean(f"{record.get('signer')} {shown}", 600)


def _rotate(record: Record) -> str:
    details = record.get("details")
    details = details if isinstance(details, dict) else {}
    return clean(f"continues {details.get('file')} ({details.get('lines')} lines)", 600)


def _other(record: Record) -> str:
    rest = {k: v for k, v in record.items() if k not in ("time", "event", "actor", "prev")}
    return clean(json.dumps(rest, separators=(",", ":"), ensure_ascii=False), 600)


def _dicts(value: object) -> list[dict[str, object]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


_BY_EVENT: dict[str, Callable[[Record], str]] = {
    "push": _push,
    "signers": _signer_edit,
    "audit.rotate": _rotate,
    "receiver.verdict": _receiver,
}
