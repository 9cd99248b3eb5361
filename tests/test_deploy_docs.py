"""docs/deploy.md's examples are the ones that work with docker-compose.yml: its forges.yaml
loads with gitward's loader and names the secret files compose mounts, the audit log goes to
the volume meant for it, and the systemd unit's command line is one gitward accepts."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from gitward.cli import build_parser
from gitward.config import forges_file

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "deploy.md").read_text()
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def block(first_line: str, lang: str) -> str:
    """The fenced block in docs/deploy.md whose first line is `first_line` (indent removed)."""
    for match in re.finditer(rf"^( *)```{lang}\n(.*?)^\1```$", DOC, re.M | re.S):
        indent = len(match.group(1))
        text = "".join(line[indent:] for line in match.group(2).splitlines(keepends=True))
        if text.startswith(first_line):
            return text
    raise AssertionError(f"no ```{lang} block starting with {first_line!r}")


def targets(service: str) -> dict[str, str]:
    """Mount target -> source of a service's volumes ("" for an anonymous volume)."""
    out = {}
    for volume in COMPOSE["services"][service]["volumes"]:
        parts = volume.split(":")
        out[parts[1] if len(parts) > 1 else parts[0]] = parts[0] if len(parts) > 1 else ""
    return out


def test_forges_yaml_for_compose_loads_and_uses_the_mounted_secrets(tmp_path: Path) -> None:
    text = block("# forges.yaml for docker-compose.yml", "yaml")
    for variant, queue in ((text, None), (text.replace("# queue:", "queue:"), "redis")):
        path = tmp_path / "forges.yaml"
        path.write_text(variant)
        config = forges_file.load(path)
        assert str(config.receiver.data_dir) == "/var/lib/gitward"
        for service in ("receiver", "worker"):
            assert targets(service)["/var/lib/gitward"] in {"receiver-data", ""}
        if queue:
            host = re.fullmatch(r"redis://([a-z]+):6379/0", config.receiver.queue)
            assert host is not None
            assert "scaled" in COMPOSE["services"][host.group(1)]["profiles"]
        else:
            assert config.receiver.queue.startswith("sqlite:////var/lib/gitward/")
        for forge in config.forges:
            for ref in (*forge.webhook_secrets, forge.token):
                assert ref is not None and ref.startswith("file:/run/secrets/"), ref
                name = ref.removeprefix("file:/run/secrets/")
                for service in ("receiver", "worker"):
                    assert name in COMPOSE["services"][service]["secrets"], (service, name)
            url = f"http://receiver:8088/webhooks/{forge.name}"
            assert url in DOC


def test_audit_log_goes_to_the_volume_the_hook_can_write() -> None:
    policy = yaml.safe_load(block("settings:", "yaml"))
    audit_dir = str(Path(policy["settings"]["audit_log"]).parent)
    assert targets("gitea")[audit_dir] == "gitward-audit"
    repair = (ROOT / "deploy" / "gitea" / "gitward-repair").read_text()
    assert f"audit_dir=${{GITWARD_AUDIT_DIR:-{audit_dir}}}" in repair


def test_systemd_repair_unit_runs_a_valid_gitward_command() -> None:
    unit = block("# /etc/systemd/system/gitward-repair.service", "ini")
    exec_start = re.search(r"^ExecStart=(\S+) (.*)$", unit, re.M)
    assert exec_start is not None
    args = build_parser("install").parse_args(shlex.split(exec_start.group(2)))
    assert (args.command, args.quiet) == ("install", True)
    assert f"init.templateDir = {args.template}" in DOC
    assert "User=git" in unit
    assert "OnUnitActiveSec=5min" in unit
