"""`policy-repo.yaml`: where the policy lives when it lives in a git repository.

`gitward install --config-repo` writes it into the config directory, in place of `policy.yaml`:

    # Written by `gitward install --config-repo`: the policy is read from a git repository.
    repository: /srv/git/infra/gitward-config.git
    ref: refs/heads/main

Relative paths start at this file's directory. Validated like the policy file: every problem
at once, as `FILE:LINE: key.path: expected ...`.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from gitward.config import yamlpos
from gitward.config.scalars import Enum, Str
from gitward.config.shapes import Field, Obj
from gitward.errors import ConfigError

DEFAULT_REF = "refs/heads/main"
DEFAULT_STATE = "policy-state"
# git's rules for ref names, as far as a path is concerned: no empty, `.`-led or `..` parts.
_REF = r"(?!.*\.\.)refs(/[^/.\s\x00-\x1f\x7f~^:\\?*\[][^/\s\x00-\x1f\x7f~^:\\?*\[]*)+"

EDITS = Obj(
    {
        "signing_key": Field(
            Str("an SSH private key file or an OpenPGP key id", min_length=1),
            "The service's signing key (git's user.signingkey): an SSH private key file, or "
            "an OpenPGP key in the service's GnuPG home.",
            required=True,
        ),
        "format": Field(Enum(("ssh", "openpgp")), "git's gpg.format for that key.", default="ssh"),
        "name": Field(Str("a name", min_length=1), "Committer name.", required=True),
        "email": Field(
            Str("an e-mail address", r"[^\s@<>]+@[^\s@<>]+"),
            "Committer e-mail: one of the service signer's e-mails.",
            required=True,
        ),
    },
    "Lets an admin page turn signer edits into commits signed by the service.",
)
POINTER = Obj(
    {
        "repository": Field(
            Str("a path of a bare git repository", min_length=1),
            "The bare repository that holds policy.yaml and the signers directory.",
            required=True,
        ),
        "ref": Field(
            Str("a full ref name (refs/...)", _REF), "The policy's ref.", default=DEFAULT_REF
        ),
        "state_dir": Field(
            Str("a directory path", min_length=1),
            "Where the last policy commit used and the per-commit copies are kept.",
            default=DEFAULT_STATE,
        ),
        "edits": Field(EDITS, EDITS.doc),
    },
    "Where the gitward policy lives: a git repository and a ref.",
)


class ServiceKey(NamedTuple):
    """The key an admin page signs its edits with (`edits` in the pointer)."""

    signing_key: str
    format: str
    name: str
    email: str


class Pointer(NamedTuple):
    file: Path
    repository: Path  # absolute
    ref: str
    state_dir: Path  # absolute
    edits: ServiceKey | None = None

    @property
    def config_dir(self) -> Path:
        """Where relative paths of the policy start (the audit log is the server's)."""
        return self.file.parent


def read(file: Path) -> Pointer:
    """Read and validate the pointer; ConfigError lists every problem."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{file}:1: cannot read the policy pointer: {exc}"]) from None
    return parse(text, file)


def parse(text: str, file: Path) -> Pointer:
    """`read` for the text of `file`."""
    try:
        doc = yamlpos.parse(text)
    except yamlpos.YamlSyntaxError as exc:
        raise ConfigError([f"{file}:{exc.line}: {exc.message}"]) from None
    problems = list(doc.problems)
    value = POINTER.check(doc.value, (), problems)
    if problems or not isinstance(value, dict):  # a dict whenever nothing is wrong
        raise ConfigError([doc.problem(file, p, m) for p, m in problems])
    base = file.absolute().parent
    edits = value.get("edits")
    return Pointer(
        file=file,
        repository=base / value["repository"],
        ref=value.get("ref", DEFAULT_REF),
        state_dir=base / value.get("state_dir", DEFAULT_STATE),
        edits=None if edits is None else ServiceKey(**{"format": "ssh", **edits}),
    )


def render(repository: Path, ref: str) -> str:
    """The pointer `gitward install --config-repo` writes."""
    lines = [
        "# Written by `gitward install --config-repo`: the policy is read from the latest",
        "# accepted commit of this repository (docs/policy.md, A policy that protects itself).",
        f"repository: {_quoted(str(repository))}",
        f"ref: {_quoted(ref)}",
    ]
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is a subset)."""
    import json  # noqa: PLC0415  # the installer's path only

    return json.dumps(text)
