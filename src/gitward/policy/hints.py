"""Plain-words text for violations: short subjects, fingerprints, dates, and fix-it hints.

Everything here only formats; strings from the push stay raw (the report layer sanitises them
before they reach a terminal). Hints are one line each, so a sanitiser that drops newlines
keeps them readable. Every name a command embeds (tag names come from the push, e-mails from
the signer files) is `shlex.quote`d: git allows `$(...)`, `;` and `|` in ref names, and a
pusher may paste the command into a shell.

A command in backquotes is meant to be pasted as it stands: no `<placeholder>` and no word to
fill in, only values the push tells (a commit id, a fingerprint). Where only the pusher knows
a value (a bypass reason), the hint says in plain words what goes where. A test walks every
hint the engine gives over a table of violations.
"""

from __future__ import annotations

import shlex
from datetime import UTC, datetime

from gitward.model import Commit, RefFacts

SUBJECT_LIMIT = 60

SIGN_ONE = "git commit --amend --no-edit -S"
SIGN_MANY = "git rebase --exec 'git commit --amend --no-edit -n -S' {base}"
SIGNOFF_ONE = "git commit --amend --no-edit -s"
SIGNOFF_MANY = "git rebase --signoff {base}"
REWORD_ONE = "git commit --amend"
REASON = '-o gitward.reason="..."'
FIX_CLOCK = "set the clock of the machine that signs right (`date -u` shows it)"


def subject(commit: Commit) -> str:
    """The commit's subject, cut to about `SUBJECT_LIMIT` characters."""
    text = commit.subject
    return text if len(text) <= SUBJECT_LIMIT else text[: SUBJECT_LIMIT - 1] + "…"


def about(commit: Commit, what: str) -> str:
    """`what` followed by the commit's (shortened) subject, for a violation message."""
    return f'{what} ("{subject(commit)}")'


def short_fingerprint(fingerprint: str) -> str:
    return fingerprint if len(fingerprint) <= 20 else fingerprint[:16] + "…"


def when(moment: datetime) -> str:
    """A date (`2026-01-01`) when the instant is a UTC midnight, else date and time in UTC."""
    utc = moment.astimezone(UTC) if moment.tzinfo is not None else moment
    if (utc.hour, utc.minute, utc.second) == (0, 0, 0):
        return f"{utc:%Y-%m-%d}"
    return f"{utc:%Y-%m-%d %H:%M:%S} UTC"


def base_of(facts: RefFacts, commit: Commit) -> str:
    """Where a rebase that rewrites `commit` should start: the ref's old tip for a fast-forward
    (one rebase then fixes every new commit), else the commit's own parent (a new ref, or a
    forced update whose old tip the pusher may not have), or `--root` for a root commit."""
    if facts.fast_forward and not facts.update.is_create:
        return facts.update.old[:10]
    return commit.parents[0][:10] if commit.parents else "--root"


def _rewrite(facts: RefFacts, commit: Commit, one: str, many: str) -> str:
    # The tip can be fixed with one amend; anything below it needs a rebase.
    command = one if commit.oid == facts.update.new else many.format(base=base_of(facts, commit))
    return f"run `{command}` and push again"


def resign(facts: RefFacts, commit: Commit, advice: str = "") -> str:
    return _advised(advice, _rewrite(facts, commit, SIGN_ONE, SIGN_MANY))


def _advised(advice: str, hint: str) -> str:
    return f"{advice}, then {hint}" if advice else hint


def recommit_as(facts: RefFacts, commit: Commit, email: str) -> str:
    config = shlex.quote(f"user.email={email}")
    one = f"git -c {config} commit --amend --no-edit -S"
    # `many` is a str.format template: braces in the e-mail must stay literal.
    literal = config.replace("{", "{{").replace("}", "}}")
    many = f"git -c {literal} rebase --exec 'git commit --amend --no-edit -n -S' {{base}}"
    return _rewrite(facts, commit, one, many)


def signoff(facts: RefFacts, commit: Commit) -> str:
    return _rewrite(facts, commit, SIGNOFF_ONE, SIGNOFF_MANY)


def reword(facts: RefFacts, commit: Commit) -> str:
    if commit.oid == facts.update.new:
        return _rewrite(facts, commit, REWORD_ONE, REWORD_ONE)
    return (
        f"run `git rebase -i {base_of(facts, commit)}`, change 'pick' to 'reword' on the line "
        f"of {commit.short}, and push again"
    )


def resign_tag(facts: RefFacts, email: str | None = None, advice: str = "") -> str:
    name = shlex.quote(facts.update.ref.removeprefix("refs/tags/"))
    target = facts.tag.target[:10] if facts.tag is not None else facts.update.new[:10]
    config = f"-c {shlex.quote(f'user.email={email}')} " if email else ""
    command = f"git {config}tag -f -s {name} {shlex.quote(target)}"
    return _advised(advice, f"run `{command}` and push the tag again")


def add_signer(kind_flag: str, key: str) -> str:
    """For a key no signer file lists: `key` is the fingerprint (or key id) the signature names."""
    if kind_flag == "--ssh-key":
        public = "the .pub file of the key `git config user.signingkey` names"
    else:
        public = f"`gpg --armor --export {shlex.quote(key)}`"
    return (
        f"sign with a key registered for you, or send an admin your public key ({public}) "
        "to register with `gitward signers add`"
    )


def foreign_subkey(subkey: str) -> str:
    return (
        "sign with a key of your own registered certificate "
        f"(`gpg --list-keys {shlex.quote(subkey)}` shows which certificate binds that subkey)"
    )


def allow_signer(signer_id: str, allowed: tuple[str, ...]) -> str:
    names = ", ".join(allowed) if allowed else "nobody yet"
    return (
        f"sign with a key of an allowed signer ({names}), or ask an admin to allow "
        f"{signer_id} (a group in the signer's file, or the rule's signers list)"
    )


def with_bypass(hint: str) -> str:
    """Append how a listed bypass actor would bypass the rule (they gave no reason)."""
    extra = (
        f"or bypass this rule: push again with `{REASON}` added, your reason between the "
        "quotes (the audit log records it)"
    )
    return f"{hint}; {extra}" if hint else extra.removeprefix("or ")
