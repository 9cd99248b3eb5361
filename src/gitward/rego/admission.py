"""A manifest as the admission request Kubernetes would send for it. PURE: values only.

Policies written for an admission controller run unmodified on the input built here:
- OPA as an admission controller (kube-mgmt; `opa eval` users test against the same shape),
  `package kubernetes.admission`: `input.request.kind.kind`, `input.request.object`,
  `input.request.oldObject`, `input.request.operation`, `.name`, `.namespace`, `.userInfo`;
- Gatekeeper constraint templates: `input.review` (the same request) and `input.parameters`
  (empty: a template's parameters live in its constraints, which gitward does not have).

The request is what `kubectl apply` of the pushed file would cause: CREATE for an object the
file did not hold before the push, UPDATE (with `oldObject`) for one it held under the same
group, kind, namespace and name. What needs the cluster stays out: `uid`, `resource` (the
plural the API server finds by discovery), defaulted fields and the namespace a manifest
without `metadata.namespace` would get from the kubectl context ("" here).
"""

from collections.abc import Iterator, Mapping, Sequence
from typing import NamedTuple

from gitward.policy.content.k8s import describe, objects

ADMISSION_API = "admission.k8s.io/v1"

Identity = tuple[str, str, str, str]  # group, kind, namespace, name


class Request(NamedTuple):
    document: int  # 0-based, in the file
    resource: str  # "Pod prod/web", for messages
    input: dict[str, object]  # the whole `input` document


def group_version(api_version: str) -> tuple[str, str]:
    """`apps/v1` -> ("apps", "v1"); `v1` (the core group) -> ("", "v1")."""
    group, _, version = api_version.rpartition("/")
    return group, version


def identity(obj: Mapping[str, object]) -> Identity:
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    group = group_version(str(obj["apiVersion"]))[0]
    return group, str(obj["kind"]), str(meta.get("namespace") or ""), str(meta.get("name") or "")


def review(
    obj: Mapping[str, object],
    old: Mapping[str, object] | None = None,
    user: str | None = None,
    gatekeeper: bool = True,
) -> dict[str, object]:
    """The `input` for one object: an AdmissionReview whose `request` is also Gatekeeper's
    `review` (left out with `gatekeeper=False`: handing the object to rego-cpp twice costs
    twice, for policies that never read it)."""
    group, version = group_version(str(obj["apiVersion"]))
    _, kind, namespace, name = identity(obj)
    request: dict[str, object] = {
        "kind": {"group": group, "version": version, "kind": kind},
        "name": name,
        "namespace": namespace,
        "operation": "CREATE" if old is None else "UPDATE",
        "object": obj,
        "oldObject": old,
        "dryRun": False,
    }
    if user:
        request["userInfo"] = {"username": user}
    found: dict[str, object] = {
        "apiVersion": ADMISSION_API,
        "kind": "AdmissionReview",
        "request": request,
    }
    if gatekeeper:
        found |= {"review": request, "parameters": {}}
    return found


def requests(
    documents: Sequence[object],
    before: Sequence[object] = (),
    user: str | None = None,
    gatekeeper: bool = True,
) -> Iterator[Request]:
    """The admission requests for the objects of a pushed file that are new or changed since
    `before` (the same file's documents before the push; empty for a new file)."""
    old = {identity(o): o for doc in before for o in objects(doc)}
    for index, doc in enumerate(documents):
        for obj in objects(doc):
            previous = old.get(identity(obj))
            if previous != obj:
                yield Request(index, describe(obj), review(obj, previous, user, gatekeeper))
