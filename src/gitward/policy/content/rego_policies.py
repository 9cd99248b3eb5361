"""The rego check: the admins' Rego policies on the Kubernetes manifests the push changes. PURE.

Judged: each file the rule's new commits bring that the pushed tip still holds as brought (the
manifest the cluster would apply), every Kubernetes object in it that is new or changed since
the ref's old value (`Scope.before`), as the admission request a `kubectl apply` of it would
make (`gitward.rego.admission`: CREATE, or UPDATE with the old object). The policies come
compiled in the policy's `content_data` (the config loader hands the external engine in); a
policy that fails on an object raises `errors.PolicyFailed`, and the push is refused naming
it.

Every `deny` (or Gatekeeper `violation`) message is a violation `<rule>/rego` naming the file,
the document (1-based), the object and the policy. A YAML file that cannot be read cannot be
judged and is refused, unless it is a template (`{{`: rendered elsewhere, by Helm).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import cast

from gitward.errors import ConfigError
from gitward.model import GITLINK_MODE, SYMLINK_MODE, TipFile, Unreadable, Violation
from gitward.policy.content import k8s
from gitward.policy.content.scope import ContentCheck, Needs, NewFile, Scope
from gitward.policy.spec import RegoCheck, RegoJudge

SPEND_EVERY = 8


def needs(settings: RegoCheck) -> Needs:
    return Needs(content_bytes=k8s.MANIFEST_BYTES, yaml=True, before_tree=True)


def run(scope: Scope, settings: RegoCheck) -> Iterator[Violation]:
    if not scope.files:
        return  # nothing brought: the tip's tree is not read
    judge = scope.ctx.policy.content_data.rego.get(settings.policies)
    if judge is None:  # the loader compiles every policy list a rule names
        raise ConfigError([f"Rego policies {', '.join(settings.policies)} are not loaded"])
    tip = scope.tip()
    for n, file in enumerate(_at_tip(scope, tip)):
        if n % SPEND_EVERY == 0:
            scope.spend("running the Rego policies")
        parsed = scope.documents(file.path, file.oid)
        if parsed is None:
            continue
        if isinstance(parsed, Unreadable):
            if not parsed.templated:
                what = f"{file.path} cannot be read ({parsed.reason}) to run the Rego policies"
                hint = "fix the file so that kubectl could apply it, and push again"
                yield scope.violation("rego", what, hint, file.commit)
            continue
        if not any(True for doc in parsed for _ in k8s.objects(doc)):
            continue  # no Kubernetes object: the engine is not even loaded
        for denial in _denials(scope, judge, settings, file, parsed):
            # Where and which policy first: the report shortens long messages at their end.
            what = (
                f"{k8s.where(file.path, denial.document)}: {denial.resource} denied by Rego "
                f"policy {denial.policy}: {denial.message}"
            )
            yield scope.violation("rego", what, denial.finding().hint, file.commit)


def _at_tip(scope: Scope, tip: Mapping[str, TipFile]) -> Iterator[NewFile]:
    """The files brought that the tip holds as brought, each once."""
    seen: set[str] = set()
    for file in scope.files:
        held = tip.get(file.path)
        if file.mode in (GITLINK_MODE, SYMLINK_MODE) or file.path in seen:
            continue
        if held is not None and held.oid == file.oid:
            seen.add(file.path)
            yield file


def _denials(
    scope: Scope, judge: RegoJudge, settings: RegoCheck, file: NewFile, docs: Sequence[object]
) -> Sequence[k8s.Denial]:
    """What the policies deny in `file`, once per evaluation whatever the rules naming them."""
    before = scope.before(file.path)
    old = before if isinstance(before, tuple) else ()  # an unreadable one: as if none
    held = (scope.ctx.facts.before_files or {}).get(file.path)
    key = ("rego", settings.policies, file.path, file.oid, held and held.oid)
    if key not in scope.memo:
        scope.memo[key] = tuple(judge.evaluate(file.path, docs, old))
    return cast("tuple[k8s.Denial, ...]", scope.memo[key])  # only this module writes the key


CHECK = ContentCheck(needs, run)
