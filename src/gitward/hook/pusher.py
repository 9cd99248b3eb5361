"""Who is pushing, to which repository, with which push options: read from the environment.

git itself does not know who pushes; the server in front of it does, and tells the hook
through environment variables. One detector per front end, tried in the order of `DETECTORS`;
the first whose marker variables are present decides, even when it says "anonymous" (falling
through would, for example, name Gitea's service account `git` as the pusher).

- Gitea and Forgejo (Forgejo kept the GITEA_* names): GITEA_PUSHER_NAME, GITEA_PUSHER_ID,
  GITEA_PUSHER_EMAIL, GITEA_REPO_USER_NAME, GITEA_REPO_NAME.
- GitHub Enterprise Server: GITHUB_USER_LOGIN, GITHUB_REPO_NAME, GITHUB_VIA.
- GitLab: GL_USERNAME, GL_ID, GL_PROJECT_PATH.   Gitolite: GL_USER, GL_REPO.
- git http-backend (CGI): REMOTE_USER when the web server authenticated the user, else anonymous.
- git daemon (sets REMOTE_ADDR, authenticates nobody): anonymous.
- plain SSH (SSH_CONNECTION / SSH_CLIENT): the account sshd logged in (USER).
- otherwise a local push (file:// or a path): the local login user, source "local".

Trust: these variables are only as trustworthy as the server that sets them. A local user who
can run `git push /srv/repo.git` can also set any variable (and write the repository directly),
so identities matter for SSH and forge set-ups, where the pusher does not control the hook's
environment.
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Callable, Mapping
from pathlib import Path

from gitward.model import Origin, Pusher

# git caps push options by size, not count; a hook still should not trust a number from outside.
MAX_PUSH_OPTIONS = 100


Env = Mapping[str, str]
Detector = Callable[[Env], Origin | None]


def _get(env: Env, key: str) -> str | None:
    value = env.get(key, "").strip()
    return value or None


def _gitea(env: Env) -> Origin | None:
    if not any(k in env for k in ("GITEA_PUSHER_NAME", "GITEA_REPO_NAME", "GITEA_PUSHER_ID")):
        return None
    owner, name = _get(env, "GITEA_REPO_USER_NAME"), _get(env, "GITEA_REPO_NAME")
    pusher = Pusher(
        _get(env, "GITEA_PUSHER_NAME"),
        "gitea",
        user_id=_get(env, "GITEA_PUSHER_ID"),
        email=_get(env, "GITEA_PUSHER_EMAIL"),
    )
    return Origin(pusher, f"{owner}/{name}" if owner and name else name)


def _github(env: Env) -> Origin | None:
    if not any(k in env for k in ("GITHUB_USER_LOGIN", "GITHUB_REPO_NAME")):
        return None
    return Origin(
        Pusher(_get(env, "GITHUB_USER_LOGIN"), "github-enterprise"), _get(env, "GITHUB_REPO_NAME")
    )


def _gitlab(env: Env) -> Origin | None:
    if not any(k in env for k in ("GL_USERNAME", "GL_ID", "GL_PROJECT_PATH")):
        return None
    return Origin(
        Pusher(_get(env, "GL_USERNAME"), "gitlab", user_id=_get(env, "GL_ID")),
        _get(env, "GL_PROJECT_PATH"),
    )


def _gitolite(env: Env) -> Origin | None:
    if "GL_USER" not in env:
        return None
    return Origin(Pusher(_get(env, "GL_USER"), "gitolite"), _get(env, "GL_REPO"))


def _http(env: Env) -> Origin | None:
    if "GATEWAY_INTERFACE" not in env:
        return None
    return Origin(Pusher(_get(env, "REMOTE_USER"), "http"))


def _daemon(env: Env) -> Origin | None:
    # git daemon exports REMOTE_ADDR to receive-pack and authenticates nobody.
    if "REMOTE_ADDR" not in env:
        return None
    return Origin(Pusher(None, "git-daemon"))


def _login(env: Env) -> str | None:
    name = _get(env, "USER") or _get(env, "LOGNAME")
    if name:
        return name
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return None


def _ssh(env: Env) -> Origin | None:
    if "SSH_CONNECTION" not in env and "SSH_CLIENT" not in env:
        return None
    return Origin(Pusher(_login(env), "ssh"))


def _local(env: Env) -> Origin | None:
    return Origin(Pusher(_login(env), "local"))


DETECTORS: dict[str, Detector] = {
    "gitea": _gitea,
    "github-enterprise": _github,
    "gitlab": _gitlab,
    "gitolite": _gitolite,
    "http": _http,
    "git-daemon": _daemon,
    "ssh": _ssh,
    "local": _local,
}


def detect(env: Env, git_dir: Path | None = None) -> Origin:
    """The first detector that recognises `env`; repository defaults to `git_dir`'s path."""
    for detector in DETECTORS.values():
        origin = detector(env)
        if origin is not None:
            if origin.repository is None and git_dir is not None:
                return Origin(origin.pusher, str(git_dir))
            return origin
    return Origin(Pusher(None, "unknown"), str(git_dir) if git_dir else None)


def push_options(env: Env) -> tuple[str, ...]:
    """`git push -o` values: GIT_PUSH_OPTION_COUNT and GIT_PUSH_OPTION_<i> (git-receive-pack)."""
    try:
        count = int(env.get("GIT_PUSH_OPTION_COUNT", "0"))
    except ValueError:
        return ()
    count = max(0, min(count, MAX_PUSH_OPTIONS))
    return tuple(env.get(f"GIT_PUSH_OPTION_{i}", "") for i in range(count))
