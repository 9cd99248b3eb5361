"""The manifests adapter: pushed files -> bounded JSON documents, or Unreadable, or skipped."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitward import manifests
from gitward.policy.content.k8s import Unreadable, is_manifest


def test_every_document_of_a_multi_document_file_as_json_values() -> None:
    text = b"""\
apiVersion: v1
kind: ConfigMap
metadata: {name: c, annotations: {when: 2026-01-02, at: 2026-01-02T10:00:00Z}}
data:
  1: one
  true: yes-as-key
  big: 123456789012345678901234567890
  ratio: .inf
  blob: !!binary aGVsbG8=
  merged: {<<: {a: 1}, b: 2}
---
---
- not
- a manifest
"""
    docs = manifests.read("apps/c.yaml", text)
    assert isinstance(docs, tuple)
    first, empty, listing = docs
    assert first == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "c",
            "annotations": {"when": "2026-01-02", "at": "2026-01-02T10:00:00Z"},
        },
        # Keys as strings, as sigs.k8s.io/yaml hands them to Kubernetes; values JSON can carry.
        "data": {
            "1": "one",
            "true": "yes-as-key",
            "big": 1.2345678901234568e29,
            "ratio": ".inf",
            "blob": "hello",  # !!binary decoded, as Go reads it
            "merged": {"a": 1, "b": 2},
        },
    }
    assert (empty, listing) == (None, ["not", "a manifest"])
    assert [is_manifest(d) for d in docs] == [True, False, False]


@pytest.mark.parametrize("path", ["a.yaml", "b/c.YML", "d.json", "x/.sops.yaml"])
def test_yaml_and_json_files_are_read(path: str) -> None:
    assert manifests.read(path, b'{"apiVersion": "v1", "kind": "Pod"}') == (
        {"apiVersion": "v1", "kind": "Pod"},
    )


@pytest.mark.parametrize("path", ["README.md", "main.go", "values.yaml.tpl", ".env", "a.ini"])
def test_other_files_are_skipped_unless_sops_must_have_encrypted_them(path: str) -> None:
    assert manifests.read(path, b"A=1\n") is None


SECRET_TEXT = b"apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: x}\n"


@pytest.mark.parametrize("path", ["db.txt", "clusters/db", "secret.yaml.bak"])
@pytest.mark.parametrize(
    "text",
    [
        SECRET_TEXT,
        b'{"apiVersion": "v1", "kind": "Secret", "stringData": {"password": "x"}}',
        SECRET_TEXT.replace(b"kind: Secret", b'kind: "\\u0053ecret"'),
        SECRET_TEXT.replace(b"kind: Secret", b"kind: !!binary U2VjcmV0"),
        SECRET_TEXT.replace(b"kind: Secret", b"kind: &k Secret\nx: *k"),
    ],
    ids=["line", "json", "escaped", "binary", "anchored"],
)
def test_a_secret_in_a_file_of_another_name_is_read(path: str, text: bytes) -> None:
    found = manifests.read(path, text)
    assert found is not None and not isinstance(found, Unreadable)
    assert found[0]["kind"] == "Secret"  # type: ignore[index]


@pytest.mark.parametrize(
    "text",
    [
        b"# Setup\n\n```yaml\n" + SECRET_TEXT + b"```\n",  # a README's example
        b"{{- if .Values.secret }}\n" + SECRET_TEXT + b"{{- end }}\n",  # a Helm template
        b"kind: Secrets are\nnot: kept here\n",  # no Secret
        b"apiVersion: v1\nkind: ConfigMap\ndata: {a: Secret!}\n",  # YAML, but no Secret
    ],
)
def test_other_files_mentioning_a_secret_are_left_alone(text: bytes) -> None:
    assert manifests.read("README.md", text) is None


def test_files_sops_must_encrypt_are_read_as_sops_writes_them() -> None:
    assert manifests.read("app/.env", b"# c\nA=1\n\nB=x=y\n", sops_required=True) == (
        {"A": "1", "B": "x=y"},
    )
    binary = b'{"data": "ENC[...]", "sops": {"mac": "m"}}'
    assert manifests.read("app/key.bin", binary, sops_required=True) == (
        {"data": "ENC[...]", "sops": {"mac": "m"}},
    )
    assert manifests.read("app/a.ini", b"[sops]\n", sops_required=True) == Unreadable(
        "gitward does not read sops INI files"
    )
    assert manifests.read("app/.env", b"no equals sign\n", sops_required=True) == Unreadable(
        "line 1: not KEY=value"
    )
    assert manifests.read("app/.env", b"\xff", sops_required=True) == Unreadable("not UTF-8 text")


def test_dotenv_sops_metadata_is_unflattened() -> None:
    text = (
        b"sops_age__list_0__map_enc=E0\nsops_age__list_0__map_recipient=R0\n"
        b"sops_age__list_1__map_enc=E1\nsops_key_groups__list_0__map_pgp__list_0__map_enc=P\n"
        b"sops_mac=M\nsops_bad__list_x__map_enc=ignored\nsops_far__list_5000__map_enc=ignored\n"
    )
    assert manifests.read("s.env", text, sops_required=True) == (
        {
            "sops": {
                "age": [{"enc": "E0", "recipient": "R0"}, {"enc": "E1"}],
                "key_groups": [{"pgp": [{"enc": "P"}]}],
                "mac": "M",
                "bad": [],
                "far": [],
            }
        },
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b"a: [\n", "not valid YAML: line 2: "),
        (b"a: &x [*x]\n", "line 1: a recursive alias"),
        (b"? [a]\n: b\n", "line 1: a mapping key that is not a scalar"),
        (b"a: 2026-13-45\n", "line 1: unreadable value: "),
        (b"a: " + b"[" * 200 + b"]" * 200 + b"\n", "nested more than 100 levels deep"),
        (b"a: " + b"[" * 2000 + b"]" * 2000 + b"\n", "not valid YAML: "),  # libyaml's own limit
    ],
)
def test_what_cannot_be_read_is_unreadable_with_the_reason(text: bytes, reason: str) -> None:
    found = manifests.read("a.yaml", text)
    assert isinstance(found, Unreadable)
    assert reason in found.reason


def test_an_alias_bomb_stops_at_the_value_budget() -> None:
    lines = [b'a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, 9):
        refs = b", ".join([b"*a%d" % (i - 1)] * 10)
        lines.append(b"a%d: &a%d [%s]" % (i, i, refs))
    found = manifests.read("bomb.yaml", b"\n".join(lines) + b"\n")
    assert found == Unreadable(f"more than {manifests.MAX_NODES} values once aliases are expanded")


def test_an_oversized_file_is_unreadable_and_says_whether_it_declares_a_secret() -> None:
    big = b"apiVersion: v1\nkind: 'Secret'\n" + b"#" * manifests.MAX_BYTES
    assert manifests.read("big.yaml", big) == Unreadable("larger than 4 MiB", True, False)
    helm = b'apiVersion: v1\nkind: Secret\ndata: {{ include "x" . }}\n'
    found = manifests.read("t.yaml", helm)
    assert isinstance(found, Unreadable)
    assert (found.declares_secret, found.templated) == (True, True)


def test_sops_config_files_are_named_by_sops_own_name() -> None:
    assert manifests.is_sops_config(".sops.yaml")
    assert manifests.is_sops_config("clusters/prod/.sops.yaml")
    assert not manifests.is_sops_config("x.sops.yaml")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.sampled_from(["a.yaml", "b.json", "c.env", "d.bin"]))
def test_reading_any_bytes_never_raises(data: bytes, path: str) -> None:
    found = manifests.read(path, data, sops_required=True)
    assert found is not None


def test_a_binary_value_that_go_cannot_decode_makes_the_file_unreadable() -> None:
    docs = manifests.read("a.yaml", b"kind: !!binary 'U2Vj cmV0'\n")
    assert isinstance(docs, Unreadable) and "not base64" in docs.reason


def test_a_tag_go_does_not_resolve_is_read_as_go_reads_it() -> None:
    # A scalar as its text, a collection as itself: kubectl takes `kind: !x Secret` for a Secret.
    text = b"kind: !x Secret\nn: !custom 1\ns: !!set {x}\nl: !list [1]\nm: !m {a: !!str 2}\n"
    assert manifests.read("a.yaml", text) == (
        {"kind": "Secret", "n": "1", "s": {"x": None}, "l": [1], "m": {"a": "2"}},
    )


def test_of_a_key_written_twice_the_last_value_counts_as_for_kubectl() -> None:
    text = b"kind: ConfigMap\nkind: Secret\nbase: &b {a: 1, b: 2}\nm: {<<: *b, a: 3}\n"
    assert manifests.read("a.yaml", text) == (
        {"kind": "Secret", "base": {"a": 1, "b": 2}, "m": {"a": 3, "b": 2}},
    )


def test_a_file_past_a_bound_is_no_template_and_may_declare_a_secret_however_spelled() -> None:
    values = b"finalizers: [" + b", ".join([b"a"] * manifests.MAX_NODES) + b"]"
    text = b'# {{ x }}\n{"apiVersion": "v1", "kind": "Secret", ' + values + b"}\n"
    found = manifests.read("a.yaml", text)
    assert found == Unreadable(
        f"more than {manifests.MAX_NODES} values once aliases are expanded", True, False
    )
    assert manifests.read("b.yaml", text.replace(b"Secret", b"Config")) == found._replace(
        declares_secret=False
    )
