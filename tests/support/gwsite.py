"""A policy directory beside a GitHub double, a Gitea double and Gitea's keyring export, for
`gitward signers import` and `sync` tests.

    site = Site.make(tmp_path, github_server, gitea_server, web_server)
    site.serve("tea", "dana", [keys.dana], ssh=[keys.ssh])   # what the forge lists for dana
    assert site.gw("import", "--forge", "tea", "--user", "dana", "--yes") == 0
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import gwforge
import gwkeyforge as kf
from gwforge import Answer, ForgeDouble
from pytest_httpserver import HTTPServer

from gitward.cli import main
from gitward.config import signers_file
from gitward.policy import spec

POLICY = """\
settings: {audit_log: log/audit.jsonl}
rules:
  - id: signed
    refs: [refs/heads/main]
    signatures: {signers: [group:maintainers]}
"""
FORGE_KIND = {"hub": "github", "tea": "gitea"}


class Site(NamedTuple):
    config: Path
    hub: ForgeDouble  # GitHub, as forges.yaml's `hub`
    tea: ForgeDouble  # Gitea, as `tea`
    export: kf.KeyExport  # Gitea's web root

    @classmethod
    def make(cls, config: Path, github: HTTPServer, gitea: HTTPServer, web: HTTPServer) -> Site:
        (config / "policy.yaml").write_text(POLICY)
        hub, tea = gwforge.double(github, "github"), gwforge.double(gitea, "gitea")
        export = kf.KeyExport(web)
        kf.forges_yaml(
            config,
            {"hub": ("github", hub.api_url, export.url), "tea": ("gitea", tea.api_url, export.url)},
        )
        return cls(config, hub, tea, export)

    def gw(self, *args: str) -> int:
        return main(["signers", "--config", str(self.config), *args])

    def serve(
        self,
        forge: str,
        login: str,
        keys: Sequence[kf.Key] = (),
        *,
        ssh: Sequence[str] = (),
        exported: Sequence[kf.Key] | None = None,
        **flags: Any,
    ) -> None:
        """What `forge` lists for `login` from now on (its answers validated against the API
        description); `flags` go to the item builders (`verified`, `emails`, `revoked`...)."""
        double = self.hub if forge == "hub" else self.tea
        if forge == "hub":
            gpg = [kf.github_gpg(k, number=i, **flags) for i, k in enumerate(keys, 1)]
            lines = [kf.github_ssh(line, f"key {i}", i) for i, line in enumerate(ssh, 1)]
            ssh_path = f"/users/{login}/ssh_signing_keys"
        else:
            gpg = [kf.gitea_gpg(k, number=i, **flags) for i, k in enumerate(keys, 1)]
            lines = [kf.gitea_ssh(line, f"key {i}", i) for i, line in enumerate(ssh, 1)]
            ssh_path = f"/users/{login}/keys"
            out = list(keys if exported is None else exported)
            if out:
                self.export.publish(login, out)
        which = double.which
        kf.check_answer(which, "GET", f"/users/{login}/gpg_keys", gpg)
        kf.check_answer(which, "GET", ssh_path, lines)
        count = {"X-Total-Count": str(len(gpg))} if forge == "tea" else {}
        double.on("GET", f"/users/{login}/gpg_keys", Answer(json=gpg, headers=count))
        count = {"X-Total-Count": str(len(lines))} if forge == "tea" else {}
        double.on("GET", ssh_path, Answer(json=lines, headers=count))

    def signer_file(self, signer: str) -> Path:
        return self.config / "signers" / f"{signer}.yaml"

    def audit(self) -> list[dict[str, Any]]:
        log = self.config / "log" / "audit.jsonl"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines()]

    def snapshot(self) -> dict[str, bytes]:
        """Every file below the signers directory (but the lock), to show nothing changed."""
        root = self.config / "signers"
        if not root.exists():
            return {}
        return {
            str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != ".lock"
        }

    def signers(self) -> spec.Signers:
        """The signer files as the hook's loader reads them (refusing any problem)."""
        result = signers_file.load_dir(self.config / "signers")
        assert result.problems == []
        return result.signers

    def problems(self) -> list[str]:
        return [*self.hub.problems, *self.tea.problems]
