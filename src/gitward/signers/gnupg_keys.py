"""Keys from an existing GnuPG keyring (`gitward signers import --gnupg`), through python-gnupg:
the one module that imports it (it ships no type hints, and never loads in the hook).

python-gnupg runs the admin's own `gpg`; listing and exporting public keys needs no secret key
and no agent. Selectors are exact: a 16-digit key id or a fingerprint (of a primary key, or of
a subkey, whose certificate is then taken), or an e-mail address, matched as `<address>` (gpg
otherwise takes any user id containing the text: `ana@example.org` would find
`dana@example.org`). Shorter key ids are refused: 32-bit ids are easy to collide.

Every certificate passes the checks of `signers add` against the signer's e-mails. One asked
for by key id or fingerprint that fails them fails the import, as `add` would; one found by
e-mail that fails them (an old expired key beside the current one) is left out and named.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from gitward.config import keycheck
from gitward.errors import SignerEditError
from gitward.signers.candidates import Candidate, LeftOut, Sorted
from gitward.signers.state import Origin
from gitward.signing.openpgp.certs import load_cert

_HEX = re.compile(r"(?:0[xX])?([0-9A-Fa-f]+)")
_EMAIL = re.compile(r"[^@\s<>]+@[^@\s<>]+")


class Found(NamedTuple):
    keys: Sorted
    emails: tuple[str, ...]  # the signer's e-mails: given, else asked for, else the keys' own
    origin: Origin
    name: str | None  # the name in the first key's first user id


def pattern(selector: str) -> tuple[str, bool]:
    """(what gpg is asked for, whether it names an e-mail); SignerEditError if it is neither a
    long key id, a fingerprint nor an e-mail."""
    text = selector.strip()
    digits = _HEX.fullmatch(text.replace(" ", ""))
    if digits:
        if len(digits.group(1)) not in (16, 40, 64):
            raise SignerEditError(
                f"{selector!r}: give a 16-digit key id or the fingerprint (short ids collide)"
            )
        return digits.group(1).upper(), False
    if _EMAIL.fullmatch(text):
        return f"<{text}>", True
    raise SignerEditError(f"{selector!r}: not a key id, fingerprint or e-mail address")


def _gpg(homedir: str | None) -> Any:
    if homedir is not None and not Path(homedir).is_dir():
        raise SignerEditError(f"{homedir}: no such GnuPG home directory")
    import gnupg  # noqa: PLC0415  # python-gnupg: only this command needs it

    try:
        return gnupg.GPG(gnupghome=homedir)
    except (OSError, ValueError, RuntimeError) as exc:
        raise SignerEditError(f"cannot run gpg through python-gnupg: {exc}") from None


def find(
    homedir: str | None, selectors: Sequence[str], emails: Sequence[str], now: datetime
) -> Found:
    """The certificates `selectors` name in the keyring at `homedir` (None: gpg's default),
    checked like `signers add` against `emails` (else the e-mails asked for, else the
    certificates' own)."""
    if not selectors:
        raise SignerEditError("name the keys to import: key ids, fingerprints or e-mails")
    gpg = _gpg(homedir)
    explicit: dict[str, bool] = {}  # fingerprint -> asked for by id (not only by e-mail)
    asked: list[str] = []
    names: list[str] = []
    for selector in selectors:
        wanted, by_email = pattern(selector)
        listed = gpg.list_keys(keys=[wanted])
        if not listed:
            raise SignerEditError(f"{selector}: no such public key in the GnuPG keyring")
        if by_email:
            asked.append(selector.strip())
        for key in listed:
            names += [str(uid).split("<", 1)[0].strip() for uid in key.get("uids") or []]
            fpr = str(key["fingerprint"]).upper()
            explicit[fpr] = explicit.get(fpr, False) or not by_email
    certs = {fpr: _export(gpg, fpr) for fpr in explicit}
    own = [e for data in certs.values() for e in _user_emails(data)]
    chosen = tuple(dict.fromkeys(emails or asked or own))
    results: list[Candidate | LeftOut] = []
    for fpr, data in certs.items():
        label = f"OpenPGP key {fpr}"
        try:
            keycheck.check_openpgp(label, data, chosen, now)
        except SignerEditError as exc:
            if explicit[fpr]:
                raise
            results.append(LeftOut(label, str(exc).removeprefix(f"{label}: "), fingerprint=fpr))
            continue
        results.append(Candidate("openpgp", fpr, data, label))
    where = str(Path(homedir).absolute()) if homedir is not None else "default"
    name = next((n for n in names if n), None)
    return Found(Sorted.of(results), chosen, Origin(gnupg=where), name)


def _user_emails(data: bytes) -> tuple[str, ...]:
    try:
        return load_cert(data).info.user_emails
    except ValueError:  # the checks below say what is wrong with it
        return ()


def _export(gpg: Any, fingerprint: str) -> bytes:
    data = gpg.export_keys([fingerprint], armor=False)
    if not isinstance(data, bytes) or not data:
        raise SignerEditError(f"gpg exported nothing for {fingerprint}")
    return data
