"""gitward reads a commit message as git does: subject (`%s`), body (`%b`) and trailers
(`%(trailers)`), compared with the real `git log` on tricky and on generated messages.

Each batch of messages is written as raw commit objects (`hash-object --literally`: no cleanup,
so a message reaches git exactly as a pusher could craft it) and read back by one `git log`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

import gwrepo
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitward.policy import commitmsg, trailers

# What `git log` prints for each commit, fields split by \x01 (never in a generated message).
FIELDS = (
    "%H",
    "%s",
    "%b",
    "%(trailers:only)",
    "%(trailers:only,unfold)",
    "%(trailers:key=Signed-off-by,valueonly,unfold)",
)
TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # the empty tree


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gwrepo.init(tmp_path_factory.mktemp("msgs") / "r.git")


def git_reads(repo: Path, messages: Sequence[str]) -> dict[str, list[str]]:
    """Message -> the fields `git log` prints for a commit with that message."""
    files = repo / "messages"
    files.mkdir(exist_ok=True)
    paths = []
    for i, message in enumerate(messages):
        path = files / str(i)
        path.write_bytes(gwrepo.raw_commit(TREE, (), message.encode()))
        paths.append(str(path))
    oids = gwrepo.git(
        repo,
        *("hash-object", "-t", "commit", "-w", "--literally", "--stdin-paths"),
        input="\n".join(paths).encode(),
    ).split()
    log = subprocess.run(
        ["git", "log", "--no-walk=unsorted", "--stdin", "-z", "--format=" + "%x01".join(FIELDS)],
        cwd=repo,
        input="\n".join(oids).encode(),
        capture_output=True,
        env=gwrepo.git_env(),
        check=True,
    )
    shown = {}
    for record in log.stdout.decode().split("\0"):
        oid, *fields = record.split("\x01")
        shown[oid] = fields
    return {message: shown[oid] for message, oid in zip(messages, oids, strict=True)}


def gitward_reads(message: str) -> list[str]:
    """The same fields, from gitward's reading of `message`."""
    found = trailers.trailers(message)
    return [
        commitmsg.subject(message),
        commitmsg.body(message),
        "".join(f"{t.key}: {t.value}\n" for t in found),
        "".join(f"{t.key}: {t.unfolded}\n" for t in found),
        "".join(f"{v}\n" for v in trailers.values(message, "Signed-off-by")),
    ]


SOB = "Signed-off-by: Alice Example <alice@example.com>"
TRICKY = [
    "\n" + "x" * 200 + "\n\nbody\n",  # a leading newline: git's subject is the 200 characters
    " \t\r\n\nJIRA-1: x\nwrapped subject\n\nbody\n",
    f"x\n\nquoted log:\n\n    {SOB}\n",  # indented: no trailer
    f"x\n\n{SOB}\n\nmore text after the sign-off\n",  # mid-body: not the last paragraph
    f"{SOB}\n",  # the subject is never a trailer
    f"{SOB}\n\nbody\n",
    "x\n\nSigned-off-by : Alice Example <alice@example.com>\n",  # `Key : value` is a trailer
    "x\n\nsigned-off-by: alice example <ALICE@example.com>\n",
    f"x\n\nbody line\n{SOB}\n",  # a git-written line makes a mixed paragraph trailers
    "x\n\none\ntwo\nthree\nfour\nSigned-off-by: A <a@x>\n",  # ... a quarter: one in five is not
    "x\n\nReviewed-by: B <b@x>\nnot a trailer\n",
    "x\n\nKey: v\n  continued\n\tand again\n",
    "x\n\nKey: v\n# a comment\n  indented after a comment\n",
    f"x\n\n{SOB}\n---\ndiff --git a/f b/f\n",  # commits have no `---` divider
    f"x\n\nbody\n---\n{SOB}\n",
    f"x\r\n\r\n{SOB}\r\n",
    f"x\n\n{SOB}\n# comment\n\n\n",
    f"x\n\n{SOB}\nConflicts:\n\tpath/a\n",
    f"x\n\n{SOB}\n# ------------------------ >8 ------------------------\nOther: y\n",
    f"x\n\n{SOB}\n\f\n",  # a form feed is no space to git
    "x\n\nBug #42: y\nKey\t: tab before the colon\n:no key\nKey:\n",
    "x\n\nKey: a\n\n  \nKey2: b\n",
    "# comment\nx\nKey: in the subject paragraph\n\nKey: v\n",
    "\n\n",
    "",
]


def test_tricky_messages_read_as_git_log_reads_them(repo: Path) -> None:
    git = git_reads(repo, TRICKY)
    for message in TRICKY:
        assert gitward_reads(message) == git[message], message


# Lines that are, or nearly are, trailers; and lines around them.
TRAILERISH = [
    SOB,
    "signed-off-by: alice example <alice@example.com>",
    "Signed-off-by : Bob <bob@example.com>",
    "Signed-off-by:Carol <c@x>",
    "Signed-off-by: ",
    "  Signed-off-by: Quoted <q@x>",
    "> Signed-off-by: Quoted <q@x>",
    "(cherry picked from commit 1234abcd)",
    "Key: value",
    "Key : value",
    "Co-authored-by: Dee <d@x>",
    "Bug #42",
    "Key\t: v",
    "Key x: v",
    ":no key",
    "Key:",
    "  continued",
    "\tcontinued",
    "# comment",
    "#Key: v",
    "plain text",
]
LINES = st.sampled_from(
    [
        *([""] * 6),
        " ",
        "\t ",
        "\r",
        "\f",
        "\v",
        *TRAILERISH,
        "---",
        "--- a/file",
        "Conflicts:",
        "\tpath/file",
        "# ------------------------ >8 ------------------------",
        'Revert "x"',
        "Sïgned-off-by: x",
        "Ключ: значение",
        "a\x85b\u2028c",
    ]
)
TEXT = st.text(
    st.characters(codec="utf-8", exclude_characters="\0\x01\n"), max_size=8
)  # NUL ends a message for git (gitward cuts it there when reading the object)


@st.composite
def messages(draw: st.DrawFn) -> str:
    lines = draw(st.lists(st.one_of(LINES, LINES, TEXT), max_size=12))
    if draw(st.booleans()):  # end with a paragraph of mostly trailer-like lines
        lines += ["", *draw(st.lists(st.sampled_from(TRAILERISH), min_size=1, max_size=6))]
    ends = [draw(st.sampled_from(["\n", "\n", "\n", "\r\n"])) for _ in lines]
    text = "".join(line + end for line, end in zip(lines, ends, strict=True))
    return text[:-1] if text.endswith("\n") and draw(st.booleans()) else text


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(messages(), min_size=1, max_size=20, unique=True))
def test_generated_messages_read_as_git_log_reads_them(repo: Path, batch: list[str]) -> None:
    git = git_reads(repo, batch)
    for message in batch:
        assert gitward_reads(message) == git[message], message
