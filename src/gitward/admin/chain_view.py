"""The audit chain's state as the audit page shows it, from `audit.chain.state`: the very check
`gitward audit verify` makes (of the current file; a rotated predecessor is named, not read)."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from gitward.audit import chain


class ChainView(NamedTuple):
    status: str  # "intact" | "broken" | "empty" | "missing" | "unreadable"
    lines: int = 0
    head: str = ""  # the last line's hash (what the next line will carry as `prev`)
    first_break: str = ""  # "file:line" of the first broken line
    why: str = ""  # why it breaks there, or why the log could not be read
    broken: int = 0  # broken lines in all
    unchained: int = 0  # lines written before the log was chained (not protected)
    continues: str = ""  # the rotated file the log's first line continues


def view(path: Path) -> ChainView:
    """The chain's state of the log at `path`. Never raises for a log that cannot be read:
    that is a state to show (and not an intact one)."""
    if not path.exists():
        return ChainView("missing", why=f"{path} does not exist yet (nothing recorded)")
    try:
        found = chain.state(path)
    except OSError as exc:
        return ChainView("unreadable", why=f"{path}: {exc.strerror or exc}")
    unchained = found.lines if found.first_chained is None else found.first_chained[1] - 1
    shown = ChainView(
        "intact" if found.head else "empty",
        lines=found.lines,
        head=found.head or "",
        unchained=unchained,
        continues=found.continues or "",
    )
    if found.intact:
        return shown
    first = found.breaks[0]
    return shown._replace(
        status="broken", first_break=f"{first.file}:{first.line}", why=first.why,
        broken=found.broken,
    )  # fmt: skip
