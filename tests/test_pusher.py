"""Who pushes: one detector per forge, the first whose marker variables are present decides."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitward.hook.pusher import DETECTORS, detect, push_options
from gitward.model import Pusher

REPO = Path("/srv/git/team/app.git")


@pytest.mark.parametrize(
    ("env", "pusher", "repository"),
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
            Pusher("alice", "gitea", "3", "alice@example.com"),
            "team/app",
        ),
        (
            {"GITHUB_USER_LOGIN": "octocat", "GITHUB_REPO_NAME": "org/app", "GITHUB_VIA": "git"},
            Pusher("octocat", "github-enterprise"),
            "org/app",
        ),
        (
            {"GL_USERNAME": "dev", "GL_ID": "user-7", "GL_PROJECT_PATH": "grp/app"},
            Pusher("dev", "gitlab", "user-7"),
            "grp/app",
        ),
        ({"GL_USER": "carol", "GL_REPO": "app"}, Pusher("carol", "gitolite"), "app"),
        (
            {"GATEWAY_INTERFACE": "CGI/1.1", "REMOTE_USER": "bob", "REMOTE_ADDR": "::1"},
            Pusher("bob", "http"),
            str(REPO),
        ),
        ({"GATEWAY_INTERFACE": "CGI/1.1", "REMOTE_ADDR": "::1"}, Pusher(None, "http"), str(REPO)),
        ({"REMOTE_ADDR": "127.0.0.1", "USER": "git"}, Pusher(None, "git-daemon"), str(REPO)),
        ({"SSH_CONNECTION": "1 2 3 4", "USER": "dave"}, Pusher("dave", "ssh"), str(REPO)),
        ({"SSH_CLIENT": "1 2 3", "LOGNAME": "erin"}, Pusher("erin", "ssh"), str(REPO)),
        ({"USER": "frank"}, Pusher("frank", "local"), str(REPO)),
    ],
)
def test_detect(env: dict[str, str], pusher: Pusher, repository: str) -> None:
    origin = detect(env, REPO)
    assert origin.pusher == pusher
    assert origin.repository == repository


def test_a_forge_without_pusher_is_anonymous_not_its_service_account() -> None:
    # Gitea runs hooks as `git` over SSH; an empty pusher must not become "git".
    env = {"GITEA_REPO_NAME": "app", "GITEA_PUSHER_NAME": "", "SSH_CONNECTION": "x", "USER": "git"}
    pusher = detect(env, REPO).pusher
    assert pusher.anonymous
    assert pusher.source == "gitea"


def test_git_daemon_is_anonymous_even_with_a_user_variable() -> None:
    assert detect({"REMOTE_ADDR": "127.0.0.1", "USER": "root"}).pusher.anonymous


def test_local_without_user_variables_uses_the_login_account() -> None:
    pusher = detect({}, REPO).pusher
    assert pusher.source == "local"
    assert pusher.name  # the account running the test


def test_detectors_cover_every_documented_front_end() -> None:
    assert set(DETECTORS) >= {"gitea", "github-enterprise", "gitlab", "ssh", "local"}


def test_push_options() -> None:
    env = {"GIT_PUSH_OPTION_COUNT": "2", "GIT_PUSH_OPTION_0": "ci.skip", "GIT_PUSH_OPTION_1": "x=y"}
    assert push_options(env) == ("ci.skip", "x=y")
    assert push_options({}) == ()
    assert push_options({"GIT_PUSH_OPTION_COUNT": "junk"}) == ()
    assert len(push_options({"GIT_PUSH_OPTION_COUNT": "999999"})) == 100
