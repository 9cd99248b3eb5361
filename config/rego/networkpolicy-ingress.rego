# Refuses a NetworkPolicy that admits ingress from the whole internet: an `ipBlock` whose CIDR
# is `0.0.0.0/0` or `::/0` (any `/0`). Usually a copy-paste from a dev environment; in
# production it opens the selected Pods to every address that can reach the cluster, whatever
# the `except` list leaves out.
#
# Written for OPA as an admission controller (`package kubernetes.admission`), Rego v1 syntax.
package kubernetes.admission

import rego.v1

deny contains msg if {
	input.request.kind.group == "networking.k8s.io"
	input.request.kind.kind == "NetworkPolicy"
	some i, rule in input.request.object.spec.ingress
	some peer in rule.from
	endswith(peer.ipBlock.cidr, "/0")
	msg := sprintf(
		"ingress rule %v admits traffic from %v: every address on the internet",
		[i + 1, peer.ipBlock.cidr],
	)
}
