"""What the signers page shows: each signer, its keys, groups, version token, and the rules
its groups (or its id) may sign for under the loaded policy. Read-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from gitward.config import Located, policy_file, signers_file, yamlpos
from gitward.policy import spec
from gitward.signers import version
from gitward.signing.openpgp.certs import LoadedCert


class KeyRow(NamedTuple):
    kind: str  # "OpenPGP" | "SSH"
    fingerprint: str
    algorithm: str
    created: datetime | None
    expires: datetime | None
    revoked: datetime | None
    source: str  # where it came from ("added by hand" without a `source`)
    comment: str = ""  # an SSH key's comment

    def revoked_at(self, now: datetime) -> bool:
        return self.revoked is not None and self.revoked <= now


class SignerRow(NamedTuple):
    id: str
    name: str
    emails: tuple[str, ...]
    groups: tuple[str, ...]
    keys: tuple[KeyRow, ...]
    rules: tuple[str, ...]  # rule ids it may sign for
    version: str


class Roster(NamedTuple):
    signers: tuple[SignerRow, ...]
    problems: tuple[str, ...]  # invalid signer files (left out of `signers`)
    groups: Mapping[str, tuple[str, ...]]  # group -> rule ids naming it

    def signer(self, signer_id: str) -> SignerRow | None:
        return next((s for s in self.signers if s.id == signer_id), None)


def rules_by_reference(located: Located) -> dict[str, tuple[str, ...]]:
    """`group:<name>` or signer id -> ids of the signature rules naming it."""
    doc = located.source.value
    rules = doc.get("rules") if isinstance(doc, dict) else None
    out: dict[str, list[str]] = {}
    for path, entry in policy_file.signer_references(doc):
        index = path[1]
        rule = rules[index] if isinstance(rules, list) and isinstance(index, int) else None
        rule_id = str(rule.get("id", f"rules[{path[1]}]")) if isinstance(rule, dict) else "?"
        out.setdefault(entry, [])
        if rule_id not in out[entry]:
            out[entry].append(rule_id)
    return {k: tuple(v) for k, v in out.items()}


def load(located: Located, now: datetime | None = None) -> Roster:
    result = signers_file.load_dir(located.signers_dir, now or datetime.now(UTC))
    certs = {c.info.fingerprint: c for c in result.certs}
    refs = rules_by_reference(located)
    rows = []
    for signer in result.signers.signers:
        file = result.files.get(signer.id, located.signers_dir / f"{signer.id}.yaml")
        text, raw = _raw(file)
        names = (signer.id, *(f"group:{g}" for g in signer.groups))
        rules = tuple(dict.fromkeys(r for n in names for r in refs.get(n, ())))
        rows.append(
            SignerRow(
                signer.id,
                signer.name,
                signer.emails,
                signer.groups,
                _keys(signer, certs, raw),
                rules,
                version.token(text),
            )
        )
    groups = {k.removeprefix("group:"): v for k, v in refs.items() if k.startswith("group:")}
    return Roster(tuple(rows), tuple(result.problems), groups)


def _raw(file: Path) -> tuple[str, dict[str, Any]]:
    text = file.read_text(encoding="utf-8")
    value = yamlpos.parse(text).value  # the loader parsed this very file a moment ago
    return text, value if isinstance(value, dict) else {}


def _source(entry: object) -> str:
    source = entry.get("source") if isinstance(entry, dict) else None
    if not isinstance(source, dict):
        return "added by hand"
    if "gnupg" in source:
        return f"GnuPG {source['gnupg']}"
    return f"{source.get('forge', '?')}/{source.get('user', '?')}"


def _entries(raw: dict[str, Any], name: str) -> list[object]:
    items = raw.get(name)
    return items if isinstance(items, list) else []


def _keys(
    signer: spec.Signer, certs: Mapping[str, LoadedCert], raw: dict[str, Any]
) -> tuple[KeyRow, ...]:
    rows = []
    pgp_raw = _entries(raw, "openpgp")
    for i, k in enumerate(signer.openpgp_keys):
        cert = certs.get(k.fingerprint)
        rows.append(
            KeyRow(
                "OpenPGP",
                k.fingerprint,
                key_algorithm(cert) if cert is not None else "?",
                cert.info.created_at if cert is not None else None,
                _earliest(k.expires_at, k.validity.not_after),
                k.validity.revoked_since,
                _source(pgp_raw[i] if i < len(pgp_raw) else None),
            )
        )
    ssh_raw = _entries(raw, "ssh")
    for i, s in enumerate(signer.ssh_keys):
        parts = s.public_key.split(None, 2)
        rows.append(
            KeyRow(
                "SSH",
                s.fingerprint,
                parts[0],
                None,  # an SSH public key records no creation time
                s.validity.not_after,
                s.validity.revoked_since,
                _source(ssh_raw[i] if i < len(ssh_raw) else None),
                parts[2] if len(parts) > 2 else "",
            )
        )
    return tuple(rows)


def _earliest(*when: datetime | None) -> datetime | None:
    known = [w for w in when if w is not None]
    return min(known) if known else None


_ALGORITHMS = {"RSAEncryptSign": "RSA", "RSASign": "RSA", "ECDH": "ECDH"}


def key_algorithm(cert: LoadedCert) -> str:
    """The primary key's public-key algorithm ("EdDSA", "RSA", "ECDSA"...)."""
    from pysequoia.packet import PacketPile  # noqa: PLC0415  # only the signers page needs it

    first = next(iter(PacketPile.from_bytes(bytes(cert.cert))), None)
    name = str(first.key_algorithm).rpartition(".")[2] if first is not None else "?"
    return _ALGORITHMS.get(name, name)
