"""The hook's import path with content rules: the scanners load only when a content rule
applies, and even then nothing heavy (the list of test_hook_imports) and no dataclass."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import gwrepo
from gwpush import Signer, write_config

FORBIDDEN = ("git", "gnupg", "flask", "requests", "ruamel", "jsonschema", "argparse", "redis")
CONTENT = ("gitward.policy.content", "gitward.facts.content", "gitward.config.content_data")
POLICY = """\
version: 1
rules:
  - id: gate
    refs: [refs/heads/main]
    messages: {{must_match: '^JIRA'}}
{content}"""
WITH_CONTENT = "    content: {secrets: {}, files: {case_collisions: true}}\n"

PROBE = """
import dataclasses, json, sys
from gitward.cli import main
code = main(["hook", "pre-receive"])
ours = [
    name for name, m in list(sys.modules.items()) if name.startswith("gitward") and m
    for v in vars(m).values()
    if isinstance(v, type) and dataclasses.is_dataclass(v) and v.__module__ == name
]
# NamedTuples whose module postpones annotations: typing.NamedTuple then compiles every field's
# annotation string into a ForwardRef (~0.1 ms a class, ~8 ms a push for the hook's 88).
postponed = sorted(
    name for name, m in list(sys.modules.items()) if name.startswith("gitward") and m
    if getattr(m, "annotations", None) is __import__("__future__").annotations
    and any(
        isinstance(v, type) and issubclass(v, tuple) and hasattr(v, "_fields")
        and v.__module__ == name
        for v in vars(m).values()
    )
)
print(json.dumps({
    "code": code, "modules": sorted(sys.modules), "dataclasses": ours, "postponed": postponed,
}))
"""


def run_hook(tmp_path: Path, content: str, manifest: str = "replicas: 2\n") -> dict[str, object]:
    config = write_config(tmp_path / "etc", POLICY.format(content=content), {"alice": Signer()})
    work = gwrepo.init(tmp_path / "work", bare=False)
    (work / "app.yaml").write_text(manifest)
    gwrepo.git(work, "add", "app.yaml")
    gwrepo.git(work, "commit", "-q", "-m", "JIRA-1: add the app")
    oid = gwrepo.git(work, "rev-parse", "HEAD")
    gwrepo.git(work, "update-ref", "-d", "refs/heads/main")
    env = {**os.environ, "GIT_DIR": str(work / ".git"), "GITWARD_CONFIG": str(config)}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE], input=f"{'0' * 40} {oid} refs/heads/main\n",
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    assert "push accepted (1 commit checked)" in proc.stderr, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def _loaded(result: dict[str, object], names: tuple[str, ...]) -> set[str]:
    modules = result["modules"]
    assert isinstance(modules, list)
    return {m for m in modules for n in names if m == n or m.startswith(n + ".")}


def test_without_content_rules_no_scanner_loads(tmp_path: Path) -> None:
    result = run_hook(tmp_path, "")
    assert _loaded(result, CONTENT) == set()
    assert "re2" in result["modules"]  # type: ignore[operator]  # the message pattern's


def test_with_content_rules_nothing_heavy_loads(tmp_path: Path) -> None:
    result = run_hook(tmp_path, WITH_CONTENT)
    assert _loaded(result, CONTENT) == set(CONTENT) | {
        "gitward.policy.content.files", "gitward.policy.content.secrets",
        "gitward.policy.content.leaks", "gitward.policy.content.scope",
        "gitward.policy.content.fixes", "gitward.policy.content.twoperson",
        "gitward.policy.content.twoperson_report", "gitward.policy.content.k8s",
        "gitward.policy.content.kubernetes_secrets", "gitward.policy.content.rego_policies",
        "gitward.policy.content.kustomize",
    }  # fmt: skip
    assert _loaded(result, ("gitward.rego", "gitward.manifests", "regopy")) == set()
    assert _loaded(result, FORBIDDEN) == set()
    assert result["dataclasses"] == []
    assert result["postponed"] == []


def test_rego_loads_only_for_a_manifest(tmp_path: Path) -> None:
    rego = tmp_path / "etc" / "rego"
    rego.mkdir(parents=True)
    (rego / "p.rego").write_text("package p\ndeny[msg] { input.x; msg := 1 }\n")
    result = run_hook(
        tmp_path, "    content: {kubernetes_secrets: {}, rego: {policies: [rego/p.rego]}}\n"
    )
    assert "gitward.manifests" in result["modules"]  # type: ignore[operator]  # app.yaml
    assert _loaded(result, ("gitward.rego", "regopy")) == set()  # no Kubernetes object in it


def test_rego_on_a_manifest_builds_its_namedtuples_cheaply(tmp_path: Path) -> None:
    rego = tmp_path / "etc" / "rego"
    rego.mkdir(parents=True)
    (rego / "p.rego").write_text("package p\ndeny[msg] { input.x; msg := 1 }\n")
    result = run_hook(
        tmp_path,
        "    content: {kubernetes_secrets: {}, rego: {policies: [rego/p.rego]}}\n",
        manifest="kind: ConfigMap\napiVersion: v1\nmetadata: {name: app}\n",
    )
    assert "regopy" in result["modules"]  # type: ignore[operator]  # the policy judged it
    assert result["dataclasses"] == []
    assert result["postponed"] == []
