"""Receiver test set-up: a config directory with forges.yaml, signed deliveries."""

from __future__ import annotations

import json
from pathlib import Path

from gitward.forges.signature import digest

SECRET = "test-webhook-secret"  # a throwaway value for tests only
FORGES = """\
version: 1
receiver:
  allow_insecure_loopback: true
  max_body_bytes: {max_body}
forges:
  - name: gh
    type: github
    api_url: {api_url}
    git_url: {git_url}
    webhook_secret: env:GW_TEST_SECRET
    token: env:GW_TEST_TOKEN
    repositories: ["Codertocat/*", "acme/*", "example/*", "jcitizen/*"]
  - name: tea
    type: gitea
    api_url: {api_url}
    git_url: {git_url}
    webhook_secret: [env:GW_TEST_OLD_SECRET, env:GW_TEST_SECRET]
    token: env:GW_TEST_TOKEN
    repositories: ["Codertocat/*", "acme/*", "example/*", "jcitizen/*"]
"""
ENV = {
    "GW_TEST_SECRET": SECRET,
    "GW_TEST_OLD_SECRET": "old-secret",
    "GW_TEST_TOKEN": "test-token",
}


def write_forges(
    directory: Path,
    *,
    api_url: str = "http://127.0.0.1:9",
    git_url: str = "http://127.0.0.1:9",
    max_body: int = 1024 * 1024,
    data_dir: Path | None = None,
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    if not (directory / "policy.yaml").exists():
        (directory / "policy.yaml").write_text("version: 1\nrules: []\n")
    path = directory / "forges.yaml"
    text = FORGES.format(api_url=api_url, git_url=git_url, max_body=max_body)
    if data_dir is not None:
        text = text.replace("  max_body_bytes:", f"  data_dir: {data_dir}\n  max_body_bytes:", 1)
    path.write_text(text)
    return path


def github_headers(
    body: bytes, event: str, delivery: str = "d-1", secret: str = SECRET
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": "sha256=" + digest(secret.encode(), body),
    }


def gitea_headers(
    body: bytes, event: str, delivery: str = "d-1", secret: str = SECRET
) -> dict[str, str]:
    """What Gitea sends: its own headers, and every GitHub header too."""
    signature = digest(secret.encode(), body)
    return {
        "Content-Type": "application/json",
        "X-Gitea-Event": event,
        "X-Gitea-Delivery": delivery,
        "X-Gitea-Signature": signature,
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": "sha256=" + signature,
    }


def body_of(payload: object) -> bytes:
    return json.dumps(payload).encode()
