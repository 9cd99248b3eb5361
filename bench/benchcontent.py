"""A GitOps-like push for the content figure, written with one `git fast-import`.

`push_of_files` makes a chain of commits that together add `files` new text files of about
`size` bytes each: Python modules, Markdown pages and, one in `manifest_every`, Kubernetes
manifests under `clusters/` (where the example config runs its Rego policies), as a GitOps
repository holds them: a Deployment, its Service and NetworkPolicy, and
a ConfigMap carrying the service's configuration file (most of the manifest's bytes). Each
object passes the example Rego policies (images from registry.example.com pinned by digest, no
privileged container, ingress from the cluster's network only), so the push is accepted after
every policy ran on every object. The text is made of the words real code uses (`key`,
`token`, `access`, `api`, `secret`...), so gitleaks' keyword prefilter lets many rules run, as
it would on a real repository; none of it is a secret.
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
    digest = f"{rng.getrandbits(256):064x}"
    meta = f"{{name: svc-{i}, namespace: team-{i % 7}}}"
    objects = (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc-{i}\n"
        f"  namespace: team-{i % 7}\n  labels: {{app: svc-{i}}}\nspec:\n  replicas: 2\n"
        f"  selector: {{matchLabels: {{app: svc-{i}}}}}\n  template:\n"
        f"    metadata: {{labels: {{app: svc-{i}}}}}\n    spec:\n      containers:\n"
        f"        - name: app\n          image: registry.example.com/team/svc-{i}@sha256:{digest}\n"
        "          securityContext: {runAsNonRoot: true, privileged: false}\n"
        "          ports: [{containerPort: 8080}]\n"
        "          env:\n            - name: API_TOKEN\n              valueFrom:\n"
        f"                secretKeyRef: {{name: svc-{i}, key: token}}\n"
        f"          volumeMounts: [{{name: config, mountPath: /etc/svc}}]\n"
        f"      volumes: [{{name: config, configMap: {{name: svc-{i}}}}}]\n"
        f"---\napiVersion: v1\nkind: Service\nmetadata: {meta}\n"
        f"spec:\n  selector: {{app: svc-{i}}}\n  ports: [{{port: 80, targetPort: 8080}}]\n"
        f"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        f"metadata: {meta}\n"
        f"spec:\n  podSelector: {{matchLabels: {{app: svc-{i}}}}}\n  ingress:\n"
        "    - from: [{ipBlock: {cidr: 10.0.0.0/8}}]\n"
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {meta}\n"
        "data:\n  settings.ini: |\n"
    )
    out, n = [objects], len(objects)
    while n < size:
        line = f"    {rng.choice(WORDS)}_{rng.choice(WORDS)} = {rng.choice(WORDS)}\n"
        out.append(line)
        n += len(line)
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
                path, data = f"clusters/svc-{i}/deployment.yaml", _manifest(rng, i, size)
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
