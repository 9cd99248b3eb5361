"""The object parsers split signed commits and tags exactly as git does.

Literal objects pin git's rules (commit.c parse_buffer_signed_by_header, gpg-interface.c
parse_signature); real `git commit -S` / `git tag -s` objects, checked with ssh-keygen over
*our* payload, show we extract the bytes git actually signed, in SHA-1 and SHA-256
repositories; property tests cover arbitrary headers, messages and garbage.
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import gwkeys
import pytest
from gwrepo import (
    commit,
    empty_tree,
    git,
    init,
    raw_commit,
    tmpdir,
    write_object,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from gitward.git import signed as gitsig
from gitward.git.objects import parse_commit, parse_person, parse_tag
from gitward.git.signed import split_signed_commit, split_signed_tag
from gitward.model import Person

T1 = "a" * 40
P1 = "b" * 40
T256 = "c" * 64
SIG = b"-----BEGIN PGP SIGNATURE-----\n\nwnUEABYKAB0WIQ\n=abcd\n-----END PGP SIGNATURE-----\n"
ME = b"A U Thor <author@example.com> 1767225600 +0100"


def commit_bytes(tree: str, *extra: bytes, message: bytes = b"subject\n\nbody\n") -> bytes:
    head = [b"tree " + tree.encode(), b"parent " + P1.encode()] if tree == T1 else []
    head = head or [b"tree " + tree.encode()]
    head += [b"author " + ME, b"committer " + ME, *extra]
    return b"\n".join(head) + b"\n\n" + message


def sig_header(name: bytes, sig: bytes = SIG) -> bytes:
    return name + b" " + sig.rstrip(b"\n").replace(b"\n", b"\n ")


# -- commits --------------------------------------------------------------------------------


def test_gpgsig_is_the_signature_and_is_left_out_of_the_payload() -> None:
    raw = commit_bytes(T1, sig_header(b"gpgsig"))
    parsed = parse_commit("x", raw, "sha1")
    assert parsed.signature == SIG
    assert parsed.signature_count == 1
    assert parsed.payload == commit_bytes(T1)
    assert parsed.parents == (P1,)
    assert parsed.committer == Person("A U Thor", "author@example.com", 1767225600, "+0100")
    assert parsed.message == "subject\n\nbody\n"


def test_sha256_repositories_use_gpgsig_sha256_and_drop_gpgsig() -> None:
    raw = commit_bytes(T256, sig_header(b"gpgsig", b"OTHER\n"), sig_header(b"gpgsig-sha256"))
    parsed = parse_commit("x", raw, "sha256")
    assert parsed.signature == SIG
    assert parsed.payload == commit_bytes(T256)


def test_a_signature_for_the_other_algorithm_does_not_count() -> None:
    raw = commit_bytes(T1, sig_header(b"gpgsig-sha256"))
    parsed = parse_commit("x", raw, "sha1")
    assert parsed.signature is None
    assert parsed.signature_count == 0
    # ...but it is still not part of what a signature would cover
    assert parsed.payload == commit_bytes(T1)


def test_two_signature_headers_are_concatenated_so_the_verifier_sees_both() -> None:
    other = SIG.replace(b"abcd", b"wxyz")
    raw = commit_bytes(T1, sig_header(b"gpgsig"), b"x-extra y", sig_header(b"gpgsig", other))
    payload, signature, count = split_signed_commit(raw, "sha1")
    assert signature == SIG + other
    assert count == 2
    assert payload == commit_bytes(T1, b"x-extra y")


def test_any_header_line_starting_with_gpgsig_is_dropped_like_git_does() -> None:
    raw = commit_bytes(T1, b"gpgsigx hidden\n continued", b"mergetag object " + P1.encode())
    payload, signature, count = split_signed_commit(raw, "sha1")
    assert (signature, count) == (b"", 0)
    assert payload == commit_bytes(T1, b"mergetag object " + P1.encode())


def test_signature_lookalikes_in_the_message_are_payload() -> None:
    raw = commit_bytes(T1, message=b"subject\n\ngpgsig not a header\n" + SIG)
    parsed = parse_commit("x", raw, "sha1")
    assert parsed.signature is None
    assert parsed.payload == raw


def test_mergetag_with_an_embedded_signature_stays_in_the_payload() -> None:
    mergetag = sig_header(b"mergetag", b"object " + P1.encode() + b"\ntype commit\n\n" + SIG)
    raw = commit_bytes(T1, mergetag, sig_header(b"gpgsig"))
    parsed = parse_commit("x", raw, "sha1")
    assert parsed.signature == SIG
    assert parsed.payload == commit_bytes(T1, mergetag)


HIDDEN_SIGNOFF = b"feat: x\0\n\nSigned-off-by: Alice Example <alice@example.com>\n"


def test_a_message_ends_at_its_first_nul_as_git_shows_it() -> None:
    raw = commit_bytes(T1, message=HIDDEN_SIGNOFF)
    parsed = parse_commit("x", raw, "sha1")
    assert parsed.message == "feat: x"
    assert parsed.payload == raw  # a signature still covers every byte
    repo = init(tmpdir() / "nul.git")
    oid = write_object(repo, "commit", raw_commit(empty_tree(repo), message=HIDDEN_SIGNOFF))
    assert git(repo, "log", "-1", "--format=%B", oid).strip() == "feat: x"
    assert git(repo, "log", "-1", "--format=%(trailers)", oid).strip() == ""


def test_a_tag_message_ends_at_its_first_nul_as_git_shows_it() -> None:
    raw = TAG_HEAD + b"release notes\0hidden\n" + SIG
    parsed = parse_tag("x", raw, "sha1")
    assert parsed.message == "release notes"
    assert parsed.signature == SIG
    repo = init(tmpdir() / "nul.git")
    target = write_object(repo, "commit", raw_commit(empty_tree(repo)))
    oid = write_object(repo, "tag", raw.replace(P1.encode(), target.encode()))
    git(repo, "update-ref", "refs/tags/v1.0", oid)
    assert git(repo, "for-each-ref", "--format=%(contents)", "refs/tags").strip() == "release notes"


def test_a_sign_off_after_a_nul_does_not_count(capsys: pytest.CaptureFixture[str]) -> None:
    from gitward.cli import main

    config = tmpdir("gw-cfg-")
    rule = "rules:\n  - id: dco\n    refs: [refs/heads/main]\n    messages:\n"
    (config / "policy.yaml").write_text(f"version: 1\n{rule}      signed_off_by: true\n")
    (config / "signers").mkdir()
    repo = init(tmpdir() / "nul.git")
    for message, refused in ((HIDDEN_SIGNOFF, True), (HIDDEN_SIGNOFF.replace(b"\0", b""), False)):
        oid = write_object(repo, "commit", raw_commit(empty_tree(repo), message=message))
        code = main(["check", "--config", str(config), "--repo", str(repo), "--ref", "main", oid])
        out = capsys.readouterr().out
        assert code == (1 if refused else 0), out
        assert ("dco/signed-off-by" in out) is refused, out


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"author x <y> 1 +0000\n\nmsg", "tree"),
        (commit_bytes(T1, b"committer " + ME), "more than one committer"),
        (b"tree " + T1.encode() + b"\nauthor " + ME + b"\n\nmsg", "lacks"),
        (b"tree " + T1[:-1].encode() + b"\nauthor a\ncommitter c\n\nm", "malformed tree"),
        (commit_bytes(T1), "malformed tree"),  # a SHA-1 id in a SHA-256 repository
    ],
)
def test_malformed_commits_raise_value_error(raw: bytes, problem: str) -> None:
    fmt = "sha256" if problem == "malformed tree" and raw == commit_bytes(T1) else "sha1"
    with pytest.raises(ValueError, match=problem):
        parse_commit("x", raw, fmt)


def test_only_parents_right_after_the_tree_are_parents() -> None:
    raw = commit_bytes(T1, b"parent " + ("d" * 40).encode())
    assert parse_commit("x", raw, "sha1").parents == (P1,)


@pytest.mark.parametrize(
    ("ident", "expected"),
    [
        (b"Eve <alice@example.com> <e@v> 5 -0200", Person("Eve", "alice@example.com", 5, "-0200")),
        (b"<only@mail> 7 +0000", Person("", "only@mail", 7, "+0000")),
        (b"No Mail 5 +0000", Person("No Mail 5 +0000", "")),
        (b"Bad Date <b@d> soon", Person("Bad Date", "b@d", 0, "+0000")),
        (b"Caf\xe9 <c@d> 1 +0000", Person("Caf\ufffd", "c@d", 1, "+0000")),
    ],
)  # fmt: skip
def test_identities_are_split_like_git_split_ident_line(ident: bytes, expected: Person) -> None:
    assert parse_person(ident) == expected


# -- tags -----------------------------------------------------------------------------------

TAG_HEAD = b"object " + P1.encode() + b"\ntype commit\ntag v1.0\ntagger " + ME + b"\n\n"


@pytest.mark.parametrize(
    "begin",
    [
        b"-----BEGIN PGP SIGNATURE-----",
        b"-----BEGIN PGP MESSAGE-----",
        b"-----BEGIN SSH SIGNATURE-----",
        b"-----BEGIN SIGNED MESSAGE-----",
    ],
)
def test_tag_signature_starts_at_the_last_armor_line(begin: bytes) -> None:
    first = begin + b"\nquoted in the message\n"
    sig = begin + b"\nAAAA\n-----END-----\n"
    raw = TAG_HEAD + b"Release\n\n" + first + sig
    parsed = parse_tag("x", raw, "sha1")
    assert parsed.signature == sig
    assert parsed.payload == TAG_HEAD + b"Release\n\n" + first
    assert (parsed.target, parsed.target_type, parsed.name) == (P1, "commit", "v1.0")
    assert parsed.tagger is not None and parsed.tagger.email == "author@example.com"


def test_unsigned_and_tagger_less_tags() -> None:
    raw = b"object " + P1.encode() + b"\ntype commit\ntag old\n\nmessage\n"
    parsed = parse_tag("x", raw, "sha1")
    assert (parsed.signature, parsed.tagger, parsed.message) == (None, None, "message\n")
    assert parsed.payload == raw


def test_gpgsig_header_blocks_are_removed_from_a_tag_payload() -> None:
    head = TAG_HEAD.replace(b"\n\n", b"\n" + sig_header(b"gpgsig-sha256", b"A\nB\n") + b"\n\n")
    payload, signature = split_signed_tag(head + b"msg\n" + SIG)
    assert (payload, signature) == (TAG_HEAD + b"msg\n", SIG)


def test_a_tag_without_object_or_type_or_with_two_taggers_is_malformed() -> None:
    with pytest.raises(ValueError, match="object or a type"):
        parse_tag("x", b"tag v1\n\nmsg\n", "sha1")
    two = TAG_HEAD.replace(b"\n\n", b"\ntagger Eve <eve@example.com> 1 +0000\n\n")
    with pytest.raises(ValueError, match="more than one tagger"):
        parse_tag("x", two, "sha1")


# -- the real thing: git's own signed objects, checked by ssh-keygen over our payload --------


def ssh_check(payload: bytes, signature: bytes, tmp: Path) -> str:
    sig_file = tmp / "sig"
    sig_file.write_bytes(signature)
    proc = subprocess.run(
        ["ssh-keygen", "-Y", "check-novalidate", "-n", "git", "-s", str(sig_file)],
        input=payload,
        capture_output=True,
        check=False,
    )
    return proc.stdout.decode() + proc.stderr.decode()


@pytest.mark.parametrize("fmt", ["sha1", "sha256"])
def test_payload_of_git_signed_objects_is_what_git_signed(fmt: str) -> None:
    key = gwkeys.ssh_private_key("alice")
    work = init(tmpdir() / "w", bare=False, object_format=fmt)
    signing = ("-c", "gpg.format=ssh", "-c", f"user.signingkey={key}")
    git(work, *signing, "commit", "-q", "--allow-empty", "-S", "-m", "signed\n\nbody")
    git(work, *signing, "tag", "-s", "-m", "release", "v1")

    raw = git(work, "cat-file", "commit", "HEAD").encode() + b"\n"
    parsed = parse_commit(git(work, "rev-parse", "HEAD"), raw, fmt)
    assert parsed.signature is not None and parsed.signature_count == 1
    header = b"gpgsig " if fmt == "sha1" else b"gpgsig-sha256 "
    assert header in raw
    # The payload is the object minus its signature header block...
    kept = [ln for ln in raw.split(b"\n") if not ln.startswith((b"gpgsig", b" "))]
    assert parsed.payload == b"\n".join(kept)
    # ...and it is exactly the byte string the signature covers.
    assert "Good" in ssh_check(parsed.payload, parsed.signature, key.parent)
    assert "Good" not in ssh_check(parsed.payload + b"x", parsed.signature, key.parent)

    tag_raw = git(work, "cat-file", "tag", "v1").encode() + b"\n"
    tag = parse_tag("v1", tag_raw, fmt)
    assert tag.signature is not None and tag.signature.startswith(b"-----BEGIN SSH SIGNATURE")
    assert tag.message == "release\n"
    assert "Good" in ssh_check(tag.payload, tag.signature, key.parent)


# -- properties -----------------------------------------------------------------------------

header_key = st.from_regex(r"\A[a-fh-z][a-z-]{0,10}\Z")  # never starts with "g"(pgsig)
one_line = st.binary(max_size=20).filter(lambda b: b"\n" not in b)
header_value = st.lists(one_line, min_size=1, max_size=3).map(b"\n ".join)
sig_lines = st.lists(
    st.binary(min_size=1, max_size=30).filter(lambda b: b"\n" not in b), min_size=1, max_size=5
)
formats = st.sampled_from(["sha1", "sha256"])


@settings(max_examples=300, deadline=None)
@given(
    extra=st.lists(st.tuples(header_key, header_value), max_size=4),
    position=st.integers(min_value=0, max_value=4),
    signature=sig_lines,
    message=st.binary(max_size=200),
    fmt=formats,
)
def test_payload_round_trip(
    extra: list[tuple[str, bytes]],
    position: int,
    signature: list[bytes],
    message: bytes,
    fmt: str,
) -> None:
    tree = "1" * (40 if fmt == "sha1" else 64)
    headers = [k.encode() + b" " + v for k, v in extra]
    unsigned = commit_bytes(tree, *headers, message=message)
    sig = b"\n".join(signature) + b"\n"
    name = b"gpgsig" if fmt == "sha1" else b"gpgsig-sha256"
    headers.insert(min(position, len(headers)), name + b" " + sig[:-1].replace(b"\n", b"\n "))
    parsed = parse_commit("x", commit_bytes(tree, *headers, message=message), fmt)
    assert parsed.payload == unsigned
    assert parsed.signature == sig
    assert parsed.message == message.split(b"\0", 1)[0].decode("utf-8", "replace")


# Header lines that exercise every branch of git's loop.
tricky_line = (
    st.sampled_from(
        [b"gpgsig A", b"gpgsig-sha256 B", b" cont", b"  two", b"gpgsig", b"gpgsigX y", b"x y", b""]
    )
    | one_line
)


@settings(max_examples=1000, deadline=None)
@given(lines=st.lists(tricky_line, max_size=8), tail=st.binary(max_size=30), fmt=formats)
def test_the_fast_path_agrees_with_gits_line_walk(
    lines: list[bytes], tail: bytes, fmt: str
) -> None:
    raw = b"\n".join(lines) + tail
    head, rest = gitsig.split_head(raw)
    header = gitsig.SIGNATURE_HEADERS[fmt] + b" "
    assert split_signed_commit(raw, fmt) == gitsig._split_signed_commit_walk(head, rest, header)


@settings(max_examples=500, deadline=None)
@given(raw=st.binary(max_size=400), fmt=formats)
def test_arbitrary_bytes_never_raise_anything_but_value_error(raw: bytes, fmt: str) -> None:
    for parse in (parse_commit, parse_tag):
        with contextlib.suppress(ValueError):
            parse("x", raw, fmt)
    payload, signature, _ = split_signed_commit(raw, fmt)
    assert len(payload) + len(signature) <= len(raw)


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(tricky_line | st.sampled_from([b"parent ", b"author a <b> 1 +0000"])),
    fmt=formats,
)
def test_parsers_survive_objects_that_look_almost_right(lines: list[bytes], fmt: str) -> None:
    tree = b"1" * (40 if fmt == "sha1" else 64)
    body = b"\n".join(lines)
    with contextlib.suppress(ValueError):
        parse_commit("x", b"tree " + tree + b"\n" + body, fmt)
    with contextlib.suppress(ValueError):
        parse_tag("x", b"object " + tree + b"\ntype commit\n" + body + b"\n" + SIG, fmt)


# -- git itself agrees: objects signed over OUR payload verify with `git verify-*` ----------


def verify_with_git(repo: Path, kind: str, oid: str, key: Path) -> bool:
    allowed = key.parent / "allowed_signers"
    allowed.write_text("alice@example.com " + key.with_suffix(".pub").read_text())
    config = ("-c", "gpg.format=ssh", "-c", f"gpg.ssh.allowedSignersFile={allowed}")
    try:
        git(repo, *config, f"verify-{kind}", oid)
    except subprocess.CalledProcessError:
        return False
    return True


ODD_HEADERS = {
    "gpgsig-like header": [(b"gpgsigX", b"not a signature\ncontinued")],
    "other algorithm's signature": [(b"gpgsig-sha256", b"-----BEGIN SSH SIGNATURE-----\nAA")],
    "mergetag with a signature": [(b"mergetag", b"object " + P1.encode() + b"\n\n" + SIG)],
}


@pytest.mark.parametrize("extra", ODD_HEADERS.values(), ids=ODD_HEADERS.keys())
def test_git_verifies_commits_signed_over_our_payload(extra: list[tuple[bytes, bytes]]) -> None:
    key = gwkeys.ssh_private_key("alice")
    repo = init(tmpdir() / "r.git")
    tree = empty_tree(repo)
    raw = raw_commit(tree, [], b"odd\n", extra=extra)
    payload = parse_commit("x", raw, "sha1").payload
    signed = raw_commit(
        tree, [], b"odd\n", extra=[*extra, (b"gpgsig", gwkeys.ssh_sign("alice", payload))]
    )
    oid = write_object(repo, "commit", signed)
    assert parse_commit(oid, signed, "sha1").payload == payload
    assert verify_with_git(repo, "commit", oid, key)
    # and git is no pushover: the same signature over different bytes fails
    forged = write_object(repo, "commit", signed.replace(b"odd\n", b"odd!\n"))
    assert not verify_with_git(repo, "commit", forged, key)


def test_git_verifies_tags_signed_over_our_payload() -> None:
    key = gwkeys.ssh_private_key("alice")
    repo = init(tmpdir() / "r.git")
    target = commit(repo, "x\n")
    head = f"object {target}\ntype commit\ntag v1\ntagger A <a@b> 1 +0000\n".encode()
    block = b"gpgsig-sha256 -----BEGIN SSH SIGNATURE-----\n AAAA\n -----END SSH SIGNATURE-----\n"
    body = b"\nquoting a signature:\n-----BEGIN SSH SIGNATURE-----\n"
    payload = head + body  # what git signs: no header signature block, no signature
    raw = head + block + body + gwkeys.ssh_sign("alice", payload)
    oid = write_object(repo, "tag", raw)
    assert parse_tag(oid, raw, "sha1").payload == payload
    assert verify_with_git(repo, "tag", oid, key)
