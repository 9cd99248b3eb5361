"""README's first command: `scripts/demo.sh` runs gitward's main job on embedded defaults.

It must keep working end to end: a signed push to the demo repository is accepted, an unsigned
one refused with gitward's explanation, and both decisions land in the audit log.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_demo_accepts_a_signed_push_and_refuses_an_unsigned_one(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    env = {**os.environ, "GITWARD_DEMO_DIR": str(demo)}
    proc = subprocess.run(
        ["bash", str(ROOT / "scripts" / "demo.sh")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert ">>> accepted" in out
    assert ">>> refused" in out
    assert "protect-branches/signature" in out
    assert "git commit --amend --no-edit -S" in out
    records = [
        json.loads(line) for line in (demo / "config" / "audit.jsonl").read_text().splitlines()
    ]
    verdicts = [r["verdict"] for r in records if r["event"] == "push"]
    assert verdicts == ["accepted", "refused"]
    assert any(r["event"] == "signers.add" for r in records)
