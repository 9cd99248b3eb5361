"""`gitward.config` runs in the hook on every push: it must stay free of heavy imports."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from gwpush import Signer, write_config

EXAMPLE = Path(__file__).resolve().parents[1] / "config"
HEAVY = ("ruamel", "gnupg", "git", "jsonschema", "flask", "requests", "difflib", "regopy")

PROBE = """
import json, sys
import gitward.config
gitward.config.load({config!r})
print(json.dumps(sorted(m.split(".")[0] for m in sys.modules)))
"""


def _modules(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return set(json.loads(out))


def test_loading_the_config_imports_nothing_heavy(tmp_path: Path) -> None:
    # The example policy with signers that have an OpenPGP and an SSH key each.
    signers = {"alice": Signer(ssh=True), "bob": Signer(ssh=True)}
    config = write_config(tmp_path, (EXAMPLE / "policy.yaml").read_text(), signers)
    # The example's content rule names its allowlist, beside the policy.
    allowlist = "secrets-allowlist.yaml"
    (tmp_path / allowlist).write_bytes((EXAMPLE / allowlist).read_bytes())
    # And its Rego policies: read at load, compiled (regopy loaded) only for a manifest.
    shutil.copytree(EXAMPLE / "rego", tmp_path / "rego")
    loaded = _modules(PROBE.format(config=str(config)))
    assert "yaml" in loaded  # the probe really loaded something
    assert sorted(loaded & set(HEAVY)) == []


def test_the_schema_does_not_need_the_signing_stack() -> None:
    code = (
        "import json, sys; from gitward.config import schema; schema.policy_schema(); "
        "print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))"
    )
    assert {"pysequoia", "cryptography", "ruamel"} & _modules(code) == set()
