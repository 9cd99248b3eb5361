"""The git adapter against real repositories: refs, ranges, objects, replace refs, the
pre-receive quarantine, failures and the time budget."""

from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path

import pytest
from gwrepo import chain, commit, git, git_env, init, set_ref, tmpdir, write_object

from gitward.deadline import Deadline
from gitward.errors import BudgetExceeded, GitError
from gitward.git import catfile
from gitward.git.repo import Repo

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture
def bare() -> Path:
    return init(tmpdir() / "r.git")


def test_refs_ranges_and_ancestry(bare: Path) -> None:
    base = chain(bare, 3)
    topic = chain(bare, 2, base[-1], prefix="t")
    set_ref(bare, "refs/heads/main", base[-1])
    set_ref(bare, "refs/heads/topic", topic[-1])
    with Repo(bare) as repo:
        assert repo.for_each_ref() == {"refs/heads/main": base[-1], "refs/heads/topic": topic[-1]}
        assert repo.rev_list([topic[-1]], [base[-1]]) == topic[::-1]
        assert repo.rev_list([topic[-1]], []) == (base + topic)[::-1]
        assert repo.rev_list([], [base[0]]) == []
        assert repo.is_ancestor(base[0], topic[-1])
        assert not repo.is_ancestor(topic[-1], base[0])
        assert repo.object_format() == "sha1"
        assert repo.rev_parse("main~1") == base[1]
        assert repo.symbolic_ref() == "refs/heads/main"


def test_sha256_repositories_are_recognised() -> None:
    repo_path = init(tmpdir() / "s.git", object_format="sha256")
    c = commit(repo_path, "x")
    with Repo(repo_path) as repo:
        assert repo.object_format() == "sha256"
        assert len(c) == 64
        assert next(repo.read_objects([c]))[1] == "commit"


def test_read_objects_streams_many_objects_through_one_process(bare: Path) -> None:
    oids = chain(bare, 400)  # > 4 KiB of requests: the writer thread path
    with Repo(bare) as repo:
        got = list(repo.read_objects(oids))
        first = repo._catfile._proc
        assert [o for o, _, _ in got] == oids
        assert all(t == "commit" and b"\n\nc " in raw for _, t, raw in got)
        assert repo.object_type(oids[0]) == "commit"
        assert repo._catfile._proc is first  # still the same long-lived process


def test_missing_objects_fail_closed_and_the_next_read_still_works(bare: Path) -> None:
    good = commit(bare, "x")
    with Repo(bare) as repo:
        with pytest.raises(GitError, match="missing"):
            list(repo.read_objects([good, "0123" * 10]))
        it = repo.read_objects([good, good])
        next(it)
        it.close()  # stopped early: answers are left in the pipe
        assert repo.object_type(good) == "commit"


def test_git_failures_are_one_line_git_errors(bare: Path) -> None:
    with Repo(bare) as repo, pytest.raises(GitError) as err:
        repo.rev_list(["1234" * 10], [])
    assert "\n" not in str(err.value)
    assert str(err.value).startswith("git rev-list failed")
    with Repo(bare) as repo, pytest.raises(GitError, match="odd revision"):
        repo.rev_list(["--all"], [])


def test_replace_refs_never_change_what_we_see(bare: Path) -> None:
    original = commit(bare, "unsigned original\n")
    parent = commit(bare, "parent\n")
    replacement = commit(bare, "signed replacement\n", [parent])
    set_ref(bare, "refs/heads/main", original)
    git(bare, "replace", original, replacement)
    assert "replacement" in git(bare, "log", "-1", "--format=%s", "main")  # git honours it
    with Repo(bare) as repo:
        ((_, _, raw),) = repo.read_objects([original])
        assert b"unsigned original" in raw
        assert repo.rev_list([original], []) == [original]
        assert not repo.is_ancestor(parent, original)


def test_works_inside_the_pre_receive_quarantine(bare: Path) -> None:
    """The pushed objects exist only in the quarantine directory while pre-receive runs."""
    hook = bare / "hooks" / "pre-receive"
    hook.write_text(
        textwrap.dedent(
            f"""\
            #!{sys.executable}
            import sys
            sys.path.insert(0, {str(SRC)!r})
            from gitward.git.repo import Repo
            old, new, ref = sys.stdin.read().split()
            with Repo(".") as repo:
                (_, typ, raw), = repo.read_objects([new])
                print("SEEN", typ, raw.split(b"\\n\\n", 1)[1].decode().strip(), file=sys.stderr)
                print("RANGE", len(repo.rev_list([new], list(repo.for_each_ref().values()))),
                      file=sys.stderr)
            sys.exit(1)
            """
        )
    )
    hook.chmod(0o755)
    work = init(tmpdir() / "w", bare=False)
    git(work, "commit", "-q", "--allow-empty", "-m", "quarantined")
    proc = git_push(work, bare)
    assert "SEEN commit quarantined" in proc
    assert "RANGE 1" in proc
    assert git(bare, "for-each-ref") == ""  # refused, and nothing leaked into the refs
    with Repo(bare) as repo, pytest.raises(GitError):
        list(repo.read_objects([git(work, "rev-parse", "HEAD")]))


def git_push(work: Path, bare: Path) -> str:
    import subprocess

    proc = subprocess.run(
        ["git", "push", str(bare), "HEAD:refs/heads/main"],
        cwd=work,
        env=git_env(),
        capture_output=True,
        check=False,
    )
    return proc.stderr.decode()


def test_location_variables_of_the_caller_do_not_redirect_git(
    bare: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = init(tmpdir() / "other.git")
    c = commit(bare, "here")
    set_ref(bare, "refs/heads/main", c)
    monkeypatch.setenv("GIT_DIR", str(other))
    assert Repo(bare).for_each_ref() == {"refs/heads/main": c}


# -- the time budget ------------------------------------------------------------------------


def fake_git(script: str) -> dict[str, str]:
    """PATH with a `git` that runs `script` (sh) instead."""
    bin_dir = tmpdir("gw-bin-")
    (bin_dir / "git").write_text("#!/bin/sh\n" + script + "\n")
    (bin_dir / "git").chmod(0o755)
    return {"PATH": f"{bin_dir}:{os.environ['PATH']}"}


def test_an_expired_budget_stops_before_running_git(bare: Path) -> None:
    deadline = Deadline(0.01)
    time.sleep(0.02)
    with pytest.raises(BudgetExceeded, match="time budget"):
        Repo(bare).for_each_ref(deadline)


def test_a_hanging_git_command_exceeds_the_budget(bare: Path) -> None:
    repo = Repo(bare, env=fake_git("exec sleep 30"))
    start = time.monotonic()
    with pytest.raises(BudgetExceeded):
        repo.rev_list(["a" * 40], [], Deadline(0.3))
    assert time.monotonic() - start < 5


def test_a_hanging_cat_file_is_killed_when_the_budget_runs_out(bare: Path) -> None:
    repo = Repo(bare, env=fake_git("exec sleep 30"))
    start = time.monotonic()
    with pytest.raises(BudgetExceeded):
        list(repo.read_objects(["a" * 40], Deadline(0.3)))
    assert time.monotonic() - start < 5
    repo.close()


def test_hand_written_objects_are_read_back_verbatim(bare: Path) -> None:
    raw = b"tree " + b"4b825dc642cb6eb9a060e54bf8d69288fbee4904" + b"\nodd header\n\nmsg"
    oid = write_object(bare, "commit", raw)
    with Repo(bare) as repo:
        assert list(repo.read_objects([oid])) == [(oid, "commit", raw)]


def test_blob_contents_are_skipped_and_huge_commits_refused(
    bare: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blob = write_object(bare, "blob", b"x" * 200_000)
    c = commit(bare, "m" * 5000)
    with Repo(bare) as repo:
        got = list(repo.read_objects([blob, c]))
        assert got[0] == (blob, "blob", b"")
        assert got[1][1] == "commit"
        monkeypatch.setattr(catfile, "MAX_OBJECT", 1000)
        with pytest.raises(GitError, match="larger than"):
            list(repo.read_objects([c]))
        monkeypatch.undo()
        assert repo.object_type(c) == "commit"
