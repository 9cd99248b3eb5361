"""New repositories start guarded: `gitward install --template DIR` and git's init.templateDir.

Each test replays, with real git, what Gitea does when it makes a repository, as read in its
source (docs/deploy.md names the files): git runs with HOME = Gitea's `[git] HOME_PATH`, whose
`.gitconfig` Gitea fills from app.ini's `[git.config]` (here: `init.templateDir`); a new
repository is `git init --bare` (a fork `git clone --bare`, a migration `git clone --mirror`);
then `CreateDelegateHooks` rewrites `hooks/pre-receive` and `hooks/pre-receive.d/gitea` and
nothing else. A real `git push` through Gitea's runner then reaches gitward's shim.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from gwpush import Client, Signer, audit, write_config

from gitward.cli import main
from gitward.cli.install_cmd import parse_shim, render_shim

POLICY = """\
version: 1
settings:
  timeout_seconds: 30
rules:
  - id: protect-main
    refs: [refs/heads/main]
    signatures:
      signers: [group:maintainers]
"""

# Gitea's hooks/pre-receive (modules/repository/hooks.go, getHookTemplates) in POSIX sh: every
# executable in hooks/pre-receive.d gets the same stdin; any failure fails the push.
GITEA_RUNNER = """\
#!/bin/sh
data=$(cat)
exitcodes=""
hookname=$(basename "$0")
GIT_DIR=${GIT_DIR:-$(dirname "$0")/..}
for hook in "${GIT_DIR}/hooks/${hookname}.d"/*; do
  test -x "${hook}" && test -f "${hook}" || continue
  printf '%s\\n' "${data}" | "${hook}"
  exitcodes="${exitcodes} $?"
done
for i in ${exitcodes}; do
  [ "${i}" -eq 0 ] || exit "${i}"
done
"""
GITEA_OWN = "#!/bin/sh\ncat >/dev/null\nexit 0\n"  # stands in for `gitea hook pre-receive`


class Gitea:
    """The repository root and git environment of a Gitea instance, as far as git sees it."""

    def __init__(self, base: Path) -> None:
        self.root = base / "gitea-repositories"
        self.root.mkdir(parents=True)
        self.home = base / "gitea-git-home"  # [git] HOME_PATH
        self.home.mkdir()
        self.template = base / "gitward-template"

    def env(self) -> dict[str, str]:
        # modules/git/gitcmd: HOME=[git] HOME_PATH and GIT_CONFIG_NOSYSTEM=1 for every git command
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        env.update(HOME=str(self.home), GIT_CONFIG_NOSYSTEM="1")
        return env

    def git(self, *args: str) -> None:
        subprocess.run(["git", *args], env=self.env(), check=True, capture_output=True)

    def set_template_dir(self) -> None:
        """What Gitea's syncGitConfig does at start with `[git.config] init.templateDir`."""
        self.git("config", "--global", "init.templatedir", str(self.template))

    def delegate_hooks(self, repo: Path) -> None:
        """CreateDelegateHooks: MkdirAll pre-receive.d, rewrite pre-receive and .d/gitea only."""
        hooks = repo / "hooks"
        (hooks / "pre-receive.d").mkdir(parents=True, exist_ok=True)
        for path, text in (
            (hooks / "pre-receive", GITEA_RUNNER),
            (hooks / "pre-receive.d" / "gitea", GITEA_OWN),
        ):
            path.unlink(missing_ok=True)  # util.Remove, then os.WriteFile(..., 0o777)
            path.write_text(text)
            path.chmod(0o755)

    def create(self, owner: str, name: str, *, template_arg: bool = False) -> Path:
        """CheckInitRepository: `git init --bare` (Forgejo adds `--template=`), then hooks."""
        repo = self.root / owner / f"{name}.git"
        repo.mkdir(parents=True)
        self.git(
            "-C", str(repo), "init", "-q", "--bare", *(["--template="] if template_arg else [])
        )
        self.delegate_hooks(repo)
        return repo

    def clone(self, source: Path, owner: str, name: str, how: str) -> Path:
        """A fork (`git clone --bare`) or a migration (`git clone --mirror`)."""
        repo = self.root / owner / f"{name}.git"
        self.git("clone", "-q", how, str(source), str(repo))
        self.delegate_hooks(repo)
        return repo


def gitea_env(pusher: str, owner: str, name: str) -> dict[str, str]:
    return {
        "GITEA_PUSHER_NAME": pusher,
        "GITEA_PUSHER_ID": "7",
        "GITEA_REPO_USER_NAME": owner,
        "GITEA_REPO_NAME": name,
        "GITEA_REPO_ID": "3",
    }


def git_config(repo: Path, key: str) -> str:
    out = subprocess.run(
        ["git", "config", "--file", str(repo / "config"), "--get", key],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip()


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    return write_config(tmp_path / "etc", POLICY, {"alice": Signer()})


@pytest.fixture
def gitea(tmp_path: Path, policy: Path) -> Gitea:
    """A Gitea root with the template installed and named in Gitea's git configuration."""
    instance = Gitea(tmp_path)
    args = ["install", "--gitea", str(instance.root), "--template", str(instance.template)]
    assert main([*args, "--config", str(policy)]) == 0
    instance.set_template_dir()
    return instance


def ours(repo: Path, policy: Path) -> bool:
    hook = repo / "hooks" / "pre-receive.d" / "gitward"
    shim = parse_shim(hook.read_text()) if hook.is_file() else None
    return shim is not None and shim.config == str(policy) and os.access(hook, os.X_OK)


def test_a_repository_gitea_creates_is_guarded_and_a_push_is_judged(
    tmp_path: Path, gitea: Gitea, policy: Path, gnupghome: Path
) -> None:
    repo = gitea.create("team", "app")
    assert ours(repo, policy)
    assert (repo / "hooks" / "pre-receive").read_text() == GITEA_RUNNER  # Gitea's, untouched
    assert git_config(repo, "receive.advertisePushOptions") == "true"
    client = Client(tmp_path / "work", gnupghome)
    unsigned = client.commit("unsigned")
    refused = client.push(repo, "HEAD:refs/heads/main", env=gitea_env("alice", "team", "app"))
    assert not refused.ok
    assert f"gitward:   protect-main/signature on {unsigned[:10]}" in refused.gitward, refused.text
    client.git("update-ref", "-d", "refs/heads/main")  # start again: a signed root commit
    client.commit("signed", sign=("openpgp", "alice"))
    accepted = client.push(repo, "HEAD:refs/heads/main", env=gitea_env("alice", "team", "app"))
    assert accepted.ok, accepted.text
    assert audit(policy)[-1]["repository"] == "team/app"


def test_forks_migrations_and_wikis_carry_the_hook_and_the_timer_run_changes_nothing(
    gitea: Gitea, policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = gitea.create("team", "app")
    made = [
        source,
        gitea.clone(source, "bob", "app", "--bare"),  # services/repository/fork.go
        gitea.clone(source, "team", "mirror", "--mirror"),  # services/repository/migrate.go
        gitea.create("team", "app.wiki"),  # wiki: InitRepository, then CreateDelegateHooks
    ]
    assert all(ours(repo, policy) for repo in made)
    capsys.readouterr()
    args = ["install", "--gitea", str(gitea.root), "--template", str(gitea.template)]
    assert main([*args, "--config", str(policy), "--quiet"]) == 0
    assert capsys.readouterr().out == ""  # nothing to repair, nothing printed
    assert main([*args, "--config", str(policy)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{gitea.template}: unchanged (git template)",
        *(f"{repo}: unchanged" for repo in sorted(made)),
    ]


def test_what_git_does_not_create_is_repaired_by_the_timer_run(
    gitea: Gitea, policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Forgejo runs `git init --template=` (no template); an adopted directory was put there by
    hand. The quiet timer run installs both and reports only them."""
    guarded = gitea.create("team", "app")
    forgejo = gitea.create("team", "forgejo-made", template_arg=True)
    adopted = gitea.root / "ops" / "adopted.git"
    subprocess.run(["git", "init", "-q", "--bare", "--template=", str(adopted)], check=True)
    assert not ours(forgejo, policy)
    assert not ours(adopted, policy)
    capsys.readouterr()
    args = ["install", "--quiet", "--gitea", str(gitea.root), "--config", str(policy)]
    assert main(args) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{adopted}: installed",
        f"{forgejo}: installed",
    ]
    assert all(ours(repo, policy) for repo in (guarded, forgejo, adopted))
    assert (forgejo / "hooks" / "pre-receive.d" / "gitea").read_text() == GITEA_OWN


def test_template_install_tells_where_to_point_git_once_and_keeps_other_template_files(
    tmp_path: Path, policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "tpl"
    (template / "hooks").mkdir(parents=True)
    (template / "hooks" / "post-update").write_text("#!/bin/sh\n")  # an admin's own template
    (template / "config").write_text("[core]\n\tlogAllRefUpdates = true\n")
    args = ["install", "--template", str(template), "--config", str(policy)]
    assert main([*args, "--gitward", "/opt/gw/bin/gitward"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{template}: installed (git template)"
    assert out[1].endswith(
        f"git config --global init.templateDir (as the account that creates them) = {template}"
    )
    hook = template / "hooks" / "pre-receive"  # the plain layout without --gitea
    assert hook.read_text() == render_shim("/opt/gw/bin/gitward", str(policy))
    assert os.access(hook, os.X_OK)
    assert (template / "hooks" / "post-update").exists()
    assert git_config(template, "core.logAllRefUpdates") == "true"
    assert git_config(template, "receive.advertisePushOptions") == "true"
    assert main([*args, "--gitward", "/opt/gw/bin/gitward"]) == 0
    assert capsys.readouterr().out == f"{template}: unchanged (git template)\n"
    # a plain `git init` with init.templateDir copies the executable shim and the config
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1")
    subprocess.run(
        ["git", "config", "--global", "init.templateDir", str(template)], env=env, check=True
    )
    subprocess.run(["git", "init", "-q", "--bare", str(tmp_path / "new.git")], env=env, check=True)
    copied = tmp_path / "new.git" / "hooks" / "pre-receive"
    assert copied.read_text() == hook.read_text()
    assert os.access(copied, os.X_OK)
    assert git_config(tmp_path / "new.git", "receive.advertisePushOptions") == "true"
    assert main(["uninstall", "--template", str(template)]) == 0
    assert capsys.readouterr().out == f"{template}: removed (git template)\n"
    assert not hook.exists()
    assert (template / "hooks" / "post-update").exists()


def test_a_foreign_template_hook_is_kept_and_a_failure_is_reported(
    tmp_path: Path, policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "tpl"
    (template / "hooks").mkdir(parents=True)
    (template / "hooks" / "pre-receive").write_text("#!/bin/sh\necho mine\n")
    assert main(["install", "--template", str(template), "--config", str(policy)]) == 1
    assert "FAILED (git template)" in capsys.readouterr().err
    assert (template / "hooks" / "pre-receive").read_text() == "#!/bin/sh\necho mine\n"
    assert main(["uninstall", "--quiet", "--template", str(tmp_path / "none")]) == 0
    assert capsys.readouterr().out == ""  # "not installed" is not news for a timer


def test_gitea_template_hint_names_app_ini(
    tmp_path: Path, policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "repos"
    root.mkdir()
    template = tmp_path / "tpl"
    args = ["install", "--gitea", str(root), "--template", str(template), "--config", str(policy)]
    assert main(args) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{template}: installed (git template)",
        f"  new repositories get the hook once git is told: "
        f"Gitea: app.ini [git.config] init.templateDir = {template}",
    ]
    assert (template / "hooks" / "pre-receive.d" / "gitward").is_file()
    assert not (template / "hooks" / "pre-receive").exists()  # Gitea writes its own runner


def test_template_is_updated_when_the_policy_moves_and_an_unwritable_config_fails(
    tmp_path: Path, policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "tpl"
    assert main(["install", "--template", str(template), "--config", str(policy)]) == 0
    moved = tmp_path / "elsewhere" / "policy.yaml"
    assert main(["install", "-q", "--template", str(template), "--config", str(moved)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert f"{template}: updated (git template)" in out
    shim = parse_shim((template / "hooks" / "pre-receive").read_text())
    assert shim is not None
    assert shim.config == str(moved)
    broken = tmp_path / "broken"
    (broken / "config").mkdir(parents=True)  # git cannot read or write a directory
    assert main(["install", "--template", str(broken), "--config", str(policy)]) == 1
    err = capsys.readouterr().err
    assert f"{broken}: FAILED (git template): cannot set receive.advertisePushOptions" in err


def test_nothing_named_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["install"]) == 1
    assert "--gitea ROOT or --template" in capsys.readouterr().err
