"""Rego policies on pushed manifests, through rego-cpp: policies written for OPA's admission
controller or Gatekeeper run unmodified, every deny becomes a finding naming the policy, a
policy that cannot compile is a config error, one that fails on a manifest refuses the push."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import re2  # noqa: F401  # before regopy, as the engine loads them (see engine.py)
import regopy  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from gitward.errors import ConfigError
from gitward.policy.content.k8s import Denial
from gitward.rego import PolicyFailed, compile_policy, engine, evaluate, load
from gitward.rego.admission import review
from gitward.rego.engine import Module, problems

# The issue's example, verbatim: Rego v0, as OPA 0.x and Gatekeeper users write it.
ISSUE_EXAMPLE = """\
package kubernetes.admission
deny[msg] { input.request.kind.kind == "Pod"; input.request.object.spec.containers[_].securityContext.privileged; msg := "privileged containers are not allowed" }
"""  # noqa: E501

GATEKEEPER = """\
package k8srequiredlabels

violation[{"msg": msg, "details": {"missing": missing}}] {
  provided := {label | input.review.object.metadata.labels[label]}
  required := {"team"}
  missing := required - provided
  count(missing) > 0
  msg := sprintf("you must provide labels: %v", [missing])
}
"""

V1 = """\
package kubernetes.admission
import rego.v1

deny contains msg if {
	input.request.operation == "UPDATE"
	input.request.oldObject.spec.replicas > input.request.object.spec.replicas
	msg := sprintf("replicas go down from %d to %d", [input.request.oldObject.spec.replicas, input.request.object.spec.replicas])
}

deny contains {"msg": "an object with a msg"} if input.request.object.metadata.name == "x"

deny contains {"no": "msg"} if input.request.object.metadata.name == "x"
"""  # noqa: E501


def pod(name: str = "web", privileged: bool = False, **labels: str) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "prod", "labels": labels},
        "spec": {"containers": [{"name": "c", "securityContext": {"privileged": privileged}}]},
    }


def deployment(replicas: int, name: str = "web") -> dict[str, object]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {"replicas": replicas},
    }


def test_the_issue_example_runs_unmodified() -> None:
    policy = compile_policy("rego/privileged.rego", ISSUE_EXAMPLE)
    assert evaluate([policy], "apps/pod.yaml", [pod("a"), None, pod("b", privileged=True)]) == (
        Denial("privileged", 2, "Pod prod/b", "privileged containers are not allowed"),
    )
    finding = Denial("privileged", 2, "Pod prod/b", "no").finding()
    assert (finding.check, finding.document) == ("rego", 2)
    assert finding.what == "Pod prod/b: no (Rego policy privileged)"


def test_a_gatekeeper_template_reads_input_review_and_its_violations_count() -> None:
    policy = compile_policy("rego/labels.rego", GATEKEEPER)
    found = evaluate([policy], "p.yaml", [pod("a"), pod("b", team="x")])
    assert found == (Denial("labels", 0, "Pod prod/a", 'you must provide labels: {"team"}'),)


def test_v1_syntax_updates_and_deny_objects() -> None:
    policy = compile_policy("rego/v1.rego", V1)
    before = [deployment(3), deployment(1, "x")]
    found = evaluate([policy], "d.yaml", [deployment(2), deployment(1, "x")], before)
    assert found == (Denial("v1", 0, "Deployment web", "replicas go down from 3 to 2"),)
    # A new object is a CREATE (no oldObject); deny values with a msg use it, others are JSON.
    found = evaluate([policy], "d.yaml", [deployment(1, "x")], [])
    assert [d.message for d in found] == ["an object with a msg", '{"no": "msg"}']


def test_unchanged_objects_are_not_judged_again() -> None:
    policy = compile_policy("p.rego", ISSUE_EXAMPLE)
    bad = pod("b", privileged=True)
    assert evaluate([policy], "p.yaml", [pod("a"), bad], [bad]) == ()
    assert len(evaluate([policy], "p.yaml", [pod("a"), bad], [pod("b")])) == 1


def test_policies_sharing_a_package_are_told_apart() -> None:
    other = ISSUE_EXAMPLE.replace("privileged containers are not allowed", "no")
    policies = [compile_policy("a/one.rego", ISSUE_EXAMPLE), compile_policy("b/two.rego", other)]
    found = evaluate(policies, "p.yaml", [pod(privileged=True)])
    assert [(d.policy, d.message) for d in found] == [
        ("one", "privileged containers are not allowed"),
        ("two", "no"),
    ]


def test_a_list_is_judged_item_by_item() -> None:
    policy = compile_policy("p.rego", ISSUE_EXAMPLE)
    listing = {"apiVersion": "v1", "kind": "List", "items": [pod("a"), pod("b", privileged=True)]}
    assert [d.resource for d in evaluate([policy], "l.yaml", [listing])] == ["Pod prod/b"]


def test_the_admission_request_shape() -> None:
    old = deployment(1)
    got = review(deployment(2), old, user="alice")
    request = {
        "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
        "name": "web",
        "namespace": "",
        "operation": "UPDATE",
        "object": deployment(2),
        "oldObject": old,
        "dryRun": False,
        "userInfo": {"username": "alice"},
    }
    assert got == {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": request,
        "review": request,
        "parameters": {},
    }
    created = review(pod())["request"]
    assert isinstance(created, dict)
    assert (created["operation"], created["oldObject"], created["kind"]) == (
        "CREATE",
        None,
        {"group": "", "version": "v1", "kind": "Pod"},
    )
    assert "userInfo" not in created


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("package x\ndeny[msg] { msg := }\n", "bad.rego:2:17: Invalid assignment operator"),
        ("deny[msg] { msg := 1 }\n", "bad.rego:1: no `package` line"),
        ("package x\nallow := true\n", "bad.rego: defines no `deny` or `violation` rule"),
        ("package x\ndeny[msg] { msg := nosuch(1) }\n", "bad.rego: Function not found: nosuch"),
    ],
)
def test_a_policy_that_does_not_compile_is_a_config_error_naming_the_file(
    source: str, problem: str, capfd: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ConfigError) as caught:
        compile_policy("rego/bad.rego", source)
    [message] = caught.value.problems
    assert message.startswith(f"rego/{problem}")
    assert capfd.readouterr() == ("", "")  # rego-cpp prints nothing of its own


def test_load_reports_every_broken_file(tmp_path: Path) -> None:
    (tmp_path / "good.rego").write_text(ISSUE_EXAMPLE)
    (tmp_path / "bad.rego").write_text("package x\ndeny[msg] { msg := }\n")
    (tmp_path / "worse.rego").write_text("package y\n")
    with pytest.raises(ConfigError) as caught:
        load([*sorted(tmp_path.glob("*.rego")), tmp_path / "missing.rego"])
    assert [p.removeprefix(f"{tmp_path}/") for p in caught.value.problems] == [
        "bad.rego:2:17: Invalid assignment operator",
        "worse.rego: defines no `deny` or `violation` rule: it refuses nothing",
        f"{tmp_path}/missing.rego: cannot read the Rego policy: [Errno 2] No such file or "
        f"directory: '{tmp_path}/missing.rego'".removeprefix(f"{tmp_path}/"),
    ]
    assert [p.name for p in load([tmp_path / "good.rego"])] == ["good"]


def test_libraries_and_data_are_compiled_into_every_policy(tmp_path: Path) -> None:
    lib = tmp_path / "lib.rego"
    lib.write_text("package lib.k8s\nimport rego.v1\nname := input.request.object.metadata.name\n")
    policy = tmp_path / "p.rego"
    policy.write_text(
        "package p\nimport rego.v1\nimport data.lib.k8s\n"
        "deny contains msg if {\n  k8s.name in data.banned\n"
        "  msg := concat(` `, [`banned:`, k8s.name])\n}\n"
    )
    [loaded] = load([policy], [lib], {"banned": ["evil"]})
    assert [d.message for d in evaluate([loaded], "p.yaml", [pod("evil"), pod("ok")])] == [
        "banned: evil"
    ]
    lib.write_text("package lib.k8s\nname := \n")
    with pytest.raises(ConfigError) as caught:
        load([policy], [lib])
    assert caught.value.problems[0].startswith(f"{lib}:2:")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            'x := 10 / count(input.request.object.spec.containers[0].ports); msg := "x"',
            "divide by zero",
        ),
        # Two values for one complete rule.
        (
            "msg := input.request.object.metadata.labels[_]",
            "complete rules must not produce multiple outputs",
        ),
        # rego-cpp formats strings some built-ins return with quotes, outside JSON's escaping.
        (
            'msg := sprintf("%v and %v", ["a", concat(",", ["x", "y"])])',
            "rego-cpp returned a malformed result",
        ),
    ],
)
def test_a_policy_that_fails_on_a_manifest_refuses_the_push_naming_it(
    body: str, reason: str, capfd: pytest.CaptureFixture[str]
) -> None:
    head = "package p\nimport rego.v1\n"
    source = f"{head}one := m if {{ m := input.request.object.metadata.labels[_] }}\n"
    source += f'deny contains msg if {{ input.request.kind.kind == "Pod"; {body} }}\n'
    if "complete rules" in reason:
        source = f'{head}deny contains msg if {{ input.request.kind.kind == "Pod"; msg := one }}\n'
        source += "one := m if { m := input.request.object.metadata.labels[_] }\n"
    target = pod(a="1", b="2")
    target["spec"] = {"containers": [{"name": "c", "ports": []}]}
    policy = compile_policy("rego/failing.rego", source)
    with pytest.raises(PolicyFailed) as caught:
        evaluate([policy], "apps/p.yaml", [target])
    message = str(caught.value)
    assert message.startswith(
        "Rego policy failing (rego/failing.rego) failed on apps/p.yaml, document 1 (Pod prod/web): "
    )
    assert reason in message
    assert message.endswith("the push is refused until the policy can judge it")
    assert capfd.readouterr() == ("", "")


def test_input_rego_cpp_cannot_take_refuses_the_push() -> None:
    policy = compile_policy("p.rego", ISSUE_EXAMPLE)
    huge = pod()
    huge["spec"] = {"replicas": 2**70}
    with pytest.raises(PolicyFailed) as caught:
        evaluate([policy], "p.yaml", [huge])
    assert str(caught.value) == (
        "cannot give p.yaml, document 1 (Pod prod/web) to the Rego policies: "
        f"the integer {2**70} does not fit in 64 bits"
    )


def test_no_policy_judges_nothing() -> None:
    assert evaluate([], "p.yaml", [pod(privileged=True)]) == ()


def test_error_messages_name_the_place_in_the_module() -> None:
    source = "package x\n# é\ndeny[msg] { msg := }\n"
    # Offsets count bytes: `é` is two.
    text = (
        "(rego-errorseq (error 5:x.reg|31|2 (errormsg 4:oops) (errorast)) (error (errormsg 3:two)))"
    )
    assert problems(text, [Module("x.reg", source)]) == ["x.reg:3:17: oops", "two"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_reading_any_error_text_never_raises(text: str) -> None:
    problems(text, [Module("a", "package a\n")])
    problems("(error 1:a|" + text, [Module("a", text)])


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["spec", "containers", "securityContext", "a"]), inner)
    ),
    max_leaves=20,
)


@settings(max_examples=100, deadline=None)
@given(JSON)
def test_any_pod_is_judged_without_error(spec: object) -> None:
    policies = [compile_policy("p.rego", ISSUE_EXAMPLE), compile_policy("g.rego", GATEKEEPER)]
    target = pod()
    target["spec"] = spec
    for denial in evaluate(policies, "p.yaml", [target]):
        assert json.dumps(denial.message)


def test_policy_patterns_still_work_once_rego_cpp_is_loaded() -> None:
    # rego-cpp brings its own allocator: an RE2 loaded after it aborts the process. The engine
    # loads RE2 first; this runs in a fresh interpreter, where the order is not yet settled.
    code = (
        "from gitward.rego import compile_policy\n"
        "compile_policy('p.rego', 'package p\\ndeny[m] { m := \"x\" }\\n')\n"
        "from gitward.policy import patterns\n"
        "print(patterns.search('^pass', 'password'), patterns.problem('(?<=x)'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert (out.returncode, out.stdout) == (0, "pass invalid perl operator: (?<=\n")


def test_input_that_is_not_json_refuses_the_push() -> None:
    policy = compile_policy("p.rego", ISSUE_EXAMPLE)
    odd = pod()
    odd["spec"] = {"when": object()}
    with pytest.raises(PolicyFailed, match="cannot pass the input to rego-cpp"):
        evaluate([policy], "p.yaml", [odd])


class _Broken:
    """Stands in for rego-cpp's answers that no policy in the suite provokes."""

    def __init__(self, failure: str) -> None:
        self.failure = failure

    def ok(self) -> bool:
        return True

    def set_input(self, value: object) -> None:
        pass

    def query_bundle(self, bundle: object) -> object:
        if self.failure == "raises":
            raise regopy.RegoError("(error (errormsg 7:crashed))")
        self.results = [regopy.output.Result({}), regopy.output.Result({})]
        return self


@pytest.mark.parametrize(("failure", "reason"), [("raises", "crashed"), ("two", "unexpected")])
def test_whatever_else_rego_cpp_answers_refuses_the_push(
    failure: str, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = compile_policy("p.rego", ISSUE_EXAMPLE)
    monkeypatch.setattr(engine, "_interpreter", lambda: _Broken(failure))
    with pytest.raises(PolicyFailed, match=reason):
        evaluate([policy], "p.yaml", [pod()])


def test_a_plan_rego_cpp_could_not_build_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    class NotBuilt:
        def ok(self) -> bool:
            return False

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # an empty cache: it must build
    monkeypatch.setattr(regopy.Interpreter, "build", lambda self, query: NotBuilt())
    with pytest.raises(ConfigError, match=r"p\.rego: rego-cpp could not compile the policy"):
        compile_policy("p.rego", ISSUE_EXAMPLE)


def test_gatekeepers_input_is_given_only_to_policies_that_can_read_it() -> None:
    from gitward.rego.policies import _without_comments

    text = 'a := "x # \\" # y" # review\nb := `# raw` # parameters\n'
    assert _without_comments(text) == 'a := "x # \\" # y" \nb := `# raw` \n'
    commented = (
        'package p\n# after review\ndeny[m] { input.request.kind.kind == "Pod"; m := "x" }\n'
    )
    plain = compile_policy("plain.rego", commented)
    gatekeeper = compile_policy("gk.rego", GATEKEEPER)
    assert (plain.gatekeeper, gatekeeper.gatekeeper) == (False, True)
    assert evaluate([plain], "p.yaml", [pod()])[0].message == "x"
    both = evaluate([plain, gatekeeper], "p.yaml", [pod()])  # the review is there for gk
    assert sorted(d.policy for d in both) == ["gk", "plain"]
    assert [d.policy for d in evaluate([plain, gatekeeper], "p.yaml", [pod(team="a")])] == ["plain"]
