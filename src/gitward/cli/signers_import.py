"""`gitward signers import` and `gitward signers sync`: their arguments, the change shown (and
asked about, for an import), and what a forge that cannot be read means: nothing changed.

    gitward signers import --forge NAME --user LOGIN [--id ID] [--group G ...] [--yes]
    gitward signers import --gnupg [--homedir DIR] KEYID|EMAIL ... [--id ID] [--yes]
    gitward signers sync --forge NAME [--dry-run]
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from gitward.cli import signers_changes
from gitward.errors import SignerEditError

if TYPE_CHECKING:
    import argparse

    from gitward.config import Located
    from gitward.signers.batch import Applied
    from gitward.signers.candidates import Sorted
    from gitward.signers.journal import RolledBack


def add_arguments(imp: argparse.ArgumentParser, sync: argparse.ArgumentParser) -> None:
    where = imp.add_mutually_exclusive_group(required=True)
    where.add_argument("--forge", metavar="NAME", help="a forge of forges.yaml beside the policy")
    where.add_argument("--gnupg", action="store_true", help="from a GnuPG keyring")
    imp.add_argument("--user", metavar="LOGIN", help="the forge account (with --forge)")
    imp.add_argument("--homedir", metavar="DIR", help="GnuPG home (with --gnupg; default: gpg's)")
    imp.add_argument(
        "keys", nargs="*", metavar="KEYID|EMAIL", help="(with --gnupg) 16-digit key ids, "
        "fingerprints or e-mail addresses of the keys to import",
    )  # fmt: skip
    imp.add_argument("--id", help="signer id (default: the forge user; with --gnupg: the part "
                     "of the first e-mail before the @)")  # fmt: skip
    imp.add_argument("--name", help="display name (a new signer's default: the forge user, or "
                     "the key's user id)")  # fmt: skip
    imp.add_argument("--email", action="append", default=[], help="e-mail (repeatable)")
    imp.add_argument("--group", action="append", default=[], help="signer group (repeatable)")
    imp.add_argument(
        "--include-unverified",
        action="store_true",
        help="also take keys the forge has not verified, or whose e-mails it has not verified",
    )
    imp.add_argument("--yes", "-y", action="store_true", help="make the change without asking")
    sync.add_argument("--forge", metavar="NAME", required=True, help="a forge of forges.yaml")
    sync.add_argument("--dry-run", action="store_true", help="show the changes, make none")


def run(args: argparse.Namespace, located: Located) -> int:
    from gitward.signers import batch  # noqa: PLC0415

    if args.action == "sync" and args.dry_run:
        if batch.pending(located):
            print("note: an interrupted batch edit waits to be rolled back; the next sync "
                  "does that first", file=sys.stderr)  # fmt: skip
    else:
        _recovered(batch.recover(located))
    now = datetime.now(UTC).replace(microsecond=0)
    if args.action == "sync":
        return _sync(args, located, now)
    return _import(args, located, now)


def _import(args: argparse.Namespace, located: Located, now: datetime) -> int:
    from gitward.signers import forge_source, importing  # noqa: PLC0415
    from gitward.signers.plan import Wanted  # noqa: PLC0415
    from gitward.signers.state import Origin  # noqa: PLC0415

    if args.gnupg:
        if args.user or args.include_unverified:
            raise SignerEditError("--user and --include-unverified go with --forge")
        from gitward.signers import gnupg_keys  # noqa: PLC0415

        found = gnupg_keys.find(args.homedir, args.keys, args.email, now)
        keys, emails, origin = found.keys, found.emails, found.origin
        wanted = Wanted(args.id or _id_from(emails), origin, args.name, emails,
                        tuple(args.group), found.name)  # fmt: skip
    else:
        if args.user is None or args.keys or args.homedir:
            raise SignerEditError("--forge takes --user LOGIN (KEYID|EMAIL and --homedir go with "
                                  "--gnupg)")  # fmt: skip
        forge, client = forge_source.connect(located, args.forge)
        keys = forge_source.reading(lambda: importing.read_forge(
            client, args.user, now, include_unverified=args.include_unverified))  # fmt: skip
        origin = Origin(forge=forge.name, user=args.user)
        wanted = Wanted(args.id or args.user, origin, args.name, tuple(args.email),
                        tuple(args.group))  # fmt: skip
    change = importing.plan_import(located, wanted, keys, now)
    signers_changes.show(change, sys.stdout)
    if not change.edits:
        print(f"signer {change.signer!r} is up to date: nothing to change")
        return 0
    if not args.yes and not _ask("apply these changes?"):
        print("nothing was changed", file=sys.stderr)
        return 1
    _report(importing.apply_import(located, wanted, keys, change, now))
    return 0


def _sync(args: argparse.Namespace, located: Located, now: datetime) -> int:
    from gitward.signers import forge_source, importing  # noqa: PLC0415

    forge, client = forge_source.connect(located, args.forge)

    def read(login: str) -> Sorted:
        return importing.read_forge(client, login, now)

    planner, changes = forge_source.reading(
        lambda: importing.plan_sync(located, forge.name, read, now)
    )
    for change in changes:
        if change.edits or change.left_out or change.kept:
            signers_changes.show(change, sys.stdout)
    edits = [c for c in changes if c.edits]
    if not edits:
        print(f"{len(changes)} signer{'s' * (len(changes) != 1)} imported from {forge.name}: "
              "up to date")  # fmt: skip
        return 0
    if args.dry_run:
        print(f"dry run: {len(edits)} signer{'s' * (len(edits) != 1)} would change; nothing was")
        return 0
    _report(importing.apply_sync(located, planner, changes, now))
    return 0


def _id_from(emails: tuple[str, ...]) -> str:
    local = emails[0].split("@", 1)[0] if emails else ""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", local):
        raise SignerEditError("give the signer's id with --id")
    return local


def _ask(question: str) -> bool:
    print(f"{question} [y/N] ", end="", flush=True)
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _recovered(done: RolledBack | None) -> None:
    if done is not None:
        restored = ", ".join(done.restored) or "nothing"
        left = ", ".join(done.left) or "nothing"
        print(f"rolled back an interrupted batch edit first (restored: {restored}; changed "
              f"since, left alone: {left})", file=sys.stderr)  # fmt: skip


def _report(applied: Applied) -> None:
    _recovered(applied.recovered)
    for change, path in zip(applied.changes, applied.files, strict=True):
        print(f"{'added' if change.new else 'updated'} signer {change.signer!r}: {path}")
