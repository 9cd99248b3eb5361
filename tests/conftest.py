"""Shared pytest fixtures. Keep this small: logic lives in tests/support (importable modules)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import gwfixtures
import gwkeys
import gwredis
import pytest

from gitward.config import published
from gitward.signing.openpgp import Keyring

if TYPE_CHECKING:
    import gwkeyforge as kf
    from pytest_httpserver import HTTPServer

CACHE = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """The suite signs with the throwaway keys in tests/keys, whose secrets are published:
    gitward refuses to trust them anywhere else. Hooks run by the tests' `git push` inherit
    this; tests of the refusal itself clear it."""
    os.environ[published.TEST_SUITE_VAR] = "1"
    # Compiled Rego plans (gitward.rego.cache) go to a directory of this run, not the home's.
    os.environ["XDG_CACHE_HOME"] = config.stash.setdefault(CACHE, tempfile.mkdtemp(prefix="gw-"))


def pytest_unconfigure(config: pytest.Config) -> None:
    if CACHE in config.stash:
        shutil.rmtree(config.stash[CACHE], ignore_errors=True)


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


@pytest.fixture(scope="session")
def shared_fixtures() -> Path:
    """Real forge payloads and API descriptions from `../shared/fixtures` beside the checkout
    ($GITWARD_SHARED_FIXTURES overrides). They are not part of a user's clone: skip without."""
    return gwfixtures.shared_fixtures()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server for this test session (skips with the reason when not installed)."""
    with gwredis.redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[HTTPServer, HTTPServer, HTTPServer]]:
    """A GitHub double, a Gitea double and a web server (Gitea's keyring export), for the
    signer import, sync and admin import tests (`gwsite.Site.make`)."""
    import gwforge  # here: most test modules never start a forge double

    with gwforge.serve() as github, gwforge.serve() as gitea, gwforge.serve() as web:
        yield github, gitea, web


@pytest.fixture(scope="module")
def keys() -> kf.KeySet:
    """The forge doubles' key shapes (`gwkeyforge`): RSA, Ed25519, subkeys, expired, revoked."""
    import gwkeyforge  # see `servers`

    return gwkeyforge.keyset()
