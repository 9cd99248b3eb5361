"""The documented example in config/: it trusts nobody as shipped (no signer, no key, above all
none of the keys whose secrets gitward publishes), `gitward config check` says what is missing,
and once an admin adds signers the documented way (here: fresh keys made for this run), it
loads, validates against the schema and does what config/README.md promises."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import gwgpg
import jsonschema
import pytest
import yaml

from gitward import config
from gitward.cli import main
from gitward.config import policy_schema, published, signers_file
from gitward.errors import ConfigError
from gitward.policy import spec

EXAMPLE = Path(__file__).resolve().parents[1] / "config"
SIGNERS = ("dana", "erik")


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of config/ (as on a server: /etc/gitward) with two maintainers added by
    `gitward signers add`, each with an OpenPGP and an SSH key made for this run."""
    root = tmp_path_factory.mktemp("server")
    copy = root / "gitward"
    shutil.copytree(EXAMPLE, copy)
    home = gwgpg.new_home()
    for name in SIGNERS:
        email = f"{name}@example.org"
        fpr = gwgpg.make_key(home, f"{name.title()} Maintainer <{email}>")
        asc = root / f"{name}.asc"
        asc.write_bytes(gwgpg.export(home, fpr))
        key, _ = gwgpg.ssh_keypair(root / "ssh", f"{name}_ed25519", email)
        argv = ["signers", "add", name, "--name", f"{name.title()} Maintainer", "--email", email]
        argv += ["--gpg-key", str(asc), "--ssh-key", f"{key}.pub", "--group", "maintainers"]
        assert main([*argv, "--config", str(copy)]) == 0
    return copy


@pytest.fixture
def outside_the_test_suite(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a real server: gitward's published test keys are refused."""
    monkeypatch.delenv(published.TEST_SUITE_VAR, raising=False)


@pytest.mark.usefixtures("outside_the_test_suite")
def test_as_shipped_config_check_says_the_signer_group_has_no_members(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["config", "check", str(EXAMPLE)]) == 1
    out, err = capsys.readouterr()
    policy = EXAMPLE / "policy.yaml"
    lines = policy.read_text().splitlines()
    at = [i + 1 for i, line in enumerate(lines) if "signers: [group:maintainers]" in line]
    keys = ["rules[0].signatures", "rules[1].signatures", "rules[5].content.protected_paths"]
    expected = [
        f"{policy}:{line}: {key}.signers[0]: expected a signer group with "
        f"members, got 'maintainers': no signer in {EXAMPLE / 'signers'} belongs to it (add "
        "one with `gitward signers add ... --group maintainers`)"
        for key, line in zip(keys, at, strict=True)
    ]
    assert out.splitlines() == expected
    assert err == "3 problem(s); the policy would not be applied\n"
    # config/README.md quotes the first one, for a copy in /etc/gitward.
    readme = (EXAMPLE / "README.md").read_text().replace("/etc/gitward", str(EXAMPLE))
    assert f"\n{expected[0]}\n" in readme


def test_as_shipped_the_example_holds_no_signer_and_no_key() -> None:
    loaded = signers_file.load_dir(EXAMPLE / "signers")
    assert (loaded.signers.signers, loaded.problems) == ((), [])
    for file in EXAMPLE.rglob("*"):
        if file.is_dir():
            continue
        text = file.read_text()
        assert "-----BEGIN" not in text, file
        for line in text.splitlines():
            code = line.split("#", 1)[0]
            assert not re.search(r"[0-9A-Fa-f]{40}|AAAA[A-Za-z0-9+/]{20}", code), (file, line)
    assert sorted(p.name for p in (EXAMPLE / "signers").iterdir()) == ["signer.yaml.sample"]


@pytest.mark.usefixtures("outside_the_test_suite")
def test_with_signers_added_config_check_is_ok(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config", "check", str(example)]) == 0
    out, _ = capsys.readouterr()
    *content, ok = out.splitlines()
    assert ok == f"OK: 6 rules, 2 signers, 2 forge(s) in forges.yaml ({example / 'policy.yaml'})"
    assert content[0].endswith("218 of 218 rules usable with RE2")
    assert content[1:] == [
        "secrets allowlist secrets-allowlist.yaml: 1 path(s), 1 regex(es), 0 fingerprint(s)",
        "rego: 3 policy file(s) compiled: rego/privileged.rego, rego/images.rego, "
        "rego/networkpolicy-ingress.rego",
    ]
    loaded = config.load(example, now=datetime.now(UTC))
    assert loaded.warnings == ()
    assert loaded.audit_log == example / "audit.jsonl"
    assert loaded.signers.members(("group:maintainers",)) == set(SIGNERS)
    assert [len(s.openpgp_keys + s.ssh_keys) for s in loaded.signers.signers] == [2, 2]


def test_a_misspelt_group_is_reported_with_the_group_meant(example: Path, tmp_path: Path) -> None:
    copy = tmp_path / "gitward"
    shutil.copytree(example, copy)
    policy = copy / "policy.yaml"
    policy.write_text(policy.read_text().replace("group:maintainers", "group:maintainer", 1))
    with pytest.raises(ConfigError) as caught:
        config.load(copy)
    (problem,) = caught.value.problems
    assert problem.endswith(
        f"got 'maintainer': no signer in {copy / 'signers'} belongs to it "
        "(did you mean 'maintainers'?)"
    )


def test_example_validates_against_the_published_schema() -> None:
    doc = yaml.safe_load((EXAMPLE / "policy.yaml").read_text())
    validator = jsonschema.Draft202012Validator(
        policy_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    assert [e.message for e in validator.iter_errors(doc)] == []


def test_protected_branches(example: Path) -> None:
    policy = config.load(example).policy
    assert [r.id for r in policy.rules] == [
        "protect-branches", "release-tags", "conventional-commits", "gitops-content",
        "gitops-manifests", "gitops-prod-paths",
    ]  # fmt: skip
    # Ticket numbers there, not Conventional Commits: the warning rule excludes them.
    assert [r.id for r in policy.rules_for("refs/heads/release/1.2")] == [
        "protect-branches", "gitops-content",
    ]  # fmt: skip
    assert [r.id for r in policy.rules_for("refs/heads/main")] == [
        "protect-branches", "gitops-content", "gitops-manifests", "gitops-prod-paths",
    ]  # fmt: skip
    rule = policy.rules[0]
    assert rule.mode == "enforce"
    assert rule.signatures == spec.SignatureRule(signers=("group:maintainers",))
    assert rule.protection is not None
    assert rule.protection.block_force_push and rule.protection.block_deletion
    assert rule.messages is not None and rule.messages.must_match is not None
    ticket = re.compile(rule.messages.must_match)
    assert ticket.search("JIRA-123: fix the gate") and ticket.search("FEATURE-7: add x")
    assert not ticket.search("fix: the gate") and not ticket.search("jira-1: lower case")
    assert rule.bypass == ("group:release-managers",)
    assert "release-managers" in policy.pusher_groups


def test_release_tags_are_signed_and_immutable(example: Path) -> None:
    policy = config.load(example).policy
    rule, content = policy.rules_for("refs/tags/v1.2.3")
    assert (rule.id, content.id) == ("release-tags", "gitops-content")
    assert rule.mode == "enforce"
    assert rule.signatures is not None and rule.signatures.tags
    assert rule.signatures.signers == ("group:maintainers",)
    assert rule.protection is not None and rule.protection.immutable
    assert [r.id for r in policy.rules_for("refs/tags/nightly")] == ["gitops-content"]


def test_everything_else_gets_a_conventional_commits_warning(example: Path) -> None:
    policy = config.load(example).policy
    rule, _ = policy.rules_for("refs/heads/feature/login")
    assert rule.id == "conventional-commits" and rule.mode == "warn"
    assert rule.messages is not None and rule.messages.conventional_commits


def test_every_policy_key_is_explained_by_a_comment() -> None:
    lines = (EXAMPLE / "policy.yaml").read_text().splitlines()
    settings = set(yaml.safe_load("\n".join(lines))["settings"])
    for key in settings:
        at = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{key}:"))
        assert lines[at - 1].strip().startswith("#"), key


def test_gitops_content_uses_every_content_check(example: Path) -> None:
    policy = config.load(example).policy
    rule = next(r for r in policy.rules if r.id == "gitops-content")
    assert rule.mode == "enforce" and rule.refs == ("refs/heads/**", "refs/tags/**")
    assert rule.bypass == ("group:release-managers",)
    content = rule.content
    assert content is not None and content.secrets is not None and content.files is not None
    assert content.secrets.allowlist == "secrets-allowlist.yaml"
    assert content.files.symlinks_outside and content.files.case_collisions
    assert content.files.max_bytes and content.files.forbidden_paths
    assert "pem" in content.files.forbidden_extensions
    allow = policy.content_data.allowlists["secrets-allowlist.yaml"]
    assert allow.fingerprints == ()  # shipped without reviewed findings
    assert content.kubernetes_secrets is not None
    # Every content check the engine has is used by the example (by this rule, or by the ones
    # that run Rego policies and protect production's paths on main alone).
    from gitward.policy.content import CHECKS

    used = [r.content for r in policy.rules if r.content is not None]
    # (`distinct_signers` is `signatures.min_distinct_signers`, which the loader sets.)
    checks = [name for name in CHECKS if name != "distinct_signers"]
    assert all(any(getattr(c, name) is not None for c in used) for name in checks)


def test_production_paths_need_two_maintainers_on_main(example: Path) -> None:
    policy = config.load(example).policy
    rule = policy.rules[-1]
    assert (rule.id, rule.refs, rule.mode, rule.bypass) == (
        "gitops-prod-paths", ("refs/heads/main",), "enforce", (),
    )  # fmt: skip
    assert rule.content is not None
    assert rule.content.protected_paths == spec.ProtectedPaths(
        ("clusters/prod/**", "**/networkpolicy*.yaml"), ("group:maintainers",), 2
    )


def test_gitops_manifests_run_the_example_rego_policies(example: Path) -> None:
    loaded = config.load(example)
    rule = next(r for r in loaded.policy.rules if r.id == "gitops-manifests")
    assert rule.refs == ("refs/heads/main",) and rule.mode == "enforce"
    assert rule.content is not None and rule.content.paths == ("clusters/**",)
    assert rule.content.rego is not None
    names = rule.content.rego.policies
    assert names == ("rego/privileged.rego", "rego/images.rego", "rego/networkpolicy-ingress.rego")
    assert all((EXAMPLE / name).is_file() for name in names)
    from gitward.config import rego_files

    rego_files.compile_all(loaded.policy.content_data.rego)  # each compiles
