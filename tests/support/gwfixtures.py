"""Where the shared forge fixtures are: one setting for every test that needs them.

`../shared/fixtures` beside the checkout holds payloads forges really sent and their published
API descriptions; CI and developers have it, a user's clone does not. $GITWARD_SHARED_FIXTURES
points elsewhere.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT.parent / "shared" / "fixtures"


def shared_fixtures() -> Path:
    """The fixtures folder, or skip the test with the reason."""
    path = Path(os.environ.get("GITWARD_SHARED_FIXTURES") or DEFAULT)
    if not (path / "github").is_dir() or not (path / "gitea").is_dir():
        pytest.skip(f"shared forge fixtures not found at {path} (set GITWARD_SHARED_FIXTURES)")
    return path


def load(relative: str) -> Any:
    """A fixture file parsed as JSON."""
    return json.loads((shared_fixtures() / relative).read_bytes())
