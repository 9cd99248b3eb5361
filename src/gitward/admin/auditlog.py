"""The audit log as the admin page shows it: newest first, filtered by signer and event.

Reads the last `TAIL_BYTES` of the log (the current file, JSON Lines); a line that is not a JSON
object is skipped, never shown half-parsed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

TAIL_BYTES = 8 * 1024 * 1024
SHOWN = 200


class Entry(NamedTuple):
    time: str
    event: str
    actor: str
    signer: str
    summary: str


def records(path: Path, tail: int = TAIL_BYTES) -> list[dict[str, Any]]:
    """The log's records, oldest first (of the last `tail` bytes)."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - tail))
            data = handle.read()
    except OSError:
        return []
    lines = data.split(b"\n")
    if len(data) == tail and size > tail:
        lines = lines[1:]  # the first line is cut
    return list(_parse(lines))


def _parse(lines: list[bytes]) -> Iterator[dict[str, Any]]:
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            yield record


def newest(
    path: Path, signer: str = "", event: str = "", limit: int = SHOWN
) -> tuple[list[Entry], list[str]]:
    """(matching entries newest first, every event name seen) for the filter form."""
    found = records(path)
    events = sorted({str(r.get("event", "")) for r in found} - {""})
    shown = []
    for r in reversed(found):
        if signer and r.get("signer") != signer:
            continue
        if event and r.get("event") != event:
            continue
        shown.append(_entry(r))
        if len(shown) >= limit:
            break
    return shown, events


def _entry(r: dict[str, Any]) -> Entry:
    return Entry(
        str(r.get("time", "")),
        str(r.get("event", "")),
        str(r.get("actor") or ""),
        str(r.get("signer") or ""),
        _summary(r),
    )


def _summary(r: dict[str, Any]) -> str:
    if r.get("event") == "push":
        updates = r.get("ref_updates") or []
        refs = ", ".join(str(u.get("ref")) for u in updates[:3] if isinstance(u, dict))
        more = f" (+{len(updates) - 3})" if len(updates) > 3 else ""
        rules = sorted({str(v.get("rule_id")) for v in r.get("violations") or [] if v})
        why = f"; {', '.join(rules)}" if rules else ""
        return f"{r.get('verdict', '?')} {r.get('repository') or ''} {refs}{more}{why}".strip()
    if r.get("event") == "receiver.verdict":
        number, ref = r.get("number"), r.get("ref") or ""
        what = f"pull request #{number} into {ref}" if number else ref
        rules = sorted({str(v.get("rule_id")) for v in r.get("violations") or [] if v})
        why = f"; {', '.join(rules)}" if rules else ""
        return f"{r.get('verdict', '?')} {r.get('forge') or ''} {r.get('repository')} {what}{why}"
    details = r.get("details")
    if not isinstance(details, dict):
        return ""
    return "; ".join(f"{k}={_short(v)}" for k, v in details.items() if k != "file")


def _short(value: object) -> str:
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return text if len(text) <= 200 else text[:199] + "…"
