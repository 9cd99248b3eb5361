"""Who pushes: one detector per forge, the first whose marker variables are present decides."""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from gitward.hook.ancestry import MAX_ANCESTORS, program
from gitward.hook.pusher import DETECTORS, detect, push_options
from gitward.model import Pusher

REPO = Path("/srv/git/team/app.git")


# The hook's ancestor processes (argv, nearest first) as /proc shows them for each transport.
LOCAL_PUSH = [
    ["git-receive-pack", "/srv/git/team/app.git"],
    ["/bin/sh", "-c", "git-receive-pack '/srv/git/team/app.git'"],
    ["git", "-c", "protocol.version=2", "push", "file:///srv/git/team/app.git", "main"],
    ["bash"],
]
DAEMON = [
    ["/usr/lib/git-core/git", "receive-pack", "."],
    ["/usr/lib/git-core/git-daemon", "--serve", "--export-all", "--enable=receive-pack"],
    ["/usr/lib/git-core/git-daemon", "--export-all", "--enable=receive-pack"],
    ["git", "daemon", "--export-all", "--enable=receive-pack"],
]
# `ext::git daemon --inetd ...` pushed from a local shell: the daemon is nearer than `git push`.
EXT_INETD = [
    ["/usr/lib/git-core/git", "receive-pack", "."],
    ["/usr/lib/git-core/git-daemon", "--inetd", "--export-all", "--enable=receive-pack"],
    ["/usr/lib/git-core/git", "daemon", "--inetd", "--export-all", "--enable=receive-pack"],
    ["/usr/lib/git-core/git", "remote-ext", "ext::git daemon --inetd %G/app.git"],
    ["git", "push", "ext::git daemon --inetd %G/app.git", "main"],
]
SSH = [["git-receive-pack", "/srv/git/team/app.git"], ["sshd: dave@notty"], ["sshd"]]
ACCOUNT = pwd.getpwuid(os.geteuid()).pw_name


def tree(*chains: list[list[str]]) -> Callable[[], list[list[str]]]:
    return lambda: [argv for chain in chains for argv in chain]


@pytest.mark.parametrize(
    ("env", "ancestors", "pusher", "repository"),
    [
        (
            {
                "GITEA_PUSHER_NAME": "alice",
                "GITEA_PUSHER_ID": "3",
                "GITEA_PUSHER_EMAIL": "alice@example.com",
                "GITEA_REPO_USER_NAME": "team",
                "GITEA_REPO_NAME": "app",
                "SSH_CONNECTION": "10.0.0.1 5000 10.0.0.2 22",
                "USER": "git",
            },
            SSH,
            Pusher("alice", "gitea", "3", "alice@example.com"),
            "team/app",
        ),
        (
            # A merge in Gitea's web UI: Gitea runs `git push` itself, naming who clicked.
            {"GITEA_PUSHER_NAME": "alice", "GITEA_REPO_NAME": "app"},
            LOCAL_PUSH,
            Pusher("alice", "gitea"),
            "app",
        ),
        (
            {"GITHUB_USER_LOGIN": "octocat", "GITHUB_REPO_NAME": "org/app", "GITHUB_VIA": "git"},
            [],
            Pusher("octocat", "github-enterprise"),
            "org/app",
        ),
        (
            {"GL_USERNAME": "dev", "GL_ID": "user-7", "GL_PROJECT_PATH": "grp/app"},
            [],
            Pusher("dev", "gitlab", "user-7"),
            "grp/app",
        ),
        ({"GL_USER": "carol", "GL_REPO": "app"}, SSH, Pusher("carol", "gitolite"), "app"),
        (
            {"GATEWAY_INTERFACE": "CGI/1.1", "REMOTE_USER": "bob", "REMOTE_ADDR": "::1"},
            [],
            Pusher("bob", "http"),
            str(REPO),
        ),
        (
            {"GATEWAY_INTERFACE": "CGI/1.1", "REMOTE_ADDR": "::1"},
            [],
            Pusher(None, "http"),
            str(REPO),
        ),
        (
            {"REMOTE_ADDR": "127.0.0.1", "USER": "git"},
            DAEMON,
            Pusher(None, "git-daemon"),
            str(REPO),
        ),
        # No /proc: the listening daemon's variable still tells.
        ({"REMOTE_ADDR": "127.0.0.1", "USER": "git"}, [], Pusher(None, "git-daemon"), str(REPO)),
        # A daemon started where identity variables were set passes them on: they are not the
        # pusher's, whichever front end they name.
        (
            {"GATEWAY_INTERFACE": "CGI/1.1", "REMOTE_USER": "admin", "REMOTE_ADDR": "::1"},
            DAEMON,
            Pusher(None, "git-daemon"),
            str(REPO),
        ),
        (
            {"GITEA_PUSHER_NAME": "admin", "GITEA_REPO_NAME": "app", "GL_USER": "admin"},
            EXT_INETD,
            Pusher(None, "git-daemon"),
            str(REPO),
        ),
        # The listening daemon without its variable, and `git daemon --inetd` (no variables at
        # all), even when started from an SSH session whose variables it passes on.
        ({"USER": "git"}, DAEMON, Pusher(None, "git-daemon"), str(REPO)),
        (
            {"USER": ACCOUNT, "SSH_CONNECTION": "1 2 3 4"},
            EXT_INETD,
            Pusher(None, "git-daemon"),
            str(REPO),
        ),
        # SSH: the account the hook runs as (sshd logged it in); USER is not evidence.
        ({"SSH_CONNECTION": "1 2 3 4", "USER": "dave"}, SSH, Pusher(ACCOUNT, "ssh"), str(REPO)),
        ({"SSH_CLIENT": "1 2 3", "LOGNAME": "erin"}, [], Pusher(ACCOUNT, "ssh"), str(REPO)),
        # A local push needs the `git push` that started receive-pack as evidence.
        ({"USER": "frank"}, LOCAL_PUSH, Pusher(ACCOUNT, "local"), str(REPO)),
        ({"SSH_CONNECTION": "1 2 3 4"}, LOCAL_PUSH, Pusher(ACCOUNT, "local"), str(REPO)),
        # Nothing recognised (no /proc, receive-pack started by something unknown): anonymous.
        ({"USER": "frank"}, [], Pusher(None, "unknown"), str(REPO)),
        ({"USER": "frank"}, LOCAL_PUSH[:2], Pusher(None, "unknown"), str(REPO)),
    ],
)
def test_detect(
    env: dict[str, str], ancestors: list[list[str]], pusher: Pusher, repository: str
) -> None:
    origin = detect(env, REPO, tree(ancestors))
    assert origin.pusher == pusher
    assert origin.repository == repository


def test_a_forge_without_pusher_is_anonymous_not_its_service_account() -> None:
    # Gitea runs hooks as `git` over SSH; an empty pusher must not become "git".
    env = {"GITEA_REPO_NAME": "app", "GITEA_PUSHER_NAME": "", "SSH_CONNECTION": "x", "USER": "git"}
    pusher = detect(env, REPO, tree(SSH)).pusher
    assert pusher.anonymous
    assert pusher.source == "gitea"


def test_git_daemon_is_anonymous_even_with_a_user_variable() -> None:
    assert detect({"REMOTE_ADDR": "127.0.0.1", "USER": "root"}, None, tree([])).pusher.anonymous


def test_the_nearest_recognised_ancestor_decides() -> None:
    # A daemon started from a shell that a `git push` runs (a test, a pre-push hook): the push
    # came through the daemon.
    assert detect({}, REPO, tree(DAEMON, LOCAL_PUSH)).pusher == Pusher(None, "git-daemon")
    assert detect({}, REPO, tree(LOCAL_PUSH, DAEMON)).pusher == Pusher(ACCOUNT, "local")


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["git", "-C", "/w", "-c", "a=b", "--git-dir", "/g", "push", "x"], "git-push"),
        (["git", "--no-pager", "--git-dir=/g", "send-pack", "/srv"], "git-send-pack"),
        (["/usr/lib/git-core/git-daemon", "--inetd"], "git-daemon"),
        (["/usr/bin/git", "daemon", "--inetd"], "git-daemon"),
        (["git", "-c", "push"], "git"),  # `push` is -c's value, not the command
        (["/usr/lib/git-core/git-receive-pack", "."], "git-receive-pack"),
        ([""], ""),
        ([], ""),
    ],
)
def test_program(argv: list[str], name: str) -> None:
    assert program(argv) == name


def test_ancestry_reads_the_process_tree() -> None:
    # A real child reports its own ancestors: the nearest is this Python, running pytest.
    probe = (
        "import json; from gitward.hook.ancestry import ancestry; "
        "print(json.dumps(list(ancestry())))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    chain = json.loads(out)
    assert chain[0] == sys.orig_argv
    assert len(chain) <= MAX_ANCESTORS


def test_detectors_cover_every_documented_front_end() -> None:
    assert set(DETECTORS) >= {"gitea", "github-enterprise", "gitlab", "ssh", "local"}


def test_push_options() -> None:
    env = {"GIT_PUSH_OPTION_COUNT": "2", "GIT_PUSH_OPTION_0": "ci.skip", "GIT_PUSH_OPTION_1": "x=y"}
    assert push_options(env) == ("ci.skip", "x=y")
    assert push_options({}) == ()
    assert push_options({"GIT_PUSH_OPTION_COUNT": "junk"}) == ()
    assert len(push_options({"GIT_PUSH_OPTION_COUNT": "999999"})) == 100
