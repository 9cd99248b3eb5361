"""Secrets named by reference in the configuration: `env:NAME` or `file:/absolute/path`.

Read once, at start-up, by the process that needs them; never stored in a config value,
printed, logged or passed to a child process on its command line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from gitward.errors import ConfigError

MAX_SECRET_BYTES = 64 * 1024


def read(reference: str, environ: Mapping[str, str] | None = None) -> bytes:
    """The secret's bytes (one trailing newline of a file dropped). Raises ConfigError
    naming the reference, never the value, when it is missing or empty."""
    env = os.environ if environ is None else environ
    kind, _, name = reference.partition(":")
    if kind == "env":
        value = env.get(name, "").encode()
    elif kind == "file":
        try:
            with Path(name).open("rb") as handle:
                value = handle.read(MAX_SECRET_BYTES + 1)
        except OSError as exc:
            raise ConfigError([f"cannot read secret {reference}: {exc.strerror}"]) from None
        if len(value) > MAX_SECRET_BYTES:
            raise ConfigError([f"secret {reference} is larger than {MAX_SECRET_BYTES} bytes"])
        value = value.removesuffix(b"\n").removesuffix(b"\r")
    else:
        raise ConfigError([f"a secret reference is env:NAME or file:/path, got {kind}:..."])
    if not value.strip():
        raise ConfigError([f"secret {reference} is empty or not set"])
    return value
