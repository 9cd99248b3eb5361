"""Load and validate the policy file and the signer files, all or nothing.

`load()` either returns a complete `LoadedConfig` or raises `ConfigError` listing EVERY problem
as `FILE:LINE: key.path: expected ...`; a broken policy is never half-applied. This runs in the
hook on every push, so it imports only PyYAML (C loader) and the signing adapters: never
ruamel, gnupg, GitPython or jsonschema (a test checks).
"""

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from gitward.config import policy_file, policy_table, signers_file, yamlpos
from gitward.config.fields import INVALID
from gitward.errors import ConfigError
from gitward.policy import spec

if TYPE_CHECKING:
    from gitward.config.policyrepo.locate import PolicyCommit
    from gitward.signing.openpgp import Keyring

DEFAULT_PATH = Path("/etc/gitward/policy.yaml")
ENV_VAR = "GITWARD_CONFIG"
# In the config directory instead of policy.yaml: the policy lives in a git repository
# (`gitward.config.policyrepo`).
POINTER = "policy-repo.yaml"


class LoadedConfig(NamedTuple):
    policy: spec.Policy
    signers: spec.Signers
    keyring: "Keyring"
    path: Path  # the policy file, as given
    directory: Path  # where its relative paths start (the real file's directory)
    audit_log: Path
    # Problems that do not make the config unsafe (e.g. a signer's key has expired).
    warnings: tuple[str, ...] = ()
    # The commit the policy was read from, when it lives in a git repository.
    policy_commit: str | None = None


class Located(NamedTuple):
    """Where the policy lives and its settings (enough for signer edits)."""

    path: Path
    settings: spec.Settings  # audit_log and signers_dir made absolute
    settings_ok: bool  # False: `settings` are the defaults because the file's are invalid
    signers_dir: Path  # as it should be shown (relative if the policy path was)
    audit_log: Path
    source: yamlpos.Document
    document: dict[str, Any] | None  # the validated policy, None if it has problems
    problems: tuple[str, ...]
    # Set when the policy was read from a git repository (`policy-repo.yaml`).
    from_repo: "PolicyCommit | None" = None


def policy_path(path: str | Path | None = None) -> Path:
    """`path`, else $GITWARD_CONFIG, else /etc/gitward/policy.yaml; a directory means
    `<dir>/policy.yaml`."""
    chosen = Path(path if path is not None else os.environ.get(ENV_VAR) or DEFAULT_PATH)
    return chosen / "policy.yaml" if chosen.is_dir() else chosen


def real_directory(file: Path) -> Path:
    """The directory relative paths in the policy `file` start from: its own, or when `file`
    is a symbolic link, the real file's. The signer files and the audit log travel with the
    policy they belong to, so a policy linked into /etc/gitward from a checkout in /srv/cfg
    finds /srv/cfg/signers (a link to a directory changes nothing: the kernel resolves it)."""
    return (file.resolve() if file.is_symlink() else file).parent


def locate(path: str | Path | None = None) -> Located:
    """Read and validate the policy file. Raises ConfigError only if it cannot be read or
    parsed (or, from a repository, is refused: `PolicyRollback`); validation problems are
    returned (signer edits must work on a policy that refers to a signer not yet added).

    A `policy-repo.yaml` beside the policy file (or named instead of it) means the policy
    comes from a git repository (`gitward.config.policyrepo`)."""
    file = policy_path(path)
    pointer = file if file.name == POINTER else file.with_name(POINTER)
    if pointer.is_file():
        from gitward.config.policyrepo import locate as repo_source  # noqa: PLC0415

        return repo_source.locate(pointer, file)
    return locate_file(file)


def locate_file(file: Path) -> Located:
    """`locate` for the policy file `file` itself."""
    try:
        doc = yamlpos.parse(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{file}:1: cannot read the policy file: {exc}"]) from None
    except yamlpos.YamlSyntaxError as exc:
        raise ConfigError([f"{file}:{exc.line}: {exc.message}"]) from None
    checked, problems = policy_file.validate(doc.value)
    problems[:0] = doc.problems
    settings_doc: Any = {}
    if isinstance(doc.value, dict) and "settings" in doc.value:
        settings_doc = policy_table.SETTINGS.check(doc.value["settings"], (), [])
    ok = settings_doc is not INVALID
    settings_doc = settings_doc if ok else {}
    base = real_directory(file)
    signers_dir = base / settings_doc.get("signers_dir", "signers")
    audit = (base / settings_doc.get("audit_log", "audit.jsonl")).absolute()
    settings = spec.Settings(
        **{**settings_doc, "signers_dir": str(signers_dir.absolute()), "audit_log": str(audit)}
    )
    problems.sort(key=lambda p: doc.line_of(p[0]))  # stable: same line keeps its order
    return Located(
        file,
        settings,
        ok,
        signers_dir,
        audit,
        doc,
        None if problems else checked,
        tuple(doc.problem(file, p, m) for p, m in problems),
    )


def load(path: str | Path | None = None, now: datetime | None = None) -> LoadedConfig:
    """Load the policy and its signers; raises ConfigError listing every problem."""
    return load_located(locate(path), now)


def load_located(located: Located, now: datetime | None = None) -> LoadedConfig:
    """`load` for a policy already read by `locate` (the hook keeps it for its failure path)."""
    result = signers_file.load_dir(located.signers_dir, now or datetime.now(UTC))
    problems = [*located.problems, *reference_problems(located, result.signers)]
    problems += result.problems
    doc = located.document
    content = spec.ContentData()
    if doc is not None and any("content" in r for r in doc["rules"]):
        # Imported here: only a policy with content rules reads more files.
        from gitward.config import content_data  # noqa: PLC0415

        directory = real_directory(located.path)
        content, more = content_data.load(doc, located.source, located.path, directory)
        problems += more
    if problems or doc is None:
        raise ConfigError(problems)
    # Imported here so `gitward config schema` does not load pysequoia.
    from gitward.signing.openpgp import Keyring  # noqa: PLC0415

    try:
        keyring = Keyring.from_loaded(result.certs)
    except ValueError as exc:  # each cert parsed alone already; fail closed regardless
        raise ConfigError([f"{located.signers_dir}/keys: {exc}"]) from None
    if located.from_repo is not None:  # loaded whole: the policy commit is now the one used
        from gitward.config.policyrepo import locate as repo_source  # noqa: PLC0415

        repo_source.remember(located.from_repo)
    return LoadedConfig(
        policy=policy_file.build(doc, str(located.path), located.settings, content),
        signers=result.signers,
        keyring=keyring,
        path=located.path,
        directory=real_directory(located.path),
        audit_log=located.audit_log,
        warnings=(*result.warnings, *protected_path_warnings(located, result.signers)),
        policy_commit=None if located.from_repo is None else located.from_repo.commit,
    )


def reference_problems(located: Located, signers: spec.Signers) -> list[str]:
    """Signer ids and groups named by signature rules must exist (fail closed on typos), and
    a rule's `min_distinct_signers` must not exceed the signers it allows (nobody could push).

    Read from the raw document, so they are reported even when other keys are broken."""
    refs = policy_file.signer_references(located.source.value)
    if not refs:
        return []
    if not located.signers_dir.is_dir():
        return [
            f"{located.path}:1: settings.signers_dir: expected a directory of signer "
            f"files, {located.signers_dir} does not exist"
        ]
    groups = {g for s in signers.signers for g in s.groups}
    ids = {s.id for s in signers.signers}
    out: list[tuple[tuple[str | int, ...], str]] = []
    for key_path, entry in refs:
        if entry.startswith("group:") and entry[6:] not in groups:
            out.append((key_path, _empty_group(entry[6:], groups, located.signers_dir)))
        elif not entry.startswith("group:") and entry not in ids:
            out.append(
                (key_path, f"expected a signer id (a file in {located.signers_dir}), got {entry!r}")
            )
    for key_path, needed, entries in policy_file.distinct_signer_needs(located.source.value):
        allowed = sorted(signers.members(entries) & ids)
        if len(allowed) < needed:  # no push could ever be signed by enough people
            what = f"expected at most {len(allowed)}, the signers allowed"
            out.append((key_path, f"{what} ({', '.join(allowed) or 'nobody'}), got {needed}"))
    if not out:
        return []
    return [located.source.problem(located.path, p, m) for p, m in out]


def protected_path_warnings(located: Located, signers: spec.Signers) -> list[str]:
    """Protected paths whose `min_signers` exceeds the signers allowed. A warning, not an error
    (unlike `min_distinct_signers`, where it blocks every push): changes to those paths cannot
    reach the ref until an admin allows more signers, and the report says so; every other push
    still goes through. Nobody allowed at all is already an error of `reference_problems`."""
    ids = {s.id for s in signers.signers}
    out = []
    for key_path, needed, entries in policy_file.protected_signer_needs(located.source.value):
        allowed = sorted(signers.members(entries) & ids)
        if allowed and len(allowed) < needed:
            what = (
                f"only {len(allowed)} of the {needed} distinct signers needed are allowed "
                f"({', '.join(allowed)}): changes to these paths cannot be pushed until an "
                "admin allows more"
            )
            out.append(located.source.problem(located.path, key_path, what))
    return out


def _empty_group(group: str, groups: set[str], signers_dir: Path) -> str:
    """Why `group:<group>` names nobody. An error, not a warning: a rule whose signers are
    nobody refuses every push it applies to, and a misspelt group must not go unnoticed."""
    import difflib  # noqa: PLC0415  # only a broken policy pays for it (the hook loads per push)

    close = difflib.get_close_matches(group, sorted(groups), n=1)
    hint = (
        f"did you mean {close[0]!r}?"
        if close
        else f"add one with `gitward signers add ... --group {group}`"
    )
    return (
        f"expected a signer group with members, got {group!r}: no signer in "
        f"{signers_dir} belongs to it ({hint})"
    )


def policy_schema() -> dict[str, object]:
    """The policy file's JSON Schema (draft 2020-12)."""
    from gitward.config.schema import policy_schema as build  # noqa: PLC0415

    return build()
