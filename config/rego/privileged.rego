# Refuses privileged containers: a container with `securityContext.privileged: true` has every
# capability of the node it runs on, and can take the node over.
#
# Judges Pods and every kind that makes Pods from a template (Deployment, StatefulSet,
# DaemonSet, ReplicaSet, ReplicationController, Job, CronJob): their containers, init
# containers and ephemeral containers.
#
# Written for OPA as an admission controller (`package kubernetes.admission`, the input an
# AdmissionReview), so the same file runs in gitward, `opa eval` and kube-mgmt. Rego v1 syntax
# with `import rego.v1`: OPA 0.59 and later read it too. The helper rules carry this file's
# prefix, so the example policies can share one package in one OPA.
package kubernetes.admission

import rego.v1

privileged_templated := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"}

# The Pod specs of the object: its own (a Pod), its template's, or its job template's.
privileged_pod_specs contains spec if {
	input.request.kind.kind == "Pod"
	spec := input.request.object.spec
}

privileged_pod_specs contains spec if {
	input.request.kind.kind in privileged_templated
	spec := input.request.object.spec.template.spec
}

privileged_pod_specs contains spec if {
	input.request.kind.kind == "CronJob"
	spec := input.request.object.spec.jobTemplate.spec.template.spec
}

deny contains msg if {
	some field in ["initContainers", "containers", "ephemeralContainers"]
	some spec in privileged_pod_specs
	some container in spec[field]
	container.securityContext.privileged == true
	msg := sprintf("container %v is privileged (securityContext.privileged: true)", [container.name])
}
