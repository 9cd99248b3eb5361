"""`gitward doctor [--config PATH] [REPO.git ...]`: is this server ready to enforce the policy?

One line per check, `OK` or `FAIL` plus what to do; exit 1 when anything failed. Checks: git
present (its version; the hook runs it on every push), the in-process verifiers importable, the
policy loads, the audit log's folder writable, each repository's hook installed, executable and
pointing at an existing gitward and policy, and which pusher identity the current environment
yields. gpg and ssh-keygen are not checked: gitward verifies signatures in process and never
runs them.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

from gitward.cli.install_cmd import Shim, parse_shim
from gitward.errors import GitwardError
from gitward.hook.pusher import detect

HELP = "check git, the verifiers, the policy, hook files and permissions"


class Check(NamedTuple):
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{'OK  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"
        return text if self.ok or not self.fix else f"{text} -> {self.fix}"


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("repos", nargs="*", metavar="REPO.git", help="repositories to inspect")
    parser.add_argument("--config", help="policy file or directory (default: $GITWARD_CONFIG)")


def run(args: argparse.Namespace) -> int:
    checks = list(all_checks(args.config, [Path(r) for r in args.repos]))
    for c in checks:
        print(c.line())
    return 0 if all(c.ok for c in checks) else 1


def all_checks(config: str | None, repos: list[Path]) -> Iterator[Check]:
    yield _git()
    for module, dist in (("pysequoia", "pysequoia"), ("cryptography", "cryptography")):
        yield _library(module, dist)
    yield from _config(config)
    for repo in repos:
        yield _hook(repo)
    yield _identity()


def _git() -> Check:
    if shutil.which("git") is None:
        return Check("git", False, "not found on PATH", "install git (apt-get install git)")
    try:
        proc = subprocess.run(
            ["git", "--version"], capture_output=True, text=True, timeout=10, check=False
        )
        out = (proc.stdout or proc.stderr).strip().splitlines()
        version = out[0] if out else "version unknown"
    except (OSError, subprocess.SubprocessError):
        version = "present (version unknown)"
    return Check("git", True, version)


def _library(module: str, dist: str) -> Check:
    try:
        importlib.import_module(module)
        return Check(module, True, f"importable ({metadata.version(dist)})")
    except Exception as exc:  # any import failure means "cannot verify"
        return Check(module, False, f"cannot import: {exc}", f"pip install {dist}")


def _config(config: str | None) -> Iterator[Check]:
    # Lazy: a broken install (missing PyYAML, pysequoia) is something doctor must report.
    from gitward.config import load  # noqa: PLC0415

    try:
        loaded = load(config)
    except GitwardError as exc:
        yield Check(
            "policy",
            False,
            str(exc).splitlines()[0] if str(exc) else "invalid",
            "fix the policy (`gitward config check` lists every problem)",
        )
        for extra in str(exc).splitlines()[1:]:
            yield Check("policy", False, extra)
        return
    counts = f"{len(loaded.policy.rules)} rules, {len(loaded.signers.signers)} signers"
    yield Check("policy", True, f"{loaded.path} loads ({counts})")
    folder = loaded.audit_log.parent
    probe = folder if folder.exists() else next(p for p in folder.parents if p.exists())
    writable = os.access(probe, os.W_OK | os.X_OK)
    yield Check(
        "audit log",
        writable,
        f"{loaded.audit_log} {'writable' if writable else 'NOT writable'}",
        f"let the user that runs git hooks write to {folder}",
    )


def _hook(repo: Path) -> Check:
    name = f"hook {repo}"
    candidates = [repo / "hooks" / "pre-receive", repo / "hooks" / "pre-receive.d" / "gitward"]
    found: list[tuple[Path, Shim]] = []
    for p in candidates:
        shim = parse_shim(p.read_text(errors="replace")) if p.is_file() else None
        if shim is not None:
            found.append((p, shim))
    if not found:
        return Check(name, False, "gitward hook not installed", f"gitward install {repo}")
    path, shim = found[0]
    if not os.access(path, os.X_OK):
        return Check(name, False, f"{path} is not executable", f"chmod 755 {path}")
    if not (Path(shim.command).is_file() and os.access(shim.command, os.X_OK)):
        return Check(name, False, f"{path} runs missing {shim.command}", f"gitward install {repo}")
    if shim.config is not None and not Path(shim.config).exists():
        return Check(name, False, f"policy {shim.config} does not exist", "fix --config")
    hooks_path = _git_config(repo, "core.hooksPath")
    if hooks_path:
        return Check(
            name,
            False,
            f"core.hooksPath={hooks_path}: git ignores {path}",
            f"git --git-dir {repo} config --unset core.hooksPath",
        )
    return Check(name, True, f"{path} -> {shim.command} (policy {shim.config or 'default'})")


def _git_config(repo: Path, key: str) -> str:
    try:
        proc = subprocess.run(
            ["git", "--git-dir", str(repo), "config", "--get", key],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):  # no git: its own check says so
        return ""
    return proc.stdout.strip()


def _identity() -> Check:
    pusher = detect(os.environ).pusher
    who = pusher.name or "anonymous"
    return Check("pusher identity", True, f"source {pusher.source}, pusher {who}")
