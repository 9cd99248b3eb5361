"""The kubernetes_secrets check: Secrets in clear text, and files sops should have encrypted. PURE.

Every file the rule's new commits bring is judged by `k8s.judge_file`, as the manifests adapter
read it: a Secret added in clear text and deleted in the next commit has reached the server all
the same. Which files must be encrypted is what the `.sops.yaml` files of the pushed tip say
(their `creation_rules[].path_regex`, from each one's directory down). A `.sops.yaml` the push
brings that sops itself could not use is refused too (`sops-config`).

kustomize generates Secrets too (`kustomize`): a `secretGenerator` with clear `literals` is
refused like a clear Secret, and so is every version the push brings of a file a generator
reads (`envs`, `env`, `files`) that is not SOPS-encrypted. Which files generators read is what
the kustomizations say, those of the pushed tip (by file name) and every version the push
brings: a clear file dropped from a generator in the same push has still reached the server.
A file already on the server when a generator starts reading it is not read again (the facts
read only what a push brings): a `.sops.yaml` designating such files covers them at the push
that brings them, whoever reads them later.

Rule ids: `<rule>/kubernetes-secret` (clear text in a Secret), `<rule>/sops` (a sops file with
clear values or a forged sops section), `<rule>/sops-required`, `<rule>/sops-config`. Messages
name the file, the document (1-based) and the keys, never a value.
"""

from __future__ import annotations

from collections.abc import Iterator

from gitward.errors import GitError
from gitward.model import GITLINK_MODE, SYMLINK_MODE, ParsedFile, Violation
from gitward.policy.content import k8s, kustomize
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
    generated = _generated_from(scope)
    for n, file in enumerate(scope.files):
        if n % SPEND_EVERY == 0:
            scope.spend("checking Kubernetes Secrets")
        if file.mode in (GITLINK_MODE, SYMLINK_MODE) or k8s.is_sops_config(file.path):
            continue
        parsed = scope.documents(file.path, file.oid)
        if parsed is not None:
            for finding in k8s.judge_file(file.path, parsed, rules):
                yield _violation(scope, file, finding)
        if k8s.required_by(file.path, rules) is None:  # else judged as sops-required above
            yield from (
                _violation(scope, file, f) for f in _generator_findings(file, parsed, generated)
            )


def _generated_from(scope: Scope) -> dict[str, list[kustomize.Source]]:
    """Path -> the `secretGenerator` entries that read it, in the pushed tip's kustomization
    files and in every file version the push brings."""
    brought = [(f.path, f.oid) for f in scope.files if f.mode not in (GITLINK_MODE, SYMLINK_MODE)]
    if not brought:
        return {}  # no file to judge, and the facts parsed none
    tip = [(p, f.oid) for p, f in sorted(scope.tip().items()) if _kustomization_file(p, f.mode)]
    parsed = ((path, scope.documents(path, oid)) for path, oid in dict.fromkeys(tip + brought))
    return kustomize.referenced((path, docs) for path, docs in parsed if docs is not None)


def _kustomization_file(path: str, mode: str) -> bool:
    return kustomize.is_kustomization_file(path) and mode not in (GITLINK_MODE, SYMLINK_MODE)


def _generator_findings(
    file: NewFile, parsed: ParsedFile, generated: dict[str, list[kustomize.Source]]
) -> Iterator[k8s.Finding]:
    """Clear literals in a kustomization; a file a generator reads, not encrypted."""
    if parsed is not None:
        yield from kustomize.judge_literals(file.path, parsed)
    by = generated.get(file.path)
    if by:
        if parsed is None:  # the facts read generators' files as sops writes them
            raise GitError(f"{file.path} was not read as sops writes it; refusing to judge it")
        found = kustomize.judge_source(file.path, parsed, by)
        if found is not None:
            yield found


def _violation(scope: Scope, file: NewFile, finding: k8s.Finding) -> Violation:
    what = f"{k8s.where(file.path, finding.document)}: {finding.what}"
    check = CHECK_IDS.get(finding.check, finding.check)
    return scope.violation(check, what, finding.hint, file.commit)


CHECK = ContentCheck(needs, run)
