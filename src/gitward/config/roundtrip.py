"""Round-trip YAML for signer-file edits (ruamel.yaml): comments and layout survive.

ruamel is imported lazily (~40 ms): only `gitward signers add/remove/revoke` pay for it, never
the hook or `signers list`. Every rendered file is re-checked with the loader's own table
before it is written.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from gitward.config import keycheck, signer_table, yamlpos
from gitward.config.fields import INVALID
from gitward.config.policy_table import NAME
from gitward.errors import SignerEditError


def signer_file(directory: Path, signer_id: str) -> Path:
    """`<directory>/<id>.yaml`, refusing ids that are not plain names (no `../policy`)."""
    if not re.fullmatch(NAME, signer_id):
        raise SignerEditError(f"id: expected a signer id matching {NAME}, got {signer_id!r}")
    return directory / f"{signer_id}.yaml"


def _yaml(text: str | None) -> Any:
    from ruamel.yaml import YAML  # noqa: PLC0415  # see the module docstring
    from ruamel.yaml.util import load_yaml_guess_indent  # noqa: PLC0415

    y = YAML()
    y.width = 4096  # never fold long key lines
    y.preserve_quotes = True
    if text is None:
        y.indent(mapping=2, sequence=4, offset=2)
    else:  # keep the file's own indentation style
        _, ind, bsi = load_yaml_guess_indent(text)
        y.indent(mapping=ind or 2, sequence=ind or 2, offset=bsi or 0)
    return y


def render_new(header: str, data: dict[str, object]) -> str:
    buf = io.StringIO()
    _yaml(None).dump(data, buf)
    return header + buf.getvalue()


def flow(mapping: dict[str, object]) -> Any:
    """`mapping` written on one line (`source: {forge: gitea, user: alice}`)."""
    from ruamel.yaml.comments import CommentedMap  # noqa: PLC0415  # see the module docstring

    out = CommentedMap(mapping)
    out.fa.set_flow_style()
    return out


def edit(file: Path, text: str, change: Any) -> str:
    """Load `text` round-trip, apply `change(data)` (it may raise), return the new text."""
    from ruamel.yaml.error import YAMLError  # noqa: PLC0415

    try:
        y = _yaml(text)
        data = y.load(text)
    except YAMLError as exc:
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SignerEditError(f"{file}: not valid YAML ({problem}); fix it by hand") from None
    if not isinstance(data, dict):
        raise SignerEditError(f"{file}: expected a mapping; fix it by hand")
    change(data)
    buf = io.StringIO()
    y.dump(data, buf)
    return buf.getvalue()


def check_rendered(file: Path, text: str) -> None:
    """The rendered file must pass the loader's own checks (fail closed on our own bugs)."""
    doc = yamlpos.parse(text)
    problems = list(doc.problems)
    checked = signer_table.SIGNER.check(doc.value, (), problems)
    if checked is INVALID or problems:
        found = "; ".join(doc.problem(file, p, m) for p, m in problems)
        raise SignerEditError(f"refusing the edit: {found}")


def find_key(data: dict[Any, Any], key: str, signer_id: str) -> tuple[Any, str]:
    """The key entry (a mapping inside `data`) named by `key`, and its normalised fingerprint.

    `key` is an OpenPGP primary fingerprint (any case, spaces allowed) or `SHA256:...`.
    """
    wanted = key.strip()
    if not wanted.startswith("SHA256:"):
        wanted = wanted.replace(" ", "").upper()
    for entry in _entries(data, "openpgp"):
        if str(entry.get("fingerprint", "")).upper() == wanted:
            return entry, wanted
    for entry in _entries(data, "ssh"):
        try:
            if keycheck.check_ssh("", str(entry.get("key", ""))).fingerprint == wanted:
                return entry, wanted
        except SignerEditError:
            continue
    raise SignerEditError(
        f"signer {signer_id!r} has no key {key!r} (give the OpenPGP "
        "primary fingerprint or the SSH SHA256: fingerprint)"
    )


def _entries(data: dict[Any, Any], name: str) -> list[Any]:
    items = data.get(name)
    return [e for e in items if isinstance(e, dict)] if isinstance(items, list) else []
