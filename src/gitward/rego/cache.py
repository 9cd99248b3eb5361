"""Compiled Rego policies kept between runs, so a push pays rego-cpp's plan once, not each time.

Compiling the example's three policies costs a push ~12 ms; loading their saved plans ~1 ms.
A plan is saved only after it compiled and passed `policies`' empty-input probe, under a key
that hashes everything it was built from (the rego-cpp build, the modules with their names,
the query, the base document): a hit is what compiling would give, probe included.

The cache lives in `$XDG_CACHE_HOME/gitward/rego` (default `~/.cache`), for the account that
runs gitward only. rego-cpp parses a plan in native code, and a bad one can crash the process
or print on the pusher's terminal, so a plan is used only when

- the directory is a real directory owned by this account and writable by no one else (so no
  other account can swap a file between the checks below and rego-cpp's read);
- the file is a regular file (not a symlink), owned by this account, writable by no one else;
- its bytes hash to the digest in its name (`<key>-<sha256>.rbb`): a truncated or edited file
  is never handed to rego-cpp.

Anything else (no home, a read-only disk, a foreign or tampered file) means compiling as if
there were no cache; nothing is printed. Files are written whole (a private temporary file,
renamed into place), so a concurrent push sees the old set or the new one.
"""

import contextlib
import hashlib
import json
import os
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path

from gitward.rego import engine
from gitward.rego.engine import Compiled, Module, RegoError

# Part of every key: a change in what a key covers, or in how files are laid out, bumps it.
FORMAT = "gitward-rego-cache-1"
SUFFIX = ".rbb"


def directory(environ: Mapping[str, str] = os.environ) -> Path | None:
    """Where plans are kept; None without a usable home. The XDG base directory rules: a
    relative `XDG_CACHE_HOME` is ignored."""
    base = Path(environ.get("XDG_CACHE_HOME", ""))
    if not base.is_absolute():
        home = Path(environ.get("HOME", ""))
        if not home.is_absolute():
            return None
        base = home / ".cache"
    return base / "gitward" / "rego"


def key(modules: Sequence[Module], query: str, data: Mapping[str, object] | None) -> str:
    """A digest of everything a plan is built from."""
    parts = [FORMAT, engine.build_identity(), query, [list(m) for m in modules], data or {}]
    # Keys in their given order (no sort: a mapping may mix key types); a value JSON cannot
    # hold gets its repr here, and fails in `compile_query` as it would without the cache.
    text = json.dumps(parts, ensure_ascii=False, default=repr)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _private(st: os.stat_result) -> bool:
    """Owned by this account and writable by no other."""
    return st.st_uid == os.geteuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _trusted_directory(path: Path) -> bool:
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and _private(st)


def _read_private(path: Path) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or not _private(st):
            return None
        with os.fdopen(os.dup(fd), "rb") as file:
            return file.read()
    except OSError:
        return None
    finally:
        os.close(fd)


def load(where: Path | None, digest_key: str) -> Compiled | None:
    """The plan saved under `digest_key`, or None (see the module docstring)."""
    if where is None or not _trusted_directory(where):
        return None
    prefix = f"{digest_key}-"
    try:
        names = [p.name for p in where.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return None
    for name in names:
        path = where / name
        data = _read_private(path)
        if data is None or name != f"{prefix}{hashlib.sha256(data).hexdigest()}{SUFFIX}":
            continue
        compiled = engine.load(str(path))
        if compiled is not None:
            return compiled
    return None


def store(where: Path | None, digest_key: str, compiled: Compiled) -> None:
    """Save `compiled` under `digest_key`, best effort: a cache that cannot be written is no
    cache, never a failed push."""
    if where is None:
        return
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return
    if not _trusted_directory(where):
        return
    # os.urandom rather than `secrets`, whose imports (random, hmac) cost a push ~1 ms.
    temporary = where / f".tmp-{os.getpid()}-{os.urandom(8).hex()}{SUFFIX}"
    try:
        engine.save(compiled, str(temporary))
        temporary.chmod(0o600)  # rego-cpp creates it with the umask's mode
        data = _read_private(temporary)
        if data is None:
            return
        final = where / f"{digest_key}-{hashlib.sha256(data).hexdigest()}{SUFFIX}"
        temporary.replace(final)
    except (OSError, RegoError):
        return
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
