"""Compiled Rego plans kept between runs (gitward.rego.cache): a second run loads what the first
compiled, and a plan that is not certainly ours and intact is never handed to rego-cpp.

The attacks below plant a *permissive* plan (one that denies nothing) where the privileged-Pod
policy's plan would be: were it used, the privileged Pod would pass.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from gwpush import Client, Signer, bare_repo, write_config

from gitward.errors import ConfigError
from gitward.policy.content.k8s import Denial
from gitward.rego import cache, compile_policy, engine, evaluate, policies
from gitward.rego.engine import Compiled, Module

PRIVILEGED = """\
package kubernetes.admission
deny[msg] { input.request.object.spec.containers[_].securityContext.privileged; msg := "no" }
"""
# The same package and rules, denying nothing: a plan an attacker would like us to load.
PERMISSIVE = "package kubernetes.admission\ndeny[msg] { false; msg := 1 }\n"
POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web"},
    "spec": {"containers": [{"name": "c", "securityContext": {"privileged": True}}]},
}
DENIED = (Denial("privileged", 0, "Pod web", "no"),)


@pytest.fixture
def where(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    found = cache.directory()
    assert found == tmp_path / "xdg" / "gitward" / "rego"
    return found


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths rego-cpp compiled (rather than loaded from the cache)."""
    seen: list[str] = []

    def counting(
        modules: Sequence[Module], query: str, data: Mapping[str, object] | None = None
    ) -> Compiled:
        seen.append(modules[-1].name)
        return engine.compile_query(modules, query, data)

    monkeypatch.setattr(policies, "compile_query", counting)
    return seen


def judge(source: str = PRIVILEGED) -> tuple[Denial, ...]:
    return evaluate([compile_policy("rego/privileged.rego", source)], "pod.yaml", [POD])


def entries(where: Path) -> list[Path]:
    return sorted(where.iterdir())


def plant_permissive(where: Path, tmp_path: Path) -> Path:
    """The permissive plan, named as the privileged policy's plan with its own true digest."""
    other = tmp_path / "other"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(other))
        compile_policy("rego/privileged.rego", PERMISSIVE)
    [plan] = entries(other / "gitward" / "rego")
    data = plan.read_bytes()
    [ours] = entries(where)
    planted = ours.with_name(f"{ours.name.split('-')[0]}-{hashlib.sha256(data).hexdigest()}.rbb")
    ours.unlink()
    planted.write_bytes(data)
    planted.chmod(0o600)
    return planted


def test_a_second_run_loads_the_plan_the_first_compiled(where: Path, compiles: list[str]) -> None:
    assert judge() == DENIED
    [plan] = entries(where)
    assert plan.stat().st_mode & 0o777 == 0o600 and where.stat().st_mode & 0o777 == 0o700
    assert compiles == ["rego/privileged.rego"]
    assert judge() == DENIED  # from the saved plan, and it judges the same
    assert compiles == ["rego/privileged.rego"]


def test_another_source_is_another_plan(where: Path, compiles: list[str]) -> None:
    judge()
    assert judge(PRIVILEGED.replace('"no"', '"not here"'))[0].message == "not here"
    assert len(compiles) == 2 and len(entries(where)) == 2


def test_the_key_covers_names_query_and_data() -> None:
    modules = [Module("a.rego", PRIVILEGED)]
    keys = {
        cache.key(modules, "x := 1", None),
        cache.key([Module("b.rego", PRIVILEGED)], "x := 1", None),
        cache.key(modules, "x := 2", None),
        cache.key(modules, "x := 1", {"limits": {1: "one", "two": 2}}),  # mixed key types
    }
    assert len(keys) == 4
    assert cache.key(modules, "x := 1", {}) == cache.key(modules, "x := 1", None)


def test_a_policy_that_fails_is_never_saved(where: Path) -> None:
    with pytest.raises(ConfigError):
        compile_policy("rego/bad.rego", "package p\ndeny[msg] { msg := 1 / 0 }\n")  # probe fails
    with pytest.raises(ConfigError):
        compile_policy("rego/bad.rego", "package p\ndeny[msg] { msg := }\n")  # does not compile
    assert not where.exists() or entries(where) == []


def test_a_tampered_plan_is_not_handed_to_rego_cpp(
    where: Path, compiles: list[str], capfd: pytest.CaptureFixture[str]
) -> None:
    judge()
    [plan] = entries(where)
    data = bytearray(plan.read_bytes())
    data[len(data) // 2] ^= 0xFF
    plan.write_bytes(bytes(data))
    assert judge() == DENIED
    assert len(compiles) == 2  # compiled again
    assert capfd.readouterr().out == ""  # rego-cpp never saw it (it prints "Mismatched CRC")


def test_a_plan_whose_name_lies_about_its_digest_is_not_used(where: Path, tmp_path: Path) -> None:
    judge()
    [plan] = entries(where)
    planted = plant_permissive(where, tmp_path)
    planted.rename(plan)  # the permissive plan's bytes under the genuine plan's name
    assert judge() == DENIED


def test_a_planted_plan_is_used_when_it_passes_every_check(where: Path, tmp_path: Path) -> None:
    # The control for the attacks below: the planted plan does let the Pod through.
    judge()
    plant_permissive(where, tmp_path)
    assert judge() == ()


@pytest.mark.parametrize("how", ["group-writable", "world-writable", "foreign", "symlink"])
def test_a_plan_not_certainly_ours_is_not_used(where: Path, tmp_path: Path, how: str) -> None:
    judge()
    planted = plant_permissive(where, tmp_path)
    if how == "group-writable":
        planted.chmod(0o620)
    elif how == "world-writable":
        planted.chmod(0o602)
    elif how == "foreign":
        if os.geteuid() != 0:
            pytest.skip("giving a file to another account needs root")
        os.chown(planted, 65534, -1)
    else:
        real = tmp_path / "elsewhere.rbb"
        planted.rename(real)
        planted.symlink_to(real)
    assert judge() == DENIED


@pytest.mark.parametrize("how", ["open", "foreign"])
def test_a_directory_others_can_change_is_neither_read_nor_written(
    where: Path, tmp_path: Path, how: str
) -> None:
    judge()
    planted = plant_permissive(where, tmp_path)
    if how == "open":
        where.chmod(0o777)
    else:
        if os.geteuid() != 0:
            pytest.skip("giving a directory to another account needs root")
        os.chown(where, 65534, -1)
    assert judge() == DENIED
    planted.unlink()
    assert judge() == DENIED
    assert entries(where) == []  # nothing written there either


def test_no_usable_home_means_no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    assert cache.directory({}) is None
    assert cache.directory({"HOME": "relative"}) is None
    assert cache.directory({"XDG_CACHE_HOME": "rel", "HOME": "/h"}) == Path(
        "/h/.cache/gitward/rego"
    )
    monkeypatch.setenv("XDG_CACHE_HOME", "relative")
    monkeypatch.setenv("HOME", "relative")
    assert judge() == DENIED  # compiled, nothing saved


def test_an_unwritable_cache_still_judges(where: Path, tmp_path: Path) -> None:
    where.parent.parent.write_text("a file where the directory would be")
    assert judge() == DENIED


def test_pushes_through_the_hook_share_the_plans(
    tmp_path: Path, gnupghome: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    etc = tmp_path / "etc"
    rules = "rules:\n  - id: gitops\n    refs: [refs/heads/main]\n"
    rules += "    content: {rego: {policies: [rego/privileged.rego]}}\n"
    config = write_config(etc, "version: 1\n" + rules, {"alice": Signer()})
    (etc / "rego").mkdir()
    (etc / "rego" / "privileged.rego").write_text(PRIVILEGED)
    manifest = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n"
    manifest += "spec: {containers: [{name: c, securityContext: {privileged: true}}]}\n"
    reports = []
    for name in ("first", "second"):
        client = Client(tmp_path / name, gnupghome)
        (client.path / "pod.yaml").write_text(manifest)
        client.git("add", "pod.yaml")
        oid = client.commit("a privileged pod")
        result = client.push(bare_repo(tmp_path / f"{name}.git", config), "HEAD:refs/heads/main")
        assert not result.ok
        reports.append("\n".join(result.gitward).replace(oid[:10], "COMMIT"))
        assert len(entries(tmp_path / "xdg" / "gitward" / "rego")) == 1  # saved, then loaded
    assert reports[0] == reports[1]
    assert "denied by Rego policy privileged: no" in reports[1]
