"""The validated policy and signer list, as frozen values. PURE: no I/O.

`gitward.config` turns YAML files into these; the engine (`gitward.policy.engine`) only ever
sees these. Field defaults here are the documented defaults of the YAML format.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, NamedTuple, Protocol

from gitward.policy.globs import ref_matches

if TYPE_CHECKING:
    from gitward.policy.content.k8s import Denial

RuleMode = Literal["enforce", "warn"]
# What to do with merge commits / reverts in message checks.
Treatment = Literal["check", "skip"]
# How a forge merges a pull request (Gitea's Merge button styles that make new commits).
MergeStyle = Literal["merge", "rebase", "rebase-merge", "squash"]


class ForgeMerges(NamedTuple):
    """Accept the commit a forge makes when it merges a pull request whose own commits pass the
    rule (`policy.forgemerge`). Only the styles listed; "merge" unless told otherwise."""

    styles: tuple[MergeStyle, ...] = ("merge",)
    # A signer id whose key must have signed the forge's commit (the forge's instance key);
    # None: the forge's commit may be unsigned (or signed by any key).
    signer: str | None = None


class SignatureRule(NamedTuple):
    """Every new commit (and annotated tag, on tag refs) must be signed by an allowed signer."""

    # Signer ids and `group:<name>` entries allowed to sign for the rule's refs. Empty: nobody
    # (fail closed), never "anybody".
    signers: tuple[str, ...]
    require_committer_email_match: bool = True
    # Also require annotated tags on matching tag refs to be signed, and refuse lightweight tags.
    tags: bool = True
    # How many different signers (by id, any of their keys) must have signed the commits one
    # update brings to the ref: 2 means a second person vouches for every change (`quorum`).
    min_distinct_signers: int = 1
    # Merges made by the forge (Gitea's Merge button): refused unless this is set.
    forge_merges: ForgeMerges | None = None


class MessageRule(NamedTuple):
    # RE2 regexes (`patterns`), searched in the message from its first non-blank line on.
    must_match: str | None = None
    must_not_match: str | None = None
    subject_max_length: int | None = None
    blank_line_after_subject: bool = False
    conventional_commits: bool = False
    # DCO: a `Signed-off-by: Name <email>` trailer matching the author.
    signed_off_by: bool = False
    merge_commits: Treatment = "skip"
    reverts: Treatment = "check"


class RefProtection(NamedTuple):
    block_force_push: bool = False  # non-fast-forward updates
    block_deletion: bool = False
    block_creation: bool = False
    # Pusher names and `group:<name>` entries that may update these refs at all. None: anyone
    # authenticated or not (the forge decides); an empty tuple: nobody.
    allowed_pushers: tuple[str, ...] | None = None
    # RE2 regex the ref's short name (without refs/heads/ or refs/tags/) must fully match on
    # creation.
    name_pattern: str | None = None
    linear_history: bool = False  # no merge commits among the new commits
    immutable: bool = False  # once created, never moved or deleted (tags)


class SecretsCheck(NamedTuple):
    """Credentials in the blobs a push brings, found by a vendored rule set (`content.leaks`)."""

    ruleset: str = "gitleaks"  # a key of `ContentData.rulesets`
    # Blobs larger than this are not scanned (the report says so), nor binary ones.
    max_bytes: int = 1_048_576
    # The allowlist file, as written in the policy (a key of `ContentData.allowlists`).
    allowlist: str | None = None


class FilesCheck(NamedTuple):
    """What files a push may bring, whatever their content."""

    max_bytes: int | None = None  # larger blobs are refused
    forbidden_paths: tuple[str, ...] = ()  # `pathglobs` globs
    forbidden_extensions: tuple[str, ...] = ()  # "pem", "p12": compared case-insensitively
    symlinks_outside: bool = False  # refuse symbolic links that point outside the repository
    case_collisions: bool = False  # refuse paths that only differ in case (at the pushed tip)


class ProtectedPaths(NamedTuple):
    """Changes to these paths need signatures of allowed signers (`content.twoperson`)."""

    paths: tuple[str, ...]  # `pathglobs` globs
    # Signer ids and `group:<name>` entries whose signatures count; empty: nobody (fail closed).
    signers: tuple[str, ...]
    # Distinct allowed signers the commits that bring a change must carry together.
    min_signers: int = 1
    # Set for `signatures.min_distinct_signers` (`quorum.content_of`), never in a policy file:
    # the violation's check name, and whether it judges every path of the update (not only
    # the rule's content `paths`) without `path-signature` (the signatures family judges each
    # commit already).
    check: str = "two-person"
    every_path: bool = False


class KubernetesSecretsCheck(NamedTuple):
    """Secrets in clear text in Kubernetes manifests, and files a `.sops.yaml` of the pushed
    tip says must be encrypted and are not (`content.k8s`). No settings yet."""


class RegoCheck(NamedTuple):
    """Rego policies run on every Kubernetes object of the manifests the push changes."""

    # The `.rego` files, as written in the policy (a key of `ContentData.rego`, together).
    policies: tuple[str, ...]


class ContentRule(NamedTuple):
    """Checks of the files the rule's new commits add or change (`policy.content`).

    Each check is a field named like its key in the policy file and in `content.CHECKS`;
    None: the check is off. A new check adds a field here, a table entry in
    `config.policy_table.CONTENT` and an entry in `content.CHECKS`."""

    # `pathglobs` globs: only files they select are checked (None: every file).
    paths: tuple[str, ...] | None = None
    secrets: SecretsCheck | None = None
    files: FilesCheck | None = None
    protected_paths: ProtectedPaths | None = None
    # `signatures.min_distinct_signers` of the same rule, counted as protected_paths counts
    # (`quorum.content_of`); never set from a policy file.
    distinct_signers: ProtectedPaths | None = None
    kubernetes_secrets: KubernetesSecretsCheck | None = None
    rego: RegoCheck | None = None


class Rule(NamedTuple):
    id: str
    refs: tuple[str, ...]  # globs: `*` within one path component, `**` across components
    mode: RuleMode = "enforce"
    signatures: SignatureRule | None = None
    messages: MessageRule | None = None
    protection: RefProtection | None = None
    content: ContentRule | None = None
    # Pusher names / `group:<name>` who may bypass this rule with `-o gitward.reason=...`.
    bypass: tuple[str, ...] = ()
    description: str = ""
    # Globs this rule never applies to, even when `refs` matches (GitHub rulesets' "exclude").
    exclude_refs: tuple[str, ...] = ()

    def matches(self, ref: str) -> bool:
        """True when one of `refs` matches `ref` and none of `exclude_refs` does."""
        return any(ref_matches(g, ref) for g in self.refs) and not any(
            ref_matches(g, ref) for g in self.exclude_refs
        )


class Settings(NamedTuple):
    timeout_seconds: float = 4.0
    audit_log: str | None = None  # absolute path after loading; None: <config dir>/audit.jsonl
    signers_dir: str = "signers"  # relative to the policy file's directory until loaded
    deny_replace_refs: bool = True
    # Hash algorithms we refuse in OpenPGP signatures (SHA-1 is broken for signatures).
    refuse_sha1: bool = True


class AllowedFinding(NamedTuple):
    fingerprint: str  # as the report and the audit log show it
    reason: str  # why it was allowed (who reviewed it), for the next reviewer


class SecretsAllowlist(NamedTuple):
    """Findings an admin reviewed and allowed: by path, by pattern, by fingerprint."""

    paths: tuple[str, ...] = ()  # `pathglobs` globs
    regexes: tuple[str, ...] = ()  # RE2, searched in the secret found
    fingerprints: tuple[AllowedFinding, ...] = ()


class LeakAllowlist(NamedTuple):
    """A rule set's own allowlist (gitleaks' `[[rules.allowlists]]`, `[allowlist]`)."""

    target: str = "secret"  # what `regexes` search: "secret", "match" or "line"
    all_of: bool = False  # gitleaks' condition = "AND": every kind given must match
    regexes: tuple[str, ...] = ()  # RE2
    paths: tuple[str, ...] = ()  # RE2, searched in the path
    stopwords: tuple[str, ...] = ()  # lower case; a secret containing one is no secret


class LeakRule(NamedTuple):
    """One detection rule of a secret rule set (gitleaks' `[[rules]]`)."""

    id: str
    description: str
    regex: str | None  # RE2; None: the rule flags files by `path` alone
    keywords: tuple[str, ...] = ()  # lower case; the regex runs only on blobs holding one
    entropy: float = 0.0  # the secret's Shannon entropy must exceed it (0: no check)
    path: str | None = None  # RE2 the file's path must match
    secret_group: int = 0  # which capture group is the secret (0: the first non-empty one)
    allowlists: tuple[LeakAllowlist, ...] = ()


class LeakRules(NamedTuple):
    name: str
    source: str  # where it comes from (repository, path and commit)
    rules: tuple[LeakRule, ...]
    allowlist: LeakAllowlist = LeakAllowlist()  # global: applies to every rule


class RegoJudge(Protocol):
    """The Rego policies a rule names, compiled by the config loader (`gitward.config`): the
    engine is an external one, handed in like the secret rule sets."""

    def evaluate(
        self, path: str, documents: Sequence[object], before: Sequence[object] = ()
    ) -> Sequence["Denial"]:
        """What the policies deny in the objects of the file at `path` that are new or changed
        since `before` (its documents before the push); raises `errors.PolicyFailed` when one
        cannot judge them (the push is refused)."""
        ...


class ContentData(NamedTuple):
    """What content checks read besides the policy itself, loaded by `gitward.config` from
    files (only those a rule names): the secret rule sets (`content.leaks.LeakRules`, by
    name) and the allowlists (by the name the policy gives their file)."""

    rulesets: Mapping[str, LeakRules] = MappingProxyType({})
    allowlists: Mapping[str, SecretsAllowlist] = MappingProxyType({})
    # `RegoCheck.policies` -> those policies, compiled.
    rego: Mapping[tuple[str, ...], RegoJudge] = MappingProxyType({})


class Policy(NamedTuple):
    rules: tuple[Rule, ...]
    settings: Settings = Settings()
    # Pusher groups: name -> pusher names.
    pusher_groups: Mapping[str, tuple[str, ...]] = MappingProxyType({})
    source: str = "<memory>"  # file path, for messages
    content_data: ContentData = ContentData()
    # When the policy is read from a git repository: the rules for pushes to that repository,
    # instead of `rules` (empty: `rules` apply there too). See `for_policy_repository`.
    policy_repository_rules: tuple[Rule, ...] = ()

    def for_policy_repository(self) -> "Policy":
        """This policy as it judges pushes to the repository it is read from."""
        return self._replace(rules=self.policy_repository_rules or self.rules)

    def rules_for(self, ref: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.matches(ref))


class KeyValidity(NamedTuple):
    not_before: datetime | None = None
    not_after: datetime | None = None
    revoked_since: datetime | None = None

    def valid_at(self, when: datetime) -> bool:
        if self.not_before is not None and when < self.not_before:
            return False
        if self.not_after is not None and when > self.not_after:
            return False
        return self.revoked_since is None or when < self.revoked_since


class OpenPGPKey(NamedTuple):
    fingerprint: str  # primary key, upper-case hex
    # Signing-capable subkeys (upper-case hex) -> their own expiry (None: no expiry).
    signing_subkeys: Mapping[str, datetime | None] = MappingProxyType({})
    expires_at: datetime | None = None  # from the certificate's self-signatures
    cert_revoked: bool = False  # the certificate carries a revocation signature
    primary_can_sign: bool = True
    user_emails: tuple[str, ...] = ()
    validity: KeyValidity = KeyValidity()


class SSHKey(NamedTuple):
    fingerprint: str  # "SHA256:..." as `ssh-keygen -l` prints it
    public_key: str  # "ssh-ed25519 AAAA... [comment]"
    validity: KeyValidity = KeyValidity()


class Signer(NamedTuple):
    id: str
    name: str
    emails: tuple[str, ...]
    groups: tuple[str, ...] = ()
    openpgp_keys: tuple[OpenPGPKey, ...] = ()
    ssh_keys: tuple[SSHKey, ...] = ()


class Signers(NamedTuple):
    signers: tuple[Signer, ...] = ()

    def by_id(self, signer_id: str) -> Signer | None:
        return next((s for s in self.signers if s.id == signer_id), None)

    def owner_of(self, fingerprint: str) -> tuple[Signer, OpenPGPKey | SSHKey] | None:
        """The signer and key whose primary OpenPGP fingerprint or SSH fingerprint matches."""
        for s in self.signers:
            keys: tuple[OpenPGPKey | SSHKey, ...] = (*s.openpgp_keys, *s.ssh_keys)
            for k in keys:
                if k.fingerprint == fingerprint:
                    return s, k
        return None

    def members(self, entries: tuple[str, ...]) -> frozenset[str]:
        """Signer ids named by `entries` (ids and `group:<name>`)."""
        out: set[str] = set()
        for e in entries:
            if e.startswith("group:"):
                g = e[len("group:") :]
                out.update(s.id for s in self.signers if g in s.groups)
            else:
                out.add(e)
        return frozenset(out)
