"""Files of a pushed tree -> the documents `policy.content.k8s` and the Rego policies judge.

A file is read by its name: `.yaml`, `.yml` and `.json` as YAML (JSON is YAML), every document
of a multi-document file; other files are skipped (None), except when a `.sops.yaml` says they
must be encrypted: then read as sops would write them (`.env` as dotenv, anything else but
`.ini` as sops's JSON envelope for binary files), and when they read as YAML declaring a
Secret (`_named_otherwise`).

The pusher writes these files, so reading is bounded: at most `MAX_BYTES`, `MAX_NODES` values
once aliases are expanded ("billion laughs"), `MAX_DEPTH` levels (libyaml itself stops at 1000
flow levels). PyYAML's C loader composes; the values are built here as JSON values, the way
sigs.k8s.io/yaml hands manifests to Kubernetes: keys as strings, timestamps as the text written,
`!!binary` as the string it decodes to, integers beyond 64 bits as floats, a scalar under any
other tag as its text and a mapping or sequence under any tag as one (Go's readers ignore tags
they do not know: `kind: !x Secret` is a Secret to kubectl, kustomize and Flux), of a key
written twice the last value (kubectl keeps it; kustomize refuses the file). A recursive alias
makes a file `Unreadable`: kubectl refuses it too.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from itertools import pairwise

import yaml

from gitward.policy.content.k8s import (
    MANIFEST_BYTES,
    SOPS_CONFIG,
    Documents,
    Unreadable,
    is_sops_config,
    objects,
)
from gitward.policy.content.kustomize import is_kustomization_file

__all__ = ["is_sops_config", "read"]

MAX_BYTES = MANIFEST_BYTES
MAX_NODES = 200_000
MAX_DEPTH = 100
YAML_SUFFIXES = (".yaml", ".yml", ".json")

# The C loader composes ~10x faster than the pure-Python one; same results without libyaml.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BINARY = "tag:yaml.org,2002:binary"
# The scalar tags Go's YAML readers resolve (resolve.go, `resolvableTag`); any other is text.
_RESOLVED = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "bool", "int", "float", "null", "timestamp")
)
# Bytes no YAML text can spell `Secret` without: the word itself, a double-quoted escape
# (`"Secr\x65t"`, `"\u0053ecret"`, an escaped line break) or a tag (`!!binary U2VjcmV0`).
_SPELLS_SECRET = (b"Secret", b"\\", b"!")
_SECRET_LINE = re.compile(
    rb"""^[ \t]*["']?kind["']?[ \t]*:[ \t]*["']?Secret["']?[ \t,]*(#.*)?$""", re.M
)


class _Refused(Exception):
    """The file cannot be read as documents; `str(exc)` says why, for the pusher."""


class _Bounded(_Refused):
    """The file is past a reading bound: it may be anything, even with template braces (no Helm
    template grows that large), so the checks refuse it rather than pass it unjudged."""


def read(path: str, data: bytes, *, sops_required: bool = False) -> Documents | Unreadable | None:
    """The documents of the file at `path` (JSON values, None for an empty document), or
    `Unreadable`, or None for a file that is neither YAML/JSON nor required to be encrypted."""
    name = path.rpartition("/")[2].lower()
    if name.endswith(YAML_SUFFIXES) or name == SOPS_CONFIG or is_kustomization_file(path):
        reader = _yaml
    elif not sops_required:
        return _named_otherwise(data)
    elif name.endswith(".env"):
        reader = _dotenv
    elif name.endswith(".ini"):
        return Unreadable("gitward does not read sops INI files")
    else:
        reader = _yaml  # sops writes any other file as a JSON envelope: {"data": ..., "sops": ...}
    try:
        if len(data) > MAX_BYTES:
            raise _Bounded(f"larger than {MAX_BYTES >> 20} MiB")
        return reader(data)
    except _Refused as exc:
        return _unreadable(str(exc), data, bounded=isinstance(exc, _Bounded))


def _named_otherwise(data: bytes) -> Documents | None:
    """A file whose name says it is no manifest, but which reads as YAML declaring a Secret:
    kustomize's `resources` and `kubectl apply -f` take a manifest whatever its name, so a
    Secret in `db.txt` reaches the cluster as surely as one in `db.yaml`. A file that is not
    YAML, or declares no Secret (a README showing an example), is left alone (None).

    Judged on the parsed documents, not on a `kind: Secret` line: JSON on one line, a flow
    mapping, the kind on the next line or in an escape (`"Secr\\x65t"`) are Secrets to kustomize
    too. Only a file with none of the bytes that can spell `Secret` is not parsed."""
    if len(data) > MAX_BYTES or not any(spelling in data for spelling in _SPELLS_SECRET):
        return None  # `in`: memchr-fast scans, where parsing would cost every blob
    try:
        documents = _yaml(data)
    except _Refused:
        return None
    secret = any(obj["kind"] == "Secret" for doc in documents for obj in objects(doc))
    return documents if secret else None


def _unreadable(reason: str, data: bytes, *, bounded: bool = False) -> Unreadable:
    if bounded:  # unparsed: any spelling of a Secret may be in it
        return Unreadable(reason, any(spelling in data for spelling in _SPELLS_SECRET))
    return Unreadable(reason, _SECRET_LINE.search(data) is not None, b"{{" in data)


def _yaml(data: bytes) -> Documents:
    loader = _Loader(data)
    try:
        builder = _Builder(loader)
        documents: list[object] = []
        while loader.check_node():
            node = loader.get_node()
            documents.append(None if node is None else builder.value(node, 0))
        return tuple(documents)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"line {mark.line + 1}: " if mark is not None else ""
        raise _Refused(f"not valid YAML: {line}{exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise _Refused(f"not valid YAML: {exc}") from None
    finally:
        loader.dispose()


class _Builder:
    def __init__(self, loader: yaml.SafeLoader) -> None:
        self.loader = loader
        self.count = 0
        self.active: set[int] = set()  # collection nodes on the current path

    def value(self, node: yaml.Node, depth: int) -> object:
        self.count += 1
        line = node.start_mark.line + 1
        if self.count > MAX_NODES:
            raise _Bounded(f"more than {MAX_NODES} values once aliases are expanded")
        if depth > MAX_DEPTH:
            raise _Bounded(f"line {line}: nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if id(node) in self.active:
            raise _Refused(f"line {line}: a recursive alias")
        self.active.add(id(node))
        try:
            # Whatever its tag (`!!set`, `!custom`): Go reads the collection as it is written.
            if isinstance(node, yaml.SequenceNode):
                return [self.value(item, depth + 1) for item in node.value]
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, depth)
            raise _Refused(f"line {line}: a node of an unknown kind")  # PyYAML composes no other
        finally:
            self.active.discard(id(node))

    def _scalar(self, node: yaml.ScalarNode) -> object:
        if node.tag == _BINARY:
            return self._binary(node)
        if node.tag not in _RESOLVED:
            return str(node.value)
        try:
            value = self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError) as exc:  # e.g. the timestamp 2026-13-45
            raise _Refused(f"line {node.start_mark.line + 1}: unreadable value: {exc}") from None
        if value is None or isinstance(value, str | bool):
            return value
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            # Beyond 64 bits Go's YAML reader (and so Kubernetes) takes a float64 too.
            value = float(value) if abs(value) < 2**1023 else math.inf
        if isinstance(value, int | float) and math.isfinite(value):
            return value
        return str(node.value)  # dates, .inf: the text as written

    @staticmethod
    def _binary(node: yaml.ScalarNode) -> str:
        """What Go's YAML readers make of `!!binary`: the decoded bytes as a string (JSON then
        carries invalid UTF-8 as U+FFFD). Kept as written, `kind: !!binary U2VjcmV0` would be
        no Secret here and a Secret in the cluster; an image so spelled, no image a policy
        could judge. Strict base64 but line breaks, as Go's decoder: kubectl refuses the rest."""
        text = node.value.replace("\n", "").replace("\r", "")
        try:
            return base64.b64decode(text, validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            line = node.start_mark.line + 1
            raise _Refused(f"line {line}: a !!binary value that is not base64") from None

    def _mapping(self, node: yaml.MappingNode, depth: int) -> dict[str, object]:
        # Merge keys (`<<: *anchor`) come first, so that the mapping's own keys override them.
        self.loader.flatten_mapping(node)
        out: dict[str, object] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Refused(f"line {line}: a mapping key that is not a scalar")
            key = self._scalar(key_node)
            text = key if isinstance(key, str) else json.dumps(key)
            # A key written twice: the last value, the one kubectl applies (kustomize refuses).
            out.pop(text, None)
            out[text] = self.value(value_node, depth + 1)
        return out


def _dotenv(data: bytes) -> Documents:
    """sops's dotenv files: `KEY=value` lines, its metadata flattened into `sops_*` keys
    (`sops_mac`, `sops_age__list_0__map_enc`), unflattened here into a `sops` mapping."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _Refused("not UTF-8 text") from None
    values: dict[str, object] = {}
    meta: dict[str, object] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise _Refused(f"line {number}: not KEY=value")
        if key.startswith("sops_"):
            _unflatten(meta, key.removeprefix("sops_"), value)
        else:
            values[key] = value
    if meta:
        values["sops"] = meta
    return (values,)


_FLAT = re.compile(r"__(map|list)_")
_MAX_POSITION = 1000


def _unflatten(into: dict[str, object], flat: str, value: str) -> None:
    """Set `value` at the path `flat` spells (stores/flatten.go: `__map_<key>`, `__list_<n>`)."""
    parts = _FLAT.split(flat)
    steps = [("map", parts[0]), *zip(parts[1::2], parts[2::2], strict=True)]
    node: object = into
    for (kind, name), (after, _) in pairwise(steps):
        node = _slot(node, kind, name, [] if after == "list" else {})
    _slot(node, *steps[-1], value)


def _slot(node: object, kind: str, name: str, fill: object) -> object:
    """The value at `name` in `node`, set to `fill` when missing (None when `node` cannot hold
    it: a malformed key, which then leaves the metadata without it)."""
    if kind == "map" and isinstance(node, dict):
        return node.setdefault(name, fill)
    if kind == "list" and isinstance(node, list) and name.isdigit():
        position = int(name)
        if position >= _MAX_POSITION:
            return None
        node.extend([None] * (position + 1 - len(node)))
        if node[position] is None:
            node[position] = fill
        return node[position]
    return None
