#!/usr/bin/env bash
# Builds the upstream GCE cloud provider (k8s.io/cloud-provider-gcp/providers, in the standard
# cloud-controller-manager of k8s.io/cloud-provider; both pinned by tools/upstream-gce-ccm/go.mod)
# and prints the directory that holds `upstream-gce-ccm`:
#
#   dir=$(tools/build-upstream-gce-ccm.sh); "$dir/upstream-gce-ccm" --help
#
# The e2e suite (test/e2e/upstream_test.go) runs it against the GCE emulator.
# Cache and locking: see build-cached.sh (${GCE_CCM_CACHE:-$HOME/.cache/gce-ccm}/upstream-ccm-<hash>/).
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/build-cached.sh" upstream-ccm upstream-gce-ccm upstream-gce-ccm \
	"about 5 minutes on 2 cores" .
