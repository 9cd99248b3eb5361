"""Reading the policy from a git repository, piece by piece: the pointer file, the reads in the
policy repository (never the pushed one's), the per-commit copy, the last commit used, and
`config.locate` / `config.load` over them. The end-to-end story is test_e2e_policy_repo.py."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

import gwrepo
import pytest

from gitward import config
from gitward.config.policyrepo import cache, gitread, incoming, pointer, state
from gitward.errors import ConfigError, GitError, PolicyRollback
from gitward.model import RefUpdate

MAIN = "refs/heads/main"
POLICY = b"version: 1\nrules: []\n"


class Source:
    """A bare policy repository and a config directory pointing at it."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.repo = gwrepo.init(tmp / "policy.git")
        self.etc = tmp / "etc"
        self.etc.mkdir()
        self.file = self.etc / config.POINTER
        self.file.write_text(f"repository: {self.repo}\n")
        self.indexes = 0
        self.first = self.commit({"policy.yaml": POLICY})

    def commit(
        self,
        files: Mapping[str, bytes | tuple[str, bytes]],
        parents: tuple[str, ...] = (),
        *,
        move: bool = True,
    ) -> str:
        """A commit of exactly `files` (path -> content, or (mode, content)); moves main."""
        self.indexes += 1
        env = {"GIT_INDEX_FILE": str(self.tmp / f"index-{self.indexes}")}
        for path, value in files.items():
            mode, data = value if isinstance(value, tuple) else ("100644", value)
            oid = gwrepo.git(self.repo, "hash-object", "-w", "--stdin", input=data)
            info = f"{mode},{oid},{path}"
            gwrepo.git(self.repo, "update-index", "--add", "--cacheinfo", info, env=env)
        tree = gwrepo.git(self.repo, "write-tree", env=env)
        oid = gwrepo.commit(self.repo, f"policy {self.indexes}", parents, tree=tree)
        if move:
            gwrepo.set_ref(self.repo, MAIN, oid)
        return oid

    @property
    def pointer(self) -> pointer.Pointer:
        return pointer.read(self.file)

    @property
    def last(self) -> str:
        return (self.etc / "policy-state" / state.FILE).read_text().strip()


@pytest.fixture
def src(tmp_path: Path) -> Source:
    return Source(tmp_path)


# -- the pointer ---------------------------------------------------------------------------


def test_a_pointer_names_a_repository_and_defaults_the_rest(src: Source) -> None:
    assert src.pointer == pointer.Pointer(src.file, src.repo, MAIN, src.etc / "policy-state", None)


def test_relative_paths_start_at_the_pointer(src: Source) -> None:
    src.file.write_text(
        "repository: ../policy.git\nref: refs/heads/policy\nstate_dir: /var/lib/gw\n"
        "edits: {signing_key: /k, name: Page, email: page@example.com}\n"
    )
    found = src.pointer
    assert found.repository == src.etc / "../policy.git"
    assert (found.ref, found.state_dir) == ("refs/heads/policy", Path("/var/lib/gw"))
    assert found.edits == pointer.ServiceKey("/k", "ssh", "Page", "page@example.com")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("ref: refs/heads/main\n", "1: missing required key 'repository'"),
        ("repository: /x\nref: refs/heads/../../etc\n", "2: ref: expected a full ref name"),
        ("repository: /x\nref: main\n", "2: ref: expected a full ref name"),
        ("repository: /x\nreference: refs/heads/main\n", "2: reference: unknown key"),
        ("repository: /x\nedits: {signing_key: /k}\n", "2: edits: missing required key 'name'"),
        ("repository: [\n", "2: "),
    ],
)
def test_a_bad_pointer_is_refused_with_its_line(src: Source, text: str, problem: str) -> None:
    src.file.write_text(text)
    with pytest.raises(ConfigError) as info:
        pointer.read(src.file)
    assert info.value.problems[0].startswith(f"{src.file}:{problem}")


def test_an_unreadable_pointer_is_refused(src: Source) -> None:
    src.file.write_bytes(b"\xff\xfe")
    with pytest.raises(ConfigError, match="cannot read the policy pointer"):
        pointer.read(src.file)


def test_what_install_writes_reads_back(src: Source) -> None:
    text = pointer.render(Path('/srv/a "b".git'), "refs/heads/main")
    assert pointer.parse(text, src.file).repository == Path('/srv/a "b".git')


# -- reads in the policy repository ---------------------------------------------------------


def test_the_ref_is_read_from_the_files_loose_or_packed(src: Source) -> None:
    assert gitread.ref_commit(src.repo, MAIN) == src.first
    gwrepo.git(src.repo, "pack-refs", "--all")
    assert not (src.repo / MAIN).exists()
    assert gitread.ref_commit(src.repo, MAIN) == src.first


def test_other_refs_ask_git(src: Source, monkeypatch: pytest.MonkeyPatch) -> None:
    gwrepo.git(src.repo, "symbolic-ref", "refs/heads/alias", MAIN)
    assert gitread.ref_commit(src.repo, "refs/heads/alias") == src.first
    (src.repo / "packed-refs").write_text(f"nothex {MAIN}\n")
    (src.repo / MAIN).unlink()
    with pytest.raises(GitError, match=r"git rev-parse failed .* unexpected line"):
        gitread.ref_commit(src.repo, MAIN)  # not taken from the file: git's own verdict
    (src.repo / "packed-refs").write_text(f"# pack-refs with: peeled\n{src.first} refs/x\n")
    with pytest.raises(GitError, match="does not exist"):
        gitread.ref_commit(src.repo, MAIN)
    (src.repo / "packed-refs").unlink()
    with pytest.raises(GitError, match="does not exist"):
        gitread.ref_commit(src.repo, MAIN)


def test_an_unreadable_ref_file_asks_git(src: Source) -> None:
    (src.repo / "refs" / "heads" / "dir").mkdir()
    with pytest.raises(GitError, match="does not exist"):
        gitread.ref_commit(src.repo, "refs/heads/dir")


def test_the_pushed_repositorys_variables_never_reach_git(
    src: Source, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What git gives a pre-receive hook of another repository (and its quarantine).
    other = gwrepo.init(tmp_path / "other.git")
    monkeypatch.setenv("GIT_DIR", str(other))
    monkeypatch.setenv("GIT_OBJECT_DIRECTORY", str(tmp_path / "nowhere"))
    monkeypatch.setenv("GIT_QUARANTINE_PATH", str(tmp_path / "nowhere"))
    monkeypatch.setenv("GIT_NAMESPACE", "ns")
    gwrepo.git(src.repo, "pack-refs", "--all")
    (src.repo / "packed-refs").write_text("")  # make gitread ask git (symbolic ref below)
    gwrepo.git(src.repo, "update-ref", MAIN, src.first)
    gwrepo.git(src.repo, "symbolic-ref", "refs/heads/alias", MAIN)
    assert gitread.ref_commit(src.repo, "refs/heads/alias") == src.first
    env = gitread.environment(src.repo)
    assert env["GIT_DIR"] == str(src.repo)
    assert not {"GIT_OBJECT_DIRECTORY", "GIT_QUARANTINE_PATH", "GIT_NAMESPACE"} & set(env)


def test_descends(src: Source) -> None:
    second = src.commit({"policy.yaml": POLICY + b"# 2\n"}, (src.first,))
    side = src.commit({"policy.yaml": POLICY + b"# side\n"}, move=False)
    assert gitread.descends(src.repo, src.first, second)
    assert gitread.descends(src.repo, second, second)
    assert not gitread.descends(src.repo, second, src.first)
    assert not gitread.descends(src.repo, side, second)
    assert not gitread.descends(src.repo, "e" * 40, second)  # unknown: cannot be shown


def test_git_failures_are_one_line(src: Source, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(GitError, match=r"git cat-file failed in .*: fatal: Not a valid"):
        gitread.run(src.repo, ["cat-file", "-p", "nosuchthing"])
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(GitError, match="cannot run git rev-parse"):
        gitread.run(src.repo, ["rev-parse"])


# -- the per-commit copy --------------------------------------------------------------------


def test_a_commit_is_copied_once_with_its_modes(src: Source, tmp_path: Path) -> None:
    files: dict[str, bytes | tuple[str, bytes]] = {"policy.yaml": POLICY, "signers/a.yaml": b"x"}
    files["bin/tool"] = ("100755", b"#!/bin/sh\n")
    commit = src.commit(files)
    copy = cache.materialise(src.repo, commit, tmp_path / "trees")
    assert copy == tmp_path / "trees" / commit
    assert (copy / "signers" / "a.yaml").read_bytes() == b"x"
    assert os.access(copy / "bin" / "tool", os.X_OK)
    assert not os.access(copy / "policy.yaml", os.X_OK)
    assert [p.name for p in (tmp_path / "trees").iterdir()] == [commit]  # no leftovers
    (copy / "policy.yaml").write_bytes(b"changed")
    assert cache.materialise(src.repo, commit, tmp_path / "trees") == copy  # not read again
    assert (copy / "policy.yaml").read_bytes() == b"changed"


def raw_tree(repo: Path, entries: list[tuple[str, bytes, str]]) -> str:
    """A tree object git would refuse to build itself: (mode, name, object id)."""
    data = b"".join(m.encode() + b" " + n + b"\0" + bytes.fromhex(o) for m, n, o in entries)
    return gwrepo.git(repo, "hash-object", "-t", "tree", "--literally", "-w", "--stdin", input=data)


@pytest.mark.parametrize(
    ("mode", "name", "problem"),
    [
        ("120000", b"signers", "signers is a symbolic link; only files and directories are read"),
        ("160000", b"sub", "sub is a commit (mode 160000); only files and directories are read"),
        ("100644", b"..", "'..' is not a file name gitward copies"),
        ("100644", b".git", "'.git' is not a file name gitward copies"),
    ],
)
def test_what_could_lead_out_of_the_copy_is_refused(
    src: Source, tmp_path: Path, mode: str, name: bytes, problem: str
) -> None:
    blob = gwrepo.git(src.repo, "hash-object", "-w", "--stdin", input=b"../../etc")
    target = src.first if mode == "160000" else blob
    policy = gwrepo.git(src.repo, "hash-object", "-w", "--stdin", input=POLICY)
    tree = raw_tree(src.repo, [(mode, name, target), ("100644", b"policy.yaml", policy)])
    commit = gwrepo.commit(src.repo, "hostile", tree=tree)
    with pytest.raises(ConfigError) as info:
        cache.materialise(src.repo, commit, tmp_path / "trees")
    assert info.value.problems == [f"policy commit {commit}: {problem}"]
    assert not (tmp_path / "trees").exists()


def test_a_huge_tree_is_refused(
    src: Source, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit = src.commit({"policy.yaml": POLICY, "README": b"x" * 100})
    monkeypatch.setattr(cache, "MAX_BYTES", 100)
    with pytest.raises(ConfigError, match="more than 100 bytes"):
        cache.materialise(src.repo, commit, tmp_path / "trees")
    monkeypatch.setattr(cache, "MAX_FILES", 1)
    with pytest.raises(ConfigError, match="more than 1 files"):
        cache.materialise(src.repo, commit, tmp_path / "trees")


def test_an_odd_listing_is_refused(
    src: Source, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def odd(repository: Path, args: list[str], **kw: object) -> subprocess.CompletedProcess[bytes]:
        out = b"100644 blob\tpolicy.yaml\0" if args[0] == "ls-tree" else b"commit\n"
        return subprocess.CompletedProcess(args, 0, out, b"")

    monkeypatch.setattr(gitread, "run", odd)
    with pytest.raises(GitError, match="git ls-tree printed an odd line"):
        cache.materialise(src.repo, src.first, tmp_path / "trees")


def test_only_a_commit_is_copied(src: Source, tmp_path: Path) -> None:
    tree = gwrepo.git(src.repo, "rev-parse", f"{src.first}^{{tree}}")
    with pytest.raises(GitError, match=f"{tree} in .* is not a commit \\(tree\\)"):
        cache.materialise(src.repo, tree, tmp_path / "trees")
    with pytest.raises(GitError, match="is not a commit \\(missing\\)"):
        cache.materialise(src.repo, "e" * 40, tmp_path / "trees")


def test_a_missing_blob_is_refused(src: Source, tmp_path: Path) -> None:
    with pytest.raises(GitError, match=f"cannot read blob {'e' * 40}"):
        cache._read_blobs(src.repo, ["e" * 40])
    assert cache._read_blobs(src.repo, []) == []


def test_a_racing_copy_that_won_is_used(
    src: Source, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trees = tmp_path / "trees"
    real_rename = Path.rename

    def racing(self: Path, target: Path) -> Path:
        Path(target).mkdir(parents=True)  # another push finished first
        (Path(target) / "policy.yaml").write_bytes(POLICY)
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", racing)
    assert cache.materialise(src.repo, src.first, trees) == trees / src.first
    assert [p.name for p in trees.iterdir()] == [src.first]


def test_a_failed_rename_is_a_failure(
    src: Source, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(self: Path, target: Path) -> Path:
        raise PermissionError("read-only")

    monkeypatch.setattr(Path, "rename", failing)
    with pytest.raises(PermissionError):
        cache.materialise(src.repo, src.first, tmp_path / "trees")
    assert list((tmp_path / "trees").iterdir()) == []


# -- the last commit used -------------------------------------------------------------------


def test_the_state_file_is_read_strictly(tmp_path: Path) -> None:
    assert state.read(tmp_path) is None
    (tmp_path / state.FILE).write_text("not an id\n")
    with pytest.raises(ConfigError, match="expected a commit id, got 'not an id'"):
        state.read(tmp_path)
    (tmp_path / state.FILE).unlink()
    (tmp_path / state.FILE).mkdir()
    with pytest.raises(ConfigError, match="cannot read the last policy commit used"):
        state.read(tmp_path)


def test_the_record_only_moves_forward(src: Source) -> None:
    states = src.tmp / "state"
    second = src.commit({"policy.yaml": POLICY + b"# 2\n"}, (src.first,))
    state.advance(states, src.repo, None, src.first)
    assert state.read(states) == src.first
    state.advance(states, src.repo, src.first, second)
    assert state.read(states) == second
    state.advance(states, src.repo, src.first, second)  # already there
    # A run that started before `second` was recorded must not put `first` back.
    state.advance(states, src.repo, None, src.first)
    assert state.read(states) == second
    third = src.commit({"policy.yaml": POLICY + b"# 3\n"}, (second,))
    state.advance(states, src.repo, src.first, third)  # recorded meanwhile, and descended
    assert state.read(states) == third


@pytest.fixture
def held(src: Source) -> Iterator[Path]:
    states = src.etc / "policy-state"
    states.mkdir()
    proc = subprocess.Popen(
        ["python3", "-c", "import fcntl,sys; f=open(sys.argv[1],'a'); "
         "fcntl.flock(f, fcntl.LOCK_EX); print('x', flush=True); sys.stdin.read()",
         str(states / state.LOCK)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stdin is not None
    assert proc.stdout.readline() == "x\n"
    yield states
    proc.stdin.close()
    proc.wait(timeout=30)
    proc.stdout.close()


def test_a_held_lock_refuses_to_record(
    src: Source, held: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(state, "LOCK_WAIT", 0.05)
    with pytest.raises(ConfigError, match="held by another process"):
        state.advance(held, src.repo, None, src.first)
    with pytest.raises(ConfigError, match="held by another process"):
        config.load(src.etc)  # the hook refuses rather than not record


# -- config.locate / config.load ------------------------------------------------------------


def test_the_policy_loads_from_the_refs_commit_and_records_it(src: Source) -> None:
    loaded = config.load(src.etc)
    assert loaded.policy_commit == src.first
    assert loaded.path == src.etc / "policy-state" / "trees" / src.first / "policy.yaml"
    assert loaded.audit_log == src.etc / "audit.jsonl"  # the server's, not the copy's
    assert src.last == src.first
    for asked in (src.etc / "policy.yaml", src.file):  # the receiver's path, the pointer
        assert config.load(asked).policy_commit == src.first


def test_a_directory_holding_both_is_refused(src: Source) -> None:
    (src.etc / "policy.yaml").write_bytes(POLICY)
    with pytest.raises(ConfigError, match=r"policy-repo\.yaml beside it says the policy comes"):
        config.locate(src.etc)


def test_a_missing_ref_names_the_pointer(src: Source) -> None:
    src.file.write_text(f"repository: {src.repo}\nref: refs/heads/nothing\n")
    with pytest.raises(ConfigError, match=f"{src.file}:1: refs/heads/nothing does not exist"):
        config.locate(src.etc)


def test_a_commit_that_is_not_a_descendant_is_refused(src: Source) -> None:
    settings = b"settings: {audit_log: /var/log/gw.jsonl}\n"
    second = src.commit({"policy.yaml": POLICY + settings}, (src.first,))
    assert config.load(src.etc).policy_commit == second
    gwrepo.set_ref(src.repo, MAIN, src.first)  # back to the first
    with pytest.raises(PolicyRollback) as info:
        config.locate(src.etc)
    (line,) = info.value.problems
    assert line == (
        f"{src.file}:1: {MAIN} of {src.repo} names {src.first}, which does not descend from "
        f"{second}, the policy commit last used: refusing to go back to an older policy "
        f"(to start over from it on purpose, remove {src.etc / 'policy-state' / 'last-commit'})"
    )
    assert info.value.audit_log == Path("/var/log/gw.jsonl")  # the last policy's log
    side = src.commit({"policy.yaml": POLICY + b"# side\n"})  # unrelated history
    with pytest.raises(PolicyRollback):
        config.locate(src.etc)
    gwrepo.set_ref(src.repo, MAIN, second)
    assert config.load(src.etc).policy_commit == second
    assert side


def test_a_refusal_logs_to_the_default_place_when_the_last_policy_is_gone(src: Source) -> None:
    states = src.etc / "policy-state"
    states.mkdir()
    (states / state.FILE).write_text("e" * 40 + "\n")  # not in the repository (any more)
    with pytest.raises(PolicyRollback) as info:
        config.locate(src.etc)
    assert info.value.audit_log == src.etc / "audit.jsonl"


@pytest.mark.parametrize("where", ["/etc/elsewhere", "../../../x", "../x"])
def test_signers_must_be_inside_the_repository(src: Source, where: str) -> None:
    src.commit({"policy.yaml": POLICY + f"settings: {{signers_dir: '{where}'}}\n".encode()})
    located = config.locate(src.etc)
    assert located.document is None
    assert located.problems[-1].endswith(
        f"policy.yaml:3: settings.signers_dir: expected a directory inside the policy "
        f"repository, got '{where}'"
    )
    with pytest.raises(ConfigError):
        config.load(src.etc)


def test_paths_inside_are_fine_and_broken_settings_keep_defaults(src: Source) -> None:
    text = POLICY + b"settings: {signers_dir: people/../people, audit_log: logs/a.jsonl}\n"
    src.commit({"policy.yaml": text})
    located = config.locate(src.etc)
    assert located.problems == ()
    assert located.signers_dir.name == "people"
    assert located.audit_log == src.etc / "logs" / "a.jsonl"
    src.commit({"policy.yaml": POLICY + b"settings: {audit_log: 5}\n"})
    located = config.locate(src.etc)
    assert not located.settings_ok
    assert located.audit_log == src.etc / "audit.jsonl"


def test_a_failure_to_record_refuses(src: Source, monkeypatch: pytest.MonkeyPatch) -> None:
    def unwritable(*args: object) -> None:
        raise PermissionError("read-only file system")

    monkeypatch.setattr(state, "advance", unwritable)
    with pytest.raises(ConfigError, match="cannot record the policy commit: read-only"):
        config.load(src.etc)

    def git_failed(*args: object) -> None:
        raise GitError("git merge-base failed")

    monkeypatch.setattr(state, "advance", git_failed)
    with pytest.raises(ConfigError, match=f"{src.file}:1: git merge-base failed"):
        config.load(src.etc)


def test_an_unchanged_policy_records_nothing(src: Source, monkeypatch: pytest.MonkeyPatch) -> None:
    config.load(src.etc)
    monkeypatch.setattr(state, "advance", None)  # would fail if called
    assert config.load(src.etc).policy_commit == src.first


def test_the_policy_repository_is_recognised(src: Source, tmp_path: Path) -> None:
    text = POLICY + b"policy_repository_rules: []\n"
    commit = src.commit({"policy.yaml": text})
    located = config.locate(src.etc)
    loaded = config.load_located(located)
    assert located.from_repo is not None
    update = RefUpdate(commit, commit, MAIN)
    own, refused = incoming.for_push(loaded, located.from_repo, src.repo, [update], {})
    assert (own.policy.rules, refused) == ((), ())
    (tmp_path / "app.git").mkdir()
    for elsewhere in (tmp_path / "app.git", tmp_path / "missing.git"):
        assert incoming.for_push(loaded, located.from_repo, elsewhere, [update], {}) == (
            loaded,
            (),
        )


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"policy.yaml": b"version: 2\nrules: []\n"},
         "the policy at {new} does not load: policy.yaml:1: version: expected 1, got 2"),
        ({"policy.yaml": b"version: 2\nrulez: []\n"},
         "the policy at {new} does not load: policy.yaml:1: version: expected 1, got 2 "
         "(and 2 more)"),
        ({"README": b"no policy"},
         "the policy at {new} does not load: policy.yaml:1: cannot read the policy file"),
        ({"policy.yaml": POLICY, "link": ("120000", b"/etc")},
         "the policy at {new} does not load: policy commit {commit}: link is a symbolic link"),
    ],
)  # fmt: skip
def test_a_policy_that_would_not_load_is_refused_on_its_ref(
    src: Source, files: Mapping[str, bytes | tuple[str, bytes]], message: str
) -> None:
    located = config.locate(src.etc)
    loaded = config.load_located(located)
    assert located.from_repo is not None
    new = src.commit(files, (src.first,), move=False)
    update = RefUpdate(src.first, new, MAIN)
    _, (violation,) = incoming.for_push(loaded, located.from_repo, src.repo, [update], {})
    assert violation.rule_id == "builtin/policy-ref"
    assert violation.message.startswith(message.format(new=new[:10], commit=new))
    other = RefUpdate(src.first, new, "refs/heads/draft")  # only the policy's ref matters
    assert incoming.for_push(loaded, located.from_repo, src.repo, [other], {})[1] == ()


def test_the_policy_ref_is_neither_deleted_nor_moved_back(src: Source) -> None:
    second = src.commit({"policy.yaml": POLICY + b"# 2\n"}, (src.first,))
    located = config.locate(src.etc)
    loaded = config.load_located(located)
    assert located.from_repo is not None
    updates = [RefUpdate(second, "0" * 40, MAIN), RefUpdate(second, src.first, MAIN)]
    _, refused = incoming.for_push(loaded, located.from_repo, src.repo, updates, {})
    assert [v.message for v in refused] == [
        "deleting the policy's ref would leave every repository without a policy",
        f"{src.first[:10]} does not descend from {second[:10]}, the policy in use: the policy "
        "only moves forward",
    ]


def test_a_name_held_twice_is_refused(src: Source, tmp_path: Path) -> None:
    # git shows the first `policy.yaml` (`git show`, a checkout); a copy would keep the last.
    shown = gwrepo.git(src.repo, "hash-object", "-w", "--stdin", input=POLICY)
    hidden = gwrepo.git(src.repo, "hash-object", "-w", "--stdin", input=POLICY + b"# other\n")
    entries = [("100644", b"policy.yaml", shown), ("100644", b"policy.yaml", hidden)]
    commit = gwrepo.commit(src.repo, "twice", tree=raw_tree(src.repo, entries))
    assert gwrepo.git(src.repo, "show", f"{commit}:policy.yaml").encode() + b"\n" == POLICY
    with pytest.raises(ConfigError) as info:
        cache.materialise(src.repo, commit, tmp_path / "trees")
    problem = "'policy.yaml' appears twice in its tree; git shows only the first"
    assert info.value.problems == [f"policy commit {commit}: {problem}"]
    assert not (tmp_path / "trees").exists()


@pytest.fixture
def group_umask() -> Iterator[None]:
    """The umask of a server whose accounts share a group (002, many distributions' default)."""
    old = os.umask(0o002)
    try:
        yield
    finally:
        os.umask(old)


def test_the_state_and_its_copies_are_writable_by_this_account_only(
    src: Source, group_umask: None
) -> None:
    # Anyone else able to write there could edit the copy in use (add a signer, with no push
    # and no record) or the last commit used (undo the "no step back").
    commit = src.commit({"policy.yaml": POLICY, "signers/keys/README": b"keys\n"})
    config.load_located(config.locate(src.etc))
    state_dir = src.etc / "policy-state"
    made = [state_dir, *state_dir.rglob("*")]
    assert state_dir / "trees" / commit / "signers" in made
    writable = [p for p in made if p.stat().st_mode & 0o022]
    assert writable == []


def test_a_load_racing_a_policy_change_is_no_rollback(
    src: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    # This run reads the ref; before it reads the state, the policy moves forward and another
    # run loads and records the new commit. The ref was never moved back: no refusal.
    config.load(src.etc)
    second = src.commit({"policy.yaml": POLICY + b"# 2\n"}, (src.first,), move=False)
    read_ref = gitread.ref_commit

    def then_another_run(repository: Path, ref: str) -> str:
        found = read_ref(repository, ref)
        monkeypatch.setattr(gitread, "ref_commit", read_ref)
        gwrepo.set_ref(src.repo, MAIN, second)
        assert config.load(src.etc).policy_commit == second
        return found

    monkeypatch.setattr(gitread, "ref_commit", then_another_run)
    assert config.load(src.etc).policy_commit in (src.first, second)
    assert src.last == second  # and the record did not move back
