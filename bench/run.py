"""gitward's benchmark: the figures README quotes.

    .venv/bin/python bench/run.py [--commits 10000] [--repeat 3] [--push-repeat 21]
    .venv/bin/python bench/run.py --only intake --only pull     # the receiver's figures

Builds its own repositories in a temp dir with fresh throwaway keys, then prints one line per
figure with the ratio against its target:
  openpgp      hook median vs `git log --format=%G?` median over the same commits (>= 25x),
               hook peak RSS (< 200 MB)
  ssh          the same with SSH signatures and gpg.ssh.allowedSignersFile
  content      a push adding --files new text files (~50 MB, a manifest in 16) to a protected
               branch under the example config's content checks (secrets, files, Kubernetes
               Secrets, the three example Rego policies on every object): hook median within the
               default 4 s budget, peak RSS < 300 MB, throughput (MB/s) and cost per blob
  one-commit   real `git push` of one signed commit that changes a file, under the example
               config's content rules too: hook added wall time over a no-op hook (< 150 ms
               median); again with the policy read from a policy repository
  intake       signed push deliveries acknowledged by `gitward serve --no-worker` vs the same
               gunicorn set-up serving a no-work 204 route (>= 0.5x its req/s), p50/p99
  pull         a pull request of 1,000 signed commits through a running receiver: delivery to
               final status (< 5 s); 10,000 commits: the worker's peak RSS (< 300 MB)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

# bench modules live beside this script, not in the package
import benchcontent
import benchintake
import benchkeys as keys
import benchobjs as gitobjs
import benchpull

ZERO = "0" * 40
GITWARD = Path(sys.executable).with_name("gitward")
BASE_ENV = {
    **os.environ,
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
    "LC_ALL": "C",
}

POLICY = """\
version: 1
settings:
  timeout_seconds: {timeout}
  audit_log: audit.jsonl
rules:
  - id: protect-main
    refs: [refs/heads/main]
    signatures:
      signers: [bench]
    messages:
      must_match: '^JIRA-[0-9]+: '
    protection:
      block_force_push: true
      block_deletion: true
{content}"""

# The example config's content rules (config/policy.yaml): gitops-content's checks on main
# (this file's protect-main rule), gitops-manifests' Rego policies on clusters/ of main, with
# the example's policy files (copied into the config directory).
CONTENT = """\
    content:
      paths: ["**", "!docs/examples/"]
      secrets:
        ruleset: gitleaks
        max_bytes: 1048576
        allowlist: secrets-allowlist.yaml
      files:
        max_bytes: 5242880
        forbidden_paths: [".env", ".env.*", "!.env.example", "id_rsa*", "kubeconfig"]
        forbidden_extensions: [pem, key, p12, pfx, jks, keystore]
        symlinks_outside: true
        case_collisions: true
      kubernetes_secrets: {}
  - id: gitops-manifests
    refs: [refs/heads/main]
    content:
      paths: ["clusters/**"]
      rego:
        policies: [rego/privileged.rego, rego/images.rego, rego/networkpolicy-ingress.rego]
"""
EXAMPLE_REGO = Path(__file__).resolve().parents[1] / "config" / "rego"
CONTENT_POLICY = """\
version: 1
settings:
  timeout_seconds: {timeout}
  audit_log: audit.jsonl
rules:
  - id: protect-main
    refs: [refs/heads/main]
    messages:
      must_match: '^JIRA-[0-9]+: '
    protection:
      block_force_push: true
      block_deletion: true
{content}"""


def write_config(
    root: Path,
    pgp: keys.OpenPGPSigner,
    ssh: keys.SSHSigner,
    timeout: float,
    name: str = "config",
    content: str = "",
) -> Path:
    cfg = root / name
    (cfg / "signers" / "keys").mkdir(parents=True)
    (cfg / "policy.yaml").write_text(POLICY.format(timeout=timeout, content=content))
    (cfg / "secrets-allowlist.yaml").write_text("paths: [tests/fixtures/secrets/]\n")
    shutil.copytree(EXAMPLE_REGO, cfg / "rego")
    (cfg / "signers" / "keys" / f"{pgp.fingerprint}.asc").write_bytes(pgp.public_armored)
    (cfg / "signers" / "bench.yaml").write_text(
        "id: bench\nname: Bench\nemails: [alice@example.com]\n"
        f"openpgp:\n  - fingerprint: {pgp.fingerprint}\n"
        f"ssh:\n  - key: {ssh.public_line}\n"
    )
    return cfg


# CPU seconds (user + system) of each `timed` command, its reaped children included: on a
# shared machine under load, wall time grows with the queue for the cores, CPU time does not.
CPU_SECONDS: list[float] = []


def timed(
    argv: Sequence[str], *, stdin: bytes = b"", env: dict[str, str], cwd: Path
) -> tuple[float, int, int]:
    """Run a command; return (wall seconds, exit code, peak RSS of the process itself in KiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        cwd=cwd,
    )
    assert proc.stdin is not None and proc.stderr is not None
    proc.stdin.write(stdin)
    proc.stdin.close()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.stderr.write(err.decode(errors="replace"))
    elif proc.returncode == 1 and argv[0] == str(GITWARD):
        sys.stderr.write(err.decode(errors="replace")[-2000:])
    CPU_SECONDS.append(usage.ru_utime + usage.ru_stime)  # with the git processes it waited for
    return wall, proc.returncode, usage.ru_maxrss


def bulk(
    name: str,
    root: Path,
    cfg: Path,
    signer: keys.OpenPGPSigner | keys.SSHSigner,
    args: argparse.Namespace,
    baseline: list[str],
    extra_env: dict[str, str],
) -> bool:
    repo = root / f"{name}.git"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True, env=BASE_ENV)
    *_, tip = gitobjs.commit_chain(repo, args.commits, signer.sign)
    env = {**BASE_ENV, **extra_env, "GITWARD_CONFIG": str(cfg), "GIT_DIR": str(repo)}
    hook = [str(GITWARD), "hook", "pre-receive"]
    line = f"{ZERO} {tip} refs/heads/main\n".encode()
    hook_runs, base_runs, rss = [], [], 0
    for _ in range(args.repeat):
        wall, code, peak = timed(hook, stdin=line, env=env, cwd=repo)
        if code != 0:
            print(f"{name}: FAIL the hook refused a push it must accept (exit {code})")
            return False
        hook_runs.append(wall)
        rss = max(rss, peak)
        wall, code, _ = timed(["git", *baseline, "log", "--format=%G?", tip], env=env, cwd=repo)
        base_runs.append(wall)
    h, b = statistics.median(hook_runs), statistics.median(base_runs)
    ok = b / h >= 25 and rss < 200 * 1024
    print(
        f"{name}: {args.commits} commits  hook {h:.2f} s  git-log-%G? {b:.2f} s  "
        f"ratio {b / h:.1f}x (target >= 25x)  hook peak RSS {rss / 1024:.0f} MB (target < 200)"
        f"  {'PASS' if ok else 'FAIL'}"
    )
    return ok


def policy_repository(root: Path, cfg: Path) -> list[str]:
    """`cfg`'s files committed to a bare repository; the install arguments that read the
    policy from it (the config directory then holds only policy-repo.yaml)."""
    repo, work = root / "policy.git", root / "policy-work"
    subprocess.run(
        ["git", "init", "-q", "--bare", "-b", "main", str(repo)], check=True, env=BASE_ENV
    )
    shutil.copytree(cfg, work)
    env = {**BASE_ENV, "GIT_DIR": str(repo), "GIT_WORK_TREE": str(work)}
    env |= {"GIT_INDEX_FILE": str(root / "policy.index"), "GIT_AUTHOR_NAME": "bench"}
    env |= {"GIT_AUTHOR_EMAIL": "b@example.com", "GIT_COMMITTER_NAME": "bench"}
    env |= {"GIT_COMMITTER_EMAIL": "b@example.com"}
    for args in (["add", "-A"], ["commit", "-q", "-m", "policy"]):
        subprocess.run(["git", *args], check=True, env=env, cwd=work)
    return ["--config", str(root / "etc-repo"), "--config-repo", str(repo), "--ref", "main"]


def content(root: Path, args: argparse.Namespace) -> bool:
    """The content figure: one push adding `args.files` files to main (module docstring)."""
    cfg = root / "content-config"
    (cfg / "signers").mkdir(parents=True)
    text = CONTENT_POLICY.format(timeout=args.timeout, content=CONTENT)
    (cfg / "policy.yaml").write_text(text)
    (cfg / "secrets-allowlist.yaml").write_text("paths: [tests/fixtures/secrets/]\n")
    shutil.copytree(EXAMPLE_REGO, cfg / "rego")
    repo = root / "content.git"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True, env=BASE_ENV)
    base = next(gitobjs.file_commit_chain(repo, 1, lambda payload: b""))
    subprocess.run(
        ["git", "update-ref", "refs/heads/main", base], cwd=repo, check=True, env=BASE_ENV
    )
    tip, size, manifests = benchcontent.push_of_files(
        repo, base, args.files, args.file_bytes, args.file_commits
    )
    env = {**BASE_ENV, "GITWARD_CONFIG": str(cfg), "GIT_DIR": str(repo)}
    hook = [str(GITWARD), "hook", "pre-receive"]
    line = f"{base} {tip} refs/heads/main\n".encode()
    runs, cpus, rss = [], [], 0
    for _ in range(args.repeat):
        wall, code, peak = timed(hook, stdin=line, env=env, cwd=repo)
        if code != 0:
            print(f"content: FAIL the hook refused a push it must accept (exit {code})")
            return False
        runs.append(wall)
        cpus.append(CPU_SECONDS[-1])
        rss = max(rss, peak)
    h, cpu = statistics.median(runs), statistics.median(cpus)
    mb = size / 1e6
    ok = h < args.timeout and rss < 300 * 1024
    print(
        f"content: {args.files} files ({mb:.1f} MB, {manifests} manifests, {args.file_commits} "
        f"commits)  hook {h:.2f} s (budget {args.timeout:g} s, CPU {cpu:.2f} s)  "
        f"{mb / h:.1f} MB/s  {h / args.files * 1000:.2f} ms/blob  hook peak RSS "
        f"{rss / 1024:.0f} MB (target < 300)  {'PASS' if ok else 'FAIL'}"
    )
    return ok


def one_commit(root: Path, cfg: Path, pgp: keys.OpenPGPSigner, args: argparse.Namespace) -> bool:
    work = root / "work.git"
    subprocess.run(["git", "init", "-q", "--bare", str(work)], check=True, env=BASE_ENV)
    tips = list(gitobjs.file_commit_chain(work, args.push_repeat + 1, pgp.sign, args.push_dir))
    targets = {}
    install = {"gitward": ["--config", str(cfg)], "policy-repo": policy_repository(root, cfg)}
    for kind in ("noop", "gitward", "policy-repo"):
        repo = root / f"push-{kind}.git"
        subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True, env=BASE_ENV)
        if kind in install:
            subprocess.run(
                [str(GITWARD), "install", *install[kind], str(repo)],
                check=True,
                env=BASE_ENV,
                stdout=subprocess.DEVNULL,
            )
        else:
            hook = repo / "hooks" / "pre-receive"
            hook.write_text("#!/bin/sh\ncat >/dev/null\nexit 0\n")
            hook.chmod(0o755)
        subprocess.run(
            ["git", "-C", str(work), "push", "-q", str(repo), f"{tips[0]}:refs/heads/main"],
            check=True,
            env=BASE_ENV,
            capture_output=True,
        )
        targets[kind] = repo
    runs: dict[str, list[float]] = {kind: [] for kind in targets}
    cpus: dict[str, list[float]] = {kind: [] for kind in targets}
    for tip in tips[1:]:
        for kind, repo in targets.items():
            wall, code, _ = timed(
                ["git", "push", "-q", str(repo), f"{tip}:refs/heads/main"], env=BASE_ENV, cwd=work
            )
            if code != 0:
                print(f"one-commit: FAIL push to {kind} hook refused (exit {code})")
                return False
            runs[kind].append(wall)
            cpus[kind].append(CPU_SECONDS[-1])
    n, ok = statistics.median(runs["noop"]), True
    n_cpu = statistics.median(cpus["noop"])
    for kind, name in (("gitward", "one-commit"), ("policy-repo", "one-commit-policy-repo")):
        g = statistics.median(runs[kind])
        added = (g - n) * 1000
        cpu = (statistics.median(cpus[kind]) - n_cpu) * 1000
        ok = ok and added < 150
        print(
            f"{name}: {args.push_repeat} pushes ({args.push_dir}/app.yaml)  with gitward "
            f"{g * 1000:.0f} ms  no-op hook {n * 1000:.0f} ms  added {added:.0f} ms "
            f"(target < 150 ms; CPU added {cpu:.0f} ms)  {'PASS' if added < 150 else 'FAIL'}"
        )
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per bulk figure (median)")
    parser.add_argument("--push-repeat", type=int, default=21, help="pushes per hook kind")
    parser.add_argument(
        "--push-dir",
        default="deploy",
        help="where the one-commit push's manifest is (clusters: the example's Rego policies "
        "judge it)",
    )
    parser.add_argument("--timeout", type=float, default=4.0, help="policy timeout_seconds")
    parser.add_argument("--intake-requests", type=int, default=2000, help="per round and server")
    parser.add_argument("--intake-rounds", type=int, default=3, help="rounds (median req/s)")
    parser.add_argument("--intake-clients", type=int, default=4, help="client processes")
    parser.add_argument("--intake-workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--pull-commits", type=int, default=1000, help="timed pull request")
    parser.add_argument("--pull-large", type=int, default=10_000, help="pull request for RSS")
    parser.add_argument("--pull-wait", type=float, default=300.0, help="seconds for a status")
    parser.add_argument("--files", type=int, default=5000, help="files the content push adds")
    parser.add_argument("--file-bytes", type=int, default=10_000, help="size of each file")
    parser.add_argument("--file-commits", type=int, default=50, help="commits they come in")
    figures = ["openpgp", "ssh", "content", "push", "intake", "pull"]
    parser.add_argument("--only", choices=figures, action="append")
    args = parser.parse_args(argv)
    only = set(args.only or figures)
    root = Path(tempfile.mkdtemp(prefix="gwbench-", dir="/tmp"))
    try:
        pgp, ssh = keys.OpenPGPSigner.generate("alice@example.com"), keys.SSHSigner.generate()
        cfg = write_config(root, pgp, ssh, args.timeout)
        with_content = write_config(root, pgp, ssh, args.timeout, "push-config", CONTENT)
        gnupg = root / "gnupg"
        gnupg.mkdir(mode=0o700)
        subprocess.run(
            ["gpg", "--homedir", str(gnupg), "--batch", "-q", "--import"],
            input=pgp.public_armored,
            check=True,
        )
        allowed = root / "allowed_signers"
        allowed.write_text(f"alice@example.com {ssh.public_line}\n")
        git_version = subprocess.check_output(["git", "--version"], text=True).split()[-1]
        print(
            f"gitward bench: {time.strftime('%Y-%m-%d')}  python {sys.version.split()[0]}  "
            f"{os.cpu_count()} cores  git {git_version}"
        )
        ok = True
        if "openpgp" in only:
            ok &= bulk("openpgp", root, cfg, pgp, args, [], {"GNUPGHOME": str(gnupg)})
        if "ssh" in only:
            ok &= bulk(
                "ssh", root, cfg, ssh, args, ["-c", f"gpg.ssh.allowedSignersFile={allowed}"], {}
            )
        if "content" in only:
            ok &= content(root, args)
        if "push" in only:
            ok &= one_commit(root, with_content, pgp, args)
        if "intake" in only:
            ok &= benchintake.measure(root, cfg, args)
        if "pull" in only:
            ok &= benchpull.measure(root, cfg, ssh, args)
        return 0 if ok else 1
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
