"""A throwaway git server for end-to-end tests: real bare repositories with the gitward hook
installed by `gitward install`, a policy and signer files, and clients that sign with real gpg
and ssh-keygen (gwkeys) and push with real `git push`.

    cfg = write_config(tmp / "etc", POLICY, {"alice": Signer(groups=("maintainers",))})
    server = bare_repo(tmp / "srv" / "app.git", cfg)
    client = Client(tmp / "work", gnupghome)
    client.commit("JIRA-1: x", sign=("openpgp", "alice"))
    result = client.push(server, "HEAD:refs/heads/main")
    assert result.ok, result.text
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import gwkeys

from gitward.cli import main as gitward_main

if TYPE_CHECKING:
    import pytest

Kind = Literal["openpgp", "ssh"]
# Variables that would change who the hook thinks is pushing; cleared so that a test run from
# an SSH session or a CI forge behaves like any other.
IDENTITY_VARS = (
    "SSH_CONNECTION",
    "SSH_CLIENT",
    "REMOTE_ADDR",
    "REMOTE_USER",
    "GATEWAY_INTERFACE",
    "PYTHONPATH",
    "GITWARD_CONFIG",
    "GITWARD_LOG_DIR",
)
IDENTITY_PREFIXES = ("GITEA_", "GITHUB_", "GL_", "GIT_")


@dataclass(frozen=True)
class Signer:
    """How a test identity appears in the signer files."""

    groups: tuple[str, ...] = ("maintainers",)
    openpgp: bool = True
    ssh: bool = False
    # Extra YAML lines for the OpenPGP key entry, e.g. "revoked_since: 2020-01-01".
    openpgp_extra: tuple[str, ...] = ()


def write_config(directory: Path, policy: str, signers: Mapping[str, Signer]) -> Path:
    """`directory/policy.yaml` plus `signers/<id>.yaml` and `signers/keys/<FPR>.asc`."""
    keys = directory / "signers" / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    (directory / "policy.yaml").write_text(policy)
    for name, s in signers.items():
        lines = [
            f"id: {name}",
            f"name: {gwkeys.display_name(name)}",
            f"emails: [{gwkeys.email(name)}]",
            f"groups: [{', '.join(s.groups)}]",
        ]
        if s.openpgp:
            fpr = gwkeys.fingerprint(name)
            (keys / f"{fpr}.asc").write_bytes(gwkeys.public_key(name))
            lines += ["openpgp:", f"  - fingerprint: {fpr}"]
            lines += [f"    {extra}" for extra in s.openpgp_extra]
        if s.ssh:
            lines += ["ssh:", f"  - key: {gwkeys.ssh_public_key(name)}"]
        (directory / "signers" / f"{name}.yaml").write_text("\n".join(lines) + "\n")
    return directory / "policy.yaml"


def init_bare(path: Path, object_format: str = "sha1") -> Path:
    env = gwkeys.git_env(Path("/nonexistent"))
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "git",
            "init",
            "-q",
            "--bare",
            "-b",
            "main",
            f"--object-format={object_format}",
            str(path),
        ],
        env=env,
        check=True,
    )
    return path


def install(repo: Path, config: Path) -> None:
    """`gitward install --config CONFIG REPO` (in process; the shim it writes runs the venv's
    `gitward` executable)."""
    if gitward_main(["install", "--config", str(config), str(repo)]) != 0:
        raise RuntimeError(f"gitward install failed for {repo}")


def bare_repo(path: Path, config: Path, object_format: str = "sha1") -> Path:
    """A bare repository at `path` with the gitward hook installed for `config`."""
    repo = init_bare(path, object_format)
    install(repo, config)
    return repo


def audit(config: Path) -> list[dict[str, Any]]:
    """The audit log records next to `config` (policy.yaml), oldest first."""
    path = config.parent / "audit.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def clean_env(
    extra: Mapping[str, str] | None = None, gnupghome: Path | None = None
) -> dict[str, str]:
    env = gwkeys.git_env(gnupghome or Path("/nonexistent"))
    env = {
        k: v
        for k, v in env.items()
        if k not in IDENTITY_VARS and not k.startswith(IDENTITY_PREFIXES)
    }
    env.update(GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class Pushed:
    returncode: int
    stderr: bytes

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def text(self) -> str:
        return self.stderr.decode("utf-8", "replace")

    @property
    def gitward(self) -> list[str]:
        """gitward's lines as the pusher sees them, without git's `remote: ` prefix."""
        out = []
        for raw in self.text.splitlines():
            line = raw.removeprefix("remote: ").strip()
            if line.startswith("gitward:"):
                out.append(line)
        return out


class Client:
    """A work repository that makes (signed) commits and pushes them."""

    def __init__(self, path: Path, gnupghome: Path, object_format: str = "sha1") -> None:
        self.path, self.home = path, gnupghome
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main", f"--object-format={object_format}")

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return clean_env(extra, self.home)

    def git(
        self, *args: str, input: bytes | None = None, env: Mapping[str, str] | None = None
    ) -> str:
        proc = subprocess.run(
            ["git", *args],
            cwd=self.path,
            input=input,
            capture_output=True,
            env=self.env(env),
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed: {proc.stderr.decode()}")
        return proc.stdout.decode("utf-8", "replace").strip()

    def commit(
        self,
        message: str,
        *,
        sign: tuple[Kind, str] | None = None,
        who: str = "alice",
        email: str | None = None,
        parents: Iterable[str] | None = None,
    ) -> str:
        """An empty commit on the current branch (or a merge of `parents` via commit-tree
        semantics when given); signed by `sign=(kind, name)` with real git; returns its id."""
        ident = [
            "-c",
            f"user.name={gwkeys.display_name(who)}",
            "-c",
            f"user.email={email or gwkeys.email(who)}",
        ]
        config = [*gwkeys.sign_config(*sign), *ident] if sign else ident
        if parents is not None:
            extra = [a for p in parents for a in ("-p", p)]
            tree = self.git("rev-parse", "HEAD^{tree}")
            oid = self.git(
                *config,
                "commit-tree",
                *(["-S"] if sign else []),
                tree,
                *extra,
                input=message.encode(),
            )
            self.git("reset", "-q", "--soft", oid)
            return oid
        self.git(
            *config,
            "commit",
            "-q",
            "--allow-empty",
            "--no-verify",
            *(["-S"] if sign else []),
            "-m",
            message,
        )
        return self.git("rev-parse", "HEAD")

    def write_raw(self, kind: str, data: bytes) -> str:
        """Write any object (`hash-object --literally`), e.g. a hand-tampered commit."""
        return self.git("hash-object", "--literally", "-w", "-t", kind, "--stdin", input=data)

    def cat(self, oid: str) -> bytes:
        proc = subprocess.run(
            ["git", "cat-file", "-p", oid],
            cwd=self.path,
            capture_output=True,
            env=self.env(),
            check=True,
        )
        return proc.stdout

    def push(
        self,
        url: Path | str,
        *refspecs: str,
        options: Iterable[str] = (),
        env: Mapping[str, str] | None = None,
        force: bool = False,
        receive_pack: str | None = None,
        timeout: float = 60,
    ) -> Pushed:
        """`git push` to `url` (a bare repository path means file://); raises only
        subprocess.TimeoutExpired, after `timeout` seconds. `receive_pack`: the server's
        command instead of `git-receive-pack` (a shell command for a local url, e.g.
        `GIT_NAMESPACE=ns git-receive-pack`)."""
        target = f"file://{url}" if isinstance(url, Path) else url
        args = ["git", "push", "--porcelain"]
        args += [f"--receive-pack={receive_pack}"] if receive_pack else []
        args += [f"--push-option={o}" for o in options]
        args += ["--force"] if force else []
        proc = subprocess.run(
            [*args, target, *refspecs],
            cwd=self.path,
            capture_output=True,
            env=self.env(env),
            check=False,
            timeout=timeout,
        )
        return Pushed(proc.returncode, proc.stderr)


def server_refs(repo: Path) -> dict[str, str]:
    out = subprocess.run(
        ["git", "for-each-ref", "--format=%(objectname) %(refname)"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=clean_env(),
        check=True,
    )
    return {name: oid for oid, name in (line.split(" ", 1) for line in out.stdout.splitlines())}


def python_without(module: str, directory: Path) -> dict[str, str]:
    """Environment additions that make `import module` fail in the hook's Python (a shadow
    module on PYTHONPATH that raises ImportError)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{module}.py").write_text(f"raise ImportError('{module} hidden by the test')\n")
    return {"PYTHONPATH": str(directory)}


def python_at_start(code: str, directory: Path) -> dict[str, str]:
    """Environment additions that make the hook's Python run `code` first (a `sitecustomize`
    module on PYTHONPATH), e.g. to put it in a state a test cannot reach from outside."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "sitecustomize.py").write_text(code)
    return {"PYTHONPATH": str(directory)}


@contextmanager
def flocked(path: Path) -> Iterator[None]:
    """Until the block ends, another process holds an exclusive flock on `path` (created if
    missing), as a stuck concurrent writer of the audit log would."""
    holder = (
        "import fcntl, sys\n"
        "f = open(sys.argv[1], 'a')\n"
        "fcntl.flock(f, fcntl.LOCK_EX)\n"
        "print('locked', flush=True)\n"
        "sys.stdin.read()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", holder, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        if proc.stdout.readline() != "locked\n":
            raise RuntimeError(f"could not lock {path}")
        yield
    finally:
        proc.stdin.close()  # the holder's read ends: it exits, releasing the lock
        proc.wait(timeout=30)
        proc.stdout.close()


def hide_in_process(monkeypatch: pytest.MonkeyPatch, package: str, *importers: str) -> None:
    """Until the test ends, make `import package` (or any of its submodules) raise ImportError in
    this process, as if it were not installed, and forget the modules `importers` that import it
    (their next import runs again and meets the failure). The in-process twin of
    `python_without`."""
    loaded = [name for name in sys.modules if name.startswith(f"{package}.")]
    for name in (package, *loaded):
        monkeypatch.setitem(sys.modules, name, None)  # a None entry makes `import` fail
    for name in importers:
        monkeypatch.delitem(sys.modules, name, raising=False)
        parent, _, child = name.rpartition(".")
        if parent in sys.modules:  # `from parent import child` would find the attribute
            monkeypatch.delattr(sys.modules[parent], child, raising=False)
