"""Signer files: one `<signers_dir>/<id>.yaml` per signer, OpenPGP keys in `keys/<FPR>.asc`.

Every file is validated against `signer_table.SIGNER`; every OpenPGP fingerprint must be the primary
fingerprint of the armored key stored beside it, and no key may belong to two signers (the
policy looks a signature's key up to find its one owner).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gitward.config import yamlpos
from gitward.config.fields import INVALID, Problems
from gitward.config.signer_table import SIGNER
from gitward.policy import spec


class SignersResult:
    """What `load_dir` collects (mutable while loading; a plain class is cheap to import)."""

    __slots__ = ("certs", "files", "problems", "signers", "warnings")

    def __init__(self) -> None:
        self.signers = spec.Signers()
        self.certs: list[bytes] = []  # armored certificates, for the Keyring
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.files: dict[str, Path] = {}  # signer id -> file


def load_dir(directory: Path, now: datetime | None = None) -> SignersResult:
    """Load every `*.yaml` in `directory` (a missing directory has no signers)."""
    result = SignersResult()
    if not directory.is_dir():
        return result
    owners: dict[str, str] = {}  # key fingerprint -> signer id
    signers: list[spec.Signer] = []
    for file in sorted(directory.iterdir()):
        if file.suffix == ".yml":
            result.problems.append(f"{file}:1: signer files must be named <id>.yaml")
        if file.suffix != ".yaml" or file.name.startswith("."):
            continue
        signer = load_file(file, result, now or datetime.now(UTC))
        if signer is None:
            continue
        for fpr in key_fingerprints(signer):
            other = owners.setdefault(fpr, signer.id)
            if other != signer.id:
                result.problems.append(
                    f"{file}:1: key {fpr} already belongs to "
                    f"signer {other!r}; a key may have only one owner"
                )
        signers.append(signer)
        result.files[signer.id] = file
    result.signers = spec.Signers(tuple(signers))
    return result


def load_file(file: Path, result: SignersResult, now: datetime) -> spec.Signer | None:
    """Validate one signer file, appending problems to `result`; None if it is invalid."""
    try:
        doc = yamlpos.parse(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        result.problems.append(f"{file}:1: cannot read: {exc}")
        return None
    except yamlpos.YamlSyntaxError as exc:
        result.problems.append(f"{file}:{exc.line}: {exc.message}")
        return None
    problems: Problems = list(doc.problems)
    checked = SIGNER.check(doc.value, (), problems)
    if checked is INVALID or problems:
        result.problems += [doc.problem(file, p, m) for p, m in problems]
        return None
    d: dict[str, Any] = checked  # type: ignore[assignment]  # Obj returns a dict
    if d["id"] != file.stem:
        problems.append((("id",), f"expected {file.stem!r} (the file name), got {d['id']!r}"))
    pgp = [_openpgp(file, doc, i, k, problems, result) for i, k in enumerate(d.get("openpgp", ()))]
    ssh = [_ssh(i, k, problems) for i, k in enumerate(d.get("ssh", ()))]
    for key in ("openpgp", "ssh"):
        for i, k in enumerate(d.get(key, ())):
            _check_window(k, (key, i), problems)
    result.problems += [doc.problem(file, p, m) for p, m in problems]
    if problems:
        return None
    keys = [k for k in pgp if k is not None]
    for i, k in enumerate(keys):
        why = dead_reason(k, now)
        if why:
            msg = f"key {k.fingerprint} {why}; it cannot sign"
            result.warnings.append(doc.problem(file, ("openpgp", i), msg))
    return spec.Signer(
        id=d["id"],
        name=d["name"],
        emails=d["emails"],
        groups=d.get("groups", ()),
        openpgp_keys=tuple(keys),
        ssh_keys=tuple(k for k in ssh if k is not None),
    )


def _validity(k: dict[str, Any]) -> spec.KeyValidity:
    return spec.KeyValidity(k.get("not_before"), k.get("not_after"), k.get("revoked_since"))


def _check_window(k: dict[str, Any], path: tuple[str, int], out: Problems) -> None:
    nb, na = k.get("not_before"), k.get("not_after")
    if nb is not None and na is not None and na <= nb:
        out.append(((*path, "not_after"), f"expected a date after not_before ({nb:%Y-%m-%d})"))


def _openpgp(
    file: Path,
    doc: yamlpos.Document,
    i: int,
    k: dict[str, Any],
    out: Problems,
    result: SignersResult,
) -> spec.OpenPGPKey | None:
    # Lazy: the schema and `signers list` must not pay for pysequoia.
    from gitward.signing.openpgp import inspect_cert  # noqa: PLC0415

    fpr = k["fingerprint"].upper()
    path = ("openpgp", i, "fingerprint")
    key_file = file.parent / "keys" / f"{fpr}.asc"
    try:
        data = key_file.read_bytes()
        info = inspect_cert(data)
    except OSError as exc:
        out.append((path, f"expected the key in {key_file}: {exc.strerror or exc}"))
        return None
    except ValueError as exc:
        out.append((path, f"expected an OpenPGP public key in {key_file}: {exc}"))
        return None
    if info.fingerprint.upper() != fpr:
        out.append(
            (path, f"expected the primary fingerprint of {key_file}, which is {info.fingerprint}")
        )
        return None
    result.certs.append(data)
    return spec.OpenPGPKey(
        fingerprint=fpr,
        signing_subkeys=dict(info.signing_subkeys),
        expires_at=info.expires_at,
        cert_revoked=info.revoked,
        primary_can_sign=info.primary_can_sign,
        user_emails=tuple(info.user_emails),
        validity=_validity(k),
    )


def _ssh(i: int, k: dict[str, Any], out: Problems) -> spec.SSHKey | None:
    from gitward.signing.ssh import parse_public_key  # noqa: PLC0415

    try:
        parsed = parse_public_key(k["key"])
    except ValueError as exc:
        out.append((("ssh", i, "key"), f"expected an SSH public key: {exc}"))
        return None
    return spec.SSHKey(parsed.fingerprint, k["key"].strip(), _validity(k))


def dead_reason(k: spec.OpenPGPKey, now: datetime) -> str:
    """Why the certificate itself cannot sign at `now` ("" if it can)."""
    if k.cert_revoked:
        return "is revoked"
    if k.expires_at is not None and k.expires_at <= now:
        return f"expired on {k.expires_at:%Y-%m-%d}"
    live = [e for e in k.signing_subkeys.values() if e is None or e > now]
    return "" if k.primary_can_sign or live else "has no usable signing (sub)key"


def key_fingerprints(signer: spec.Signer) -> list[str]:
    """OpenPGP primary and SSH fingerprints of every key of `signer`."""
    return [k.fingerprint for k in signer.openpgp_keys] + [k.fingerprint for k in signer.ssh_keys]


def openpgp_fingerprints(text: str) -> list[str]:
    """OpenPGP fingerprints named in a signer file's text, even an invalid one (best effort)."""
    try:
        value = yamlpos.parse(text).value
    except yamlpos.YamlSyntaxError:
        return []
    entries = value.get("openpgp") if isinstance(value, dict) else None
    return [
        str(e["fingerprint"]).upper()
        for e in entries or []
        if isinstance(e, dict) and isinstance(e.get("fingerprint"), str)
    ]
