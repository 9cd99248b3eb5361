"""Keys whose secret halves gitward itself publishes: never trusted outside its test suite.

gitward's repository carries throwaway test keys with their secret halves (tests/keys), so the
tests can sign with real gpg and ssh-keygen; early versions of the example configuration even
listed two of them (alice, bob) as signers. Anybody can sign as these keys, so a signer file
that names one, copied from the repository or an old example, must not load: the loader and
`gitward signers add` refuse them by fingerprint (OpenPGP primary keys and subkeys, SSH keys).

The test suite, which needs to trust them, sets `TEST_SUITE_VAR` to "1"; nothing else should.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

TEST_SUITE_VAR = "GITWARD_TRUST_PUBLISHED_TEST_KEYS"
WHY = (
    "its secret key is published in gitward's repository (a throwaway test key): "
    "anybody can sign with it"
)

# Every key of tests/keys/*.pub.asc (primary keys and subkeys) and tests/keys/*.pub; a test
# checks this list against those files.
OPENPGP = frozenset(
    {
        "C5132B925FDDECF67F43E10553B8BF32C359D190",  # alice
        "B7EDD3B71168EB1D8A0EA48EDC1B06BEC7333262",  # alice's signing subkey
        "8731A7CB402EF38B880CD260CAB925DB5B9D34D7",  # bob
        "256B8A72685FDBEDC430509F3D37433A3CD1DC66",  # carol
        "4E9D18C17DDDDEC77F73235AFB23727FA9F63B42",  # expired
        "FDBED5F24DD308A23EB172D40094B02B5898CA35",  # mallory
        "44B71E3BA8B582DA87557F89B6D99F164ABB48BB",  # revoked
    }
)
SSH = frozenset(
    {
        "SHA256:e6KAHfWhppMKG73NwG9mhgFpo3L5RXgZTCkxfdLsgDI",  # alice_ed25519
        "SHA256:QstXfxto8Wl7etkkLHp5oY2htps/G6aEf8MxwWwXh6Y",  # bob_ecdsa
        "SHA256:4Z9H+MiEhxQrevHGtfZn39Kfbs+m93B+neXB6edzv5s",  # carol_rsa
        "SHA256:j8VDuihRfJGOYSj24sAcQptTmeVpbTLBozAl6Ix+u/w",  # mallory_ed25519
    }
)


def _refused(environ: Mapping[str, str] | None) -> bool:
    env = os.environ if environ is None else environ
    return env.get(TEST_SUITE_VAR) != "1"


def openpgp(fingerprints: Iterable[str], environ: Mapping[str, str] | None = None) -> str | None:
    """The first of a certificate's key fingerprints (primary and subkeys) whose secret is
    published, or None (always None inside gitward's test suite)."""
    if not _refused(environ):
        return None
    return next((f for f in fingerprints if f.upper() in OPENPGP), None)


def ssh(fingerprint: str, environ: Mapping[str, str] | None = None) -> bool:
    """True when the SSH key with this `SHA256:` fingerprint has a published secret."""
    return _refused(environ) and fingerprint in SSH
