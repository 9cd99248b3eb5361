"""Shared pytest fixtures. Keep this small: logic lives in tests/support (importable modules)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import gwkeys
import pytest

from gitward.config import published
from gitward.signing.openpgp import Keyring


def pytest_configure(config: pytest.Config) -> None:
    """The suite signs with the throwaway keys in tests/keys, whose secrets are published:
    gitward refuses to trust them anywhere else. Hooks run by the tests' `git push` inherit
    this; tests of the refusal itself clear it."""
    os.environ[published.TEST_SUITE_VAR] = "1"


@pytest.fixture(scope="session")
def gnupghome() -> Iterator[Path]:
    """A short GNUPGHOME with every throwaway test secret key imported (see gwkeys)."""
    home = gwkeys.gnupg_home()
    yield home
    gwkeys.remove_gnupg_home(home)


@pytest.fixture(scope="session")
def keyring_all() -> Keyring:
    """A Keyring of every test public key (mallory included; expired; revoked with revocation)."""
    return gwkeys.keyring()


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, gnupghome: Path) -> Path:
    """A work repository to make real signed commits in (see gwkeys.signed_payload)."""
    return gwkeys.init_repo(tmp_path_factory.mktemp("repo"), gnupghome)
