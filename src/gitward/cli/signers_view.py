"""`gitward signers list|show`: what the signer files hold, as text or JSON (read-only)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from gitward.config import Located
    from gitward.policy.spec import KeyValidity, Signer, Signers


def read(args: argparse.Namespace, located: Located) -> int:
    """`signers list` / `signers show ID`: print what the signer files hold (never edits)."""
    from gitward.config import signers_file  # noqa: PLC0415
    from gitward.errors import ConfigError, SignerEditError  # noqa: PLC0415

    result = signers_file.load_dir(located.signers_dir)
    if result.problems:
        raise ConfigError(result.problems)
    if args.action == "list":
        _list(result.signers, as_json=args.json)
        return 0
    signer = result.signers.by_id(args.id)
    if signer is None:
        raise SignerEditError(f"no signer {args.id!r} in {located.signers_dir}")
    _show(signer)
    return 0


def _when(d: datetime | None) -> str | None:
    return None if d is None else d.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _validity(v: KeyValidity) -> dict[str, str | None]:
    return {
        "not_before": _when(v.not_before),
        "not_after": _when(v.not_after),
        "revoked_since": _when(v.revoked_since),
    }


def signer_json(s: Signer) -> dict[str, object]:
    """The JSON form of one signer (`signers list --json` prints a list of these)."""
    return {
        "id": s.id,
        "name": s.name,
        "emails": list(s.emails),
        "groups": list(s.groups),
        "openpgp": [
            {
                "fingerprint": k.fingerprint,
                "expires_at": _when(k.expires_at),
                "cert_revoked": k.cert_revoked,
                "signing_subkeys": sorted(k.signing_subkeys),
                "user_emails": list(k.user_emails),
                **_validity(k.validity),
            }
            for k in s.openpgp_keys
        ],
        "ssh": [
            {"fingerprint": k.fingerprint, "key": k.public_key, **_validity(k.validity)}
            for k in s.ssh_keys
        ],
    }


def _list(signers: Signers, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps([signer_json(s) for s in signers.signers], indent=2))
        return
    if not signers.signers:
        print("no signers", file=sys.stderr)
    for s in signers.signers:
        keys = len(s.openpgp_keys) + len(s.ssh_keys)
        print(
            f"{s.id:<16} {s.name:<24} {','.join(s.emails):<32} "
            f"groups={','.join(s.groups) or '-'} keys={keys}"
        )


def _show(s: Signer) -> None:
    print(
        f"id:     {s.id}\nname:   {s.name}\nemails: {', '.join(s.emails)}\n"
        f"groups: {', '.join(s.groups) or '-'}"
    )
    for k in s.openpgp_keys:
        print(
            f"openpgp {k.fingerprint}"
            + _window(k.validity)
            + (" CERT-REVOKED" if k.cert_revoked else "")
            + (f" expires={_when(k.expires_at)}" if k.expires_at else "")
        )
    for sk in s.ssh_keys:
        print(f"ssh     {sk.fingerprint} {sk.public_key.split(' ')[0]}" + _window(sk.validity))


def _window(v: KeyValidity) -> str:
    parts = [f"{k}={val}" for k, val in _validity(v).items() if val]
    return " " + " ".join(parts) if parts else ""
