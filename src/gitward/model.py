"""Frozen values shared by the adapters, the policy engine and the edges. PURE: no I/O.

Vocabulary:
- `RefUpdate`: one `old new ref` line from git (or one webhook before/after pair).
- `SignatureCheck`: what a verifier *found* about one signature (facts, no policy).
- `Commit` / `Tag`: parsed git objects plus their `SignatureCheck`.
- `RefFacts`: everything the engine needs to judge one ref update.
- `FileChange` / `Blob` / `TipFile`: what content rules read: the files a commit adds or
  changes, the blobs behind them, the pushed tip's tree.
- `Push`: the whole push: pusher, time received, ref facts, commits by id.
- `Violation` / `Bypass` / `Verdict`: what the engine decides.
"""

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Literal, NamedTuple

# git's reading of a message; stdlib only, so no cycle with the policy package that holds it.
from gitward.policy import commitmsg


def is_zero_oid(oid: str) -> bool:
    """True for git's all-zero id in either hash function (40 or 64 hex digits)."""
    return len(oid) in (40, 64) and oid.count("0") == len(oid)


def is_hex_oid(oid: str) -> bool:
    # strip() leaves nothing only when every character is a hex digit (C speed, no loop).
    return len(oid) in (40, 64) and not oid.strip("0123456789abcdef")


class RefUpdate(NamedTuple):
    """One ref update, as git passes it to pre-receive on stdin."""

    old: str
    new: str
    ref: str

    @classmethod
    def from_stdin_line(cls, line: str) -> "RefUpdate":
        """Parse `<old-oid> SP <new-oid> SP <ref-name>`; raises ValueError when malformed."""
        parts = line.rstrip("\n").split(" ", 2)
        if len(parts) != 3:
            raise ValueError(f"expected 'old new ref', got {len(parts)} field(s)")
        old, new, ref = parts
        if not (is_hex_oid(old) and is_hex_oid(new)) or len(old) != len(new):
            raise ValueError("object ids must be 40 or 64 lowercase hex digits of equal length")
        if not ref.startswith("refs/") or any(c in ref for c in "\0\n"):
            raise ValueError("ref name must start with refs/")
        return cls(old, new, ref)

    @property
    def is_create(self) -> bool:
        return is_zero_oid(self.old)

    @property
    def is_delete(self) -> bool:
        return is_zero_oid(self.new)


class SigKind(StrEnum):
    NONE = "none"
    OPENPGP = "openpgp"
    SSH = "ssh"
    X509 = "x509"
    UNKNOWN = "unknown"


class SigFault(StrEnum):
    """Why a verifier could not call a signature good, when the policy has its own words for it
    (every other reason is only told in `SignatureCheck.problem`)."""

    # No certificate the verifier was given holds the signing key.
    UNKNOWN_KEY = "unknown-key"
    # Cryptographically good, but made by a subkey its certificate revokes.
    REVOKED_SUBKEY = "revoked-subkey"
    # The signing key sits in a certificate that does not bind it: its binding comes from
    # another certificate's primary key (a subkey copied into this certificate).
    FOREIGN_SUBKEY = "foreign-subkey"
    # Dated later than the verifier's clock allows (beyond its tolerance for clock skew).
    FUTURE = "future"


class SignatureCheck(NamedTuple):
    """What a verifier established about the (single) signature on an object.

    `good` is True only when: exactly one detached signature, cryptographically valid over git's
    exact signed payload, made by a key the verifier was given (for SSH: any key; the policy then
    looks the fingerprint up). Everything about *who may sign* and *when* is the policy's job.
    """

    kind: SigKind
    good: bool
    # OpenPGP: primary-key fingerprint, upper-case hex. SSH: "SHA256:<base64>" as ssh-keygen -l.
    key_fingerprint: str | None = None
    # OpenPGP: the (sub)key that actually signed, upper-case hex. SSH: same as key_fingerprint.
    signing_key: str | None = None
    created_at: datetime | None = None
    # Why `good` is False (or a note when True); for the pusher, so keep it short and plain.
    problem: str | None = None
    # Set with `good=False` when the reason is one the policy words itself.
    fault: SigFault | None = None

    @classmethod
    def unsigned(cls) -> "SignatureCheck":
        return cls(SigKind.NONE, False, problem="not signed")


class Person(NamedTuple):
    name: str
    email: str
    timestamp: int = 0
    tz: str = "+0000"


class Commit(NamedTuple):
    oid: str
    parents: tuple[str, ...]
    author: Person
    committer: Person
    message: str
    signature: SignatureCheck

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def subject(self) -> str:
        """git's `%s`: the first paragraph after any blank lines, on one line."""
        return commitmsg.subject(self.message)

    @property
    def short(self) -> str:
        return self.oid[:10]


class Tag(NamedTuple):
    """An annotated tag object (a lightweight tag has no `Tag`)."""

    oid: str
    target: str
    target_type: str
    name: str
    tagger: Person | None
    message: str
    signature: SignatureCheck


RefKind = Literal["branch", "tag", "replace", "other"]

# git's file modes in trees (git-fast-import(1), "filemodify").
SYMLINK_MODE = "120000"
GITLINK_MODE = "160000"  # a submodule: the entry names a commit of another repository


class FileChange(NamedTuple):
    """A file a commit adds or changes: an entry of `git diff-tree -r -c` (for a merge, only
    the paths whose result differs from every parent: the merge's own content)."""

    path: str  # from the repository's root, `/`-separated; undecodable bytes as surrogates
    oid: str  # the blob now at `path` (for a submodule, the commit it names)
    mode: str  # "100644", "100755", SYMLINK_MODE, GITLINK_MODE
    # The path is new (to at least one parent): only a new name can collide with another.
    added: bool = True


class Blob(NamedTuple):
    """One blob as the facts read it: its size, and its bytes when a content check needs them,
    the blob is text (no NUL in its first 8,000 bytes, git's own test) and not too large."""

    oid: str
    size: int
    data: bytes | None = None
    # Why `data` is None when a check needed it: "binary", or "larger than N bytes".
    skipped: str = ""


class Unreadable(NamedTuple):
    """A file the manifests adapter could not read as documents (bad YAML, too large, binary)."""

    reason: str
    # Whether its text has a `kind: Secret` line, and template braces (`{{`): a Helm template is
    # rendered elsewhere, from values kept elsewhere.
    declares_secret: bool = False
    templated: bool = False


# A file of a push as `gitward.manifests` reads it: its documents (JSON values, None for an
# empty document), `Unreadable`, or None when it is no manifest (neither YAML nor JSON, nor a
# file a `.sops.yaml` says must be encrypted).
ParsedFile = tuple[object, ...] | Unreadable | None


class TipFile(NamedTuple):
    """One file of the pushed tip's tree."""

    path: str
    oid: str
    mode: str


class RefFacts(NamedTuple):
    """Facts about one ref update, gathered by the git adapter.

    `commits_by_rule` maps a rule id to the ids of the commits that rule must check for this
    update: new to the repository *as seen from the refs that rule protects* (so a commit parked
    on an unprotected branch is still checked when it arrives on a protected one).
    """

    update: RefUpdate
    # None for creations and deletions; otherwise whether `new` contains `old`.
    fast_forward: bool | None
    commits_by_rule: Mapping[str, tuple[str, ...]] = MappingProxyType({})
    # Set when `new` names an annotated tag object.
    tag: Tag | None = None
    # Type of the object `new` names ("commit", "tag", ...); "" for a deletion.
    new_type: str = "commit"
    # Set when `update.ref` is a symbolic ref: the ref git updates through it (the end of the
    # chain, which may not exist yet: pushing to a dangling one creates it).
    symref_target: str | None = None
    # The pushed tip's tree, every file by path, when a content check asked for it.
    tip_files: Mapping[str, TipFile] | None = None
    # When a content check asked for them: the paths whose content differs between the old
    # and the new tip, each with its blob at the new tip ("" if deleted); for a creation,
    # every file of the new tip.
    changed_paths: Mapping[str, str] | None = None
    # The tree the ref held before the update (empty for a creation), for content checks that
    # compare with it (`Needs.before_tree`); None when no check asked.
    before_files: Mapping[str, TipFile] | None = None

    @property
    def kind(self) -> RefKind:
        ref = self.update.ref
        if ref.startswith("refs/heads/"):
            return "branch"
        if ref.startswith("refs/tags/"):
            return "tag"
        if ref.startswith("refs/replace/"):
            return "replace"
        return "other"


class Pusher(NamedTuple):
    """Who is pushing, as told by the forge's environment. `name` None means anonymous."""

    name: str | None
    source: str  # "gitea", "github-enterprise", "gitlab", "ssh", "local", ...
    user_id: str | None = None
    email: str | None = None

    @property
    def anonymous(self) -> bool:
        return not self.name


class Origin(NamedTuple):
    """The pusher and, when the forge names it, the repository ("owner/name")."""

    pusher: Pusher
    repository: str | None = None


class Push(NamedTuple):
    repository: str
    pusher: Pusher
    received_at: datetime  # server clock; key validity is judged at this instant
    refs: tuple[RefFacts, ...]
    commits: Mapping[str, Commit]
    push_options: tuple[str, ...] = ()
    # For content rules: commit id -> the files it adds or changes (the commits of
    # `commits_by_rule` of every rule with `content`), and the blobs those checks read.
    changes: Mapping[str, tuple[FileChange, ...]] = MappingProxyType({})
    blobs: Mapping[str, Blob] = MappingProxyType({})
    # (path, blob id) -> the file as `gitward.manifests` read it, for checks that ask.
    documents: Mapping[tuple[str, str], ParsedFile] = MappingProxyType({})
    # Commit id -> every path it changes against its first parent (deleted ones and a merge's
    # whole change included) -> the blob it leaves there ("" if deleted), for the content
    # checks that ask (`Needs.paths_changed`).
    paths_changed: Mapping[str, Mapping[str, str]] = MappingProxyType({})

    def option(self, key: str) -> str | None:
        """Value of the last `-o key=value` push option, or None."""
        prefix = key + "="
        found = None
        for opt in self.push_options:
            if opt.startswith(prefix):
                found = opt[len(prefix) :]
        return found


# What a violation does to the verdict: "enforce" blocks, "warn" is reported only, "bypassed" is
# an enforce violation that a named actor bypassed with a reason (see `Bypass`). A rule's own
# mode (`policy.spec.RuleMode`) is only "enforce" or "warn".
Outcome = Literal["enforce", "warn", "bypassed"]


class Violation(NamedTuple):
    """One broken rule. `rule_id` is stable: `<rule id>/<check>` (e.g. `protect-main/signature`)."""

    rule_id: str
    ref: str
    message: str
    hint: str = ""
    oid: str | None = None
    mode: Outcome = "enforce"


class Bypass(NamedTuple):
    rule_id: str
    ref: str
    actor: str
    reason: str


class Verdict(NamedTuple):
    violations: tuple[Violation, ...] = ()
    bypasses: tuple[Bypass, ...] = ()

    @property
    def blocking(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.mode == "enforce")

    @property
    def warnings(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.mode == "warn")

    @property
    def allowed(self) -> bool:
        return not self.blocking
