"""The signers directory as an import or a sync plans against it: each signer's keys, where
each key came from (its `source`), and which signer owns which key.

Read once to show the plan, and again under the edit lock for the edit itself: the edit is
refused when the two plans differ (somebody edited the signers in between).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from gitward.config import signers_file, yamlpos
from gitward.errors import SignerEditError
from gitward.policy import spec


class Origin(NamedTuple):
    """Where keys come from: a forge account, or a GnuPG home directory."""

    forge: str | None = None
    user: str | None = None
    gnupg: str | None = None

    @classmethod
    def of(cls, source: object) -> Origin | None:
        """The origin a validated `source` mapping names (None for a key added by hand)."""
        if not isinstance(source, Mapping):
            return None
        return cls(source.get("forge"), source.get("user"), source.get("gnupg"))

    def entry(self, *, unverified: bool = False) -> dict[str, object]:
        """The `source` mapping a signer file records for a key from here."""
        if self.gnupg is not None:
            return {"gnupg": self.gnupg}
        out: dict[str, object] = {"forge": self.forge, "user": self.user}
        return {**out, "unverified": True} if unverified else out

    def __str__(self) -> str:
        return f"gnupg:{self.gnupg}" if self.gnupg is not None else f"{self.forge}/{self.user}"


class HeldKey(NamedTuple):
    kind: str  # "openpgp" | "ssh"
    fingerprint: str  # OpenPGP primary fingerprint or SHA256:...
    revoked_since: datetime | None
    origin: Origin | None  # None: added by hand
    unverified: bool = False  # imported with --include-unverified

    def revoked_at(self, now: datetime) -> bool:
        return self.revoked_since is not None and self.revoked_since <= now


class SignerState(NamedTuple):
    id: str
    name: str
    emails: tuple[str, ...]
    groups: tuple[str, ...]
    keys: tuple[HeldKey, ...]
    file: Path

    def key(self, fingerprint: str) -> HeldKey | None:
        return next((k for k in self.keys if k.fingerprint == fingerprint), None)

    def follows(self, origin: Origin) -> bool:
        return any(k.origin == origin for k in self.keys)


class State(NamedTuple):
    directory: Path
    signers: Mapping[str, SignerState]
    owners: Mapping[str, str]  # key fingerprint -> id of the signer holding it

    @classmethod
    def load(cls, directory: Path, now: datetime) -> State:
        """Every signer file in `directory`; refused while any of them has a problem."""
        result = signers_file.load_dir(directory, now)
        if result.problems:
            raise SignerEditError("fix the signer files first:\n" + "\n".join(result.problems))
        signers = {s.id: _state(s, result.files[s.id]) for s in result.signers.signers}
        owners = {k.fingerprint: s.id for s in signers.values() for k in s.keys}
        return cls(directory, signers, owners)

    def followed(self, forge: str) -> list[tuple[str, str]]:
        """(signer id, forge user) of every signer holding a key imported from `forge`."""
        return sorted(
            {
                (s.id, k.origin.user)
                for s in self.signers.values()
                for k in s.keys
                if k.origin is not None and k.origin.forge == forge and k.origin.user
            }
        )

    def stored_cert(self, fingerprint: str) -> bytes:
        """The certificate `keys/<FPR>.asc` holds (the loader has read it: it exists)."""
        return (self.directory / "keys" / f"{fingerprint}.asc").read_bytes()


def _state(signer: spec.Signer, file: Path) -> SignerState:
    value: Any = yamlpos.parse(file.read_text(encoding="utf-8")).value
    pgp_entries, ssh_entries = value.get("openpgp") or [], value.get("ssh") or []
    keys = [
        _held("openpgp", k.fingerprint, k.validity, entry)
        for k, entry in zip(signer.openpgp_keys, pgp_entries, strict=True)
    ] + [
        _held("ssh", k.fingerprint, k.validity, entry)
        for k, entry in zip(signer.ssh_keys, ssh_entries, strict=True)
    ]
    return SignerState(
        signer.id, signer.name, tuple(signer.emails), tuple(signer.groups), tuple(keys), file
    )


def _held(kind: str, fpr: str, validity: spec.KeyValidity, entry: Mapping[str, Any]) -> HeldKey:
    source = entry.get("source")
    unverified = isinstance(source, Mapping) and source.get("unverified") is True
    return HeldKey(kind, fpr, validity.revoked_since, Origin.of(source), unverified)
