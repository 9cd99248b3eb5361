"""Fresh OpenPGP and SSH keys made by real gpg and ssh-keygen while the tests run.

For what the published test keys (tests/keys, see gwkeys) cannot be: keys nobody else has
(the example configuration must never trust a published one), and shapes made on demand: a
revoked signing subkey, a subkey bound to two certificates, a signature dated in the future.

    home = new_home()                                   # empty, short GNUPGHOME under /tmp
    fpr = make_key(home, "Dana <dana@example.org>")     # ed25519, signs and certifies
    sub = add_subkey(home, fpr)                         # a second signing key
    sig = sign(home, sub, b"data")                      # armored detached signature
    revoke_subkey(home, fpr, sub)
    pub = export(home, fpr)
"""

from __future__ import annotations

import atexit
import os
import subprocess
from pathlib import Path

from gwrepo import tmpdir
from pysequoia.packet import PacketPile

SIGNATURE, PUBLIC_SUBKEY = 2, 14
GPG = ["gpg", "--batch", "--yes", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", ""]


def new_home() -> Path:
    """An empty GNUPGHOME with a short path (gpg-agent's socket must fit in 108 bytes); its
    agent is stopped and the directory removed when the test process exits."""
    home = tmpdir("gw-g-")
    home.chmod(0o700)
    atexit.register(stop_agent, home)  # runs before tmpdir's removal (registered later)
    return home


def gpg(home: Path, *args: str, input: bytes | None = None) -> bytes:
    """Run gpg on `home`; its stdout. Raises CalledProcessError with gpg's stderr."""
    env = {**os.environ, "GNUPGHOME": str(home)}
    done = subprocess.run([*GPG, *args], input=input, env=env, capture_output=True, check=False)
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, args, done.stdout, done.stderr)
    return done.stdout


def stop_agent(home: Path) -> None:
    env = {**os.environ, "GNUPGHOME": str(home)}
    subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env, capture_output=True, check=False)


def _fingerprints(home: Path, key: str) -> list[tuple[str, str]]:
    """(record type, fingerprint) of `key`'s primary ("pub") and subkeys ("sub"), in order."""
    out = gpg(home, "--with-colons", "--fingerprint", "--fingerprint", key).decode()
    found: list[tuple[str, str]] = []
    kind = ""
    for line in out.splitlines():
        fields = line.split(":")
        if fields[0] in ("pub", "sub"):
            kind = fields[0]
        elif fields[0] == "fpr" and kind:
            found.append((kind, fields[9]))
            kind = ""
    return found


def make_key(
    home: Path, uid: str, *, usage: str = "sign,cert", expire: str = "never", at: str = ""
) -> str:
    """A new ed25519 key for `uid`; its primary fingerprint. `at` fakes gpg's clock
    (`20300101T000000`) for the key's creation."""
    faked = ["--faked-system-time", at] if at else []
    gpg(home, *faked, "--quick-gen-key", uid, "ed25519", usage, expire)
    return next(f for kind, f in _fingerprints(home, f"={uid}") if kind == "pub")


def add_subkey(home: Path, primary: str, *, usage: str = "sign") -> str:
    """A new ed25519 subkey of `primary`; its fingerprint."""
    before = {f for _, f in _fingerprints(home, primary)}
    gpg(home, "--quick-add-key", primary, "ed25519", usage, "never")
    (new,) = [f for _, f in _fingerprints(home, primary) if f not in before]
    return new


def revoke_subkey(home: Path, primary: str, subkey: str, reason: int = 1) -> None:
    """Revoke `subkey` of `primary` (reason 1: compromised, 2: superseded, 3: no longer used;
    sequoia treats 1 as a hard revocation and 2, 3 as soft ones)."""
    subs = [f for kind, f in _fingerprints(home, primary) if kind == "sub"]
    index = subs.index(subkey) + 1
    commands = f"key {index}\nrevkey\ny\n{reason}\n\ny\nsave\n"
    gpg(home, "--command-fd", "0", "--edit-key", primary, input=commands.encode())


def export(home: Path, key: str) -> bytes:
    """The armored public certificate of `key`."""
    return gpg(home, "--armor", "--export", key)


def sign(home: Path, key: str, data: bytes, *, at: str = "") -> bytes:
    """An armored detached signature over `data` by exactly the (sub)key `key`; `at` fakes
    gpg's clock (`20300101T000000`), which dates the signature."""
    faked = ["--faked-system-time", f"{at.rstrip('!')}!"] if at else []  # frozen, as above
    return gpg(home, *faked, "--armor", "--detach-sign", "-u", f"{key}!", input=data)


def ssh_keypair(directory: Path, name: str, comment: str) -> tuple[Path, str]:
    """A new ed25519 SSH key `directory/name`; (private key file, public key line)."""
    directory.mkdir(parents=True, exist_ok=True)
    key = directory / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(key)],
        check=True,
        capture_output=True,
    )
    return key, key.with_name(f"{name}.pub").read_text().strip()


def _packets(cert: bytes) -> list[tuple[int, bytes]]:
    """(tag, body) of each packet of a certificate, read by pysequoia (not gitward's parser)."""
    return [(int(p.tag), bytes(p.body)) for p in PacketPile.from_bytes(cert)]


def _packet(tag: int, body: bytes) -> bytes:
    """A new-format OpenPGP packet (RFC 9580 section 4.2.1), five-octet length."""
    return bytes([0xC0 | tag, 0xFF]) + len(body).to_bytes(4, "big") + body


def graft_subkey(into: bytes, donor: bytes, subkey: str) -> bytes:
    """Certificate `into` with `subkey` of certificate `donor` appended, binding signature and
    all: the subkey then sits in `into` but is bound (signed for) by `donor`'s primary key,
    as when somebody copies another person's subkey into their own certificate file."""
    donor_packets = list(PacketPile.from_bytes(donor))
    at = next(
        i
        for i, p in enumerate(donor_packets)
        if int(p.tag) == PUBLIC_SUBKEY and (p.fingerprint or "").upper() == subkey
    )
    taken = [donor_packets[at]]
    for p in donor_packets[at + 1 :]:
        if int(p.tag) != SIGNATURE:
            break
        taken.append(p)
    kept = b"".join(_packet(tag, body) for tag, body in _packets(into))
    return kept + b"".join(_packet(int(p.tag), bytes(p.body)) for p in taken)


def git_sign_config(key: str, *, at: str = "") -> list[str]:
    """`-c` arguments making `git commit -S` sign with exactly the (sub)key `key` (GNUPGHOME
    comes from the environment); `at` fakes gpg's clock, which dates the signature."""
    out = ["-c", "gpg.format=openpgp", "-c", f"user.signingkey={key}!"]
    if at:
        script = tmpdir("gw-gpg-") / "gpg"
        # `!` freezes the faked clock: a running one dates the signature a second later when
        # the machine is busy between gpg's start and its signing.
        script.write_text(f'#!/bin/sh\nexec gpg --faked-system-time {at.rstrip("!")}! "$@"\n')
        script.chmod(0o755)
        out += ["-c", f"gpg.program={script}"]
    return out


def write_signer(
    config_dir: Path, signer_id: str, email: str, cert: bytes, fingerprint: str
) -> None:
    """`signers/<id>.yaml` (group maintainers) and `signers/keys/<FPR>.asc` under the policy's
    directory, as `gitward signers add` writes them (without its admission checks, so that a
    test can register a certificate `add` would refuse)."""
    keys = config_dir / "signers" / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    (keys / f"{fingerprint}.asc").write_bytes(cert)
    (config_dir / "signers" / f"{signer_id}.yaml").write_text(
        f"id: {signer_id}\nname: {signer_id.title()}\nemails: [{email}]\n"
        f"groups: [maintainers]\nopenpgp:\n  - fingerprint: {fingerprint}\n"
    )
