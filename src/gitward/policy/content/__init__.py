"""The content family: checks of the files a push brings, plugged in by name. PURE.

`CHECKS` maps each field of `spec.ContentRule` that is a check to its `scope.ContentCheck`:
what it needs gathered (`needs`) and how it judges (`run`). Adding a check takes a field in
`ContentRule`, its table in `gitward.config.policy_table.CONTENT` and an entry here; the facts
(`gitward.facts.content`) and the engine need no change.
"""

from __future__ import annotations

from collections.abc import Iterator

from gitward.model import Violation
from gitward.policy.content import files, kubernetes_secrets, rego_policies, secrets, twoperson
from gitward.policy.content.scope import ContentCheck, Needs, Scope, new_files
from gitward.policy.context import RuleContext
from gitward.policy.spec import ContentRule

CHECKS: dict[str, ContentCheck] = {
    "files": files.CHECK,
    "secrets": secrets.CHECK,
    "kubernetes_secrets": kubernetes_secrets.CHECK,
    "rego": rego_policies.CHECK,
    "protected_paths": twoperson.CHECK,
    "distinct_signers": twoperson.CHECK,  # `signatures.min_distinct_signers`, set by the loader
}


def active(content: ContentRule) -> list[tuple[ContentCheck, object]]:
    """The checks `content` turns on, each with its settings, in `CHECKS` order."""
    found = [(check, getattr(content, name, None)) for name, check in CHECKS.items()]
    return [(check, settings) for check, settings in found if settings is not None]


def needs(content: ContentRule) -> Needs:
    """Everything the checks of `content` need gathered, together."""
    wanted = [check.needs(settings) for check, settings in active(content)]
    return Needs(
        content_bytes=max((n.content_bytes for n in wanted), default=0),
        tip_tree=any(n.tip_tree for n in wanted),
        yaml=any(n.yaml for n in wanted),
        before_tree=any(n.before_tree for n in wanted),
        paths_changed=any(n.paths_changed for n in wanted),
    )


def check(ctx: RuleContext) -> Iterator[Violation]:
    """Violations of `ctx.rule.content` for this update."""
    content = ctx.rule.content
    if content is None:
        return
    checks = active(content)
    if not checks:
        return
    scope = Scope(ctx, content, new_files(ctx, content))
    for entry, settings in checks:
        yield from entry.run(scope, settings)
