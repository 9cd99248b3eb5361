"""What `gitward check` prints: its report as text or JSON, and a progress line for long ranges."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from gitward.model import RefUpdate, Violation

PROGRESS_FROM = 500  # commits; shorter ranges finish before a progress line would help


def json_result(
    update: RefUpdate, rev_range: str, checked: int, found: list[Violation], allowed: bool
) -> dict[str, object]:
    """The `--json` result: `allowed`, the ref and range, commits checked, the violations."""
    return {
        "allowed": allowed,
        "ref": update.ref,
        "range": rev_range,
        "commits_checked": checked,
        "violations": [
            {
                "rule_id": v.rule_id,
                "ref": v.ref,
                "oid": v.oid,
                "message": v.message,
                "hint": v.hint,
                "mode": v.mode,
            }
            for v in found
        ],
    }


def text_lines(update: RefUpdate, checked: int, found: list[Violation]) -> list[str]:
    """The report's lines: each violation (sanitised) with its fix, then a summary line."""
    from gitward.report.sanitize import clean  # noqa: PLC0415

    lines: list[str] = []
    for v in found:
        where = f" {v.oid[:10]}" if v.oid else ""
        mode = "" if v.mode == "enforce" else f" ({v.mode}: not blocking)"
        lines.append(f"{clean(v.rule_id, 80)}{where} {clean(v.ref, 120)}{mode}")
        lines.append(f"  {clean(v.message, 400)}")
        if v.hint:
            lines.append(f"  fix: {clean(v.hint, 400)}")
        lines.append("")
    blocking = sum(v.mode == "enforce" for v in found)
    commits = f"{checked} commit{'s' * (checked != 1)} checked for {clean(update.ref, 120)}"
    if not found:
        lines.append(f"OK: {commits}, no problems")
    else:
        lines.append(
            f"{'REFUSED' if blocking else 'OK'}: {commits}: {blocking} blocking, "
            f"{len(found) - blocking} not blocking"
        )
    return lines


class Progress:
    """`checked 4200/10000 commits` rewritten in place on a terminal, for long ranges."""

    def __init__(self, err: TextIO) -> None:
        self._err = err
        self._shown = False

    def __call__(self, done: int, total: int) -> None:
        if total >= PROGRESS_FROM:
            self._err.write(f"\rchecked {done}/{total} commits")
            self._err.flush()
            self._shown = True

    def done(self) -> None:
        if self._shown:
            self._err.write("\r\x1b[K")  # erase the progress line
            self._err.flush()
