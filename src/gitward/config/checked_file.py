"""Reading one YAML configuration file against its table, all or nothing, for the files that
are not the policy (forges.yaml, admin.yaml): every problem as `FILE:LINE: key.path: ...`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from gitward.config import yamlpos
from gitward.config.fields import Problems
from gitward.config.shapes import Obj
from gitward.errors import ConfigError


def read_checked(
    file: Path, table: Obj, what: str, cross_check: Callable[[Any, Problems], None]
) -> Any:
    """The document of `file` checked by `table`, then by `cross_check` (what a table cannot
    say) when the table found nothing; raises ConfigError listing every problem. `what` names
    the file in the one message about an unreadable file ("the forges file")."""
    try:
        doc = yamlpos.parse(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{file}:1: cannot read {what}: {exc}"]) from None
    except yamlpos.YamlSyntaxError as exc:
        raise ConfigError([f"{file}:{exc.line}: {exc.message}"]) from None
    problems: Problems = []
    checked: Any = table.check(doc.value, (), problems)
    if not problems:
        cross_check(checked, problems)
    if problems or doc.problems:
        found = [*doc.problems, *problems]
        found.sort(key=lambda p: doc.line_of(p[0]))
        raise ConfigError([doc.problem(file, p, m) for p, m in found])
    return checked
