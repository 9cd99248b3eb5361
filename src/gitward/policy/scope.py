"""Which checks judge the act of pushing rather than the commits it brings. PURE.

`gitward check` (existing history) and the receiver's pull-request jobs (a pull request is
judged as a push of its head to its base branch, but nobody is pushing yet) leave these out:
force-push, deletion, creation, who pushes and under which name only mean something for a real
push. The receiver's push jobs keep them: a forge push is a push.
"""

from __future__ import annotations

from collections.abc import Iterable

from gitward.model import Violation

# The last part of a violation's rule id (`<rule>/<check>`).
PUSH_ONLY = frozenset(
    {
        "force-push",
        "deletion",
        "creation",
        "pusher",
        "ref-name",
        "immutable",
        "anonymous",
        "anonymous-pusher",
        "replace-refs",
        "same-ref-twice",
        "symbolic-ref",
    }
)


def is_push_only(violation: Violation) -> bool:
    return violation.rule_id.rsplit("/", 1)[-1] in PUSH_ONLY


def about_history(violations: Iterable[Violation]) -> list[Violation]:
    """The violations that judge commits, not the act of pushing them."""
    return [v for v in violations if not is_push_only(v)]
