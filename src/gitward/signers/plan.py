"""What an import or a sync changes in one signer, computed from the signers' state and the
sorted keys: keys added, followed, refreshed, revoked or kept; e-mails, groups, the name.

Only keys imported from the same origin (`source`) are ever revoked, and only from a forge: a
key added by hand, or from GnuPG, stays until an admin revokes it. A revoked key is never taken
back: revoking is how commits signed before stay valid and later ones do not.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from gitward.errors import SignerEditError
from gitward.signers import candidates
from gitward.signers.candidates import UNUSABLE, WITHDRAWN, Candidate, LeftOut, Sorted
from gitward.signers.state import HeldKey, Origin, SignerState, State


class Wanted(NamedTuple):
    """What an admin asks of `signers import`."""

    signer_id: str
    origin: Origin
    name: str | None = None
    emails: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    default_name: str | None = None  # a new signer's name when `name` is not given


class Change(NamedTuple):
    signer: str
    origin: Origin
    new: bool
    at: datetime  # when revocations take effect
    name: str | None = None  # set: the (new) display name
    emails_added: tuple[str, ...] = ()
    groups_added: tuple[str, ...] = ()
    added: tuple[Candidate, ...] = ()
    followed: tuple[Candidate, ...] = ()  # held keys added by hand: from now on followed
    refreshed: tuple[tuple[str, bytes], ...] = ()  # (fingerprint, merged certificate)
    revoked: tuple[tuple[str, str], ...] = ()  # (fingerprint, why)
    kept: tuple[tuple[str, str], ...] = ()  # (fingerprint, why unchanged) of keys left out
    left_out: tuple[LeftOut, ...] = ()  # keys the signer does not hold and does not get

    @property
    def edits(self) -> bool:
        """Whether the signer file changes."""
        parts = (self.emails_added, self.groups_added, self.added, self.followed)
        return (
            self.new or self.name is not None or any(parts) or bool(self.refreshed or self.revoked)
        )


def for_import(state: State, wanted: Wanted, keys: Sorted, now: datetime) -> Change:
    """`signers import`: create or update `wanted.signer_id` with the admitted keys."""
    origin = wanted.origin
    others = sorted(
        s.id
        for s in state.signers.values()
        if s.id != wanted.signer_id and origin.forge is not None and s.follows(origin)
    )
    if others:
        raise SignerEditError(f"{origin} is already imported as signer {others[0]!r}")
    signer = state.signers.get(wanted.signer_id)
    if origin.forge is not None and signer is not None:
        theirs = sorted(
            str(k.origin)
            for k in signer.keys
            if k.origin and k.origin.forge == origin.forge and k.origin != origin
        )
        if theirs:
            raise SignerEditError(
                f"signer {signer.id!r} follows {theirs[0]} already: one account per forge "
                "(import the other account as a signer of its own)"
            )
    change = _keys(state, signer, wanted.signer_id, origin, keys, now, adopt=True)
    have = signer.emails if signer else ()
    emails = _new_emails(have, [*wanted.emails, *(e for c in change.added for e in c.emails)])
    groups = tuple(g for g in dict.fromkeys(wanted.groups) if not signer or g not in signer.groups)
    name: str | None
    if signer is None:
        if not change.added:
            lines = [f"  {o.label}: {o.reason}" for o in change.left_out] or ["  no key at all"]
            raise SignerEditError(f"nothing to import from {origin}:\n" + "\n".join(lines))
        if not emails:
            raise SignerEditError(
                f"signer {wanted.signer_id!r} would have no e-mail: {origin} verified none of "
                "its keys' e-mails; give one with --email"
            )
        name = wanted.name or wanted.default_name or origin.user or wanted.signer_id
    else:
        name = wanted.name if wanted.name and wanted.name != signer.name else None
    return change._replace(new=signer is None, name=name, emails_added=emails,
                           groups_added=groups)  # fmt: skip


def for_sync(state: State, signer_id: str, origin: Origin, keys: Sorted, now: datetime) -> Change:
    """`signers sync`: the keys of `signer_id` imported from `origin`, brought up to date."""
    signer = state.signers.get(signer_id)
    if signer is None:
        raise SignerEditError(f"signer {signer_id!r} is gone; run the sync again")
    change = _keys(state, signer, signer_id, origin, keys, now, adopt=False)
    emails = _new_emails(signer.emails, [e for c in change.added for e in c.emails])
    return change._replace(emails_added=emails)


def _new_emails(have: tuple[str, ...], offered: list[str]) -> tuple[str, ...]:
    seen = {e.casefold() for e in have}
    out = []
    for address in offered:
        if address.casefold() not in seen:
            seen.add(address.casefold())
            out.append(address)
    return tuple(out)


def _keys(
    state: State,
    signer: SignerState | None,
    signer_id: str,
    origin: Origin,
    keys: Sorted,
    now: datetime,
    *,
    adopt: bool,
) -> Change:
    added: list[Candidate] = []
    followed: list[Candidate] = []
    refreshed: list[tuple[str, bytes]] = []
    held = signer.keys if signer else ()
    left = [o for o in keys.left_out if not any(o.names(k.fingerprint) for k in held)]
    present: set[str] = set()
    for c in keys.admitted:
        owner = state.owners.get(c.fingerprint)
        if owner is not None and owner != signer_id:
            why = f"it belongs to signer {owner!r}"
            left.append(LeftOut(c.label, why, UNUSABLE, c.fingerprint))
            continue
        mine = signer.key(c.fingerprint) if signer else None
        if mine is None:
            added.append(c)
            continue
        present.add(c.fingerprint)
        if mine.revoked_at(now):
            when = f"{mine.revoked_since:%Y-%m-%d %H:%M:%S}Z"
            why = f"the signer file revokes it since {when}; gitward never takes that back"
            left.append(LeftOut(c.label, why, UNUSABLE, c.fingerprint))
            continue
        follow = mine.origin is None and adopt
        if follow:
            followed.append(c)
        if c.kind == "openpgp" and (follow or mine.origin == origin):
            newer = candidates.merged(state.stored_cert(c.fingerprint), c.data)
            if newer is not None:
                refreshed.append((c.fingerprint, newer))
    revoked, kept = _gone(signer, origin, keys, present, now)
    return Change(
        signer_id,
        origin,
        signer is None,
        now,
        added=tuple(added),
        followed=tuple(followed),
        refreshed=tuple(refreshed),
        revoked=tuple(revoked),
        kept=tuple(kept),
        left_out=tuple(left),
    )


def _gone(
    signer: SignerState | None, origin: Origin, keys: Sorted, present: set[str], now: datetime
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(revoked, kept) among the keys the signer holds from `origin` that were not admitted."""
    revoked: list[tuple[str, str]] = []
    kept: list[tuple[str, str]] = []
    if signer is None or origin.forge is None:  # GnuPG is no list of what someone holds
        return revoked, kept
    for held in signer.keys:
        if held.origin != origin or held.revoked_at(now) or held.fingerprint in present:
            continue
        out = keys.left_out_as(held.fingerprint)
        verdict = _verdict(held, out)
        (revoked if verdict[0] else kept).append((held.fingerprint, verdict[1]))
    return revoked, kept


def _verdict(held: HeldKey, out: LeftOut | None) -> tuple[bool, str]:
    """(revoke?, why) for a held key the forge no longer offers."""
    if out is None:
        return True, "no longer on the forge"
    if out.kind == WITHDRAWN or (out.kind != UNUSABLE and not held.unverified):
        return True, out.reason
    return False, out.reason
