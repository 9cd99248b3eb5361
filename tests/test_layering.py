"""The package's layers, read from its source: front ends on top, nothing imports them back.

`hook/` and `cli/` are front ends: the engine, the adapters and the next front ends (the webhook
receiver, the admin page) must reuse everything else without importing hook or CLI code. Every
import counts, also one inside a function or under `TYPE_CHECKING`: a cycle through either is
still a cycle a reader has to untangle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import gitward

PACKAGE = Path(gitward.__file__).parent
FRONT_ENDS = ("gitward.hook", "gitward.cli", "gitward.__main__")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The gitward modules `name` imports (`from pkg import sub` counts as `pkg.sub`)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in known else base)
    return {m for m in found if m in known and m != name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, set(modules)) for name, path in modules.items()}


def _in(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_nothing_outside_the_front_ends_imports_them() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, targets in _graph().items()
        if not _in(module, FRONT_ENDS)
        for target in sorted(targets)
        if _in(target, FRONT_ENDS)
    ]
    assert wrong == []


def test_the_cli_is_imported_by_nothing_but_itself() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, targets in _graph().items()
        if not _in(module, ("gitward.cli", "gitward.__main__"))
        for target in sorted(targets)
        if _in(target, ("gitward.cli",))
    ]
    assert wrong == []


def test_modules_import_each_other_without_cycles() -> None:
    graph = _graph()
    # A package's __init__ that imports its own submodules is the package's front door,
    # not a cycle: leave the edge from a submodule to its parent package out.
    edges = {m: {t for t in ts if not m.startswith(t + ".")} for m, ts in graph.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges[module]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_layering_test_sees_the_package() -> None:
    # Guards the tests above against passing on an empty graph (a moved package, a bad glob).
    graph = _graph()
    assert "gitward.hook.main" in graph
    assert "gitward.facts.gather" in graph["gitward.hook.main"]
    assert "gitward.policy.engine" in graph
