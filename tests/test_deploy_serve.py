"""The receiver container's command for real, on 127.0.0.1: `python -m gitward serve` with
docs/deploy.md's forges.yaml (paths moved into a scratch directory) answers the health check
compose uses, takes deliveries for the documented forge, and on SIGTERM (what
`docker compose stop` sends) ends cleanly within gunicorn's graceful timeout."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import gwrepo
import yaml

from gitward.receiver import service

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "deploy.md").read_text()


def documented_forges_yaml() -> str:
    start = DOC.index("   # forges.yaml for docker-compose.yml")
    end = DOC.index("   ```", start)
    return "\n".join(line[3:] for line in DOC[start:end].splitlines()) + "\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def get(url: str, data: bytes | None = None) -> int:
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310  # loopback
            status: int = response.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_serve_answers_health_and_deliveries_and_stops_on_sigterm(tmp_path: Path) -> None:
    etc, secrets, data = tmp_path / "etc", tmp_path / "secrets", tmp_path / "data"
    etc.mkdir()
    secrets.mkdir()
    for name in ("gitea-webhook", "gitea-token"):
        (secrets / name).write_text(f"not-a-real-{name}\n")
    text = documented_forges_yaml()
    text = text.replace("/var/lib/gitward", str(data)).replace("/run/secrets", str(secrets))
    (etc / "forges.yaml").write_text(text)
    forge = yaml.safe_load(text)["forges"][0]["name"]
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    argv = [sys.executable, "-m", "gitward", "serve", "--config", str(etc)]
    argv += ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--no-worker"]
    proc = subprocess.Popen(argv, env=gwrepo.clean_env(), stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if get(f"{base}/healthz") == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "the receiver never answered /healthz"
            time.sleep(0.2)
        assert get(f"{base}/readyz") == 200
        assert get(f"{base}/webhooks/{forge}", b"{}") == 401  # unsigned: the forge is known
        assert get(f"{base}/webhooks/unknown", b"{}") == 404
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=service.GRACEFUL_TIMEOUT + 10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
