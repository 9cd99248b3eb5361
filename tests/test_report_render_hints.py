"""The report shows a fix-it hint part by part ("; " starts a new line), each part cut on its
own: a long command never pushes the bypass advice after it off the report."""

from __future__ import annotations

from gitward.model import Verdict, Violation
from gitward.report.render import HINT_LEN, PREFIX, render


def test_each_part_of_a_hint_is_shown_whole_up_to_the_limit() -> None:
    command = (
        "run `git -c user.email=" + "a" * 150 + "@example.com commit --amend -S` and push again"
    )
    bypass = 'or bypass this rule: push again with `-o gitward.reason="..."` added, ' + "x" * 80
    assert len(command) < HINT_LEN and len(bypass) < HINT_LEN < len(command) + len(bypass)
    v = Violation("r/committer-email", "refs/heads/main", "wrong e-mail", f"{command}; {bypass}")
    lines = render(Verdict((v,)))
    assert f"{PREFIX}    fix: {command}" in lines
    assert f"{PREFIX}         {bypass}" in lines
    too_long = "run `" + "y" * (HINT_LEN + 10) + "`"
    (cut,) = [ln for ln in render(Verdict((v._replace(hint=too_long),))) if "fix:" in ln]
    assert len(cut.removeprefix(f"{PREFIX}    fix: ")) == HINT_LEN
