"""The compose deployment keeps one audit chain: every service that judges (Gitea's hook, the
receiver, its workers) mounts the audit log's volume at the same place, and the receiver's image
runs as the uid and gid Gitea's `git` account (the hook's) has, since only the log's owner may
write it."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_every_judging_service_mounts_the_audit_volume_at_one_path() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    mounts = {
        name: [v for v in services[name]["volumes"] if v.startswith("gitward-audit:")]
        for name in ("gitea", "receiver", "worker")
    }
    assert mounts == {name: ["gitward-audit:/var/log/gitward"] for name in mounts}


def test_the_receiver_runs_as_giteas_git_account() -> None:
    gitea = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["gitea"]
    dockerfile = (ROOT / "receiver" / "Dockerfile").read_text()
    gid = re.search(r"groupadd --system --gid (\d+) gitward", dockerfile)
    uid = re.search(r"useradd --system --uid (\d+) --gid (\d+) ", dockerfile)
    assert gid is not None and uid is not None
    env = gitea["environment"]
    assert (uid.group(1), uid.group(2), gid.group(1)) == (env["USER_UID"], env["USER_GID"],
                                                          env["USER_GID"])  # fmt: skip
