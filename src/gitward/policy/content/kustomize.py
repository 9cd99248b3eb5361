"""kustomize's `secretGenerator`: a Secret generated at build time from clear text. PURE.

A kustomization never holds a `kind: Secret`, yet `kustomize build` (and so Flux and Argo CD)
turns each `secretGenerator` entry into one, from three sources:
- `literals: ["password=hunter2"]`: the values sit in the kustomization itself. A non-empty
  value that is not a placeholder (`${VAR}` for Flux's post-build substitution, a Helm
  `{{ ... }}`, as `k8s.PLACEHOLDER` says) is clear text;
- `envs: [db.env]` (and the older `env: db.env`): dotenv files;
- `files: [tls.key, "cert=tls.crt"]`: each file is one value.
Referenced files are paths from the kustomization's directory. They are secret material, so
they must be SOPS-encrypted (ksops and Flux's SOPS decryption decrypt them at build): which
ones a push brings is for the check (`kubernetes_secrets`) to pair up with `sources`.

A kustomization is a file named as kustomize looks for it (`KUSTOMIZATION_FILES`), or any
document with `kind: Kustomization` (or `Component`, whose generators work alike) in the
`kustomize.config.k8s.io` group; Flux's own `Kustomization` (`kustomize.toolkit.fluxcd.io`)
generates nothing. A document with a `sops` section is judged by the sops logic instead.
"""

import posixpath
import shlex
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import NamedTuple

from gitward.model import Unreadable
from gitward.policy.content import k8s

# kustomize's konfig.RecognizedKustomizationFileNames, matched case-sensitively as it does.
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
GROUP = "kustomize.config.k8s.io/"
KINDS = ("Kustomization", "Component")
SOURCE_FIELDS = ("envs", "env", "files")
SHOWN = 5  # literal keys named in one finding


class Source(NamedTuple):
    """A file a `secretGenerator` entry reads."""

    kustomization: str  # its path in the tree
    document: int  # 0-based, in the kustomization
    generator: str  # `prod/db`: the generated Secret's namespace and name
    field: str  # "envs", "env" or "files"
    path: str  # the file's path in the tree


def is_kustomization_file(path: str) -> bool:
    return path.rpartition("/")[2] in KUSTOMIZATION_FILES


def is_kustomization(path: str, doc: object) -> bool:
    """Whether kustomize reads `doc` (a document of the file at `path`) as a kustomization."""
    if not isinstance(doc, dict):
        return False
    kind, api = doc.get("kind"), doc.get("apiVersion")
    if isinstance(api, str) and api.startswith(GROUP) and kind in KINDS:
        return True
    # kustomize takes a kustomization file's `kind` and `apiVersion` as optional.
    return is_kustomization_file(path) and kind in (None, *KINDS)


def generators(path: str, doc: object) -> Iterator[tuple[str, Mapping[str, object]]]:
    """(`namespace/name`, entry) of each `secretGenerator` entry of a kustomization document
    without a sops section."""
    if not is_kustomization(path, doc) or not isinstance(doc, dict) or "sops" in doc:
        return
    entries = doc.get("secretGenerator")
    for entry in entries if isinstance(entries, list) else ():
        if isinstance(entry, dict):
            yield _name(entry), entry


def judge_literals(path: str, documents: k8s.Documents | Unreadable) -> Iterator[k8s.Finding]:
    """A finding (check `secret`) per generator whose `literals` hold a clear value; the
    literals' keys are named, never their values."""
    if isinstance(documents, Unreadable):
        return  # kustomize refuses to build it: no Secret comes of it
    for index, doc in enumerate(documents):
        for name, entry in generators(path, doc):
            keys = list(_clear_literals(entry.get("literals")))
            if keys:
                what = (
                    f"secretGenerator {name} generates a Secret from clear text in literals "
                    f"{_some(keys)}"
                )
                yield k8s.Finding("secret", index, what, _literal_hint(path, name))


def sources(path: str, documents: k8s.Documents | Unreadable) -> Iterator[Source]:
    """The files the `secretGenerator` entries of the kustomization at `path` read (those that
    stay inside the repository: kustomize refuses the others by default)."""
    if isinstance(documents, Unreadable):
        return
    base = path.rpartition("/")[0]
    for index, doc in enumerate(documents):
        for name, entry in generators(path, doc):
            for field in SOURCE_FIELDS:
                value = entry.get(field)
                items = [value] if isinstance(value, str) else value
                for item in items if isinstance(items, list) else ():
                    if isinstance(item, str) and (found := _resolve(base, field, item)):
                        yield Source(path, index, name, field, found)


def referenced(
    kustomizations: Iterable[tuple[str, k8s.Documents | Unreadable]],
) -> dict[str, list[Source]]:
    """Path -> the generators that read it, over the kustomizations given."""
    found: dict[str, list[Source]] = {}
    for path, documents in kustomizations:
        for source in sources(path, documents):
            found.setdefault(source.path, []).append(source)
    return found


def judge_source(
    path: str, documents: k8s.Documents | Unreadable, by: Sequence[Source]
) -> k8s.Finding | None:
    """A finding (check `secret`) when the file at `path`, which the generators `by` read, is
    not SOPS-encrypted. `documents`: the file read as sops writes it (dotenv for `.env`, YAML
    for `.yaml`/`.json`, sops's JSON envelope for anything else). Whether its sops section
    and values are sound is `k8s.judge_file`'s to say."""
    first = by[0]
    reader = (
        f"secretGenerator {first.generator} of {k8s.where(first.kustomization, first.document)}"
        f" ({first.field})"
    )
    if len(by) > 1:
        reader += f" and {len(by) - 1} more"
    hint = _source_hint(path)
    if isinstance(documents, Unreadable):
        what = f"{reader} generates a Secret from it, and it cannot be read ({documents.reason})"
        return k8s.Finding("secret", None, f"{what} to tell it is encrypted", hint)
    if all(_empty_or_sops(doc) for doc in documents):
        return None
    return k8s.Finding(
        "secret", None, f"{reader} generates a Secret from it, and it is not encrypted", hint
    )


def _name(entry: Mapping[str, object]) -> str:
    name, namespace = entry.get("name"), entry.get("namespace")
    name = name if isinstance(name, str) and name else "(unnamed)"
    return f"{namespace}/{name}" if isinstance(namespace, str) and namespace else name


def _clear_literals(literals: object) -> Iterator[str]:
    """The keys of `literals` whose values are clear text. kustomize splits each at the first
    `=` and strips one pair of matching quotes from the value (`parseLiteralSource`)."""
    for literal in literals if isinstance(literals, list) else ():
        if not isinstance(literal, str):
            continue  # kustomize refuses a literal that is not a string
        key, _, value = literal.partition("=")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if value and not k8s.PLACEHOLDER.fullmatch(value):
            yield key or "(no key)"


def _resolve(base: str, field: str, item: str) -> str | None:
    """The repository path `item` names from directory `base`; None outside the repository."""
    if field == "files":
        item = item.partition("=")[2] or item  # `key=path`
    if not item or item.startswith("/") or "://" in item:
        return None
    found = posixpath.normpath(posixpath.join(base, item))
    return None if found == ".." or found.startswith("../") else found


def _empty_or_sops(doc: object) -> bool:
    """An empty document, a sops-encrypted one (`sops` section), or a mapping of values kept
    elsewhere (empty, or placeholders): nothing in clear text."""
    if doc is None or (isinstance(doc, dict) and "sops" in doc):
        return True
    return isinstance(doc, dict) and all(
        value in ("", None) or (isinstance(value, str) and k8s.PLACEHOLDER.fullmatch(value))
        for value in doc.values()
    )


def _some(keys: Sequence[str]) -> str:
    shown = ", ".join(keys[:SHOWN])
    return shown if len(keys) <= SHOWN else f"{shown} and {len(keys) - SHOWN} more"


def _literal_hint(path: str, name: str) -> str:
    env = posixpath.join(path.rpartition("/")[0], f"{name.rpartition('/')[2]}.env")
    return (
        f"move those values to an env file, encrypt it with `sops --encrypt --in-place "
        f"{shlex.quote(env)}`, list it under the generator's `envs` and let Flux's SOPS "
        "decryption or ksops decrypt it at build (or write a SOPS-encrypted Secret instead); "
        "amend the commit that added them: the clear text must not stay in the history you push"
    )


def _source_hint(path: str) -> str:
    return (
        f"encrypt it with `sops --encrypt --in-place {shlex.quote(path)}` (Flux's SOPS "
        "decryption or ksops decrypts it at build) and amend the commit that added it: the "
        "clear text must not stay in the history you push"
    )
