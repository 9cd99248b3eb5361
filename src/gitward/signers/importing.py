"""`gitward signers import` and `sync`: keys read from where they already are, planned (so
the admin sees the change before it is made), then applied as one batch (`batch.apply`).

A forge's lists are read completely before anything is planned: `ForgeKeys` raises when the
forge cannot give every page of them, and then nothing changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from gitward.config import Located, roundtrip
from gitward.config.signer_table import LOGIN
from gitward.errors import SignerEditError
from gitward.forges.userkeys import ForgeGpgKey, ForgeSshKey
from gitward.signers import batch, candidates, plan
from gitward.signers.candidates import Sorted
from gitward.signers.plan import Change, Wanted
from gitward.signers.state import Origin, State


class ForgeKeys(Protocol):
    """A user's keys on one forge (`receiver.forge_client.ForgeClient` has these)."""

    def user_gpg_keys(self, login: str) -> list[ForgeGpgKey]: ...
    def user_ssh_keys(self, login: str) -> list[ForgeSshKey]: ...
    def user_gpg_export(self, login: str) -> bytes | None: ...


def read_forge(
    client: ForgeKeys, login: str, now: datetime, *, include_unverified: bool = False
) -> Sorted:
    """`login`'s keys, sorted into those a signer may get and those left out (and why)."""
    if not re.fullmatch(LOGIN, login):
        raise SignerEditError(f"not a forge user name: {login!r}")
    gpg = client.user_gpg_keys(login)
    ssh = client.user_ssh_keys(login)
    export = client.user_gpg_export(login) if any(k.armored is None for k in gpg) else None
    return candidates.from_forge(gpg, ssh, export, now, include_unverified=include_unverified)


def plan_import(located: Located, wanted: Wanted, keys: Sorted, now: datetime) -> Change:
    """What importing `keys` into `wanted.signer_id` would change (nothing is written).
    Raises SignerEditError for an id that cannot name a signer file: before any plan is
    shown, not when it is applied."""
    roundtrip.signer_file(located.signers_dir, wanted.signer_id)
    return plan.for_import(State.load(located.signers_dir, now), wanted, keys, now)


def apply_import(
    located: Located,
    wanted: Wanted,
    keys: Sorted,
    shown: Change,
    now: datetime,
    actor: str | None = None,
) -> batch.Applied:
    """Make the change `plan_import` showed; refused if the signers changed meanwhile.
    `actor`: who the audit record names (default: the CLI's user)."""
    return batch.apply(
        located,
        lambda state: [plan.for_import(state, wanted, keys, now)],
        [shown],
        event="signers.import",
        now=now,
        actor=actor,
    )


def plan_sync(
    located: Located, forge: str, read: Callable[[str], Sorted], now: datetime
) -> tuple[batch.Planner, list[Change]]:
    """(planner, changes) for every signer holding keys imported from `forge`; `read(login)`
    gives a user's sorted keys and raises when the forge cannot list them all. Nothing is
    written."""
    followed = State.load(located.signers_dir, now).followed(forge)
    twice = sorted({s for s, _ in followed if [t for t, _ in followed].count(s) > 1})
    if twice:
        raise SignerEditError(
            f"signer {twice[0]!r} follows two accounts of {forge}; keep one (one account per "
            "forge), the other as a signer of its own"
        )
    listings = {login: read(login) for login in sorted({login for _, login in followed})}

    def planner(state: State) -> list[Change]:
        if state.followed(forge) != followed:
            raise SignerEditError(
                f"the signers imported from {forge} changed during the sync; nothing was "
                "changed, run it again"
            )
        return [
            plan.for_sync(state, signer, Origin(forge=forge, user=login), listings[login], now)
            for signer, login in followed
        ]

    return planner, planner(State.load(located.signers_dir, now))


def apply_sync(
    located: Located, planner: batch.Planner, shown: list[Change], now: datetime
) -> batch.Applied:
    return batch.apply(located, planner, shown, event="signers.sync", now=now)
