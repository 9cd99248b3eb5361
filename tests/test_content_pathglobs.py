"""Path globs as .gitignore writes them, matched with RE2 in linear time."""

from __future__ import annotations

import time

import pytest

from gitward.policy import pathglobs

CASES = [
    # glob, path, selected
    ("*.pem", "tls.pem", True),
    ("*.pem", "deploy/certs/tls.pem", True),
    ("*.pem", "tls.pem.txt", False),
    ("*.pem", "keys.pem/readme", True),  # a directory it names: everything below
    (".env", ".env", True),
    (".env", "app/.env", True),
    (".env", "app/.env.example", False),
    (".env.*", "app/.env.prod", True),
    ("id_rsa*", "home/.ssh/id_rsa.pub", True),
    ("/Makefile", "Makefile", True),
    ("/Makefile", "sub/Makefile", False),
    ("deploy/*.yaml", "deploy/app.yaml", True),
    ("deploy/*.yaml", "deploy/sub/app.yaml", False),
    ("deploy/*.yaml", "x/deploy/app.yaml", False),  # a middle `/` anchors
    ("**/kubeconfig", "kubeconfig", True),
    ("**/kubeconfig", "a/b/kubeconfig", True),
    ("secrets/", "secrets/a.txt", True),
    ("secrets/", "secrets", False),  # a file named so: the trailing `/` wants a directory
    ("secrets/", "app/secrets/b/c", True),
    ("a/**", "a/b/c", True),
    ("a/**", "a", False),
    ("a/**/z", "a/z", True),
    ("a/**/z", "a/b/c/z", True),
    ("a/**/z", "b/a/z", False),
    ("?.txt", "a.txt", True),
    ("?.txt", "ab.txt", False),
    ("[abc].txt", "b.txt", True),
    ("[!abc].txt", "b.txt", False),
    ("[!abc].txt", "d.txt", True),
    ("[z", "[z", True),  # an unclosed class is a literal `[`
    ("\\!x", "!x", True),
    ("a+b(c).txt", "a+b(c).txt", True),
    ("*", "any/thing", True),
    ("**", "any/thing", True),
    ("café/*.txt", "café/a.txt", True),
    ("?.txt", "é.txt", True),  # one character, two bytes
    ("*.env", "a\nb.env", True),  # git allows newlines in names
]


@pytest.mark.parametrize(("glob", "path", "selected"), CASES)
def test_gitignore_semantics(glob: str, path: str, selected: bool) -> None:
    assert pathglobs.problem(glob) is None
    assert pathglobs.select((glob,), path) is selected


def test_the_last_matching_glob_decides_and_negation_reincludes() -> None:
    globs = ("**", "!docs/", "docs/keep.md")
    assert pathglobs.select(globs, "src/a.py")
    assert not pathglobs.select(globs, "docs/a.md")
    assert pathglobs.select(globs, "docs/keep.md")
    assert not pathglobs.select(("!a",), "a")


def test_no_globs_selects_every_path_and_an_empty_list_none() -> None:
    assert pathglobs.select(None, "x")
    assert not pathglobs.select((), "x")


@pytest.mark.parametrize("glob", ["", "!", "/", "!!x", "a\nb", "[z-a]", "[é]"])
def test_bad_globs_are_reported(glob: str) -> None:
    assert pathglobs.problem(glob)


def test_undecodable_names_match_like_others() -> None:
    # In UTF-8 mode no class would match the stray byte, and the key file would pass.
    name = b"caf\xe9.pem".decode("utf-8", "surrogateescape")
    assert pathglobs.select(("*.pem",), name)
    assert pathglobs.select(("caf?.pem",), name)


def test_matching_takes_linear_time_on_hostile_paths() -> None:
    glob = ("a*a*a*a*a*a*a*a*b",)
    path = "a" * 20_000
    start = time.perf_counter()
    assert not pathglobs.select(glob, path)
    assert time.perf_counter() - start < 0.5
