"""The Dockerfiles docker-compose.yml builds, checked statically (no Docker engine here): base
images pinned by tag, every COPY source present and inside the build context its
`Dockerfile.dockerignore` lets through, nothing that looks like a secret copied or baked into
ENV/ARG; and the Gitea image's s6 repair service run for real against a scratch Gitea root."""

from __future__ import annotations

import json
import os
import pwd
import re
import shlex
import subprocess
from pathlib import Path
from typing import NamedTuple

import gwrepo
import pytest
import yaml

from gitward.cli import build_parser
from gitward.cli.install_cmd import gitward_command, parse_shim

ROOT = Path(__file__).resolve().parent.parent
REPAIR = ROOT / "deploy" / "gitea" / "gitward-repair"
SECRET_PATH = re.compile(
    r"(^|/)(secrets?|\.env|\.git|\.venv|id_[a-z0-9]+|.*\.(pem|key|p12|pfx)|.*token.*)(/|$)", re.I
)
SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSW|PRIVATE|CREDENTIAL|_KEY$", re.I)


class Instruction(NamedTuple):
    keyword: str
    args: str


def instructions(dockerfile: Path) -> list[Instruction]:
    """Logical instructions: comment lines dropped, backslash continuations joined."""
    out: list[Instruction] = []
    pending = ""
    for raw in dockerfile.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        out.append(Instruction(keyword.upper(), args.strip()))
        pending = ""
    assert not pending, f"{dockerfile}: dangling continuation"
    return out


def copy_sources(args: str) -> tuple[dict[str, str], list[str]]:
    """(flags, sources) of a COPY/ADD: `--from=x` style flags, then sources and destination."""
    words = shlex.split(args)
    flags = {}
    while words and words[0].startswith("--"):
        name, _, value = words.pop(0)[2:].partition("=")
        flags[name] = value
    if words and words[0].startswith("["):
        words = json.loads(" ".join(words))
    return flags, words[:-1]


def built_images() -> list[tuple[str, Path, Path]]:
    """(service, build context, Dockerfile) for each service docker-compose.yml builds."""
    doc = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    seen: list[tuple[str, Path, Path]] = []
    for name, service in doc["services"].items():
        if "build" in service:
            context = ROOT / service["build"]["context"]
            dockerfile = context / service["build"]["dockerfile"]
            if all(d != dockerfile for _, _, d in seen):
                seen.append((name, context, dockerfile))
    return seen


BUILT = built_images()


def test_compose_builds_the_gitea_and_the_receiver_image() -> None:
    assert [d.relative_to(ROOT).as_posix() for _, _, d in BUILT] == [
        "deploy/gitea/Dockerfile",
        "receiver/Dockerfile",
    ]


@pytest.mark.parametrize(("service", "context", "dockerfile"), BUILT, ids=[s for s, _, _ in BUILT])
def test_dockerfile_is_pinned_and_copies_only_what_it_needs(
    service: str, context: Path, dockerfile: Path
) -> None:
    steps = instructions(dockerfile)
    assert steps[0].keyword == "FROM"
    ignore = (dockerfile.parent / (dockerfile.name + ".dockerignore")).read_text().splitlines()
    allowed = [line[1:].rstrip("/") for line in ignore if line.startswith("!")]
    assert "*" in ignore, "the build context starts from nothing"
    stages: list[str] = []
    for step in steps:
        if step.keyword == "FROM":
            words = [w for w in step.args.split() if not w.startswith("--platform")]
            image = words[0]
            if image not in stages:
                repo, _, tag = image.rpartition(":")
                assert repo and tag and tag != "latest" and "/" not in tag, image
            if len(words) == 3 and words[1].upper() == "AS":
                stages.append(words[2])
        elif step.keyword in {"COPY", "ADD"}:
            flags, sources = copy_sources(step.args)
            if "from" in flags:
                assert flags["from"] in stages, step
                continue
            for source in sources:
                assert "://" not in source, f"{step}: no downloads without a checksum"
                assert source.strip("./") != "", f"{step}: never the whole context"
                assert not SECRET_PATH.search(source), step
                assert (context / source).exists(), f"{service}: {source} missing"
                name = source.rstrip("/")
                assert any(name == a or name.startswith(a + "/") for a in allowed), (
                    f"{source} is not in the build context ({dockerfile.name}.dockerignore)"
                )
        elif step.keyword in {"ENV", "ARG"}:
            for word in shlex.split(step.args):
                assert not SECRET_NAME.search(word.partition("=")[0]), step


def test_receiver_image_runs_unprivileged_from_the_gunicorn_config_directory() -> None:
    steps = instructions(ROOT / "receiver" / "Dockerfile")
    final = steps[max(i for i, s in enumerate(steps) if s.keyword == "FROM") :]
    last = {s.keyword: s.args for s in final}
    assert last["USER"] not in {"root", "0"}
    assert "COPY receiver/gunicorn.conf.py /srv/gitward/gunicorn.conf.py" in [
        f"{s.keyword} {s.args}" for s in final
    ]
    assert last["WORKDIR"] == "/srv/gitward"
    assert json.loads(last["CMD"])[:2] == ["gitward", "serve"]


def test_gitea_image_installs_the_repair_service_where_s6_runs_it() -> None:
    steps = [f"{s.keyword} {s.args}" for s in instructions(ROOT / "deploy/gitea/Dockerfile")]
    assert "COPY deploy/gitea/gitward-repair /etc/s6/gitward/run" in steps
    assert os.access(REPAIR, os.X_OK)
    subprocess.run(["bash", "-n", str(REPAIR)], check=True)
    # The gitward command line in the script parses with gitward's own argument parser.
    call = re.search(r'"\$gitward" (install .*?)\n\s*\n', REPAIR.read_text(), re.S)
    assert call is not None
    words = shlex.split(call.group(1).replace("\\\n", " ").replace('"$', '"/x/'))
    args = build_parser("install").parse_args(words)
    assert (args.quiet, args.gitea, args.template) == (True, "/x/root", "/x/template")


def test_repair_service_guards_the_template_and_every_repository(tmp_path: Path) -> None:
    """`run --once` as s6 would start it, with su-exec standing in (it only drops the user)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "su-exec").write_text('#!/bin/sh\nshift\nexec "$@"\n')
    (bin_dir / "su-exec").chmod(0o755)
    root = tmp_path / "data" / "git" / "repositories"
    (root / "team").mkdir(parents=True)
    repo = gwrepo.init(root / "team" / "app.git")
    template = tmp_path / "data" / "gitward" / "template"
    policy = tmp_path / "etc" / "policy.yaml"
    env = gwrepo.clean_env(
        {
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "USER": pwd.getpwuid(os.getuid()).pw_name,
            "GITWARD_BIN": gitward_command(),
            "GITWARD_GITEA_ROOT": str(root),
            "GITWARD_TEMPLATE_DIR": str(template),
            "GITWARD_CONFIG": str(policy),
            "GITWARD_AUDIT_DIR": str(tmp_path / "log"),
        }
    )
    first = subprocess.run(
        [str(REPAIR), "--once"], env=env, capture_output=True, text=True, check=False
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[0] == f"{template}: installed (git template)"
    assert first.stdout.splitlines()[-1] == f"{repo}: installed"
    for hook in (
        template / "hooks" / "pre-receive.d" / "gitward",
        repo / "hooks" / "pre-receive.d" / "gitward",
    ):
        shim = parse_shim(hook.read_text())
        assert shim is not None and shim.config == str(policy), hook
    assert (tmp_path / "log").is_dir()
    again = subprocess.run(
        [str(REPAIR), "--once"], env=env, capture_output=True, text=True, check=False
    )
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
