"""Kubernetes Secrets in a push: refused in clear text, accepted SOPS-encrypted or sealed. PURE.

A file comes in as its path and its documents already parsed (`gitward.manifests` reads YAML,
JSON and dotenv with bounds): JSON values (str-keyed dicts, lists, str, int, float, bool, None),
one per document, or `Unreadable`. Findings come out, each naming the document (0-based) and a
stable check id: `secret` (clear text in a Secret), `sops` (a sops file with clear values or a
forged sops section), `sops-required` (a file `.sops.yaml` says must be encrypted, and is not),
`sops-config` (a `.sops.yaml` sops itself could not use).

What "SOPS-encrypted" means here, judged from the file's structure as sops writes it (no key and
no `sops` binary needed):
- the document carries a `sops` mapping whose `mac` is an `ENC[AES256_GCM,...,type:str]` value
  and which names at least one key: a list entry (`age`, `pgp`, `kms`, `gcp_kms`, `azure_kv`,
  `hc_vault`, ... or inside `key_groups`) holding an encrypted data key `enc`;
- every value sops encrypts is `ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:<type>]`. sops
  encrypts every scalar but empty strings and nulls, except where the file's `sops` section says
  otherwise: `unencrypted_suffix` (`_unencrypted` when nothing is set), `encrypted_suffix`,
  `unencrypted_regex` or `encrypted_regex` (Go regexps, searched), at most one of them, each
  tested on every key of the value's path as sops does. A clear value sops would have encrypted
  was typed in by hand after encryption: refused;
- in a Secret, every value under `data` and `stringData` is encrypted, whatever those settings
  say: a key the settings leave in clear text (`password_unencrypted`) is still clear text.
Not judged: the MAC (it needs the data key) and whether the named keys can decrypt. The comment
regexes (`encrypted_comment_regex`, `unencrypted_comment_regex`) act on YAML comments the
parsed documents do not keep: with one set, only the Secret rule above is checked.

A `SealedSecret` (Bitnami's controller decrypts it in the cluster) is accepted, but for the
values of its `spec.template.data`: the controller copies them into the Secret unencrypted. A
value there with a template expression (`{{ index . "password" }}`) composes the sealed ones and
passes; a value without one is clear text in git.
"""

import re
import shlex
from collections.abc import Iterator, Mapping, Sequence
from typing import NamedTuple, TypeGuard

from gitward.model import Unreadable
from gitward.policy import patterns

# One value as sops writes it (aes/cipher.go). The tag is a 16-byte GCM tag: 24 base64 digits.
ENC = re.compile(
    r"ENC\[AES256_GCM,data:[A-Za-z0-9+/]+=*,iv:[A-Za-z0-9+/]+=*,tag:[A-Za-z0-9+/]{22}==,"
    r"type:(?:str|int|int64|float|bytes|bool|comment)\]"
)
SELECTORS = ("unencrypted_suffix", "encrypted_suffix", "unencrypted_regex", "encrypted_regex")
COMMENT_SELECTORS = ("unencrypted_comment_regex", "encrypted_comment_regex")
SECRET_FIELDS = ("data", "stringData")
# Values that name a secret kept elsewhere: a Helm template or a Flux/envsubst variable.
PLACEHOLDER = re.compile(r"\s*\{\{.*\}\}\s*|\$\{[A-Za-z_][A-Za-z0-9_]*\}", re.DOTALL)
SHOWN = 5  # paths named in one finding
SOPS_CONFIG = ".sops.yaml"
# Manifests larger than this are not read (`gitward.manifests`): judged `Unreadable`.
MANIFEST_BYTES = 4 << 20

__all__ = ["Unreadable"]  # re-exported: the adapter and the tests take it from here


Documents = Sequence[object]


class Finding(NamedTuple):
    check: str  # "secret", "sops", "sops-required", "sops-config"
    document: int | None  # 0-based; None: the file as a whole
    what: str
    hint: str


class SopsRule(NamedTuple):
    """One `creation_rules` entry with a `path_regex`: files it matches must be encrypted."""

    config: str  # path of its `.sops.yaml` in the tree
    position: int  # 0-based, in `creation_rules`
    path_regex: str

    @property
    def base(self) -> str:
        """The directory `path_regex` is relative to (sops matches paths from its config's)."""
        return self.config.rpartition("/")[0]

    def matches(self, path: str) -> bool:
        base = self.base
        if base and not path.startswith(base + "/"):
            return False
        relative = path[len(base) + 1 :] if base else path
        return patterns.search(self.path_regex, relative) is not None


class Denial(NamedTuple):
    """What a Rego policy denied in one object of a pushed file (`gitward.rego` finds these)."""

    policy: str  # the policy file's name without `.rego`
    document: int  # 0-based, in the file
    resource: str  # "Pod prod/web"
    message: str  # the policy's own words

    def finding(self) -> Finding:
        what = f"{self.resource}: {self.message} (Rego policy {self.policy})"
        hint = f"change the manifest so that {self.policy} admits it, or ask an admin about it"
        return Finding("rego", self.document, what, hint)


def is_sops_config(path: str) -> bool:
    return path.rpartition("/")[2] == SOPS_CONFIG


def is_manifest(doc: object) -> TypeGuard[dict[str, object]]:
    """A Kubernetes object: a mapping with a non-empty string `apiVersion` and `kind`."""
    return (
        isinstance(doc, dict)
        and isinstance(doc.get("apiVersion"), str)
        and isinstance(doc.get("kind"), str)
        and bool(doc["apiVersion"])
        and bool(doc["kind"])
    )


def describe(doc: Mapping[str, object]) -> str:
    """`Secret prod/db`: kind, namespace and name, as much as the manifest tells."""
    meta = doc.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    name, namespace = meta.get("name"), meta.get("namespace")
    name = name if isinstance(name, str) and name else "(unnamed)"
    prefix = f"{namespace}/" if isinstance(namespace, str) and namespace else ""
    return f"{doc.get('kind')} {prefix}{name}"


def objects(doc: object) -> Iterator[dict[str, object]]:
    """The Kubernetes objects of one document: itself, or the items of a `List` kind (kubectl
    applies each item)."""
    if not is_manifest(doc):
        return
    items = doc.get("items")
    if str(doc["kind"]).endswith("List") and isinstance(items, list):
        for item in items:
            yield from objects(item)
    else:
        yield doc


def where(path: str, document: int | None) -> str:
    """`clusters/prod/db.yaml, document 2` (1-based for people), or the path alone."""
    return path if document is None else f"{path}, document {document + 1}"


def sops_rules(
    config: str, documents: Documents | Unreadable
) -> tuple[tuple[SopsRule, ...], tuple[Finding, ...]]:
    """The rules of the `.sops.yaml` at `config` that designate files, and its problems.

    A rule without `path_regex` only gives sops its keys for any file: it designates none.
    """
    hint = f"fix {shlex.quote(config)}: sops refuses it too"
    if isinstance(documents, Unreadable):
        return (), (Finding("sops-config", None, f"cannot be read: {documents.reason}", hint),)
    top = documents[0] if documents else None
    rules = top.get("creation_rules") if isinstance(top, dict) else None
    if top is None or rules is None:
        return (), ()
    if not isinstance(top, dict) or not isinstance(rules, list):
        what = "is not a mapping with a `creation_rules` list"
        return (), (Finding("sops-config", 0, what, hint),)
    found: list[SopsRule] = []
    problems: list[Finding] = []
    for i, rule in enumerate(rules):
        regex = rule.get("path_regex") if isinstance(rule, dict) else None
        problem = "is not a mapping" if not isinstance(rule, dict) else None
        if regex is not None and not isinstance(regex, str):
            problem = "path_regex is not a string"
        elif isinstance(regex, str) and regex and (bad := patterns.problem(regex)):
            problem = f"path_regex {regex!r} is not a valid regexp: {bad}"
        if problem is not None:
            problems.append(Finding("sops-config", 0, f"creation_rules[{i}]: {problem}", hint))
        elif isinstance(regex, str) and regex:
            found.append(SopsRule(config, i, regex))
    return tuple(found), tuple(problems)


def required_by(path: str, rules: Sequence[SopsRule]) -> SopsRule | None:
    """The first rule that says `path` must be encrypted (rules of `.sops.yaml` files outside
    the path's directories never apply)."""
    return next((rule for rule in rules if rule.matches(path)), None)


def judge_file(
    path: str, documents: Documents | Unreadable, rules: Sequence[SopsRule] = ()
) -> tuple[Finding, ...]:
    """Everything wrong with the Secrets and sops data in one file of the pushed tree."""
    required = required_by(path, rules)
    if isinstance(documents, Unreadable):
        return _unreadable(path, documents, required)
    found: list[Finding] = []
    for index, doc in enumerate(documents):
        if doc is None:  # an empty document
            continue
        if isinstance(doc, dict) and "sops" in doc:
            found.extend(_sops_file(path, index, doc))
        elif required is not None:
            what = f"{_label(doc)} is not encrypted, but {_rule_words(required)}"
            found.append(Finding("sops-required", index, what, _encrypt_hint(path)))
        else:
            found.extend(_secrets(path, index, doc))
    return tuple(found)


def _unreadable(path: str, file: Unreadable, required: SopsRule | None) -> tuple[Finding, ...]:
    if required is not None:
        what = (
            f"cannot be read ({file.reason}) to tell it is encrypted, and {_rule_words(required)}"
        )
        return (Finding("sops-required", None, what, _encrypt_hint(path)),)
    if file.declares_secret and not file.templated:
        what = f"declares a Secret but cannot be read ({file.reason}) to tell it is encrypted"
        return (Finding("secret", None, what, "fix the YAML, then encrypt the Secret with sops"),)
    return ()


def _rule_words(rule: SopsRule) -> str:
    return (
        f"{rule.config} says files matching `{rule.path_regex}` must be encrypted "
        f"(creation rule {rule.position + 1})"
    )


def _label(doc: object) -> str:
    return describe(doc) if is_manifest(doc) else "the document"


def _secrets(path: str, index: int, doc: object) -> Iterator[Finding]:
    """Clear-text values in the Secrets (and SealedSecrets' templates) of a document without a
    sops section."""
    for obj in objects(doc):
        if obj.get("kind") == "Secret":
            clear = [
                shown
                for shown, value in _secret_values(obj)
                if not (isinstance(value, str) and PLACEHOLDER.fullmatch(value))
            ]
        elif obj.get("kind") == "SealedSecret":
            clear = list(_sealed_template_values(obj))
        else:
            continue
        if clear:
            what = f"{describe(obj)} carries clear text in {_some(clear)}"
            sealed = obj.get("kind") == "SealedSecret"
            yield Finding("secret", index, what, _sealed_hint() if sealed else _secret_hint(path))


def _secret_values(obj: Mapping[str, object]) -> Iterator[tuple[str, object]]:
    """(path, value) of every non-empty value under `data` and `stringData`."""
    for field in SECRET_FIELDS:
        block = obj.get(field)
        if isinstance(block, dict):
            for key, value in block.items():
                if value not in ("", None):
                    yield f"{field}.{key}", value
        elif block not in ("", None, [], {}):
            yield field, block  # not a mapping: kubectl refuses it, its text is still there


def _sealed_template_values(obj: Mapping[str, object]) -> Iterator[str]:
    """The paths of the clear values a SealedSecret's template copies into its Secret."""
    spec = obj.get("spec")
    template = spec.get("template") if isinstance(spec, dict) else None
    data = template.get("data") if isinstance(template, dict) else None
    if isinstance(data, dict):
        for key, value in data.items():
            if value not in ("", None) and not (isinstance(value, str) and "{{" in value):
                yield f"spec.template.data.{key}"
    elif data not in ("", None, [], {}):
        yield "spec.template.data"


def _sops_file(path: str, index: int, doc: Mapping[str, object]) -> Iterator[Finding]:
    meta = _metadata(doc["sops"])
    if isinstance(meta, str):
        hint = f"encrypt the file with sops ({_encrypt_command(path)}), never by hand"
        yield Finding("sops", index, f"its sops section {meta}", hint)
        return
    selector = next((s for s in SELECTORS if meta.get(s)), "unencrypted_suffix")
    setting = str(meta.get(selector) or "_unencrypted")
    exact = not any(meta.get(s) for s in COMMENT_SELECTORS)
    secrets = {id(obj) for obj in objects(doc) if obj.get("kind") == "Secret"}
    typed, kept = [], []  # clear values sops encrypts / Secret values left clear
    for keys, shown, value, secret in _leaves(doc, secrets):
        if isinstance(value, str) and (value == "" or ENC.fullmatch(value)):
            continue
        if exact and _encrypts(selector, setting, keys):
            typed.append(shown)
        elif secret:
            kept.append(shown)
    if typed:
        what = f"{_some(typed)} in clear text, where sops writes encrypted values"
        hint = (
            f"take those values out and add them back with `sops edit {shlex.quote(path)}`, "
            "which encrypts what you add (a value typed into an encrypted file stays clear)"
        )
        yield Finding("sops", index, what, hint)
    if kept:
        what = f"Secret values {_some(kept)} in clear text: the file's sops settings leave them so"
        hint = f"a Secret's data must be encrypted: rename those keys, or {_encrypt_command(path)}"
        yield Finding("secret", index, what, hint)


def _metadata(meta: object) -> dict[str, object] | str:
    """`meta` when it is a sops section sops itself would accept, else what is wrong with it."""
    if not isinstance(meta, dict):
        return "is not a mapping"
    mac = meta.get("mac")
    if not isinstance(mac, str) or not ENC.fullmatch(mac) or not mac.endswith("type:str]"):
        return "has no encrypted `mac`"
    if not _names_a_key(meta):
        return "names no key that can decrypt it (no `enc` data key)"
    chosen = [s for s in SELECTORS if meta.get(s)]
    if len(chosen) > 1:
        return f"sets both {chosen[0]} and {chosen[1]} (sops refuses that)"
    for selector in (*SELECTORS, *COMMENT_SELECTORS):
        value = meta.get(selector)
        if value and not isinstance(value, str):
            return f"sets {selector} to something other than text"
        if value and selector.endswith("regex") and patterns.problem(str(value)):
            return f"sets {selector} to an invalid regexp"
    return meta


def _names_a_key(meta: Mapping[str, object], depth: int = 0) -> bool:
    """True when a list in `meta` (or in its `key_groups`) holds an entry with an `enc` key."""
    for name, value in meta.items():
        for entry in value if isinstance(value, list) else ():
            if not isinstance(entry, dict):
                continue
            if isinstance(entry.get("enc"), str) and entry["enc"]:
                return True
            if name == "key_groups" and depth == 0 and _names_a_key(entry, 1):
                return True
    return False


def _encrypts(selector: str, setting: str, keys: tuple[str, ...]) -> bool:
    """Whether sops encrypts a value under `keys` (sops.go, `shouldBeEncrypted`)."""
    if selector == "unencrypted_suffix":
        return not any(k.endswith(setting) for k in keys)
    if selector == "encrypted_suffix":
        return any(k.endswith(setting) for k in keys)
    hit = any(patterns.search(setting, k) is not None for k in keys)
    return hit if selector == "encrypted_regex" else not hit


def _leaves(
    doc: Mapping[str, object], secrets: set[int]
) -> Iterator[tuple[tuple[str, ...], str, object, bool]]:
    """(keys, shown path, value, under a Secret's data) of every scalar but nulls, outside the
    top-level `sops` key. `keys` holds mapping keys only: sops leaves list positions out."""
    stack: list[tuple[object, tuple[str, ...], str, bool]] = [(doc, (), "", False)]
    while stack:
        value, keys, shown, secret = stack.pop()
        if isinstance(value, dict):
            is_secret = id(value) in secrets
            stack.extend(
                (
                    v,
                    (*keys, k),
                    f"{shown}.{k}" if shown else k,
                    secret or (is_secret and k in SECRET_FIELDS),
                )
                for k, v in reversed(value.items())
                if keys or k != "sops"
            )
        elif isinstance(value, list):
            stack.extend(
                (v, keys, f"{shown}[{i}]", secret) for i, v in reversed(list(enumerate(value)))
            )
        elif value is not None:
            yield keys, shown, value, secret


def _some(paths: Sequence[str]) -> str:
    shown = ", ".join(paths[:SHOWN])
    return shown if len(paths) <= SHOWN else f"{shown} and {len(paths) - SHOWN} more"


def _encrypt_command(path: str) -> str:
    return (
        f"`sops --encrypt --in-place --encrypted-regex '^(data|stringData)$' {shlex.quote(path)}`"
    )


def _encrypt_hint(path: str) -> str:
    return (
        f"encrypt it with `sops --encrypt --in-place {shlex.quote(path)}` and amend the commit "
        "that added it: the clear text must not stay in the history you push"
    )


def _secret_hint(path: str) -> str:
    return (
        f"encrypt it with {_encrypt_command(path)} (keys from your .sops.yaml) or seal it with "
        "kubeseal, and amend the commit that added it: the clear text must not stay in the "
        "history you push"
    )


def _sealed_hint() -> str:
    return (
        "seal those values into spec.encryptedData (`kubeseal --merge-into`), and amend the "
        "commit that added them: the clear text must not stay in the history you push"
    )
