"""The example Rego policies in config/rego/: for each, manifests as GitOps teams write them,
read by the manifests adapter and judged as a pushed file would be."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gitward import manifests
from gitward.rego import RegoPolicy, evaluate, load

ROOT = Path(__file__).resolve().parents[1]
DIGEST = "sha256:" + "0123456789abcdef" * 4
GOOD_IMAGE = f"registry.example.com/shop/web@{DIGEST}"


@pytest.fixture(scope="module")
def policies() -> dict[str, RegoPolicy]:
    return {p.name: p for p in load(sorted((ROOT / "config" / "rego").glob("*.rego")))}


def denied(policy: RegoPolicy, text: str, path: str = "clusters/prod/app.yaml") -> list[str]:
    documents = manifests.read(path, textwrap.dedent(text).encode())
    assert isinstance(documents, tuple)
    return [f"{d.resource}: {d.message}" for d in evaluate([policy], path, documents)]


def test_the_examples_are_the_three_documented_ones(policies: dict[str, RegoPolicy]) -> None:
    assert sorted(policies) == ["images", "networkpolicy-ingress", "privileged"]


DEPLOYMENT = f"""\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
      namespace: shop
    spec:
      replicas: 2
      selector:
        matchLabels: {{app: web}}
      template:
        metadata:
          labels: {{app: web}}
        spec:
          containers:
            - name: web
              image: {GOOD_IMAGE}
              securityContext:
                privileged: false
                runAsNonRoot: true
    """


def test_privileged_refuses_a_privileged_container(policies: dict[str, RegoPolicy]) -> None:
    text = DEPLOYMENT.replace("privileged: false", "privileged: true")
    assert denied(policies["privileged"], text) == [
        "Deployment shop/web: container web is privileged (securityContext.privileged: true)"
    ]


@pytest.mark.parametrize(
    "text",
    [
        DEPLOYMENT,
        DEPLOYMENT.replace("                privileged: false\n", ""),
        # A privileged-looking field outside a Pod spec is no container.
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {privileged: 'true'}\n",
    ],
)
def test_privileged_passes_unprivileged_workloads(
    policies: dict[str, RegoPolicy], text: str
) -> None:
    assert denied(policies["privileged"], text) == []


def test_privileged_judges_pods_init_containers_and_cron_jobs(
    policies: dict[str, RegoPolicy],
) -> None:
    text = """\
        apiVersion: v1
        kind: Pod
        metadata: {name: debug}
        spec:
          initContainers:
            - {name: setup, image: busybox, securityContext: {privileged: true}}
          containers:
            - {name: main, image: busybox}
        ---
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: nightly}
        spec:
          schedule: "0 3 * * *"
          jobTemplate:
            spec:
              template:
                spec:
                  containers:
                    - {name: job, image: busybox, securityContext: {privileged: true}}
        """
    assert denied(policies["privileged"], text) == [
        "Pod debug: container setup is privileged (securityContext.privileged: true)",
        "CronJob nightly: container job is privileged (securityContext.privileged: true)",
    ]


def test_images_refuses_other_registries_and_tags(policies: dict[str, RegoPolicy]) -> None:
    text = DEPLOYMENT.replace(GOOD_IMAGE, "docker.io/library/nginx:1.25")
    assert denied(policies["images"], text) == [
        "Deployment shop/web: container web: image docker.io/library/nginx:1.25 is not from a "
        "registry in images_allowed_registries",
        "Deployment shop/web: container web: image docker.io/library/nginx:1.25 is not pinned "
        "by digest (name@sha256:<digest>)",
    ]
    tagged = DEPLOYMENT.replace(GOOD_IMAGE, "registry.example.com/shop/web:1.4")
    assert denied(policies["images"], tagged) == [
        "Deployment shop/web: container web: image registry.example.com/shop/web:1.4 is not "
        "pinned by digest (name@sha256:<digest>)"
    ]
    # A look-alike host is another registry.
    lookalike = DEPLOYMENT.replace("registry.example.com/", "registry.example.com.evil.io/")
    assert [m.split(": ", 2)[2] for m in denied(policies["images"], lookalike)] == [
        f"image registry.example.com.evil.io/shop/web@{DIGEST} is not from a registry in "
        "images_allowed_registries"
    ]


def test_images_passes_pinned_images_from_allowed_registries(
    policies: dict[str, RegoPolicy],
) -> None:
    assert denied(policies["images"], DEPLOYMENT) == []
    other = DEPLOYMENT.replace(GOOD_IMAGE, f"ghcr.io/example-org/web:1.4@{DIGEST}")
    assert denied(policies["images"], other) == []


NETWORK_POLICY = """\
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: web-ingress, namespace: shop}
    spec:
      podSelector:
        matchLabels: {app: web}
      policyTypes: [Ingress]
      ingress:
        - from:
            - podSelector:
                matchLabels: {app: frontend}
          ports:
            - {protocol: TCP, port: 8080}
        - from:
            - ipBlock:
                cidr: 10.20.0.0/16
    """


def test_networkpolicy_refuses_ingress_from_the_internet(
    policies: dict[str, RegoPolicy],
) -> None:
    # The copy-paste from a dev environment.
    text = NETWORK_POLICY.replace("10.20.0.0/16", "0.0.0.0/0\n                except: [10.0.0.0/8]")
    assert denied(policies["networkpolicy-ingress"], text) == [
        "NetworkPolicy shop/web-ingress: ingress rule 2 admits traffic from 0.0.0.0/0: every "
        "address on the internet"
    ]
    v6 = NETWORK_POLICY.replace("10.20.0.0/16", "::/0")
    assert len(denied(policies["networkpolicy-ingress"], v6)) == 1


def test_networkpolicy_passes_ingress_from_inside(policies: dict[str, RegoPolicy]) -> None:
    assert denied(policies["networkpolicy-ingress"], NETWORK_POLICY) == []
    egress = NETWORK_POLICY.replace("ingress:", "egress:").replace("from:", "to:")
    assert (
        denied(policies["networkpolicy-ingress"], egress.replace("10.20.0.0/16", "0.0.0.0/0")) == []
    )


def test_the_three_together_judge_a_multi_document_file_once_each(
    policies: dict[str, RegoPolicy],
) -> None:
    text = "---\n".join(
        textwrap.dedent(doc)
        for doc in (
            DEPLOYMENT.replace("privileged: false", "privileged: true"),
            NETWORK_POLICY.replace("10.20.0.0/16", "0.0.0.0/0"),
        )
    )
    documents = manifests.read("app.yaml", text.encode())
    assert isinstance(documents, tuple)
    found = evaluate(list(policies.values()), "app.yaml", documents)
    assert [(d.policy, d.document) for d in found] == [
        ("privileged", 0),
        ("networkpolicy-ingress", 1),
    ]
