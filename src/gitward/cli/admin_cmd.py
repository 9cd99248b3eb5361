"""`gitward admin passwd LOGIN`: set a local admin's password (the admin pages' sign-in)."""

from __future__ import annotations

import argparse
import sys

HELP = "manage local accounts of the admin pages (admin.yaml's local.password_file)"


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    passwd = sub.add_parser(
        "passwd",
        help="add a local admin or change its password (stored as an argon2id hash)",
        description="add a local admin or change its password (stored as an argon2id hash)",
    )
    passwd.add_argument("login", help="the admin's login")
    passwd.add_argument(
        "--config",
        metavar="PATH",
        help="config directory or policy file (default: $GITWARD_CONFIG, else /etc/gitward)",
    )
    passwd.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input (no prompt)",
    )


def run(args: argparse.Namespace) -> int:
    from gitward.admin import passwords  # noqa: PLC0415  # the dispatcher imports us for --help
    from gitward.config import admin_file, policy_path  # noqa: PLC0415
    from gitward.errors import GitwardError  # noqa: PLC0415

    path = admin_file.path_for(policy_path(args.config))
    admin = admin_file.load(path)
    if admin is None or admin.password_file is None:
        raise GitwardError(
            f"{path}: no `local: {{password_file: ...}}` section; add one to enable local admins"
        )
    password = _read_password(args.password_stdin)
    passwords.set_password(admin.password_file, args.login, password)
    print(f"password set for {args.login!r} in {admin.password_file}")
    return 0


def _read_password(from_stdin: bool) -> str:
    from gitward.errors import GitwardError  # noqa: PLC0415

    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass  # noqa: PLC0415

    first = getpass.getpass("New password: ")
    if getpass.getpass("Again: ") != first:
        raise GitwardError("the passwords differ; nothing was changed")
    return first
