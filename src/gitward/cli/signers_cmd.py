"""`gitward signers add|remove|list|show|revoke|import|sync`: manage who may sign."""

from __future__ import annotations

import argparse
from datetime import date, datetime
from pathlib import Path

HELP = "list, show, add, remove, revoke, import or sync allowed signers (edits are audited)"

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
    from gitward.cli import signers_import  # noqa: PLC0415  # its arguments live beside it

    signers_import.add_arguments(
        action("import", "add or update a signer with the keys a forge or GnuPG holds"),
        action("sync", "refresh every signer imported from a forge (for a timer)"),
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
        from gitward.cli import signers_view  # noqa: PLC0415

        return signers_view.read(args, located)
    if args.action in ("import", "sync"):
        from gitward.cli import signers_import  # noqa: PLC0415

        return signers_import.run(args, located)
    # ruamel: edits only
    from gitward.signers import add as signers_add  # noqa: PLC0415
    from gitward.signers import edit as signers_edit  # noqa: PLC0415

    if args.action == "add":
        new = signers_add.NewSigner(
            id=args.id,
            name=args.name,
            emails=tuple(args.email),
            groups=tuple(args.group),
            gpg_keys=tuple((f, _read_file(f)) for f in args.gpg_key),
            ssh_keys=tuple((f, line) for f in args.ssh_key for line in _ssh_lines(f)),
        )
        path = signers_add.add(located, new, allow_email_mismatch=args.allow_email_mismatch)
        print(f"added signer {args.id!r}: {path}")
    elif args.action == "remove":
        print(f"removed signer {args.id!r}: {signers_edit.remove(located, args.id)}")
    else:
        when = signers_edit.revoke(located, args.id, args.key, args.since)
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
