"""The signatures family: who signed each new commit (and annotated tag), and may they.

Order of judgement, first failure wins (one violation per object): the verifier found one good
signature; its key belongs to a registered signer; that signer is allowed for this rule; the key
is valid when the server received the push; the signer's e-mails include the committer's (or
tagger's) e-mail, unless the rule turns that off. Then, with `min_distinct_signers`, the
accepted signatures of the update's commits must come from that many signers (`quorum`).

A commit the forge made to merge a pull request is judged by `forgemerge` instead, when the
rule allows forge merges; that pull request's own commits are judged here like new ones.
"""

from __future__ import annotations

from collections.abc import Iterator

from gitward.model import Person, SigKind, SignatureCheck, Violation
from gitward.policy import forgemerge, hints, quorum
from gitward.policy.context import RuleContext
from gitward.policy.keys import key_problem
from gitward.policy.sigfaults import KEY_FLAGS, Finding, not_good
from gitward.policy.spec import OpenPGPKey, SignatureRule, SSHKey

# Which registered key type may answer for a signature of each kind (anything else: refuse).
KEY_TYPES: dict[SigKind, type[OpenPGPKey] | type[SSHKey]] = {
    SigKind.OPENPGP: OpenPGPKey,
    SigKind.SSH: SSHKey,
}


def check(ctx: RuleContext) -> Iterator[Violation]:
    """Violations of `ctx.rule.signatures` for the update's new commits and its tag."""
    sigrule = ctx.rule.signatures
    if sigrule is None:
        return
    forge = forgemerge.check(ctx, sigrule, judge)
    yield from forge.violations
    # A forge's merge commit is exempt from a signature but vouches for nobody (`quorum`).
    commits = [c for c in (*forge.pull_commits, *ctx.commits()) if c.oid not in forge.exempt]
    signed_by: list[str] = []  # the signer of each acceptable signature (`quorum`)
    for commit in commits:
        found = judge(ctx, sigrule, commit.signature, commit.committer, "committer")
        if found is None:  # accepted, so its key has an owner
            owner = ctx.signers.owner_of(commit.signature.key_fingerprint or "")
            signed_by += [owner[0].id] if owner is not None else []
        else:
            hint = found.hint
            if hint is None:
                hint = (
                    hints.recommit_as(ctx.facts, commit, found.email)
                    if found.email
                    else hints.resign(ctx.facts, commit, found.advice)
                )
            yield ctx.violation(found.check, hints.about(commit, found.what), hint, commit.oid)
    too_few = quorum.check(ctx, sigrule, signed_by, len(commits))
    if too_few is not None:
        yield too_few
    if sigrule.tags and not ctx.facts.update.is_delete:
        yield from _check_tag(ctx, sigrule)


def _check_tag(ctx: RuleContext, sigrule: SignatureRule) -> Iterator[Violation]:
    """The annotated tag the ref names; a tag ref without a tag object is never signed."""
    tag = ctx.facts.tag
    if tag is None:
        if ctx.facts.kind == "tag":
            new_type = ctx.facts.new_type or "object"
            what = "lightweight tag" if new_type == "commit" else f"tag names a {new_type}"
            what += ": tags here must be annotated and signed"
            hint = hints.resign_tag(ctx.facts)
            yield ctx.violation("tag-signature", what, hint, ctx.facts.update.new)
        return
    found = judge(ctx, sigrule, tag.signature, tag.tagger, "tagger")
    short = ctx.ref.removeprefix("refs/tags/")
    if found is None and ctx.facts.kind == "tag" and tag.name != short:
        # A signed tag re-pushed under another name would vouch for a release it never named.
        what = f"names itself {tag.name!r} but is pushed as {short!r}"
        found = Finding("signature", what, hints.resign_tag(ctx.facts))
    if found is not None:
        name = "committer-email" if found.check == "committer-email" else "tag-signature"
        hint = (
            found.hint
            if found.hint is not None
            else hints.resign_tag(ctx.facts, found.email, found.advice)
        )
        yield ctx.violation(name, f"tag {tag.name}: {found.what}", hint, tag.oid)


def judge(
    ctx: RuleContext, sigrule: SignatureRule, sig: SignatureCheck, person: Person | None, role: str
) -> Finding | None:
    """The first reason `sig` is not acceptable for this rule, or None when it is."""
    if not sig.good:
        return not_good(ctx, sig)
    fingerprint = sig.key_fingerprint or ""
    short = hints.short_fingerprint(fingerprint) or "?"
    owned = ctx.signers.owner_of(fingerprint) if fingerprint else None
    key_type = KEY_TYPES.get(sig.kind)
    if owned is None or key_type is None or not isinstance(owned[1], key_type):
        flag = KEY_FLAGS.get(sig.kind, "--gpg-key")
        what = f"signed by key {short} of no known signer"
        return Finding("signature", what, hints.add_signer(flag, fingerprint or "?"))
    signer, key = owned
    if signer.id not in ctx.signers.members(sigrule.signers):
        what = f"signed by key {short} ({signer.id}) which is not allowed to sign for {ctx.ref}"
        return Finding("signature", what, hints.allow_signer(signer.id, sigrule.signers))
    problem = key_problem(key, sig, ctx.push.received_at)
    if problem is not None:
        what = f"key {short} ({signer.id}) {problem}"
        return Finding("signature", what, advice="sign with a key that is valid now")
    if not sigrule.require_committer_email_match:
        return None
    if person is None or person.email.casefold() not in {e.casefold() for e in signer.emails}:
        got = person.email if person is not None else "missing"
        what = f"signature by {signer.id}'s key but {role} e-mail is {got}"
        if not signer.emails:  # the loader requires one; fail closed with words regardless
            return Finding("committer-email", what, f"ask an admin to add e-mails to {signer.id}")
        return Finding("committer-email", what, email=signer.emails[0])
    return None
