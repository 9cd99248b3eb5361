"""A policy version: one hash of every file a verdict depended on.

Recorded with each receiver verdict (and shown in its report), so that a security engineer can
tell which policy and which signer list judged a commit. The hash covers the policy file and
every file under the signers directory, by relative path and content, in a stable order.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def policy_version(policy_file: Path, signers_dir: Path) -> str:
    """`sha256:<hex>` of the policy file and the signer files (names and bytes)."""
    digest = hashlib.sha256()
    digest.update(b"policy\0" + policy_file.read_bytes() + b"\0")
    if signers_dir.is_dir():
        for path in sorted(p for p in signers_dir.rglob("*") if p.is_file()):
            name = path.relative_to(signers_dir).as_posix().encode()
            digest.update(b"signer-file\0" + name + b"\0" + path.read_bytes() + b"\0")
    return f"sha256:{digest.hexdigest()}"
