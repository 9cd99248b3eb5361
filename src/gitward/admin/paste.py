"""A pasted key: an armored OpenPGP public key, or SSH public key lines."""

from __future__ import annotations

from gitward.config.keycheck import read_ssh_keys
from gitward.errors import SignerEditError

LABEL = "pasted key"
MAX_BYTES = 256 * 1024


def split(text: str) -> tuple[list[tuple[str, bytes]], list[tuple[str, str]]]:
    """(OpenPGP keys, SSH keys) in `text`, labelled for messages; SignerEditError if none."""
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise SignerEditError("paste an armored OpenPGP public key or an SSH public key")
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise SignerEditError(f"{LABEL}: larger than {MAX_BYTES // 1024} KiB")
    if "-----BEGIN PGP" in text:
        return [(LABEL, text.encode("utf-8"))], []
    return [], [(LABEL, line) for line in read_ssh_keys(LABEL, text)]
