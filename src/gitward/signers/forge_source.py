"""The forge a signer import reads keys from: a forges.yaml instance and a client for it, for
`gitward signers import/sync` and the admin page's import form alike."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from gitward.config import Located, forges_file
from gitward.config.forges_file import ForgeInstance
from gitward.errors import SignerEditError
from gitward.receiver import github_app
from gitward.receiver.forge_client import ForgeClient
from gitward.receiver.queue import RetryLater

_T = TypeVar("_T")


def client_for(forge: ForgeInstance, environ: Mapping[str, str] | None = None) -> ForgeClient:
    """A client reading users' keys from `forge`, its token read now. Raises SignerEditError
    for a forge that signs in as a GitHub App, ConfigError when its token cannot be read."""
    if forge.app is not None:
        raise SignerEditError(
            f"forge {forge.name!r} signs in as a GitHub App, whose tokens cannot list a user's "
            "keys; give the same api_url a second forges.yaml entry with a token"
        )
    return github_app.connect(forge, environ)


def connect(
    located: Located, name: str, environ: Mapping[str, str] | None = None
) -> tuple[ForgeInstance, ForgeClient]:
    """The forge `name` of forges.yaml beside the policy, and its client."""
    forges = forges_file.load(forges_file.path_for(located.path))
    forge = forges.forge(name)
    if forge is None:
        raise SignerEditError(f"no forge named {name!r} in {forges.path}")
    return forge, client_for(forge, environ)


def reading(read: Callable[[], _T]) -> _T:
    """`read()`, a forge's unavailability (rate limits, outages) reported as a failure: the
    next run (a timer's, the admin's next try) tries again."""
    try:
        return read()
    except RetryLater as exc:
        raise SignerEditError(f"{exc}; nothing was changed, try again later") from None
