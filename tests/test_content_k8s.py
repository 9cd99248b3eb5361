"""Kubernetes Secrets in a push: clear text refused, SOPS-encrypted or sealed accepted.

Files are written as users write them and read by the manifests adapter, as the content rule
will; sops files are shaped as sops writes them (tests/support/gwmanifests.py).
"""

from __future__ import annotations

import json

import pytest
from gwmanifests import AGE_KEY, docs, enc, sops_dotenv, sops_secret, sops_section
from hypothesis import given, settings
from hypothesis import strategies as st

from gitward import manifests
from gitward.policy.content import kustomize
from gitward.policy.content.k8s import (
    Finding,
    SopsRule,
    Unreadable,
    judge_file,
    sops_rules,
    where,
)


def judged(text: str, path: str = "apps/db.yaml", rules: tuple[SopsRule, ...] = ()) -> list[str]:
    """`check@document: what` for each finding: what a pusher would read, compactly."""
    return [f"{f.check}@{f.document}: {f.what}" for f in judge_file(path, docs(text, path), rules)]


PLAIN_SECRET = """\
    apiVersion: v1
    kind: Secret
    metadata: {name: db, namespace: prod}
    type: Opaque
    stringData:
      username: admin
      password: hunter2
    """


def test_a_secret_in_clear_text_is_refused_naming_its_keys_never_its_values() -> None:
    [finding] = judge_file("apps/db.yaml", docs(PLAIN_SECRET))
    assert finding.check == "secret"
    assert (
        finding.what
        == "Secret prod/db carries clear text in stringData.username, stringData.password"
    )
    assert "hunter2" not in finding.what + finding.hint
    assert finding.hint.startswith(
        "encrypt it with `sops --encrypt --in-place --encrypted-regex '^(data|stringData)$' "
        "apps/db.yaml`"
    )
    assert "amend the commit" in finding.hint


def test_base64_data_is_clear_text_too() -> None:
    text = "apiVersion: v1\nkind: Secret\nmetadata: {name: tls}\ndata:\n  tls.key: aHVudGVyMg==\n"
    assert judged(text) == ["secret@0: Secret tls carries clear text in data.tls.key"]


@pytest.mark.parametrize(
    "body",
    [
        "type: Opaque\n",
        "data: {}\nstringData: {}\n",
        "data:\n  empty: ''\n  none:\n",
        # A value kept elsewhere: a Helm template, a Flux/envsubst variable.
        "stringData:\n  password: '{{ .Values.password }}'\n  token: ${API_TOKEN}\n",
    ],
)
def test_a_secret_without_a_clear_value_passes(body: str) -> None:
    assert judged(f"apiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\n{body}") == []


def test_a_literal_beside_placeholders_is_refused_alone() -> None:
    text = (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  a: ${A}\n  b: literal\n"
    )
    assert judged(text) == ["secret@0: Secret s carries clear text in stringData.b"]


def test_every_document_of_a_multi_document_file_is_judged_and_named() -> None:
    text = f"""\
        apiVersion: v1
        kind: ConfigMap
        metadata: {{name: settings}}
        data: {{mode: fast}}
        ---
        {PLAIN_SECRET.replace(chr(10) + "    ", chr(10) + "        ").strip()}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: web}}
        """
    [finding] = judge_file("apps/all.yaml", docs(text))
    assert (finding.check, finding.document) == ("secret", 1)
    assert where("apps/all.yaml", finding.document) == "apps/all.yaml, document 2"


def test_secrets_inside_a_list_are_judged() -> None:
    text = """\
        apiVersion: v1
        kind: List
        items:
          - apiVersion: v1
            kind: ConfigMap
            metadata: {name: c}
          - apiVersion: v1
            kind: Secret
            metadata: {name: inner}
            stringData: {password: x}
        """
    assert judged(text) == ["secret@0: Secret inner carries clear text in stringData.password"]


def test_a_sealed_secret_and_non_kubernetes_yaml_pass() -> None:
    sealed = """\
        apiVersion: bitnami.com/v1alpha1
        kind: SealedSecret
        metadata: {name: db}
        spec:
          encryptedData: {password: AgBy3i4OJSWK+PiTySYZZA==}
          template: {metadata: {name: db}}
        """
    assert judged(sealed) == []
    assert judged("kind: Secret\nstringData: {a: b}\n") == []  # no apiVersion: not a manifest
    assert judged("- a\n- b\n") == []


@pytest.mark.parametrize(
    ("data", "found"),
    [
        ('{url: "u:{{ index . \\"password\\" }}@db", empty: ""}', []),
        ("{token: t0k3n, url: '{{ .password }}'}", ["spec.template.data.token"]),
        ("[not, a, mapping]", ["spec.template.data"]),
    ],
)
def test_a_sealed_secret_template_with_clear_data_is_refused(data: str, found: list[str]) -> None:
    sealed = f"""\
        apiVersion: bitnami.com/v1alpha1
        kind: SealedSecret
        metadata: {{name: db}}
        spec:
          encryptedData: {{password: AgBy3i4OJSWK+PiTySYZZA==}}
          template: {{data: {data}}}
        """
    assert judged(sealed) == [
        f"secret@0: SealedSecret db carries clear text in {path}" for path in found
    ]


def test_a_sops_encrypted_secret_passes() -> None:
    assert judged(sops_secret(username="admin", password="hunter2")) == []


def test_a_value_typed_into_a_sops_file_after_encryption_is_refused() -> None:
    text = sops_secret(password="hunter2").replace("stringData:\n", "stringData:\n    new: oops\n")
    [finding] = judge_file("apps/db.yaml", docs(text))
    assert finding.check == "sops"
    assert finding.what == "stringData.new in clear text, where sops writes encrypted values"
    assert "`sops edit apps/db.yaml`" in finding.hint


def test_sops_settings_are_honoured_for_other_values_as_sops_applies_them() -> None:
    # encrypted_regex ^(data|stringData)$: sops leaves metadata and type in clear text.
    assert judged(sops_secret(password="x")) == []
    # The default unencrypted_suffix: keys ending in _unencrypted stay clear, all else not.
    config = f"""\
        database:
            host_unencrypted: db.internal
            password: {enc("hunter2")}
            ports: [{enc("5432", "int")}]
            nothing:
            empty: ''
        {sops_section(setting="").replace(chr(10), chr(10) + "        ").rstrip()}
        """
    assert judged(config, "values.enc.yaml") == []
    assert judged(config.replace(enc("5432", "int"), "5432"), "values.enc.yaml") == [
        "sops@0: database.ports[0] in clear text, where sops writes encrypted values"
    ]


@pytest.mark.parametrize(
    ("setting", "clear_key", "accepted"),
    [
        ("unencrypted_suffix: _plain", "name_plain", True),
        ("unencrypted_suffix: _plain", "name", False),
        ("encrypted_suffix: _secret", "name", True),
        ("encrypted_suffix: _secret", "name_secret", False),
        ("unencrypted_regex: ^(name|host)$", "host", True),
        ("unencrypted_regex: ^(name|host)$", "hostname", False),
        ("encrypted_regex: ^pass", "user", True),
        ("encrypted_regex: ^pass", "password", False),
        ("encrypted_regex: word", "password", False),  # searched, as Go's regexp.Match does
    ],
)
def test_each_sops_selection_setting(setting: str, clear_key: str, accepted: bool) -> None:
    text = f"app:\n    {clear_key}: clear\n" + sops_section(setting=setting)
    assert (judged(text, "app.yaml") == []) is accepted


def test_a_key_sops_settings_leave_in_clear_is_still_clear_text_in_a_secret() -> None:
    # Encrypting only the keys named password leaves the token in clear text, as sops would.
    text = sops_secret(password="x").replace("stringData:\n", "stringData:\n    token: abc\n")
    assert judged(text.replace("^(data|stringData)$", "^password$")) == [
        "secret@0: Secret values stringData.token in clear text: "
        "the file's sops settings leave them so"
    ]


def test_with_comment_regexes_only_secret_values_are_judged() -> None:
    # Comments decide, and parsed YAML has none: other values cannot be judged, Secrets can.
    setting = "encrypted_comment_regex: sops:enc"
    other = "app:\n    name: clear\n" + sops_section(setting=setting)
    assert judged(other, "app.yaml") == []
    secret = sops_secret(password="x").replace("encrypted_regex: ^(data|stringData)$", setting)
    assert judged(secret.replace("stringData:\n", "stringData:\n    b: clear\n")) == [
        "secret@0: Secret values stringData.b in clear text: the file's sops settings leave them so"
    ]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda t: t.replace(f"mac: {enc('mac')}", "mac: ''"), "has no encrypted `mac`"),
        (
            lambda t: t.replace(f"mac: {enc('mac')}", f"mac: {enc('mac', 'int')}"),
            "has no encrypted `mac`",
        ),
        (lambda t: t.replace("tag:", "tag:AA"), "has no encrypted `mac`"),
        (lambda t: t.replace(AGE_KEY, "    age: []\n"), "names no key that can decrypt it"),
        (
            lambda t: t.replace("    version:", "    unencrypted_suffix: _u\n    version:"),
            "sets both unencrypted_suffix and encrypted_regex (sops refuses that)",
        ),
        (
            lambda t: t.replace("^(data|stringData)$", "(?<=x)data"),
            "sets encrypted_regex to an invalid regexp",
        ),
        (lambda t: t[: t.index("sops:")] + "sops: yes\n", "is not a mapping"),
    ],
)
def test_a_forged_or_broken_sops_section_is_refused(change: object, problem: str) -> None:
    assert callable(change)
    [finding] = judge_file("apps/db.yaml", docs(change(sops_secret(password="x"))))
    assert finding.check == "sops"
    assert finding.what.startswith(f"its sops section {problem}")


def test_key_groups_name_keys_too() -> None:
    groups = """\
    key_groups:
        - age:
            - recipient: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
              enc: x
        - pgp:
            - fp: FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4
              created_at: "2026-02-01T10:00:00Z"
              enc: y
"""
    assert judged(sops_secret(password="x").replace(AGE_KEY, groups)) == []


SOPS_YAML = r"""
creation_rules:
  - path_regex: .*\.secret\.yaml$
    encrypted_regex: ^(data|stringData)$
    age: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
  - age: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
"""
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n"


def rules_of(text: str, config: str = ".sops.yaml") -> tuple[SopsRule, ...]:
    rules, problems = sops_rules(config, docs(text, config))
    assert problems == ()
    return rules


def test_files_a_sops_yaml_designates_must_be_encrypted() -> None:
    rules = rules_of(SOPS_YAML)
    # The catch-all rule only gives keys: it designates nothing.
    assert rules == (SopsRule(".sops.yaml", 0, r".*\.secret\.yaml$"),)
    [finding] = judge_file("apps/db.secret.yaml", docs(CONFIGMAP), rules)
    assert finding == Finding(
        "sops-required",
        0,
        r"ConfigMap c is not encrypted, but .sops.yaml says files matching `.*\.secret\.yaml$` "
        "must be encrypted (creation rule 1)",
        "encrypt it with `sops --encrypt --in-place apps/db.secret.yaml` and amend the commit "
        "that added it: the clear text must not stay in the history you push",
    )
    assert judge_file("apps/db.yaml", docs(CONFIGMAP), rules) == ()
    encrypted = CONFIGMAP.replace("{a: b}", f"{{a: '{enc('b')}'}}") + sops_section()
    assert judge_file("apps/db.secret.yaml", docs(encrypted), rules) == ()


def test_a_nested_sops_yaml_matches_paths_from_its_own_directory() -> None:
    rules = rules_of("creation_rules:\n  - path_regex: ^secrets/\n", "clusters/prod/.sops.yaml")
    assert judged(CONFIGMAP, "clusters/prod/secrets/c.yaml", rules)[0].startswith(
        "sops-required@0: ConfigMap c is not encrypted, but clusters/prod/.sops.yaml says"
    )
    assert judged(CONFIGMAP, "secrets/c.yaml", rules) == []  # outside its directory
    assert judged(CONFIGMAP, "clusters/production/secrets/c.yaml", rules) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("creation_rules: yes\n", "is not a mapping with a `creation_rules` list"),
        ("creation_rules:\n  - path_regex: '(?<=a)b'\n", "creation_rules[0]: path_regex"),
        ("creation_rules:\n  - path_regex: [a]\n", "creation_rules[0]: path_regex is not a string"),
        ("creation_rules:\n  - just text\n", "creation_rules[0]: is not a mapping"),
        ("creation_rules: [\n", "cannot be read: not valid YAML"),
    ],
)
def test_a_sops_yaml_sops_could_not_use_is_refused(text: str, problem: str) -> None:
    rules, problems = sops_rules(".sops.yaml", docs(text, ".sops.yaml"))
    assert rules == ()
    [finding] = problems
    assert finding.check == "sops-config"
    assert finding.what.startswith(problem)


def test_an_empty_sops_yaml_or_one_without_creation_rules_designates_nothing() -> None:
    assert sops_rules(".sops.yaml", docs("", ".sops.yaml")) == ((), ())
    assert sops_rules(".sops.yaml", docs("destination_rules: []\n", ".sops.yaml")) == ((), ())


def test_an_unreadable_file_is_refused_only_where_it_might_hide_a_secret() -> None:
    bad_secret = "apiVersion: v1\nkind: Secret\nstringData:\n  a: &a [*a]\n"
    assert judged(bad_secret) == [
        "secret@None: declares a Secret but cannot be read (line 4: a recursive alias) to "
        "tell it is encrypted"
    ]
    helm = "apiVersion: v1\nkind: Secret\ndata:\n  password: {{ .Values.password | b64enc }}\n"
    assert judged(helm) == []  # a Helm template, rendered from values kept elsewhere
    assert judged("a: [\n") == []
    rules = (SopsRule(".sops.yaml", 0, r"\.yaml$"),)
    assert judged("a: [\n", rules=rules)[0].startswith(
        "sops-required@None: cannot be read (not valid YAML: "
    )


def test_dotenv_files_sops_encrypted_or_not() -> None:
    rules = (SopsRule(".sops.yaml", 0, r"\.env$"),)
    plain = docs("DB_" + "PASSWORD=hunter2\n", "app/.env")  # split: no secret in this file
    assert [f.check for f in judge_file("app/.env", plain, rules)] == ["sops-required"]
    encrypted = (
        f"DB_PASSWORD={enc('hunter2')}\nsops_age__list_0__map_enc=-----BEGIN AGE...\n"
        f"sops_age__list_0__map_recipient=age1ql3z\nsops_mac={enc('mac')}\n"
        "sops_lastmodified=2026-02-01T10:00:00Z\nsops_unencrypted_suffix=_unencrypted\n"
        "sops_version=3.8.1\n"
    )
    assert judge_file("app/.env", docs(encrypted, "app/.env"), rules) == ()
    typed = encrypted + "ADDED=clear\n"
    assert [f.what for f in judge_file("app/.env", docs(typed, "app/.env"), rules)] == [
        "ADDED in clear text, where sops writes encrypted values"
    ]


def test_a_sops_ini_file_cannot_be_confirmed_and_is_refused_where_required() -> None:
    rules = (SopsRule(".sops.yaml", 0, r"\.ini$"),)
    [finding] = judge_file("a.ini", docs("[sops]\nmac = x\n", "a.ini"), rules)
    assert finding.check == "sops-required"
    assert "gitward does not read sops INI files" in finding.what


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["apiVersion", "kind", "data", "stringData", "sops", "mac", "items", "a"]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(JSON, max_size=3))
def test_judging_any_documents_never_raises(documents: list[object]) -> None:
    for finding in judge_file("x.yaml", documents, (SopsRule(".sops.yaml", 0, "x"),)):
        assert finding.check in {"secret", "sops", "sops-required"}


# Secret values: empty, kept elsewhere (a template or a variable), or a literal; literals start
# with a sign no message or hint holds, so that a test can tell they are never shown.
VALUES = st.dictionaries(
    st.from_regex(r"[A-Za-z][A-Za-z0-9._-]{0,10}", fullmatch=True),
    st.one_of(
        st.just(""),
        st.from_regex(r"\{\{ \.Values\.[a-z]{1,5} \}\}|\$\{[A-Z_]{1,8}\}", fullmatch=True),
        st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12).map(
            lambda s: "§" + s
        ),
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=200, deadline=None)
@given(VALUES)
def test_a_plain_secret_is_refused_iff_it_has_a_literal_and_never_shows_it(
    values: dict[str, str],
) -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": values}
    found = judge_file("s.yaml", [secret])
    literal = [v for v in values.values() if v.startswith("§")]
    assert [f.check for f in found] == (["secret"] if literal else [])
    assert all("§" not in f.what + f.hint for f in found)
    # The same values encrypted by sops pass.
    encrypted = {k: enc(v) if v else v for k, v in values.items()}
    meta = docs(sops_section())
    assert not isinstance(meta, Unreadable)
    assert isinstance(meta[0], dict)
    assert judge_file("s.yaml", [{**secret, "stringData": encrypted, **meta[0]}]) == ()


def test_secret_data_that_is_not_a_mapping_is_clear_text_too() -> None:
    text = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: aHVudGVyMg==\n"
    assert judged(text) == ["secret@0: Secret s carries clear text in data"]


@pytest.mark.parametrize(
    ("keys", "problem"),
    [
        ("    age: [just-a-recipient]\n", "names no key that can decrypt it"),
        ("    key_groups: [[{enc: x}]]\n", "names no key that can decrypt it"),
    ],
)
def test_key_sources_without_an_encrypted_data_key_name_none(keys: str, problem: str) -> None:
    [finding] = judge_file("a.yaml", docs(sops_secret(password="x").replace(AGE_KEY, keys)))
    assert finding.what.startswith(f"its sops section {problem}")


def test_a_selection_setting_that_is_not_text_is_refused() -> None:
    text = sops_secret(password="x").replace(
        "encrypted_regex: ^(data|stringData)$", "encrypted_regex: [1]"
    )
    [finding] = judge_file("a.yaml", docs(text))
    assert finding.what == "its sops section sets encrypted_regex to something other than text"


# kustomize's secretGenerator: a Secret generated at build time, from literals or files.
def kustomization(generator: str, header: str = "") -> str:
    return f"{header}secretGenerator:\n  - name: db\n    namespace: prod\n{generator}"


def literals_of(text: str, path: str = "apps/kustomization.yaml") -> list[str]:
    found = kustomize.judge_literals(path, docs(text, path))
    return [f"{f.check}@{f.document}: {f.what}" for f in found]


def test_clear_generator_literals_are_refused_naming_keys_never_values() -> None:
    text = kustomization("    literals:\n      - username=admin\n      - password=§hunter2\n")
    [finding] = kustomize.judge_literals("apps/kustomization.yaml", docs(text))
    assert finding.check == "secret" and finding.document == 0
    assert finding.what == (
        "secretGenerator prod/db generates a Secret from clear text in literals username, password"
    )
    assert "§hunter2" not in finding.what + finding.hint and "admin" not in finding.what
    assert "`sops --encrypt --in-place apps/db.env`" in finding.hint
    assert "Flux's SOPS decryption or ksops" in finding.hint


@pytest.mark.parametrize(
    "literal",
    [
        "password=${DB_PASSWORD}",  # Flux's post-build substitution
        "password='{{ .Values.password }}'",
        "password=",
        "password=''",
        'password=""',
        "no-equals-sign",  # kustomize refuses it: nothing is generated
    ],
)
def test_generator_literals_without_a_clear_value_pass(literal: str) -> None:
    assert literals_of(kustomization(f"    literals: [{json.dumps(literal)}]\n")) == []


def test_a_quoted_literal_value_is_clear_text_too() -> None:
    text = kustomization("    literals: [\"token='§x'\", '=§y']\n")
    assert literals_of(text) == [
        "secret@0: secretGenerator prod/db generates a Secret from clear text in literals "
        "token, (no key)"
    ]


KUSTOMIZATION = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"


@pytest.mark.parametrize(
    ("path", "header", "refused"),
    [
        ("a/kustomization.yml", "", True),
        ("a/Kustomization", "", True),  # kustomize's third file name, read as YAML
        ("a/kustomization.yaml", KUSTOMIZATION, True),
        ("a/gen.yaml", KUSTOMIZATION, True),
        ("a/gen.yaml", "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n", True),
        ("a/gen.yaml", "", False),  # neither named nor kinded as a kustomization
        # Flux's Kustomization is another kind: it generates nothing.
        ("a/gen.yaml", "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n", False),
        ("a/kustomization.yaml", "apiVersion: v1\nkind: ConfigMap\n", False),
    ],
)  # fmt: skip
def test_which_documents_are_kustomizations(path: str, header: str, refused: bool) -> None:
    text = kustomization("    literals: [password=§x]\n", header)
    assert bool(literals_of(text, path)) is refused
    # Read as YAML by its name, as kustomize reads it, though nothing says it must be encrypted.
    assert manifests.read(path, text.encode()) is not None


def test_a_kustomization_in_a_multi_document_file_is_named_by_its_document() -> None:
    text = CONFIGMAP + "---\n" + kustomization("    literals: [password=§x]\n", KUSTOMIZATION)
    assert literals_of(text, "apps/all.yaml") == [
        "secret@1: secretGenerator prod/db generates a Secret from clear text in literals password"
    ]


def test_a_sops_encrypted_kustomization_is_judged_by_the_sops_logic() -> None:
    encrypted = kustomization(f"    literals:\n      - {enc('password=§x')}\n") + sops_section(
        setting="encrypted_regex: ^literals$"
    )
    path = "apps/kustomization.yaml"
    assert judge_file(path, docs(encrypted)) == ()
    assert literals_of(encrypted) == []
    typed = encrypted.replace("    literals:\n", "    literals:\n      - token=§y\n")
    assert judged(typed, path) == [
        "sops@0: secretGenerator[0].literals[0] in clear text, where sops writes encrypted values"
    ]
    assert literals_of(typed) == []  # one finding, from the sops logic


def test_generator_sources_are_resolved_from_the_kustomization_directory() -> None:
    text = kustomization(
        "    envs: [db.env, ../shared/common.env]\n"
        "    env: old.env\n"
        "    files: [tls.key, cert=certs/tls.crt, ../../../outside, /etc/passwd]\n"
        "  - {name: other, literals: []}\n"
        "configMapGenerator:\n  - {name: settings, envs: [settings.env]}\n"
    )
    path = "apps/prod/kustomization.yaml"
    found = kustomize.referenced([(path, docs(text, path))])
    assert sorted(found) == [
        "apps/prod/certs/tls.crt",
        "apps/prod/db.env",
        "apps/prod/old.env",
        "apps/prod/tls.key",
        "apps/shared/common.env",
    ]
    assert found["apps/prod/old.env"] == [
        kustomize.Source(path, 0, "prod/db", "env", "apps/prod/old.env")
    ]


CLEAR_ENV = "DB_" + "PASSWORD=§hunter2\n"  # split: no secret-looking line in this file


@pytest.mark.parametrize(
    ("path", "text", "problem"),
    [
        ("a/db.env", CLEAR_ENV, "it is not encrypted"),
        ("a/db.env", sops_dotenv(DB_PASSWORD="§hunter2"), None),
        ("a/db.env", "# only a comment\nTOKEN=${TOKEN}\nEMPTY=\n", None),
        ("a/db.env", "", None),
        ("a/tls.key", "-----BEGIN PRIVATE KEY-----\n§abc\n", "it is not encrypted"),
        ("a/tls.key", '{"data": "' + enc("§abc") + '", ' + json.dumps(
            {"sops": {"mac": enc("mac"), "age": [{"enc": "x"}]}})[1:], None),
        ("a/creds.yaml", "user: §me\n", "it is not encrypted"),
        ("a/creds.ini", "[db]\npassword = §x\n", "it cannot be read (gitward does not read"),
        ("a/db.env", "not a dotenv line\n", "it cannot be read (line 1: not KEY=value)"),
    ],
)  # fmt: skip
def test_a_file_a_generator_reads_must_be_sops_encrypted(
    path: str, text: str, problem: str | None
) -> None:
    by = [kustomize.Source("a/kustomization.yaml", 0, "prod/db", "envs", path)]
    found = kustomize.judge_source(path, docs(text, path), by)
    if problem is None:
        assert found is None
        return
    assert found is not None
    assert (found.check, found.document) == ("secret", None)
    assert found.what.startswith(
        "secretGenerator prod/db of a/kustomization.yaml, document 1 (envs) generates a Secret "
        f"from it, and {problem}"
    ), found.what
    assert "§" not in found.what + found.hint
    assert f"`sops --encrypt --in-place {path}`" in found.hint


def test_a_sops_encrypted_env_file_is_still_judged_by_the_sops_logic() -> None:
    typed = sops_dotenv(DB_PASSWORD="§x") + "ADDED=§clear\n"
    assert judged(typed, "a/db.env") == [
        "sops@0: ADDED in clear text, where sops writes encrypted values"
    ]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,10}", fullmatch=True),
            st.one_of(
                st.just(""),
                st.from_regex(r"\{\{ \.Values\.[a-z]{1,5} \}\}|\$\{[A-Z_]{1,8}\}", fullmatch=True),
                st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12).map(
                    lambda s: "§" + s
                ),
            ),
        ),
        max_size=5,
    )
)
def test_generator_literals_are_refused_iff_one_is_clear_and_never_shown(
    pairs: list[tuple[str, str]],
) -> None:
    doc = {"secretGenerator": [{"name": "db", "literals": [f"{k}={v}" for k, v in pairs]}]}
    found = list(kustomize.judge_literals("kustomization.yaml", [doc]))
    assert len(found) == (1 if any(v.startswith("§") for _, v in pairs) else 0)
    assert all("§" not in f.what + f.hint for f in found)
    assert list(kustomize.judge_literals("kustomization.yaml", [{**doc, "sops": {}}])) == []


KUSTOMIZE_KEYS = ["secretGenerator", "literals", "envs", "env", "files", "name", "namespace"]
KUSTOMIZE_JSON = st.recursive(
    # Text leaves; the values of `key=§value` ones must never be shown (keys may be).
    st.none()
    | st.integers()
    | st.text(alphabet="ab=./${}", max_size=8)
    | st.text(alphabet="ab", max_size=3).map(lambda k: f"{k}=§{k}"),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from([*KUSTOMIZE_KEYS, "kind", "sops"]), inner, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(KUSTOMIZE_JSON, max_size=3))
def test_judging_any_kustomization_never_raises_nor_shows_a_literal(
    documents: list[object],
) -> None:
    for finding in kustomize.judge_literals("a/kustomization.yaml", documents):
        assert "§" not in finding.what + finding.hint
    for path, by in kustomize.referenced([("a/kustomization.yaml", documents)]).items():
        assert not path.startswith(("/", "../")) and path != ".."
        kustomize.judge_source(path, documents, by)
