"""The kubernetes_secrets check: Secrets in clear text, and files sops should have encrypted. PURE.

Every file the rule's new commits bring is judged by `k8s.judge_file`, as the manifests adapter
read it: a Secret added in clear text and deleted in the next commit has reached the server all
the same. Which files must be encrypted is what the `.sops.yaml` files of the pushed tip say
(their `creation_rules[].path_regex`, from each one's directory down). A `.sops.yaml` the push
brings that sops itself could not use is refused too (`sops-config`).

Rule ids: `<rule>/kubernetes-secret` (clear text in a Secret), `<rule>/sops` (a sops file with
clear values or a forged sops section), `<rule>/sops-required`, `<rule>/sops-config`. Messages
name the file, the document (1-based) and the keys, never a value.
"""

from __future__ import annotations

from collections.abc import Iterator

from gitward.model import GITLINK_MODE, SYMLINK_MODE, Violation
from gitward.policy.content import k8s
from gitward.policy.content.scope import ContentCheck, Needs, NewFile, Scope
from gitward.policy.spec import KubernetesSecretsCheck

# k8s's finding names -> the check ids of the report ("secret" is the secrets check's).
CHECK_IDS = {"secret": "kubernetes-secret"}
SPEND_EVERY = 64


def needs(settings: KubernetesSecretsCheck) -> Needs:
    return Needs(content_bytes=k8s.MANIFEST_BYTES, yaml=True)


def run(scope: Scope, settings: KubernetesSecretsCheck) -> Iterator[Violation]:
    if not scope.files:
        return  # nothing brought: the tip's tree is not read
    rules: list[k8s.SopsRule] = []
    pushed = {(f.path, f.oid): f for f in scope.files}
    for path, tip in sorted(scope.tip().items()):
        if not k8s.is_sops_config(path) or tip.mode in (GITLINK_MODE, SYMLINK_MODE):
            continue
        parsed = scope.documents(path, tip.oid)
        if parsed is None:
            continue
        found, problems = k8s.sops_rules(path, parsed)
        rules += found
        brought = pushed.get((path, tip.oid))
        if brought is not None:  # a broken one already on the server was judged then
            yield from (_violation(scope, brought, p) for p in problems)
    for n, file in enumerate(scope.files):
        if n % SPEND_EVERY == 0:
            scope.spend("checking Kubernetes Secrets")
        if file.mode in (GITLINK_MODE, SYMLINK_MODE) or k8s.is_sops_config(file.path):
            continue
        parsed = scope.documents(file.path, file.oid)
        if parsed is not None:
            for finding in k8s.judge_file(file.path, parsed, rules):
                yield _violation(scope, file, finding)


def _violation(scope: Scope, file: NewFile, finding: k8s.Finding) -> Violation:
    what = f"{k8s.where(file.path, finding.document)}: {finding.what}"
    check = CHECK_IDS.get(finding.check, finding.check)
    return scope.violation(check, what, finding.hint, file.commit)


CHECK = ContentCheck(needs, run)
