"""npm packages the tests read (schemas, recorded payloads), installed once into a cache beside
the virtualenv. A lock keeps parallel test workers from installing one twice; a test skips,
with the reason, only when npm cannot be used."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def package_file(spec: str, relative: str) -> Path:
    """`relative` inside npm package `spec` (`name@version`), installing it when needed."""
    name = spec.rsplit("@", 1)[0] if spec.count("@") > (1 if spec.startswith("@") else 0) else spec
    cache = Path(sys.prefix) / "cache" / "npm" / name.replace("/", "__")
    cache.mkdir(parents=True, exist_ok=True)
    wanted = cache / "node_modules" / name / relative
    with (cache / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not wanted.is_file():
            npm = shutil.which("npm")
            if npm is None:
                pytest.skip(f"npm is not installed: cannot fetch {spec}")
            flags = ["--no-audit", "--no-fund", "--ignore-scripts", "--no-save"]
            proc = subprocess.run(
                [npm, "install", "--prefix", str(cache), *flags, spec],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            if proc.returncode != 0 or not wanted.is_file():
                tail = " ".join(proc.stderr.split()[-30:])
                pytest.skip(f"npm could not install {spec}: {tail}")
    return wanted
