# Refuses container images that do not come from an allowed registry, or that are not pinned
# by digest (`registry.example.com/team/app@sha256:...`): a tag such as `:1.4` or `:latest`
# can be moved to other contents after review, a digest cannot.
#
# Edit `images_allowed_registries` to your registries. Each entry is a prefix of the image
# reference and ends with `/`, so that `registry.example.com.evil.io/app` does not pass for
# `registry.example.com/`.
#
# Judges Pods and every kind that makes Pods from a template, like privileged.rego. Written
# for OPA as an admission controller (`package kubernetes.admission`), Rego v1 syntax.
package kubernetes.admission

import rego.v1

images_allowed_registries := ["registry.example.com/", "ghcr.io/example-org/"]

images_templated := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"}

# The Pod specs of the object: its own (a Pod), its template's, or its job template's.
images_pod_specs contains spec if {
	input.request.kind.kind == "Pod"
	spec := input.request.object.spec
}

images_pod_specs contains spec if {
	input.request.kind.kind in images_templated
	spec := input.request.object.spec.template.spec
}

images_pod_specs contains spec if {
	input.request.kind.kind == "CronJob"
	spec := input.request.object.spec.jobTemplate.spec.template.spec
}

images_containers contains container if {
	some field in ["initContainers", "containers", "ephemeralContainers"]
	some spec in images_pod_specs
	some container in spec[field]
}

images_from_allowed_registry(image) if {
	some registry in images_allowed_registries
	startswith(image, registry)
}

deny contains msg if {
	some container in images_containers
	not images_from_allowed_registry(container.image)
	msg := sprintf(
		"container %v: image %v is not from a registry in images_allowed_registries",
		[container.name, container.image],
	)
}

deny contains msg if {
	some container in images_containers
	not regex.match(`@sha256:[0-9a-f]{64}$`, container.image)
	msg := sprintf(
		"container %v: image %v is not pinned by digest (name@sha256:<digest>)",
		[container.name, container.image],
	)
}
