"""A GitOps-like push for the content figure, written with one `git fast-import`.

`push_of_files` makes a chain of commits that together add `files` new text files of about
`size` bytes each: Python modules, Markdown pages and, one in `manifest_every`, Kubernetes
manifests (Deployments, Services, ConfigMaps). The text is made of the words real code uses
(`key`, `token`, `access`, `api`, `secret`...), so gitleaks' keyword prefilter lets many rules
run, as it would on a real repository; none of it is a secret.
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

IDENT = b"Alice Example <alice@example.com>"
WORDS = (
    "access", "api", "auth", "cache", "client", "config", "data", "deploy", "key", "list",
    "name", "path", "request", "result", "secret", "service", "session", "token", "user",
    "value", "version", "window",
)  # fmt: skip


def _python(rng: random.Random, size: int) -> bytes:
    out, n = ['"""Generated module."""\n\nimport os\n\n'], 0
    while n < size:
        name = "_".join(rng.choice(WORDS) for _ in range(2))
        body = f"def {name}_{n}(request, {rng.choice(WORDS)}_id: str) -> dict:\n"
        body += f'    """Return the {rng.choice(WORDS)} of the {rng.choice(WORDS)}."""\n'
        body += f'    {rng.choice(WORDS)} = os.environ.get("{name.upper()}", "")\n'
        body += f"    return {{'{rng.choice(WORDS)}': {rng.choice(WORDS)}, 'n': {n}}}\n\n"
        out.append(body)
        n += len(body)
    return "".join(out).encode()


def _markdown(rng: random.Random, size: int) -> bytes:
    out, n = ["# Runbook\n\n"], 0
    while n < size:
        line = " ".join(rng.choice(WORDS) for _ in range(12)).capitalize() + ".\n"
        out.append(line)
        n += len(line)
    return "".join(out).encode()


def _manifest(rng: random.Random, i: int, size: int) -> bytes:
    out, n = [], 0
    while n < size:
        doc = (
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
            f"  name: svc-{i}-{n}\n  labels: {{app: svc-{i}}}\nspec:\n  replicas: 2\n"
            "  template:\n    spec:\n      containers:\n        - name: app\n"
            f"          image: registry.example.org/svc-{i}:1.{n % 97}\n"
            "          env:\n            - name: API_TOKEN\n              valueFrom:\n"
            f"                secretKeyRef: {{name: svc-{i}, key: token}}\n"
            f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-{i}-{n}\n"
            f'data:\n  {rng.choice(WORDS)}: "{rng.choice(WORDS)}"\n'
        )
        out.append(doc)
        n += len(doc)
    return "".join(out).encode()


def push_of_files(
    git_dir: Path, parent: str, files: int, size: int, commits: int, manifest_every: int = 16
) -> tuple[str, int, int]:
    """Write the commits on top of `parent`; (tip, bytes of new text, manifests)."""
    rng = random.Random(42)  # noqa: S311  # reproducible text, not a secret
    stream: list[bytes] = []
    total = manifests = 0
    per_commit = -(-files // commits)
    for c in range(commits):
        lines = []
        for i in range(c * per_commit, min(files, (c + 1) * per_commit)):
            if i % manifest_every == 0:
                path, data = f"deploy/svc-{i}/deployment.yaml", _manifest(rng, i, size)
                manifests += 1
            elif i % 3 == 0:
                path, data = f"docs/runbook-{i}.md", _markdown(rng, size)
            else:
                path, data = f"src/pkg{i % 50}/mod_{i}.py", _python(rng, size)
            total += len(data)
            stream += [b"blob", b"mark :%d" % (i + 1), b"data %d" % len(data), data]
            lines.append(b"M 100644 :%d %s" % (i + 1, path.encode()))
        message = b"JIRA-%d: add services batch %d\n" % (c + 1, c + 1)
        when = b"%d +0000" % (1_770_000_000 + c)
        stream += [b"commit refs/bench-content", b"author " + IDENT + b" " + when]
        stream += [b"committer " + IDENT + b" " + when, b"data %d" % len(message), message]
        if c == 0:
            stream.append(b"from " + parent.encode())
        stream += lines
    env = {"GIT_DIR": str(git_dir), "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(
        ["git", "fast-import", "--quiet"], input=b"\n".join(stream) + b"\n", env=env, check=True
    )
    tip = (
        subprocess.run(
            ["git", "rev-parse", "refs/bench-content"], env=env, check=True, capture_output=True
        )
        .stdout.decode()
        .strip()
    )
    subprocess.run(["git", "update-ref", "-d", "refs/bench-content"], env=env, check=True)
    return tip, total, manifests
