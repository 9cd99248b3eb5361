"""Rego policies an admin points a rule at, run on the Kubernetes manifests a push changes.

Each `.rego` file is one policy, compiled once (with the shared library modules, if any) into
its own plan: two policies may share a package (`kubernetes.admission`, as most do) and still
be told apart in the report. A policy refuses a manifest through the rules OPA users write:
`deny` (messages, or objects with a `msg`) and Gatekeeper's `violation[{"msg": msg}]`, in Rego
v0 syntax (`deny[msg] { ... }`) or v1 (`deny contains msg if { ... }`).

A policy that does not compile, has no `package` line, defines neither rule, or fails on an
empty input is a configuration error (`ConfigError`, naming the file and line). A policy that
fails while judging a pushed manifest raises `PolicyFailed`: the push is refused (fail closed),
the policy named.
"""

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from gitward.errors import ConfigError, PolicyFailed
from gitward.policy.content.k8s import Denial
from gitward.rego import admission, cache
from gitward.rego.engine import Compiled, Module, RegoError, Runner, compile_query

RULES = ("deny", "violation")
MESSAGE_LIMIT = 300
_PACKAGE = re.compile(r"^[ \t]*package[ \t]+([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)[ \t]*(?:#.*)?$", re.M)
_RULE = re.compile(r"^[ \t]*(?:deny|violation)\b", re.M)


class RegoPolicy(NamedTuple):
    name: str  # the file name without `.rego`: how the report names the policy
    path: str
    package: str
    compiled: Compiled
    # Whether the source names `review` at all: only then can it read Gatekeeper's
    # `input.review` (and `input.parameters`), which are left out of the input otherwise.
    gatekeeper: bool = True


def load(
    paths: Sequence[Path],
    libraries: Sequence[Path] = (),
    data: Mapping[str, object] | None = None,
) -> tuple[RegoPolicy, ...]:
    """Read and compile every policy file; raises ConfigError with every problem found."""
    libs = [Module(str(p), _read(p)) for p in libraries]
    found, problems = [], []
    for path in paths:
        try:
            found.append(compile_policy(str(path), _read(path), libs, data))
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return tuple(found)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read the Rego policy: {exc}"]) from None


def compile_policy(
    path: str,
    source: str,
    libraries: Sequence[Module] = (),
    data: Mapping[str, object] | None = None,
) -> RegoPolicy:
    """One policy, compiled; raises ConfigError naming `path` (and the line) when unusable."""
    package = _PACKAGE.search(source)
    if package is None:
        raise ConfigError([f"{path}:1: no `package` line"])
    if _RULE.search(source) is None:
        raise ConfigError([f"{path}: defines no `deny` or `violation` rule: it refuses nothing"])
    base = "data" + "".join(f"[{json.dumps(p)}]" for p in package.group(1).split("."))
    query = "; ".join(f"{rule} := [m | {base}[{json.dumps(rule)}][m]]" for rule in RULES)
    modules = [*libraries, Module(path, source)]
    where, digest = cache.directory(), cache.key(modules, query, data)
    compiled = cache.load(where, digest)  # saved only once compiled and probed as below
    if compiled is None:
        try:
            compiled = compile_query(modules, query, data)
            probe = Runner()
            probe.set_input({})
            probe.run(compiled)
        except RegoError as exc:
            named = tuple(f"{m}:" for m in (path, *(lib.name for lib in libraries)))
            raise ConfigError(
                [p if p.startswith(named) else f"{path}: {p}" for p in exc.problems]
            ) from None
        cache.store(where, digest, compiled)
    name = path.rpartition("/")[2].removesuffix(".rego")
    code = [_without_comments(t) for t in (source, *(lib.source for lib in libraries))]
    gatekeeper = any("review" in text or "parameters" in text for text in code)
    return RegoPolicy(name, path, package.group(1), compiled, gatekeeper)


def _without_comments(source: str) -> str:
    """`source` without its `#` comments (a `#` in a "string" or `raw string` stays)."""
    out, quote, escaped = [], "", False
    chars = iter(source)
    for char in chars:
        if escaped:
            escaped = False
        elif quote:
            escaped = char == "\\" and quote == '"'
            quote = "" if char == quote else quote
        elif char in '"`':
            quote = char
        elif char == "#":
            out.append(next((c for c in chars if c == "\n"), ""))  # the comment's end of line
            continue
        out.append(char)
    return "".join(out)


def evaluate(
    policies: Sequence[RegoPolicy],
    path: str,
    documents: Sequence[object],
    before: Sequence[object] = (),
    user: str | None = None,
    runner: Runner | None = None,
) -> tuple[Denial, ...]:
    """What `policies` deny in the new or changed objects of one pushed file (`before`: its
    documents before the push). Raises PolicyFailed when a policy cannot judge one. `runner`:
    one to reuse (making one costs an interpreter)."""
    if not policies:
        return ()
    runner = runner or Runner()
    found: list[Denial] = []
    gatekeeper = any(p.gatekeeper for p in policies)
    for request in admission.requests(documents, before, user, gatekeeper):
        where = f"{path}, document {request.document + 1} ({request.resource})"
        try:
            runner.set_input(request.input)
        except RegoError as exc:
            names = ", ".join(p.name for p in policies)
            raise PolicyFailed(names, f"cannot give {where} to the Rego policies: {exc}") from None
        for policy in policies:
            try:
                bindings = runner.run(policy.compiled)
            except RegoError as exc:
                raise PolicyFailed(
                    policy.name,
                    f"Rego policy {policy.name} ({policy.path}) failed on {where}: {exc}; "
                    "the push is refused until the policy can judge it",
                ) from None
            messages = {_message(v) for rule in RULES for v in bindings.get(rule) or ()}
            found.extend(
                Denial(policy.name, request.document, request.resource, m) for m in sorted(messages)
            )
    return tuple(found)


def _message(value: object) -> str:
    """A `deny` message, or the `msg` of a Gatekeeper violation (any other value as JSON)."""
    if isinstance(value, dict) and isinstance(value.get("msg"), str):
        value = value["msg"]
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"
