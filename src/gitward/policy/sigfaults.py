"""How the signatures family words a signature the verifier did not call good.

The verifier states the fact (`SignatureCheck.fault`: unknown key, revoked or foreign subkey,
dated in the future); the words and the fix are the pusher's, so they live here, one function
per fault in `WORDING`. Anything else is "bad signature" with the verifier's own `problem`.
"""

from collections.abc import Callable
from typing import NamedTuple

from gitward.model import SigFault, SigKind, SignatureCheck
from gitward.policy import hints
from gitward.policy.context import RuleContext

KEY_FLAGS = {SigKind.OPENPGP: "--gpg-key", SigKind.SSH: "--ssh-key"}


class Finding(NamedTuple):
    check: str  # "signature" or "committer-email"
    what: str
    hint: str | None = None  # None: the fix is to re-sign (or re-commit as `email`)
    advice: str = ""  # said before a re-sign hint
    email: str | None = None  # for "committer-email": the address to commit as


def key_name(ctx: RuleContext, fingerprint: str | None) -> str:
    """`key C5132B925FDDECF6… (alice)`, the owner named when a signer file lists the key."""
    owned = ctx.signers.owner_of(fingerprint) if fingerprint else None
    owner = f" ({owned[0].id})" if owned is not None else ""
    return f"key {hints.short_fingerprint(fingerprint or '?')}{owner}"


def unknown_key(ctx: RuleContext, sig: SignatureCheck) -> Finding:
    key = sig.signing_key or sig.key_fingerprint or "?"
    what = f"signed by key {hints.short_fingerprint(key)} of no known signer"
    return Finding("signature", what, hints.add_signer(KEY_FLAGS.get(sig.kind, "--gpg-key"), key))


def revoked_subkey(ctx: RuleContext, sig: SignatureCheck) -> Finding:
    subkey = hints.short_fingerprint(sig.signing_key or "?")
    what = f"signed with subkey {subkey}, which {key_name(ctx, sig.key_fingerprint)} revokes"
    return Finding("signature", what, advice="sign with a subkey that is not revoked")


def foreign_subkey(ctx: RuleContext, sig: SignatureCheck) -> Finding:
    subkey = sig.signing_key or "?"
    what = (
        f"signed with subkey {hints.short_fingerprint(subkey)}, which "
        f"{key_name(ctx, sig.key_fingerprint)} carries but does not bind: it belongs to "
        "another certificate"
    )
    return Finding("signature", what, hints.foreign_subkey(subkey))


def future(ctx: RuleContext, sig: SignatureCheck) -> Finding:
    if sig.created_at is None:  # the verifier always dates it; fail closed regardless
        return Finding("signature", "signature dated in the future")
    what = (
        f"signature dated {hints.when(sig.created_at)}, later than the server's clock "
        f"({hints.when(ctx.push.received_at)})"
    )
    return Finding("signature", what, advice=hints.FIX_CLOCK)


WORDING: dict[SigFault, Callable[[RuleContext, SignatureCheck], Finding]] = {
    SigFault.UNKNOWN_KEY: unknown_key,
    SigFault.REVOKED_SUBKEY: revoked_subkey,
    SigFault.FOREIGN_SUBKEY: foreign_subkey,
    SigFault.FUTURE: future,
}


def not_good(ctx: RuleContext, sig: SignatureCheck) -> Finding:
    """Why a signature the verifier did not call good is refused."""
    if sig.kind is SigKind.NONE:
        return Finding("signature", "not signed")
    words = WORDING.get(sig.fault) if sig.fault is not None else None
    if words is None:
        return Finding("signature", f"bad signature: {sig.problem or '?'}")
    return words(ctx, sig)
