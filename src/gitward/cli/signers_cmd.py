"""`gitward signers add|remove|list|show|revoke`: manage who may sign."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gitward.config import Located
    from gitward.policy.spec import KeyValidity, Signer, Signers

HELP = "list, show, add, remove or revoke allowed signers (edits are audited)"

_CONFIG_HELP = "policy file or directory (default: $GITWARD_CONFIG, else /etc/gitward)"


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("--config", metavar="PATH", help=_CONFIG_HELP)
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=text, description=text)
        # Also accepted after the action; SUPPRESS keeps the parent's value when absent.
        p.add_argument("--config", metavar="PATH", help=_CONFIG_HELP, default=argparse.SUPPRESS)
        return p

    add = action("add", "add a signer with OpenPGP and/or SSH public keys")
    add.add_argument("id", help="signer id (also the file name: <id>.yaml)")
    add.add_argument("--name", required=True, help="display name")
    add.add_argument("--email", action="append", required=True, help="e-mail (repeatable)")
    add.add_argument(
        "--gpg-key",
        action="append",
        default=[],
        metavar="FILE",
        help="armored or binary OpenPGP public key (repeatable)",
    )
    add.add_argument(
        "--ssh-key",
        action="append",
        default=[],
        metavar="FILE",
        help="SSH public key file, e.g. id_ed25519.pub (repeatable)",
    )
    add.add_argument("--group", action="append", default=[], help="signer group (repeatable)")
    add.add_argument(
        "--allow-email-mismatch",
        action="store_true",
        help="accept an OpenPGP key whose user ids carry none of the e-mails",
    )
    remove = action("remove", "remove a signer (refused while the policy names it)")
    remove.add_argument("id")
    lst = action("list", "list signers")
    lst.add_argument("--json", action="store_true", help="machine-readable output")
    show = action("show", "show one signer and its keys")
    show.add_argument("id")
    revoke = action("revoke", "revoke one key of a signer from a date on")
    revoke.add_argument("id")
    revoke.add_argument(
        "--key",
        required=True,
        metavar="FINGERPRINT",
        help="OpenPGP primary fingerprint or SSH SHA256: fingerprint",
    )
    revoke.add_argument(
        "--since",
        type=_date,
        metavar="DATE",
        help="ISO date or date-time, UTC if no zone (default: now)",
    )


def _date(text: str) -> date | datetime:
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO date like 2026-06-01 or 2026-06-01T12:00:00Z, got {text!r}"
        ) from None


def run(args: argparse.Namespace) -> int:
    from gitward import config  # noqa: PLC0415  # see the dispatcher: commands load lazily

    located = config.locate(args.config)
    if args.action in ("list", "show"):
        return _read(args, located)
    from gitward import signers_edit as edit  # noqa: PLC0415  # ruamel: edits only

    if args.action == "add":
        new = edit.NewSigner(
            id=args.id,
            name=args.name,
            emails=tuple(args.email),
            groups=tuple(args.group),
            gpg_keys=tuple((f, _read_file(f)) for f in args.gpg_key),
            ssh_keys=tuple((f, line) for f in args.ssh_key for line in _ssh_lines(f)),
        )
        path = edit.add(located, new, allow_email_mismatch=args.allow_email_mismatch)
        print(f"added signer {args.id!r}: {path}")
    elif args.action == "remove":
        print(f"removed signer {args.id!r}: {edit.remove(located, args.id)}")
    else:
        when = edit.revoke(located, args.id, args.key, args.since)
        print(f"revoked key {args.key} of {args.id!r} since {when.isoformat()}")
    return 0


def _read_file(name: str) -> bytes:
    from gitward.errors import SignerEditError  # noqa: PLC0415

    try:
        return Path(name).read_bytes()
    except OSError as exc:
        raise SignerEditError(f"{name}: cannot read: {exc.strerror or exc}") from None


def _ssh_lines(name: str) -> list[str]:
    from gitward.config.keycheck import read_ssh_keys  # noqa: PLC0415

    return read_ssh_keys(name, _read_file(name).decode("utf-8", "replace"))


def _read(args: argparse.Namespace, located: Located) -> int:
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
