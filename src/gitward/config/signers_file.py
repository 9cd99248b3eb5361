"""Signer files: one `<signers_dir>/<id>.yaml` per signer, OpenPGP keys in `keys/<FPR>.asc`.

Every file is validated against `signer_table.SIGNER`; every OpenPGP fingerprint must be the primary
fingerprint of the armored key stored beside it (`signer_keys`), and no key may belong to two
signers (the policy looks a signature's key up to find its one owner).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitward.config import yamlpos
from gitward.config.fields import INVALID, Problems
from gitward.config.signer_keys import check_window, dead_reason, openpgp_key, ssh_key
from gitward.config.signer_table import SIGNER
from gitward.policy import spec

if TYPE_CHECKING:
    from gitward.signing.openpgp.certs import LoadedCert


class SignersResult:
    """What `load_dir` collects (mutable while loading; a plain class is cheap to import)."""

    __slots__ = ("certs", "files", "problems", "signers", "warnings")

    def __init__(self) -> None:
        self.signers = spec.Signers()
        self.certs: list[LoadedCert] = []  # parsed once, handed to the Keyring
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
    pgp = [
        openpgp_key(file, i, k, problems, result.certs) for i, k in enumerate(d.get("openpgp", ()))
    ]
    ssh = [ssh_key(i, k, problems) for i, k in enumerate(d.get("ssh", ()))]
    for key in ("openpgp", "ssh"):
        for i, k in enumerate(d.get(key, ())):
            check_window(k, (key, i), problems)
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
