"""The Rego policy files rules name: read when the policy loads, compiled on first use.

Compiling needs the Rego engine (regopy: tens of milliseconds to import) and more for each
policy; a push that changes no manifest pays neither. `gitward config check` compiles every
policy (`compile_all`), so one that does not compile is reported there as `FILE:LINE:COL: ...`;
in the hook, such a policy refuses the push as any broken policy does (`ConfigError`). Each
policy file is compiled once per run, whatever the number of rules naming it.
"""

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from gitward.errors import CheckerUnavailable, ConfigError

if TYPE_CHECKING:
    from gitward.policy.content.k8s import Denial
    from gitward.rego.engine import Runner
    from gitward.rego.policies import RegoPolicy


class PolicyFile(NamedTuple):
    path: Path
    source: str


class RegoPolicies:
    """The policies of one `content.rego.policies` list (a `spec.RegoJudge`)."""

    def __init__(self, files: Sequence[PolicyFile], compiled: dict[Path, "RegoPolicy"]) -> None:
        self.files = tuple(files)
        self._compiled = compiled  # shared by every list of one loaded policy
        self._runner: Runner | None = None

    def compile(self) -> tuple["RegoPolicy", ...]:
        """The policies, compiled; raises ConfigError naming each file (and line) that does
        not compile, CheckerUnavailable when the engine cannot be loaded."""
        try:
            from gitward.rego import compile_policy  # noqa: PLC0415  # loads regopy: see above
        except ImportError as exc:
            raise CheckerUnavailable(f"the Rego engine (regopy) cannot be loaded: {exc}") from None
        problems: list[str] = []
        for file in self.files:
            if file.path not in self._compiled:
                try:
                    self._compiled[file.path] = compile_policy(str(file.path), file.source)
                except ConfigError as exc:
                    problems += exc.problems
        if problems:
            raise ConfigError(problems)
        return tuple(self._compiled[f.path] for f in self.files)

    def evaluate(
        self, path: str, documents: Sequence[object], before: Sequence[object] = ()
    ) -> tuple["Denial", ...]:
        policies = self.compile()
        from gitward.rego import Runner, evaluate  # noqa: PLC0415  # loaded by `compile`

        if self._runner is None:
            self._runner = Runner()
        return evaluate(policies, path, documents, before, runner=self._runner)


def compile_all(rego: Mapping[tuple[str, ...], object]) -> None:
    """Compile every policy list of a loaded policy; raises ConfigError with every problem."""
    problems: list[str] = []
    for policies in rego.values():
        if isinstance(policies, RegoPolicies):
            try:
                policies.compile()
            except ConfigError as exc:
                problems += [p for p in exc.problems if p not in problems]
    if problems:
        raise ConfigError(problems)
