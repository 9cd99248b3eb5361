"""The policy file's table of keys: the single source of the format.

YAML keys are exactly the field names of `gitward.policy.spec`. The loader validates with
`POLICY` and `gitward config schema` prints it as JSON Schema, so the two cannot drift apart.
"""

from __future__ import annotations

from gitward.config.scalars import Bool, Const, Enum, Int, Number, PathGlob, Regex, Str
from gitward.config.shapes import Field, ListOf, MapOf, Obj

NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
RULE_ID = r"[a-z0-9][a-z0-9-]{0,63}"
GLOB = r"refs/[^\s\x00-\x1f\x7f~^:\\]+"
_PRINCIPAL = Str(f"a signer id or group:<name> matching {NAME}", f"(group:)?{NAME}")
_PUSHER_NAME = Str("a pusher name", r"[^\s\x00-\x1f\x7f:]{1,128}")
_PUSHER = Str("a pusher name or group:<name>", rf"group:{NAME}|{_PUSHER_NAME.pattern}")
_TREATMENT = Enum(("check", "skip"))

FORGE_MERGES = Obj(
    {
        "styles": Field(
            ListOf(Enum(("merge", "rebase", "rebase-merge", "squash")), 1, "a list of styles"),
            "Merge styles accepted: merge (the default); squash, rebase and rebase-merge only "
            "when listed.",
            default=["merge"],
        ),
        "signer": Field(
            Str(f"a signer id matching {NAME}", NAME),
            "A signer (the forge's instance key) who must have signed the forge's commit. "
            "Omit: the forge's commit may be unsigned.",
        ),
    },
    "Accept the commit Gitea makes when it merges a pull request whose own commits pass this "
    "rule (a push Gitea makes itself: GITEA_PUSH_TRIGGER=pr-merge-to-base).",
)

SIGNATURES = Obj(
    {
        "signers": Field(
            ListOf(_PRINCIPAL, 1, "a list of signer ids and group:<name> entries"),
            "Signer ids and group:<signer group> entries allowed to sign for these refs. "
            "Must not be empty (nobody could push).",
            required=True,
        ),
        "require_committer_email_match": Field(
            Bool(),
            "The committer's (tagger's) e-mail must be one of the signer's e-mails.",
            default=True,
        ),
        "tags": Field(
            Bool(),
            "On matching tag refs, annotated tags must be signed likewise and "
            "lightweight tags are refused.",
            default=True,
        ),
        "min_distinct_signers": Field(
            Int(1),
            "How many different allowed signers must have signed the commits one push brings "
            "to a matching ref (e.g. 2: an author's signed commit and a second signer's signed "
            "merge commit).",
            default=1,
        ),
        "forge_merges": Field(FORGE_MERGES, FORGE_MERGES.doc),
    },
    "Every new commit on matching refs must carry a good signature by an allowed signer.",
)

MESSAGES = Obj(
    {
        "must_match": Field(
            Regex(), "RE2 regex searched in the message as `git log` shows it; must match."
        ),
        "must_not_match": Field(
            Regex(), "RE2 regex searched in the message as `git log` shows it; must not match."
        ),
        "subject_max_length": Field(
            Int(1), "Maximum length of the subject (git's %s), in characters."
        ),
        "blank_line_after_subject": Field(
            Bool(), "The subject's line is followed by a blank line (or nothing).", default=False
        ),
        "conventional_commits": Field(
            Bool(),
            "Subject must be `type(scope)!: description` (Conventional Commits 1.0).",
            default=False,
        ),
        "signed_off_by": Field(
            Bool(), "A `Signed-off-by:` trailer matching the author (DCO).", default=False
        ),
        "merge_commits": Field(_TREATMENT, "Check or skip merge commits.", default="skip"),
        "reverts": Field(
            _TREATMENT, "Check or skip commits made by `git revert`.", default="check"
        ),
    },
    "Commit message checks.",
)

PROTECTION = Obj(
    {
        "block_force_push": Field(Bool(), "Refuse non-fast-forward updates.", default=False),
        "block_deletion": Field(Bool(), "Refuse deleting matching refs.", default=False),
        "block_creation": Field(Bool(), "Refuse creating matching refs.", default=False),
        "allowed_pushers": Field(
            ListOf(_PUSHER),
            "Pusher names and group:<pusher group> entries that may update "
            "these refs. Omit: anyone the forge lets push. Empty list: nobody.",
        ),
        "name_pattern": Field(
            Regex(),
            "RE2 regex the short ref name (without refs/heads/ or "
            "refs/tags/) must fully match when the ref is created.",
        ),
        "linear_history": Field(
            Bool(), "Refuse merge commits among the new commits.", default=False
        ),
        "immutable": Field(
            Bool(), "Once created, the ref can never be moved or deleted.", default=False
        ),
    },
    "Ref protection.",
)

_GLOBS = ListOf(PathGlob(), 1, "a list of path globs")

SECRETS = Obj(
    {
        "ruleset": Field(
            Enum(("gitleaks",)),
            "The rule set that finds secrets: gitleaks' default rules, vendored (docs/secrets.md).",
            default="gitleaks",
        ),
        "max_bytes": Field(
            Int(1),
            "Larger blobs are not scanned (the report says which); binary blobs never are.",
            default=1_048_576,
        ),
        "allowlist": Field(
            Str("a file path", min_length=1),
            "Allowlist file (paths, regexes, fingerprints of reviewed findings); relative to "
            "the policy file's directory.",
        ),
    },
    "Credentials in every blob the new commits bring, even one a later commit deletes.",
)

FILES = Obj(
    {
        "max_bytes": Field(Int(1), "Refuse files (blobs) larger than this many bytes."),
        "forbidden_paths": Field(
            ListOf(PathGlob()), "Refuse files these globs (.gitignore style) select."
        ),
        "forbidden_extensions": Field(
            ListOf(Str("a file extension", r"\.?[A-Za-z0-9_+~-]{1,32}")),
            "Refuse files with these extensions (`pem`, `p12`; any case).",
        ),
        "symlinks_outside": Field(
            Bool(),
            "Refuse symbolic links to absolute paths, above the repository's root or into .git.",
            default=False,
        ),
        "case_collisions": Field(
            Bool(),
            "Refuse paths of the pushed tip that differ only in case (or Unicode form) from "
            "one the push brings.",
            default=False,
        ),
    },
    "What files the new commits may bring, whatever their content.",
)

PROTECTED_PATHS = Obj(
    {
        "paths": Field(
            _GLOBS,
            "Protected paths (.gitignore-style globs): `clusters/prod/**`, "
            "`**/networkpolicy*.yaml`.",
            required=True,
        ),
        "signers": Field(
            ListOf(_PRINCIPAL, 1, "a list of signer ids and group:<name> entries"),
            "Signer ids and group:<signer group> entries whose signatures count on the commits "
            "that bring a change of a protected path. Must not be empty.",
            required=True,
        ),
        "min_signers": Field(
            Int(1),
            "Distinct allowed signers those commits must carry together (2: the two-person "
            "rule, e.g. the author's signed commit and a second member's signed merge commit).",
            default=1,
        ),
    },
    "Changes to these paths must be signed by allowed signers, at least min_signers of them.",
)

KUBERNETES_SECRETS = Obj(
    {},
    "Refuse Kubernetes Secrets with clear-text data or stringData (SOPS-encrypted ones and "
    "SealedSecrets pass), kustomize secretGenerators with clear literals or unencrypted "
    "files, and files a .sops.yaml of the pushed tip says must be encrypted and are not.",
)

REGO = Obj(
    {
        "policies": Field(
            ListOf(Str("a .rego file path", r".+\.rego"), 1, "a list of .rego files"),
            "Rego policy files (deny / violation rules, as written for OPA or Gatekeeper); "
            "relative to the policy file's directory.",
            required=True,
        ),
    },
    "Run Rego policies on every Kubernetes object of the manifests the push changes, as the "
    "admission request kubectl apply would make; each deny message refuses the push.",
)

CONTENT = Obj(
    {
        "paths": Field(_GLOBS, "Only files these globs (.gitignore style) select are checked."),
        "secrets": Field(SECRETS, SECRETS.doc),
        "files": Field(FILES, FILES.doc),
        "kubernetes_secrets": Field(KUBERNETES_SECRETS, KUBERNETES_SECRETS.doc),
        "rego": Field(REGO, REGO.doc),
        "protected_paths": Field(PROTECTED_PATHS, PROTECTED_PATHS.doc),
    },
    "Checks of the files the new commits add or change.",
    one_of_required=("secrets", "files", "kubernetes_secrets", "rego", "protected_paths"),
)

RULE = Obj(
    {
        "id": Field(
            Str(f"a rule id matching {RULE_ID}", RULE_ID),
            "Unique rule id, used in messages as <id>/<check>.",
            required=True,
        ),
        "description": Field(Str(), "Free text shown to admins."),
        "refs": Field(
            ListOf(Str("a ref glob starting with refs/", GLOB), 1, "a list of ref globs"),
            "Ref globs: `*` matches within one path component, `**` across components.",
            required=True,
        ),
        "exclude_refs": Field(
            ListOf(Str("a ref glob starting with refs/", GLOB)),
            "Ref globs this rule never applies to, even when `refs` matches them.",
        ),
        "mode": Field(
            Enum(("enforce", "warn")),
            "enforce: refuse the push; warn: report only.",
            default="enforce",
        ),
        "bypass": Field(
            ListOf(_PUSHER),
            "Pusher names / group:<pusher group> who may bypass "
            "this rule with `git push -o gitward.reason=...`.",
        ),
        "signatures": Field(SIGNATURES, SIGNATURES.doc),
        "messages": Field(MESSAGES, MESSAGES.doc),
        "protection": Field(PROTECTION, PROTECTION.doc),
        "content": Field(CONTENT, CONTENT.doc),
    },
    "One rule: applies to every ref matching one of its globs.",
    one_of_required=("signatures", "messages", "protection", "content"),
)

SETTINGS = Obj(
    {
        "timeout_seconds": Field(Number(), "Total time budget of one hook run.", default=4.0),
        "audit_log": Field(
            Str("a file path", min_length=1),
            "JSON Lines audit log; relative to the policy file's directory.",
            default="audit.jsonl",
        ),
        "signers_dir": Field(
            Str("a directory path", min_length=1),
            "Directory of signer files; relative to the policy file's directory.",
            default="signers",
        ),
        "deny_replace_refs": Field(Bool(), "Refuse pushes to refs/replace/*.", default=True),
        "refuse_sha1": Field(Bool(), "Refuse OpenPGP signatures that use SHA-1.", default=True),
    },
    "Settings of the hook.",
)

POLICY = Obj(
    {
        "version": Field(Const(1), "Format version; 1.", default=1),
        "settings": Field(SETTINGS, SETTINGS.doc),
        "pusher_groups": Field(
            MapOf(Str(f"a group name matching {NAME}", NAME), ListOf(_PUSHER_NAME)),
            "Named groups of pusher identities (forge user names), used as group:<name> in "
            "bypass and allowed_pushers.",
        ),
        "rules": Field(
            ListOf(RULE), "The rules; every rule matching a ref is evaluated.", required=True
        ),
        "policy_repository_rules": Field(
            ListOf(RULE),
            "When the policy is read from a git repository (policy-repo.yaml): the rules for "
            "pushes to that repository, instead of `rules`. Omit: `rules` apply there too.",
        ),
    },
    "gitward policy file.",
)
