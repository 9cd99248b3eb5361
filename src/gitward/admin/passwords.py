"""Local admin accounts: `login:argon2-hash` lines in the password file admin.yaml names.

Written by `gitward admin passwd` (atomically, mode 0600), read by the receiver at each sign-in
so a changed password takes effect without a restart. Hashes are argon2id (argon2-cffi's
defaults, RFC 9106's second recommended option); a login never in the file is checked against a
dummy hash too, so a wrong login costs as long as a wrong password.
"""

from __future__ import annotations

import re
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gitward.config import files
from gitward.config.admin_table import LOGIN
from gitward.errors import ConfigError, GitwardError

_HASHER = PasswordHasher()
_DUMMY = _HASHER.hash("not a password anybody has")
MIN_LENGTH = 12


def read(path: Path) -> dict[str, str]:
    """login -> hash; an absent file has no accounts. Raises ConfigError for a bad line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}:1: cannot read the password file: {exc}"]) from None
    accounts: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        login, _, hashed = line.partition(":")
        if not re.fullmatch(LOGIN, login) or not hashed.startswith("$argon2"):
            raise ConfigError([f"{path}:{number}: expected login:$argon2id$..., got a bad line"])
        accounts[login] = hashed
    return accounts


def verify(path: Path, login: str, password: str) -> bool:
    """True when `login` has an account and `password` is its password."""
    hashed = read(path).get(login)
    try:
        return _HASHER.verify(hashed or _DUMMY, password) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


def set_password(path: Path, login: str, password: str) -> None:
    """Add `login` or change its password (under the directory's edit lock, atomically)."""
    if not re.fullmatch(LOGIN, login):
        raise GitwardError(f"expected a login matching {LOGIN}, got {login!r}")
    if len(password) < MIN_LENGTH:
        raise GitwardError(f"a password needs at least {MIN_LENGTH} characters")
    with files.edit_lock(path.parent):
        accounts = read(path)
        accounts[login] = _HASHER.hash(password)
        header = "# gitward admin accounts: written by `gitward admin passwd`; argon2id hashes.\n"
        body = "".join(f"{name}:{hashed}\n" for name, hashed in sorted(accounts.items()))
        files.atomic_write(path, (header + body).encode("utf-8"), mode=0o600)
