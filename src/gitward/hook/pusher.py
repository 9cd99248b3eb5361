"""Who is pushing, to which repository, with which push options.

git itself does not know who pushes; the server in front of it does. A name counts only when it
comes from something that authenticated the pusher; when gitward cannot tell, the pusher is
anonymous (and rules that need a name refuse). One detector per front end, tried in the order of
`DETECTORS`; the first that recognises the push decides, even when it says "anonymous" (falling
through would, for example, name Gitea's service account `git` as the pusher).

- git daemon authenticates nobody: anonymous. First, whatever the variables say: `git daemon
  --inetd` (inetd, systemd socket activation, `ext::`) sets none, and its hook inherits the
  environment the daemon was started with (USER, SSH_CONNECTION, anything). So a `git daemon`
  among the hook's ancestor processes (`hook.ancestry`) decides; without /proc, the REMOTE_ADDR
  the listening daemon exports does (after http-backend, which sets it too).
- Gitea and Forgejo (Forgejo kept the GITEA_* names): GITEA_PUSHER_NAME, GITEA_PUSHER_ID,
  GITEA_PUSHER_EMAIL, GITEA_REPO_USER_NAME, GITEA_REPO_NAME.
- GitHub Enterprise Server: GITHUB_USER_LOGIN, GITHUB_REPO_NAME, GITHUB_VIA.
- GitLab: GL_USERNAME, GL_ID, GL_PROJECT_PATH.   Gitolite: GL_USER, GL_REPO.
  The forges set these after authenticating the user, and a pusher cannot set variables in the
  hook's environment. They come before a local `git push` among the ancestors because forges
  push on the server themselves: a merge in Gitea's web UI is a local `git push` naming the
  user who clicked.
- git http-backend (CGI, GATEWAY_INTERFACE): REMOTE_USER when the web server authenticated the
  user, else anonymous.
- local push (file:// or a path): the account the hook runs as, which is the pusher's own, but
  only with positive evidence: the nearest recognised ancestor is the `git push` (or `git
  send-pack`) whose receive-pack runs the hook.
- plain SSH (SSH_CONNECTION / SSH_CLIENT, set by sshd): the account the hook runs as, the one sshd
  logged in.
- anything else: anonymous, source "unknown".

Names for SSH and local pushes come from the process's user id, never from USER or LOGNAME, which
whoever starts a process can set. A local user can still set any variable above and push by path
(or write the repository directly): on a shared machine, local identities are advisory.
"""

from __future__ import annotations

import functools
import os
import pwd
from collections.abc import Callable, Mapping
from pathlib import Path

from gitward.hook.ancestry import Ancestry, ancestry, transport
from gitward.model import Origin, Pusher

# git caps push options by size, not count; a hook still should not trust a number from outside.
MAX_PUSH_OPTIONS = 100

Env = Mapping[str, str]
# What the hook's ancestor processes show about the transport ("git-daemon", "local" or None),
# read once, on first use.
Via = Callable[[], str | None]
Detector = Callable[[Env, Via], Origin | None]


def _get(env: Env, key: str) -> str | None:
    value = env.get(key, "").strip()
    return value or None


def _account() -> str | None:
    """The account this process runs as (for SSH, the one sshd logged in)."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # no passwd entry (a container): nobody to name
        return None


def _gitea(env: Env, via: Via) -> Origin | None:
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


def _github(env: Env, via: Via) -> Origin | None:
    if not any(k in env for k in ("GITHUB_USER_LOGIN", "GITHUB_REPO_NAME")):
        return None
    return Origin(
        Pusher(_get(env, "GITHUB_USER_LOGIN"), "github-enterprise"), _get(env, "GITHUB_REPO_NAME")
    )


def _gitlab(env: Env, via: Via) -> Origin | None:
    if not any(k in env for k in ("GL_USERNAME", "GL_ID", "GL_PROJECT_PATH")):
        return None
    return Origin(
        Pusher(_get(env, "GL_USERNAME"), "gitlab", user_id=_get(env, "GL_ID")),
        _get(env, "GL_PROJECT_PATH"),
    )


def _gitolite(env: Env, via: Via) -> Origin | None:
    if "GL_USER" not in env:
        return None
    return Origin(Pusher(_get(env, "GL_USER"), "gitolite"), _get(env, "GL_REPO"))


def _http(env: Env, via: Via) -> Origin | None:
    if "GATEWAY_INTERFACE" not in env:
        return None
    return Origin(Pusher(_get(env, "REMOTE_USER"), "http"))


def _daemon(env: Env, via: Via) -> Origin | None:
    if via() != "git-daemon":
        return None
    return Origin(Pusher(None, "git-daemon"))


def _daemon_address(env: Env, via: Via) -> Origin | None:
    if "REMOTE_ADDR" not in env:
        return None
    return Origin(Pusher(None, "git-daemon"))


def _local(env: Env, via: Via) -> Origin | None:
    # Before SSH: a user logged in over SSH who pushes by path has SSH_CONNECTION set too.
    if via() != "local":
        return None
    return Origin(Pusher(_account(), "local"))


def _ssh(env: Env, via: Via) -> Origin | None:
    if "SSH_CONNECTION" not in env and "SSH_CLIENT" not in env:
        return None
    return Origin(Pusher(_account(), "ssh"))


DETECTORS: dict[str, Detector] = {
    "git-daemon": _daemon,
    "gitea": _gitea,
    "github-enterprise": _github,
    "gitlab": _gitlab,
    "gitolite": _gitolite,
    "http": _http,
    "git-daemon-address": _daemon_address,
    "local": _local,
    "ssh": _ssh,
}


def detect(env: Env, git_dir: Path | None = None, ancestors: Ancestry = ancestry) -> Origin:
    """The first detector that recognises the push, else an anonymous pusher of source
    "unknown"; repository defaults to `git_dir`'s path. `ancestors` gives the argv of the
    hook's ancestor processes, nearest first (tests pass their own)."""
    seen = functools.cache(lambda: transport(ancestors()))
    for detector in DETECTORS.values():
        origin = detector(env, seen)
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
