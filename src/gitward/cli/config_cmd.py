"""`gitward config check [PATH]` and `gitward config schema [--signer]`."""

from __future__ import annotations

import argparse
import json
import sys

HELP = "validate a policy and its signers, or print the policy's JSON Schema"


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = sub.add_parser(
        "check",
        help="validate a policy file and its signer files",
        description="Validate a policy file and its signer files; print every problem as "
        "FILE:LINE: key.path: what was expected. Exit 0 when valid, 1 otherwise.",
    )
    check.add_argument(
        "path",
        nargs="?",
        metavar="PATH",
        help="policy file or directory (default: $GITWARD_CONFIG, else /etc/gitward/policy.yaml)",
    )
    schema = sub.add_parser(
        "schema",
        help="print the JSON Schema of the policy file (for editors)",
        description="Print the JSON Schema (draft 2020-12) of the policy file, or with "
        "--signer of a signer file.",
    )
    schema.add_argument("--signer", action="store_true", help="the signer file's schema")


def run(args: argparse.Namespace) -> int:
    return _check(args.path) if args.action == "check" else _schema(args.signer)


def _check(path: str | None) -> int:
    # Imported here: the dispatcher imports every command module it lists for --help.
    from gitward.config import load  # noqa: PLC0415
    from gitward.errors import ConfigError  # noqa: PLC0415

    try:
        loaded = load(path)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem)
        print(f"{len(exc.problems)} problem(s); the policy would not be applied", file=sys.stderr)
        return 1
    for warning in loaded.warnings:
        print(f"warning: {warning}")
    rules = len(loaded.policy.rules)
    signers = len(loaded.signers.signers)
    print(
        f"OK: {rules} rule{'s' * (rules != 1)}, {signers} signer{'s' * (signers != 1)} "
        f"({loaded.path})"
    )
    return 0


def _schema(signer: bool) -> int:
    from gitward.config import schema  # noqa: PLC0415

    doc = schema.signer_schema() if signer else schema.policy_schema()
    print(json.dumps(doc, indent=2))
    return 0
