"""`content.protected_paths` in the policy file: the same table gives the loader and the JSON
Schema, and the signers it names must exist, as a signature rule's do (FILE:LINE errors)."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml
from gwpush import Signer, write_config

from gitward.cli import main
from gitward.config import load, policy_file, policy_schema
from gitward.policy import spec

VALIDATOR = jsonschema.Draft202012Validator(policy_schema())
RULE = "rules:\n  - id: prod\n    refs: [refs/heads/main]\n    content:\n"

VALID = [
    "      protected_paths: {paths: ['clusters/prod/**'], signers: [group:maintainers]}\n",
    "      paths: ['**', '!docs/']\n"
    "      protected_paths:\n"
    "        paths: ['clusters/prod/**', '**/networkpolicy*.yaml']\n"
    "        signers: [alice, group:maintainers]\n"
    "        min_signers: 2\n",
]
INVALID = [
    "      protected_paths: {signers: [alice]}\n",  # which paths?
    "      protected_paths: {paths: ['x/**']}\n",  # nobody named
    "      protected_paths: {paths: ['x/**'], signers: []}\n",  # nobody could change them
    "      protected_paths: {paths: [], signers: [alice]}\n",
    "      protected_paths: {paths: ['x/**'], signers: [alice], min_signers: 0}\n",
    "      protected_paths: {paths: ['x/**'], signers: ['not a name']}\n",
    "      protected_paths: {paths: ['x/**'], signers: [alice], min_signer: 2}\n",
]


@pytest.mark.parametrize("content", VALID)
def test_valid_protected_paths_pass_schema_and_loader(content: str) -> None:
    doc = yaml.safe_load(RULE + content)
    VALIDATOR.validate(doc)
    assert policy_file.validate(doc)[1] == []


@pytest.mark.parametrize("content", INVALID)
def test_invalid_protected_paths_fail_schema_and_loader(content: str) -> None:
    doc = yaml.safe_load(RULE + content)
    assert list(VALIDATOR.iter_errors(doc))
    assert policy_file.validate(doc)[1]


def test_a_bad_glob_is_a_loader_error() -> None:
    # JSON Schema cannot tell a glob from a string; the loader compiles each one.
    doc = yaml.safe_load(RULE + "      protected_paths: {paths: ['[z-a]'], signers: [alice]}\n")
    [(where, what)] = policy_file.validate(doc)[1]
    assert where == ("rules", 0, "content", "protected_paths", "paths", 0)
    assert what.startswith('expected a path glob (.gitignore style), got "[z-a]"')


def config(root: Path, content: str) -> Path:
    signers = {"alice": Signer(), "bob": Signer(), "mallory": Signer(groups=("contractors",))}
    return write_config(root, "version: 1\n" + RULE + content, signers)


def test_it_loads_into_the_checks_value(tmp_path: Path) -> None:
    loaded = load(config(tmp_path, VALID[1]))
    content = loaded.policy.rules[0].content
    assert content is not None
    assert content.protected_paths == spec.ProtectedPaths(
        ("clusters/prod/**", "**/networkpolicy*.yaml"), ("alice", "group:maintainers"), 2
    )
    assert content.paths == ("**", "!docs/")


def test_unknown_signers_and_empty_groups_are_errors_at_their_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = (
        "      protected_paths:\n"
        "        paths: ['clusters/prod/**']\n"
        "        signers:\n"
        "          - alice\n"
        "          - carol\n"
        "          - group:maintainer\n"
    )
    path = config(tmp_path, content)
    assert main(["config", "check", str(path)]) == 1
    out = capsys.readouterr()
    text = out.out + out.err
    signers_dir = tmp_path / "signers"
    assert (
        f"{path}:10: rules[0].content.protected_paths.signers[1]: expected a signer id (a file "
        f"in {signers_dir}), got 'carol'"
    ) in text
    assert (
        f"{path}:11: rules[0].content.protected_paths.signers[2]: expected a signer group with "
        f"members, got 'maintainer': no signer in {signers_dir} belongs to it (did you mean "
        "'maintainers'?)"
    ) in text


def test_more_signers_than_allowed_is_a_warning_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not an error: the hook would then refuse every push, not only protected changes."""
    content = (
        "      protected_paths:\n"
        "        paths: ['clusters/prod/**']\n"
        "        signers: [alice, group:contractors]\n"
        "        min_signers: 3\n"
    )
    path = config(tmp_path, content)
    assert main(["config", "check", str(path)]) == 0
    warning, ok = capsys.readouterr().out.splitlines()
    assert warning == (
        f"warning: {path}:9: rules[0].content.protected_paths.min_signers: only 2 of the 3 "
        "distinct signers needed are allowed (alice, mallory): changes to these paths cannot be "
        "pushed until an admin allows more"
    )
    assert ok.startswith("OK: 1 rule, 3 signers")
    path.write_text(path.read_text().replace("min_signers: 3", "min_signers: 2"))
    assert load(path).warnings == ()
