"""End to end: the Kubernetes-secret check and the example Rego policies through real pushes to a
bare repository with the hook installed, and `gitward check` on the same commits."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import gwmanifests
import pytest
from gwpush import (
    Client,
    Pushed,
    Signer,
    audit,
    bare_repo,
    clean_env,
    python_without,
    write_config,
)

from gitward.cli import main as gitward_main

EXAMPLE_REGO = Path(__file__).parent.parent / "config" / "rego"
POLICIES = ["rego/privileged.rego", "rego/images.rego", "rego/networkpolicy-ingress.rego"]
POLICY = """\
version: 1
settings:
  timeout_seconds: 60
rules:
  - id: gitops
    refs: [refs/heads/main]
    content:
      paths: ["clusters/**", "**/.sops.yaml", "apps/**"]
      kubernetes_secrets: {{}}
      rego:
        policies: {policies}
"""
DIGEST = "sha256:" + "ab" * 32
GOOD_IMAGE = f"registry.example.com/team/web@{DIGEST}"
SECRET = """\
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: prod}
stringData:
  password: hunter2-do-not-show
"""
CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: prod}
data: {mode: fast}
"""


def pod(image: str = GOOD_IMAGE, privileged: bool = False) -> str:
    return f"""\
apiVersion: v1
kind: Pod
metadata: {{name: web, namespace: prod}}
spec:
  containers:
    - name: web
      image: {image}
      securityContext: {{privileged: {str(privileged).lower()}}}
"""


def network_policy(cidr: str) -> str:
    return f"""\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: web, namespace: prod}}
spec:
  podSelector: {{matchLabels: {{app: web}}}}
  ingress:
    - from:
        - ipBlock: {{cidr: {cidr}}}
"""


def make_config(
    root: Path, policies: list[str] | None = None, extra: dict[str, str] | None = None
) -> Path:
    text = POLICY.format(policies=json.dumps(policies or POLICIES))
    config = write_config(root, text, {"alice": Signer()})
    shutil.copytree(EXAMPLE_REGO, root / "rego")
    for name, text in (extra or {}).items():
        (root / name).write_text(text)
    return config


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return make_config(tmp_path / "etc")


@pytest.fixture
def server(tmp_path: Path, config: Path) -> Path:
    return bare_repo(tmp_path / "srv" / "app.git", config)


@pytest.fixture
def client(tmp_path: Path, gnupghome: Path) -> Client:
    return Client(tmp_path / "work", gnupghome)


def commit(client: Client, message: str, files: dict[str, str]) -> str:
    for name, text in files.items():
        path = client.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        client.git("add", name)
    return client.commit(message)


def push(client: Client, server: Path, files: dict[str, str]) -> Pushed:
    commit(client, "manifests", files)
    return client.push(server, "HEAD:refs/heads/main")


def lines(result: Pushed) -> str:
    """The report, its wrapped messages joined back into one line each."""
    text = "\n".join(result.gitward)
    return text.replace("\ngitward:       ", " ")


def test_a_plaintext_secret_is_refused_without_showing_it(
    client: Client, server: Path, config: Path
) -> None:
    bad = commit(client, "db", {"clusters/prod/db.yaml": SECRET})
    result = client.push(server, "HEAD:refs/heads/main")
    assert not result.ok
    text = lines(result)
    assert f"gitward:   gitops/kubernetes-secret on {bad[:10]}" in result.gitward, text
    assert (
        "clusters/prod/db.yaml, document 1: Secret prod/db carries clear text in "
        "stringData.password"
    ) in text
    assert "sops --encrypt" in text
    assert "hunter2" not in result.text and "hunter2" not in json.dumps(audit(config)[-1])


def test_a_secret_in_a_file_of_another_name_is_refused_and_a_readme_example_is_not(
    client: Client, server: Path
) -> None:
    base = commit(client, "base", {"apps/README.md": "hello\n"})
    assert client.push(server, "HEAD:refs/heads/main").ok
    # kustomize's `resources: [db.txt]` applies it whatever its name.
    kustomization = "resources: [db.txt]\n"
    files = {"clusters/prod/db.txt": SECRET, "clusters/prod/kustomization.yaml": kustomization}
    bad = commit(client, "db", files)
    result = client.push(server, "HEAD:refs/heads/main")
    assert not result.ok
    assert f"gitward:   gitops/kubernetes-secret on {bad[:10]}" in result.gitward, result.text
    assert "clusters/prod/db.txt, document 1: Secret prod/db carries clear text" in lines(result)
    assert "hunter2" not in result.text
    client.git("reset", "-q", "--hard", base)  # the clear text must not stay in the history
    readme = f"# The database\n\nWhat not to commit:\n\n```yaml\n{SECRET}```\n"
    fixed = {"clusters/prod/db.txt": "moved to sops\n", "clusters/prod/README.md": readme}
    result = push(client, server, fixed)
    assert result.ok, result.text


def test_a_sops_encrypted_secret_and_a_sealed_secret_are_accepted(
    client: Client, server: Path
) -> None:
    sealed = (
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: db}\n"
        "spec:\n  encryptedData: {password: AgBy3i4OJSWK+PiTySYZZA==}\n"
    )
    secret = gwmanifests.sops_secret(password="hunter2")
    result = push(client, server, {"clusters/prod/db.yaml": secret, "clusters/s.yaml": sealed})
    assert result.ok, result.text


def test_a_file_sops_yaml_governs_pushed_unencrypted_is_refused(
    client: Client, server: Path
) -> None:
    rules = "creation_rules:\n  - path_regex: .*\\.secret\\.yaml$\n    age: age1xyz\n"
    sealed = gwmanifests.sops_secret(password="p")
    files = {
        "clusters/.sops.yaml": rules,
        "clusters/prod/app.secret.yaml": CONFIGMAP,
        "clusters/prod/db.secret.yaml": sealed,
        "clusters/prod/plain.yaml": CONFIGMAP,
    }
    result = push(client, server, files)
    assert not result.ok
    text = lines(result)
    assert text.count("gitops/sops-required") == 1, text
    assert (
        "clusters/prod/app.secret.yaml, document 1: ConfigMap prod/settings is not encrypted, "
        "but clusters/.sops.yaml says files matching"
    ) in text


def test_a_secret_as_second_document_is_named_by_its_index(client: Client, server: Path) -> None:
    result = push(client, server, {"clusters/prod/app.yaml": f"{CONFIGMAP}---\n{SECRET}"})
    assert not result.ok
    assert "clusters/prod/app.yaml, document 2: Secret prod/db carries clear text" in lines(result)


KUSTOMIZE_LITERALS = """\
resources: [deployment.yaml]
secretGenerator:
  - name: db
    namespace: prod
    literals:
      - username=admin
      - password=hunter2-do-not-show
"""
KUSTOMIZE_ENVS = "secretGenerator:\n  - name: db\n    namespace: prod\n    envs: [db.env]\n"


def test_a_kustomize_secret_generator_with_clear_literals_is_refused_then_fixed(
    client: Client, server: Path, config: Path
) -> None:
    base = commit(client, "base", {"apps/README.md": "hello\n"})
    assert client.push(server, "HEAD:refs/heads/main").ok
    bad = commit(client, "db", {"clusters/prod/kustomization.yaml": KUSTOMIZE_LITERALS})
    result = client.push(server, "HEAD:refs/heads/main")
    assert not result.ok
    text = lines(result)
    assert f"gitward:   gitops/kubernetes-secret on {bad[:10]}" in result.gitward, text
    assert (
        "clusters/prod/kustomization.yaml, document 1: secretGenerator prod/db generates a "
        "Secret from clear text in literals username, password"
    ) in text
    assert "`sops --encrypt --in-place clusters/prod/db.env`" in text
    assert "hunter2" not in result.text and "hunter2" not in json.dumps(audit(config)[-1])
    # The fix the hint gives: the values in a SOPS-encrypted env file, the commit redone.
    client.git("reset", "-q", "--hard", base)
    env = gwmanifests.sops_dotenv(username="admin", password="hunter2-do-not-show")
    files = {"clusters/prod/kustomization.yaml": KUSTOMIZE_ENVS, "clusters/prod/db.env": env}
    result = push(client, server, files)
    assert result.ok, result.text


def test_a_decrypted_env_file_a_generator_on_the_server_reads_is_refused(
    client: Client, server: Path
) -> None:
    env = gwmanifests.sops_dotenv(password="hunter2-do-not-show")
    files = {"clusters/prod/kustomization.yaml": KUSTOMIZE_ENVS, "clusters/prod/db.env": env}
    assert push(client, server, files).ok
    # `sops --decrypt --in-place` by mistake: only the env file changes, the kustomization on
    # the server says it makes a Secret.
    decrypted = commit(
        client, "decrypted", {"clusters/prod/db.env": "password=hunter2-do-not-show\n"}
    )
    result = client.push(server, "HEAD:refs/heads/main")
    assert not result.ok
    text = lines(result)
    assert f"gitward:   gitops/kubernetes-secret on {decrypted[:10]}" in result.gitward, text
    assert (
        "clusters/prod/db.env: secretGenerator prod/db of clusters/prod/kustomization.yaml, "
        "document 1 (envs) generates a Secret from it, and it is not encrypted"
    ) in text
    assert "hunter2" not in result.text


@pytest.mark.parametrize(
    ("policy", "refused", "accepted", "words"),
    [
        ("privileged", pod(privileged=True), pod(), "container web is privileged"),
        ("images", pod("nginx:1.27"), pod(), "image nginx:1.27 is not from a registry"),
        (
            "networkpolicy-ingress",
            network_policy("0.0.0.0/0"),
            network_policy("10.0.0.0/8"),
            "admits traffic from 0.0.0.0/0",
        ),
    ],
)
def test_each_example_rego_policy_refuses_one_push_and_not_another(
    tmp_path: Path, gnupghome: Path, policy: str, refused: str, accepted: str, words: str
) -> None:
    config = make_config(tmp_path / "etc")
    good = Client(tmp_path / "good", gnupghome)
    result = push(good, bare_repo(tmp_path / "good.git", config), {"clusters/app.yaml": accepted})
    assert result.ok, result.text
    bad = Client(tmp_path / "bad", gnupghome)
    result = push(bad, bare_repo(tmp_path / "bad.git", config), {"clusters/app.yaml": refused})
    assert not result.ok
    text = lines(result)
    assert "gitops/rego" in text and words in text
    kind = refused.split("kind: ", 1)[1].split("\n", 1)[0]
    where = f"clusters/app.yaml, document 1: {kind} prod/web denied by Rego policy {policy}: "
    assert where in text


def test_only_manifests_as_the_tip_holds_them_are_judged(client: Client, server: Path) -> None:
    commit(client, "privileged", {"clusters/app.yaml": pod(privileged=True)})
    commit(client, "fixed", {"clusters/app.yaml": pod()})
    result = client.push(server, "HEAD:refs/heads/main")
    assert result.ok, result.text  # the cluster never applies the first version


def test_objects_are_judged_against_what_the_ref_held(client: Client, tmp_path: Path) -> None:
    shrink = (
        "package kubernetes.admission\nimport rego.v1\n"
        'deny contains "replicas go down" if { input.request.operation == "UPDATE"; '
        "input.request.oldObject.spec.replicas > input.request.object.spec.replicas }\n"
    )
    policies = ["rego/privileged.rego", "rego/shrink.rego"]
    config = make_config(tmp_path / "etc", policies, {"rego/shrink.rego": shrink})
    server = bare_repo(tmp_path / "s.git", config)
    scale = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: %d}\n"
    old = pod(privileged=True) + "---\n" + scale % 3
    held = commit(client, "grandfathered", {"clusters/app.yaml": old})
    assert client.push(server, "HEAD:refs/heads/topic").ok  # no rule there
    # main held it before the policy did (set on the server, as an admin would).
    env = {**clean_env(), "GIT_DIR": str(server)}
    subprocess.run(["git", "update-ref", "refs/heads/main", held], env=env, check=True)
    up = pod(privileged=True) + "---\n" + scale % 5
    commit(client, "scale up", {"clusters/app.yaml": up})
    result = client.push(server, "HEAD:refs/heads/main")
    assert result.ok, result.text  # the privileged Pod is not what this push changes
    commit(client, "scale down", {"clusters/app.yaml": pod() + "---\n" + scale % 2})
    result = client.push(server, "HEAD:refs/heads/main")
    assert not result.ok
    text = lines(result)
    assert "document 2: Deployment web denied by Rego policy shrink: replicas go down" in text
    assert "privileged" not in text  # fixed in the same push


def test_a_rego_file_that_does_not_compile_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = "package kubernetes.admission\n\ndeny[msg] {\n  msg := \n}\n"
    config = make_config(tmp_path / "etc", ["rego/broken.rego"], {"rego/broken.rego": broken})
    assert gitward_main(["config", "check", str(config)]) == 1
    out = capsys.readouterr().out
    assert f"{tmp_path / 'etc' / 'rego' / 'broken.rego'}:4:" in out, out


def test_a_missing_rego_file_is_a_config_error_at_its_policy_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config(tmp_path / "etc", ["rego/nowhere.rego"])
    assert gitward_main(["config", "check", str(config)]) == 1
    out = capsys.readouterr().out
    assert f"{config}:11: rules[0].content.rego.policies[0]: expected a Rego policy file" in out


def test_a_policy_failing_at_evaluation_refuses_naming_it(client: Client, tmp_path: Path) -> None:
    failing = (
        "package kubernetes.admission\nimport rego.v1\n"
        'deny contains msg if { input.request.kind.kind == "Pod"; '
        'x := 10 / count(input.request.object.spec.volumes); msg := sprintf("%v", [x]) }\n'
    )
    config = make_config(tmp_path / "etc", ["rego/failing.rego"], {"rego/failing.rego": failing})
    pod_without_volumes = pod().replace("spec:\n", "spec:\n  volumes: []\n")
    result = push(client, bare_repo(tmp_path / "s.git", config),
                  {"clusters/app.yaml": pod_without_volumes})  # fmt: skip
    assert result.gitward == [
        "gitward: push refused: the Rego policy failing failed to judge a pushed manifest; "
        "ask your git admin (details in the gitward log)"
    ], result.text
    assert "Traceback" not in result.text


def test_a_missing_rego_engine_refuses_with_one_line(
    client: Client, server: Path, tmp_path: Path
) -> None:
    hidden = python_without("regopy", tmp_path / "shadow")
    commit(client, "pod", {"clusters/app.yaml": pod()})
    result = client.push(server, "HEAD:refs/heads/main", env=hidden)
    assert result.gitward == [
        "gitward: push refused: a content checker is missing on the server; ask your git "
        "admin (details in the gitward log)"
    ], result.text


def test_no_manifest_no_rego_engine(client: Client, server: Path, tmp_path: Path) -> None:
    hidden = python_without("regopy", tmp_path / "shadow")
    commit(client, "docs", {"apps/README.md": "hello\n"})
    result = client.push(server, "HEAD:refs/heads/main", env=hidden)
    assert result.ok, result.text  # Rego policies are compiled only for a manifest


def test_gitward_check_gives_the_hooks_verdict(
    client: Client, server: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = commit(client, "base", {"apps/README.md": "hello\n"})
    assert client.push(server, "HEAD:refs/heads/main").ok
    commit(client, "db", {"clusters/prod/db.yaml": f"{CONFIGMAP}---\n{SECRET}"})
    commit(client, "pod", {"clusters/prod/pod.yaml": pod(privileged=True)})
    hook = client.push(server, "HEAD:refs/heads/main")
    assert not hook.ok
    code = gitward_main(["check", "--config", str(config), "--repo", str(client.path),
                         "--ref", "main", "--json", f"{base}..HEAD"])  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    found = [(v["rule_id"], v["message"]) for v in out["violations"]]
    assert sorted(rule for rule, _ in found) == ["gitops/kubernetes-secret", "gitops/rego"]
    for _, message in found:
        assert message in lines(hook)
    assert "hunter2" not in json.dumps(out)


def test_a_binary_tagged_value_is_judged_as_kubernetes_reads_it(
    client: Client, server: Path
) -> None:
    # Go's YAML readers (and so kubectl and kustomize) decode `!!binary` into the string it
    # spells: `kind: !!binary U2VjcmV0` is a Secret, `cidr: !!binary MC4wLjAuMC8w` 0.0.0.0/0.
    base = commit(client, "base", {"apps/README.md": "hello\n"})
    assert client.push(server, "HEAD:refs/heads/main").ok
    spelled = base64.b64encode(b"Secret").decode()
    hidden = SECRET.replace("kind: Secret", f"kind: !!binary {spelled}")
    result = push(client, server, {"clusters/prod/db.yaml": hidden})
    assert not result.ok
    assert "clusters/prod/db.yaml, document 1: Secret prod/db carries clear text" in lines(result)
    client.git("reset", "-q", "--hard", base)
    cidr = base64.b64encode(b"0.0.0.0/0").decode()
    result = push(client, server, {"clusters/np.yaml": network_policy(f"!!binary {cidr}")})
    assert not result.ok
    assert "denied by Rego policy networkpolicy-ingress" in lines(result), result.text


def test_a_value_under_a_tag_go_does_not_know_is_judged_as_kubernetes_reads_it(
    client: Client, server: Path
) -> None:
    # Go's YAML readers take a scalar under an unknown tag as its text and a mapping as a
    # mapping: `kind: !x Secret` is a Secret to kubectl, kustomize and Flux alike.
    base = commit(client, "base", {"apps/README.md": "hello\n"})
    assert client.push(server, "HEAD:refs/heads/main").ok
    hidden = "# {{ rendered by nobody }}\n" + SECRET.replace("kind: Secret", "kind: !x Secret")
    result = push(client, server, {"clusters/prod/db.yaml": hidden})
    assert not result.ok
    assert "clusters/prod/db.yaml, document 1: Secret prod/db carries clear text" in lines(result)
    client.git("reset", "-q", "--hard", base)
    # The `{{` made both files look like Helm templates the reader could not read, and skipped.
    tagged = "# {{ rendered by nobody }}\n" + pod(privileged=True).replace(
        "metadata: {", "metadata: !meta {"
    )
    result = push(client, server, {"clusters/app.yaml": tagged})
    assert not result.ok
    assert "denied by Rego policy privileged" in lines(result), result.text


@pytest.mark.parametrize(
    "text",
    [
        '{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "prod"},'
        ' "stringData": {"password": "hunter2-do-not-show"}}',
        SECRET.replace("kind: Secret", 'kind: "Secr\\x65t"'),
        SECRET.replace("kind: Secret", "kind:\n  Secret"),
    ],
    ids=["json", "escaped", "next-line"],
)
def test_a_secret_in_a_file_of_another_name_is_refused_however_its_kind_is_written(
    client: Client, server: Path, text: str
) -> None:
    # `kubectl kustomize` builds each of these into a Secret, as it does the plain one.
    files = {
        "clusters/prod/db.txt": text,
        "clusters/prod/kustomization.yaml": "resources: [db.txt]\n",
    }
    result = push(client, server, files)
    assert not result.ok
    assert "clusters/prod/db.txt, document 1: Secret prod/db carries clear text" in lines(result)
    assert "hunter2" not in result.text


@pytest.mark.parametrize("name", ["db.yaml", "db.txt"])
def test_a_secret_written_in_utf16_is_refused(
    client: Client, server: Path, tmp_path: Path, gnupghome: Path, name: str
) -> None:
    # git calls UTF-16 text binary (its NUL bytes); kustomize reads it by its byte-order mark.
    only_secrets = POLICY.replace("      rego:\n        policies: {policies}\n", "").format()
    config = write_config(tmp_path / "secrets-only", only_secrets, {"alice": Signer()})
    server = bare_repo(tmp_path / "secrets-only.git", config)
    path = client.path / "clusters" / "prod" / name
    path.parent.mkdir(parents=True)
    path.write_bytes(SECRET.encode("utf-16"))
    client.git("add", f"clusters/prod/{name}")
    commit(client, "db", {"clusters/prod/kustomization.yaml": f"resources: [{name}]\n"})
    result = client.push(server, "HEAD:refs/heads/main")
    assert not result.ok
    where = f"clusters/prod/{name}, document 1: Secret prod/db carries clear text"
    assert where in lines(result), result.text


def test_a_manifest_with_a_duplicate_key_is_judged_as_kubectl_reads_it(
    client: Client, server: Path
) -> None:
    # kubectl's YAML reader keeps the last of two values under one key; with the file taken
    # for unreadable, a `{{` anywhere made both checks skip it as a Helm template.
    doubled = SECRET.replace("kind: Secret", "kind: ConfigMap\nkind: Secret")
    result = push(
        client, server, {"clusters/prod/db.yaml": "# {{ rendered by nobody }}\n" + doubled}
    )
    assert not result.ok
    assert "clusters/prod/db.yaml, document 1: Secret prod/db carries clear text" in lines(result)


def test_a_manifest_past_the_reading_bounds_is_refused_even_with_template_braces(
    client: Client, server: Path
) -> None:
    # 200,001 `args` (600 kB): a Pod kubectl applies. Past the reader's bounds it cannot be
    # judged, and no Helm template grows that large: a `{{` must not pass it unjudged.
    args = "[" + ", ".join(["a"] * 200_001) + "]"
    big = pod(privileged=True).replace("      image:", f"      args: {args}\n      image:")
    result = push(client, server, {"clusters/app.yaml": "# {{ rendered by nobody }}\n" + big})
    assert not result.ok
    text = lines(result)
    assert "clusters/app.yaml cannot be read (more than 200000 values" in text, result.text


def test_a_sealed_secret_carrying_clear_template_data_is_refused(
    client: Client, server: Path
) -> None:
    # The controller copies `spec.template.data` into the Secret it makes, unencrypted; a
    # template value that only composes the sealed ones holds no secret.
    sealed = (
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n"
        "metadata: {name: db, namespace: prod}\n"
        "spec:\n  encryptedData: {password: AgBy3i4OJSWK+PiTySYZZA==}\n"
        "  template:\n    data:\n"
        '      url: "postgres://app:{{ index . \\"password\\" }}@db"\n'
        "      token: hunter2-do-not-show\n"
    )
    result = push(client, server, {"clusters/prod/db.yaml": sealed})
    assert not result.ok
    text = lines(result)
    assert (
        "clusters/prod/db.yaml, document 1: SealedSecret prod/db carries clear text in "
        "spec.template.data.token"
    ) in text, result.text
    assert "spec.template.data.url" not in text and "hunter2" not in result.text
