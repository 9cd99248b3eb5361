"""A planned change, written out: the signer file's new text (ruamel round trip: comments and
layout of what it does not touch are kept) and the key files it needs. Every text is checked
with the loader's own table before anything is written."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from gitward.config import keycheck, roundtrip
from gitward.signers.candidates import Candidate
from gitward.signers.plan import Change
from gitward.signers.state import Origin


class Edit(NamedTuple):
    change: Change
    target: Path  # <signers_dir>/<id>.yaml
    old_text: str | None  # None: a new signer
    new_text: str
    key_files: tuple[tuple[Path, bytes], ...]  # keys/<FPR>.asc to write (new or refreshed)


def render(directory: Path, change: Change) -> Edit:
    target = roundtrip.signer_file(directory, change.signer)
    keys = directory / "keys"
    key_files = tuple(
        (keys / f"{c.fingerprint}.asc", keycheck.armored(c.data))
        for c in change.added
        if c.kind == "openpgp"
    ) + tuple((keys / f"{fpr}.asc", data) for fpr, data in change.refreshed)
    if change.new:
        old, text = None, _new_file(change)
    else:
        old = target.read_text(encoding="utf-8")
        text = roundtrip.edit(target, old, lambda data: _update(data, change))
    roundtrip.check_rendered(target, text)
    return Edit(change, target, old, text, key_files)


def _entry(c: Candidate, origin: Origin) -> dict[str, object]:
    key = {"fingerprint": c.fingerprint} if c.kind == "openpgp" else {"key": c.data.decode()}
    return {**key, "source": roundtrip.flow(origin.entry(unverified=c.unverified))}


def _new_file(change: Change) -> str:
    data: dict[str, object] = {
        "id": change.signer,
        "name": change.name,
        "emails": list(change.emails_added),
    }
    if change.groups_added:
        data["groups"] = list(change.groups_added)
    for kind in ("openpgp", "ssh"):
        entries = [_entry(c, change.origin) for c in change.added if c.kind == kind]
        if entries:
            data[kind] = entries
    header = (
        f"# Signer {change.signer}: imported with `gitward signers import` from "
        f"{change.origin} on {change.at:%Y-%m-%d}.\n"
        "# Comments and layout are kept by later CLI edits.\n"
    )
    return roundtrip.render_new(header, data)


def _update(data: Any, change: Change) -> None:
    """Apply `change` to a signer file loaded round trip."""
    if change.name is not None:
        data["name"] = change.name
    data["emails"].extend(change.emails_added)
    if change.groups_added:
        if "groups" not in data:
            data.insert(list(data).index("emails") + 1, "groups", [])
        data["groups"].extend(change.groups_added)
    for c in change.added:
        if data.get(c.kind) is None:
            data[c.kind] = []
        data[c.kind].append(_entry(c, change.origin))
    for c in change.followed:
        entry, _ = roundtrip.find_key(data, c.fingerprint, change.signer)
        entry["source"] = roundtrip.flow(change.origin.entry(unverified=c.unverified))
    for fpr, _ in change.revoked:
        entry, _ = roundtrip.find_key(data, fpr, change.signer)
        # A value of its own: one object in two places is written as a YAML anchor and alias.
        entry["revoked_since"] = datetime.fromtimestamp(change.at.timestamp(), UTC)
