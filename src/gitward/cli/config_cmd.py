"""`gitward config check [PATH]` and `gitward config schema [--signer | --forges]`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gitward.policy.spec import Policy

HELP = "validate a policy and its signers, or print the policy's JSON Schema"


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = sub.add_parser(
        "check",
        help="validate a policy file and its signer files",
        description="Validate a policy file and its signer files, and the receiver's "
        "forges.yaml and admin.yaml beside it when there are; print every problem as "
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
        "--signer of a signer file, or with --forges of the receiver's forges.yaml.",
    )
    which = schema.add_mutually_exclusive_group()
    which.add_argument("--signer", action="store_true", help="the signer file's schema")
    which.add_argument("--forges", action="store_true", help="forges.yaml's schema")


def run(args: argparse.Namespace) -> int:
    if args.action == "check":
        return _check(args.path)
    return _schema("signer" if args.signer else "forges" if args.forges else "policy")


def _check(path: str | None) -> int:
    # Imported here: the dispatcher imports every command module it lists for --help.
    from gitward.config import admin_file, forges_file, load, rego_files  # noqa: PLC0415
    from gitward.errors import ConfigError  # noqa: PLC0415

    problems: list[str] = []
    try:
        loaded = load(path)
        # The hook compiles Rego policies only when a push changes a manifest: compile now.
        rego_files.compile_all(loaded.policy.content_data.rego)
    except ConfigError as exc:
        problems += exc.problems
    forges = forges_file.path_for(_policy_path(path))
    forges_count = None
    if forges.exists():
        try:
            forges_count = len(forges_file.load(forges).forges)
        except ConfigError as exc:
            problems += exc.problems
    admin = admin_file.path_for(_policy_path(path))
    admin_ok = False
    if admin.exists():
        try:
            admin_ok = admin_file.load(admin) is not None
        except ConfigError as exc:
            problems += exc.problems
    if problems:
        for problem in problems:
            print(problem)
        print(f"{len(problems)} problem(s); the policy would not be applied", file=sys.stderr)
        return 1
    for warning in loaded.warnings:
        print(f"warning: {warning}")
    if not _content_lines(loaded.policy):
        return 1
    rules = len(loaded.policy.rules)
    signers = len(loaded.signers.signers)
    receiver = "" if forges_count is None else f", {forges_count} forge(s) in {forges.name}"
    receiver += f", admin pages in {admin.name}" if admin_ok else ""
    print(
        f"OK: {rules} rule{'s' * (rules != 1)}, {signers} signer{'s' * (signers != 1)}"
        f"{receiver} ({loaded.path})"
    )
    return 0


def _content_lines(policy: Policy) -> bool:
    """Print what content rules load; False when a rule set has a rule RE2 cannot run."""
    from gitward.config import gitleaks  # noqa: PLC0415

    ok = True
    for name, rules in policy.content_data.rulesets.items():
        usable, problems = gitleaks.usable(rules)
        left_out = gitleaks.unusable()
        print(
            f"secrets: rule set {name} ({rules.source}): {usable} of "
            f"{len(rules.rules) + len(left_out)} rules usable with RE2"
        )
        for rule_id, reason in left_out:
            print(f"  left out by the vendoring script: {rule_id}: {reason}")
        for problem in problems:
            print(f"{policy.source}:1: secret rule {problem}")
            ok = False
    for name, allow in policy.content_data.allowlists.items():
        print(
            f"secrets allowlist {name}: {len(allow.paths)} path(s), {len(allow.regexes)} "
            f"regex(es), {len(allow.fingerprints)} fingerprint(s)"
        )
    for names in policy.content_data.rego:
        print(f"rego: {len(names)} policy file(s) compiled: {', '.join(names)}")
    return ok


def _policy_path(path: str | None) -> Path:
    from gitward.config import policy_path  # noqa: PLC0415

    return policy_path(path)


def _schema(which: str) -> int:
    from gitward.config import schema  # noqa: PLC0415

    build = {
        "policy": schema.policy_schema,
        "signer": schema.signer_schema,
        "forges": schema.forges_schema,
    }[which]
    print(json.dumps(build(), indent=2))
    return 0
