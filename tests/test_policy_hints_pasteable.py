"""Every fix-it hint the engine can give is a command a pusher can paste, or plainly says what
to do: a table of pushes provokes every check the policy has (a test of the source keeps the
table complete), and each hint is held to the same rules:

- it starts with what to do (an imperative: "run", "sign", "ask", ...);
- every command in backquotes is parsed by a real `sh` into words, runs a program the pusher
  has (git, gitward, gpg, date) with a subcommand that exists, and has nothing to fill in: no
  `<placeholder>`, no WORD in capitals, no `...` (except a bypass reason, which the hint
  explains);
- each part (the report puts what follows "; " on a line of its own) fits the report, which
  cuts longer ones (a cut command cannot be pasted).

A real push then runs the hint given for a new branch and is accepted.
"""

from __future__ import annotations

import ast
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import gwkeys
import pytest
from gwpush import Client, Signer, bare_repo, write_config

from gitward.model import (
    Commit,
    Person,
    Push,
    Pusher,
    RefFacts,
    RefUpdate,
    SigFault,
    SigKind,
    SignatureCheck,
    Tag,
    Violation,
)
from gitward.policy import spec
from gitward.policy.engine import evaluate
from gitward.policy.mergefacts import ForgeMerge, MergeClaim, PullHead
from gitward.policy.spec import (
    ForgeMerges,
    KeyValidity,
    MessageRule,
    OpenPGPKey,
    Policy,
    RefProtection,
    Rule,
    SignatureRule,
    Signers,
    SSHKey,
)
from gitward.report.render import HINT_LEN

POLICY_DIR = Path(__file__).resolve().parents[1] / "src" / "gitward" / "policy"
RECEIVED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ZERO = "0" * 40
OLD, NEW, MID, BASE = "a" * 40, "b" * 40, "c" * 40, "d" * 40
ALICE, BOB, EXPIRED, SUB = "A1" * 20, "B2" * 20, "E3" * 20, "5D" * 20
ALICE_SSH = "SHA256:alice"

VERBS = ("run", "sign", "ask", "push", "rebase", "remove", "create", "set", "bypass")
PROGRAMS = {"git", "gitward", "gpg", "date"}
GIT_SUBCOMMANDS = {"commit", "rebase", "tag", "pull", "config", "push"}
# Every check the engine has; `test_the_table_knows_every_check_in_the_source` keeps it true.
ALL_CHECKS = {
    "signature", "tag-signature", "committer-email", "distinct-signers",
    "message-pattern", "message-forbidden", "subject-length", "blank-line",
    "conventional-commits", "signed-off-by",
    "force-push", "deletion", "creation", "immutable", "ref-name", "pusher",
    "anonymous-pusher", "linear-history", "forge-merge",
    "builtin/same-ref-twice", "builtin/replace-refs", "builtin/symbolic-ref",
}  # fmt: skip

SIGNERS = Signers(
    (
        spec.Signer(
            "alice",
            "Alice",
            ("alice@example.com",),
            ("maintainers",),
            (OpenPGPKey(ALICE),),
            (SSHKey(ALICE_SSH, "ssh-ed25519 AAAA alice"),),
        ),
        spec.Signer("bob", "Bob", ("bob@example.com",), ("others",), (OpenPGPKey(BOB),)),
        spec.Signer(
            "eve",
            "Eve",
            ("eve@example.com",),
            ("maintainers",),
            (
                OpenPGPKey(
                    EXPIRED, validity=KeyValidity(not_after=datetime(2026, 1, 1, tzinfo=UTC))
                ),
            ),
        ),
    )
)
EVERYTHING = Rule(
    "gate",
    ("refs/heads/main", "refs/heads/new/**", "refs/tags/**"),
    signatures=SignatureRule(("group:maintainers",), min_distinct_signers=2),
    messages=MessageRule(
        must_match="^JIRA-[0-9]+: ",
        must_not_match="WIP",
        subject_max_length=30,
        blank_line_after_subject=True,
        conventional_commits=True,
        signed_off_by=True,
        merge_commits="check",
    ),
    protection=RefProtection(
        block_force_push=True,
        block_deletion=True,
        block_creation=True,
        allowed_pushers=("alice", "group:leads"),
        name_pattern="^(main|v[0-9]+)$",
        linear_history=True,
        immutable=True,
    ),
    bypass=("lead",),
)
POLICY = Policy((EVERYTHING,), pusher_groups={"leads": ("lead",)})

ALICE_PERSON = Person("Alice", "alice@example.com")


def sig(
    fingerprint: str | None = ALICE,
    *,
    good: bool = True,
    kind: SigKind = SigKind.OPENPGP,
    fault: SigFault | None = None,
    signing: str | None = None,
) -> SignatureCheck:
    created = datetime(2030, 1, 1, tzinfo=UTC) if fault is SigFault.FUTURE else None
    return SignatureCheck(kind, good, fingerprint, signing or fingerprint, created, "x", fault)


def commit(
    oid: str,
    signature: SignatureCheck,
    message: str = "WIP fix: a subject that is far too long\nno blank line\n",
    parents: tuple[str, ...] = (BASE,),
    email: str = "alice@example.com",
) -> Commit:
    who = Person("Alice", email)
    return Commit(oid, parents, who, who, message, signature)


SIGNATURES = [
    sig(good=False, kind=SigKind.NONE),
    sig(good=False),  # a bad signature
    sig(None, good=False, fault=SigFault.UNKNOWN_KEY, signing=SUB),
    sig(good=False, fault=SigFault.REVOKED_SUBKEY, signing=SUB),
    sig(BOB, good=False, fault=SigFault.FOREIGN_SUBKEY, signing=SUB),
    sig(good=False, fault=SigFault.FUTURE),
    sig("F4" * 20),  # of no known signer (OpenPGP)
    sig("SHA256:nobody", kind=SigKind.SSH),  # of no known signer (SSH)
    sig(BOB),  # not allowed here
    sig(EXPIRED),  # expired key
    sig(ALICE_SSH, kind=SigKind.SSH),  # good
]


def update(
    ref: str,
    old: str,
    new: str,
    commits: tuple[Commit, ...] = (),
    *,
    fast_forward: bool = True,
) -> RefFacts:
    oids = tuple(c.oid for c in commits)
    ff = None if ZERO in (old, new) else fast_forward
    return RefFacts(RefUpdate(old, new, ref), ff, {"gate": oids})


def pushes() -> list[Push]:
    """One push per situation; together they provoke every check (and the bypass hint)."""
    many = [
        commit(f"{i:040x}", s, parents=(BASE, MID) if i == 1 else (BASE,))
        for i, s in enumerate(SIGNATURES, start=1)
    ]
    many.append(commit("9" * 40, sig(), email="someone@example.com"))  # committer e-mail
    tip = commit(NEW, sig(good=False, kind=SigKind.NONE))
    commits = (tip, *many)
    lightweight = RefFacts(RefUpdate(ZERO, NEW, "refs/tags/v1"), None, {}, None, "commit")
    tagger = Person("Alice", "nobody@example.com")
    renamed = Tag("7" * 40, NEW, "commit", "v2", ALICE_PERSON, "v2\n", sig())
    email_tag = Tag("8" * 40, NEW, "commit", "v3", tagger, "v3\n", sig())

    def push(pusher: str | None, *facts: RefFacts, options: tuple[str, ...] = ()) -> Push:
        by_id = {c.oid: c for c in commits}
        return Push("r.git", Pusher(pusher, "ssh"), RECEIVED, facts, by_id, options)

    return [
        push("bob", update("refs/heads/main", OLD, NEW, commits)),  # new commits
        push("bob", update("refs/heads/new/topic", ZERO, NEW, commits)),  # a new branch
        push("alice", update("refs/heads/main", OLD, NEW, commits, fast_forward=False)),
        push("alice", update("refs/heads/main", OLD, ZERO)),
        push(None, update("refs/heads/main", OLD, NEW)),
        push("lead", update("refs/heads/main", OLD, NEW, (tip,))),  # may bypass, no reason
        push("alice", lightweight),
        push(
            "alice", RefFacts(RefUpdate(ZERO, "7" * 40, "refs/tags/v1"), None, {}, renamed, "tag")
        ),
        push(
            "alice", RefFacts(RefUpdate(ZERO, "8" * 40, "refs/tags/v3"), None, {}, email_tag, "tag")
        ),
        push("alice", update("refs/replace/" + OLD, ZERO, NEW)),
        push(
            "alice", update("refs/heads/master", OLD, NEW)._replace(symref_target="refs/heads/main")
        ),
        push("alice", update("refs/heads/other", OLD, NEW), update("refs/heads/other", NEW, OLD)),
    ]


def forge_merges() -> list[Violation]:
    """Gitea's pushes of a pull request's merge (head MID), provoking every forge-merge hint."""
    sigrule = SignatureRule(("group:maintainers",), forge_merges=ForgeMerges(("squash",), "bob"))
    policy = POLICY._replace(rules=(EVERYTHING._replace(signatures=sigrule),))
    head = commit(MID, sig(), parents=(OLD,))
    merged = commit(NEW, sig(good=False, kind=SigKind.NONE), parents=(OLD, MID))
    squashed = merged._replace(parents=(OLD,))
    claim = MergeClaim("pr-merge-to-base", 7, 3, internal=True)

    def judged(
        tip: Commit, source: str = "gitea", claim: MergeClaim = claim, behind: bool = False
    ) -> tuple[Violation, ...]:
        brings = (tip, head) if MID in tip.parents else (tip,)
        facts = update("refs/heads/main", OLD, NEW, brings)
        push = Push("r.git", Pusher("alice", source), RECEIVED, (facts,), {NEW: tip, MID: head})
        pull = PullHead(MID, BASE, (OLD,), not behind, {"gate": (MID,)})
        return evaluate(policy, SIGNERS, push, ForgeMerge(claim, pull, BASE)).violations

    return [
        *judged(merged, "ssh"),  # not through Gitea
        *judged(merged, claim=claim._replace(internal=False)),  # not Gitea's own push
        *judged(merged),  # a style the rule does not list
        *judged(squashed, behind=True),  # a squash of a pull request that is behind
        *judged(squashed),  # not signed by the forge's signer
    ]


def every_violation() -> list[Violation]:
    found = [v for p in pushes() for v in evaluate(POLICY, SIGNERS, p).violations]
    return found + forge_merges()


def check_name(v: Violation) -> str:
    return v.rule_id if v.rule_id.startswith("builtin/") else v.rule_id.split("/", 1)[1]


def checks_in_source() -> set[str]:
    """Check names written as literals where violations are made: `ctx.violation("name", ...)`,
    `Violation("builtin/...", ...)`, `Finding("name", ...)`, messages' `yield "name", ...`."""
    found: set[str] = set()
    for file in POLICY_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(file.read_text())):
            first: ast.expr | None = None
            if isinstance(node, ast.Call) and node.args:
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in {"violation", "Violation", "Finding"}:
                    first = node.args[0]
            elif isinstance(node, ast.Yield) and isinstance(node.value, ast.Tuple):
                first = node.value.elts[0] if node.value.elts else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
    return found


def words(command: str) -> tuple[list[str], str]:
    """The words a POSIX shell makes of `command`, and what it complained about."""
    script = f"set -- {command}\nprintf '%s\\0' \"$@\""
    out = subprocess.run(["sh", "-c", script], capture_output=True, check=False, timeout=10)
    return out.stdout.decode().split("\0")[:-1], out.stderr.decode() + (
        "" if out.returncode == 0 else "!"
    )


def faults(hint: str) -> list[str]:
    """What keeps `hint` from being pasted or followed (empty: nothing)."""
    found = []
    if not hint.startswith(VERBS):
        found.append("does not start with what to do")
    for part in hint.split("; "):  # the report shows each part on its own line
        if len(part) > HINT_LEN:
            found.append(f"longer than the report shows ({len(part)} > {HINT_LEN})")
    if re.search(r"<[A-Za-z][^<>]*>", hint):
        found.append("has a <placeholder>")
    if hint.count("`") % 2:
        found.append("has an unmatched backquote")
    for command in re.findall(r"`([^`]*)`", hint):
        found += command_faults(command, hint)
    return found


def command_faults(command: str, hint: str) -> list[str]:
    """What keeps one backquoted `command` of `hint` from being pasted as it stands."""
    argv, complaint = words(command)
    if complaint or not argv:
        return [f"sh cannot read `{command}`: {complaint}"]
    found = []
    if argv[0].startswith("-"):
        if "push again with" not in hint:
            found.append(f"option `{command}` without saying what to add it to")
    elif argv[0] not in PROGRAMS:
        found.append(f"`{command}` runs {argv[0]!r}")
    elif argv[0] == "git":
        rest = argv[1:]
        while rest[:1] == ["-c"]:
            rest = rest[2:]
        if not rest or rest[0] not in GIT_SUBCOMMANDS:
            found.append(f"`{command}`: no such git subcommand here")
    for word in argv:
        if re.fullmatch(r"[A-Z][A-Z_]+", word):
            found.append(f"`{command}` has {word} to fill in")
        if "..." in word and "between the quotes" not in hint:
            found.append(f"`{command}` has ... to fill in, unexplained")
    return found


def test_the_table_knows_every_check_in_the_source() -> None:
    assert checks_in_source() <= ALL_CHECKS


def test_the_table_provokes_every_check() -> None:
    assert {check_name(v) for v in every_violation()} == ALL_CHECKS


def test_every_hint_can_be_pasted_or_followed() -> None:
    hints = {v.hint for v in every_violation()}
    assert len(hints) > 30  # the table really varies them
    assert {h: faults(h) for h in sorted(hints) if faults(h)} == {}


@pytest.mark.parametrize(
    "hint",
    [
        "run `git rebase --exec 'git commit --amend --no-edit -n -S' <base>` and push again",
        "run `git rebase -i aaaa (mark the commit 'reword')` and push again",
        "ask an admin to run `gitward signers add ID --name NAME --email EMAIL --gpg-key FILE`",
        'you may bypass this rule with a reason: `git push -o gitward.reason="..."`',
        "run `gti commit --amend` and push again",
    ],
)
def test_the_rules_catch_what_cannot_be_pasted(hint: str) -> None:
    assert faults(hint) != []


def test_the_hint_for_a_new_branch_fixes_it_when_run(tmp_path: Path, gnupghome: Path) -> None:
    """A new protected branch with two unsigned commits on a signed base: the hint of the
    older one, run as it stands, re-signs both, and the push is accepted."""
    policy = "version: 1\nrules:\n  - id: gate\n    refs: [refs/heads/**]\n"
    policy += "    signatures:\n      signers: [group:maintainers]\n"
    config = write_config(tmp_path / "etc", policy, {"alice": Signer()})
    server = bare_repo(tmp_path / "srv" / "app.git", config)
    client = Client(tmp_path / "work", gnupghome)
    client.commit("base", sign=("openpgp", "alice"))
    assert client.push(server, "HEAD:refs/heads/main").ok
    client.git("checkout", "-q", "-b", "topic")
    for name in ("one", "two"):  # unsigned commits that change a file (amend keeps them)
        (client.path / name).write_text(name)
        client.git("add", name)
        client.git("-c", "user.name=Alice Example", "-c", "user.email=alice@example.com",
                   "commit", "-q", "-m", name)  # fmt: skip
    older = client.git("rev-parse", "HEAD~1")
    refused = client.push(server, "HEAD:refs/heads/topic")
    assert not refused.ok
    lines = refused.gitward
    at = lines.index(f"gitward:   gate/signature on {older[:10]}")
    hint = lines[at + 2].removeprefix("gitward:     fix: ")
    command = re.fullmatch(r"run `(.*)` and push again", hint)
    assert command is not None, hint
    config_args = gwkeys.sign_config("openpgp", "alice")
    for key, value in (a.split("=", 1) for a in config_args if a != "-c"):
        client.git("config", key, value)
    ran = subprocess.run(["sh", "-c", command.group(1)], cwd=client.path, env=client.env(),
                         capture_output=True, check=False)  # fmt: skip
    assert ran.returncode == 0, ran.stderr.decode()
    accepted = client.push(server, "HEAD:refs/heads/topic")
    assert accepted.ok, accepted.text
