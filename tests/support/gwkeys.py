"""Throwaway test identities (tests/keys) and the plumbing to sign with them in real git.

Names: alice, bob, carol, mallory, expired, revoked (see tests/keys/README.txt). Typical use:

    home = gnupg_home()                      # or the session fixture `gnupghome`
    env = git_env(home) | {"GIT_AUTHOR_DATE": ...}
    subprocess.run(["git", *sign_config("openpgp", "alice"), "commit", "-S", ...], env=env)

`expired` can still sign: sign_config/gpg_sign run gpg at a faked time inside its lifetime.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import gwrepo

from gitward.signing.openpgp import Keyring

KEYS_DIR = Path(__file__).resolve().parents[1] / "keys"
NAMES = ("alice", "bob", "carol", "mallory", "expired", "revoked")
# Inside the expired key's lifetime (2020-01-01 .. 2020-12-31).
EXPIRED_KEY_TIME = "20200601T000000"


@functools.cache
def _facts() -> dict[str, dict[str, str | None]]:
    data: dict[str, dict[str, str | None]] = json.loads(
        (KEYS_DIR / "fingerprints.json").read_text()
    )
    return data


def _fact(name: str, key: str) -> str:
    value = _facts()[name][key]
    if value is None:
        raise ValueError(f"test identity {name!r} has no {key}")
    return value


def fingerprint(name: str) -> str:
    """Primary OpenPGP fingerprint (upper-case hex)."""
    return _fact(name, "openpgp")


def signing_fingerprint(name: str) -> str:
    """Fingerprint of the (sub)key that signs: alice's subkey, the primary for the others."""
    return _fact(name, "openpgp_signing")


def ssh_fingerprint(name: str) -> str:
    """`SHA256:...` as `ssh-keygen -lf` prints it."""
    return _fact(name, "ssh")


def email(name: str) -> str:
    return _fact(name, "email")


def display_name(name: str) -> str:
    return f"{name.capitalize()} Example"


def public_key(name: str) -> bytes:
    """Armored OpenPGP public key (revoked's carries its revocation)."""
    return (KEYS_DIR / f"{name}.pub.asc").read_bytes()


def ssh_public_key(name: str) -> str:
    """The OpenSSH public key line `TYPE BASE64 COMMENT`."""
    return (KEYS_DIR / f"{_fact(name, 'ssh_key')}.pub").read_text().strip()


def keyring(names: tuple[str, ...] = NAMES) -> Keyring:
    return Keyring.from_certs(public_key(n) for n in names)


@functools.cache
def _scratch() -> Path:
    path = Path(tempfile.mkdtemp(prefix="gw-k", dir="/tmp"))
    atexit.register(shutil.rmtree, path, True)
    return path


def ssh_private_key(name: str) -> Path:
    """A mode-0600 copy of the SSH private key (git checkouts make it 0644; ssh-keygen refuses)."""
    key = _fact(name, "ssh_key")
    dest = _scratch() / key
    if not dest.exists():
        shutil.copyfile(KEYS_DIR / key, dest)
        dest.chmod(0o600)
        # ssh-keygen -Y sign, and git's verification, look for the public half beside it.
        shutil.copyfile(KEYS_DIR / f"{key}.pub", dest.with_name(f"{key}.pub"))
    return dest


@functools.cache
def _faked_time_gpg() -> Path:
    script = _scratch() / "gpg-faked-time"
    script.write_text(f'#!/bin/sh\nexec gpg --faked-system-time {EXPIRED_KEY_TIME} "$@"\n')
    script.chmod(0o755)
    return script


def gnupg_home() -> Path:
    """A fresh short GNUPGHOME (/tmp/gw-XXXX) holding every test secret key (no trust set).

    The revoked key is imported without its revocation so that it can still sign. Remove it
    with `remove_gnupg_home`.
    """
    home = Path(tempfile.mkdtemp(prefix="gw-", dir="/tmp"))
    home.chmod(0o700)
    keys = [str(KEYS_DIR / f"{n}.sec.asc") for n in NAMES]
    subprocess.run(
        ["gpg", "--batch", "--quiet", "--import", *keys],
        env={**os.environ, "GNUPGHOME": str(home)},
        check=True,
        capture_output=True,
    )
    return home


def remove_gnupg_home(home: Path) -> None:
    subprocess.run(
        ["gpgconf", "--kill", "gpg-agent"],
        env={**os.environ, "GNUPGHOME": str(home)},
        check=False,
        capture_output=True,
    )
    shutil.rmtree(home, ignore_errors=True)


def git_env(gnupghome: Path) -> dict[str, str]:
    """`gwrepo.clean_env` with this GNUPGHOME; author/committer names and dates NOT set."""
    return gwrepo.clean_env({"GNUPGHOME": str(gnupghome)})


def sign_config(kind: Literal["openpgp", "ssh"], who: str) -> list[str]:
    """`-c key=value` arguments making `git <these> commit -S` (or `tag -s`) sign as `who`."""
    out = ["-c", f"user.name={display_name(who)}", "-c", f"user.email={email(who)}"]
    if kind == "ssh":
        return [*out, "-c", "gpg.format=ssh", "-c", f"user.signingkey={ssh_private_key(who)}"]
    out += ["-c", "gpg.format=openpgp", "-c", f"user.signingkey={signing_fingerprint(who)}!"]
    if who == "expired":
        out += ["-c", f"gpg.program={_faked_time_gpg()}"]
    return out


def gpg_sign(gnupghome: Path, who: str, data: bytes, *extra: str) -> bytes:
    """An armored detached signature by `who` (extra gpg options, e.g. --digest-algo SHA1)."""
    gpg = [str(_faked_time_gpg())] if who == "expired" else ["gpg"]
    cmd = [*gpg, "--batch", "--armor", "--detach-sign", "-u", f"{signing_fingerprint(who)}!"]
    done = subprocess.run(
        [*cmd, *extra],
        input=data,
        env={**os.environ, "GNUPGHOME": str(gnupghome)},
        check=True,
        capture_output=True,
    )
    return done.stdout


def ssh_sign(who: str, data: bytes, namespace: str = "git") -> bytes:
    """An armored SSHSIG by `who`'s SSH key (ssh-keygen -Y sign)."""
    return ssh_sign_with(ssh_private_key(who), data, namespace)


def ssh_sign_with(key: Path, data: bytes, namespace: str = "git") -> bytes:
    """An armored SSHSIG by the private key file `key`, as `git commit -S` makes it."""
    done = subprocess.run(
        ["ssh-keygen", "-q", "-Y", "sign", "-n", namespace, "-f", str(key)],
        input=data,
        check=True,
        capture_output=True,
    )
    return done.stdout


def ssh_signed_commit_object(
    who: str, tree: str, parents: Iterable[str], message: bytes, object_format: str = "sha1"
) -> bytes:
    """A raw commit signed with `who`'s SSH key exactly as git would sign it."""
    parents = list(parents)
    payload = gwrepo.raw_commit(tree, parents, message)
    signature = ssh_sign(who, payload)
    return gwrepo.signed_commit_object(tree, parents, message, signature, object_format)


ARMOR_START = {
    "openpgp": b"-----BEGIN PGP SIGNATURE-----\n",
    "ssh": b"-----BEGIN SSH SIGNATURE-----\n",
}


def signed_payload(
    repo: Path, home: Path, kind: Literal["openpgp", "ssh"], who: str, message: str
) -> tuple[bytes, bytes]:
    """(payload, signature) of a real `git commit -S` by `who`, split the way git splits it."""
    payload, sig = split_signed_commit(signed_commit(repo, home, kind, who, message))
    assert sig is not None and sig.startswith(ARMOR_START[kind])
    return payload, sig


def split_signed_commit(raw: bytes) -> tuple[bytes, bytes | None]:
    """(payload, signature) of a raw commit object, the way git splits a `gpgsig` header.

    A TEST helper (the product's parser is gitward.git.objects): drops the `gpgsig` header and
    its space-prefixed continuation lines from the header block, and unfolds them.
    """
    head, sep, body = raw.partition(b"\n\n")
    kept: list[bytes] = []
    sig: list[bytes] | None = None
    in_sig = False
    for line in head.split(b"\n"):
        if line.startswith(b"gpgsig ") and sig is None:
            sig, in_sig = [line[len(b"gpgsig ") :]], True
        elif in_sig and line.startswith(b" "):
            assert sig is not None
            sig.append(line[1:])
        else:
            in_sig = False
            kept.append(line)
    payload = b"\n".join(kept) + sep + body
    return payload, (b"\n".join(sig) + b"\n" if sig is not None else None)


def init_repo(path: Path, gnupghome: Path) -> Path:
    """`git init` a scratch repository at `path` (under /tmp or pytest's tmp_path)."""
    subprocess.run(["git", "init", "-q", str(path)], env=git_env(gnupghome), check=True)
    return path


def signed_commit(
    repo: Path, gnupghome: Path, kind: Literal["openpgp", "ssh"], who: str, message: str
) -> bytes:
    """Make an empty commit signed by `who` with real `git commit -S`; its raw object bytes."""
    env = git_env(gnupghome)
    argv = ["git", *sign_config(kind, who), "commit", "-q", "--allow-empty", "-S", "-m", message]
    subprocess.run(argv, cwd=repo, env=env, check=True, capture_output=True)
    done = subprocess.run(
        ["git", "cat-file", "commit", "HEAD"], cwd=repo, env=env, check=True, capture_output=True
    )
    return done.stdout
