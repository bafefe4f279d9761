#!/usr/bin/env bash
# Builds kube-apiserver, etcd and kubectl from the Go module proxy (module ./go.mod next to this
# script) and prints the directory that holds them (and nothing else on stdout):
#
#   dir=$(tools/build-k8s.sh)
#   "$dir/etcd" ...; "$dir/kube-apiserver" ...; "$dir/kubectl" ...
#
# Cache and locking: see build-cached.sh
# (${GCE_CCM_CACHE:-$HOME/.cache/gce-ccm}/k8s-<first 16 hex of sha256(tools/go.sum)>/).
# The version is stamped in as a release build does: without it the server reports a version
# kubectl cannot parse.
set -euo pipefail

here="$(dirname "${BASH_SOURCE[0]}")"

k8s_version=$(awk '$1 == "k8s.io/kubernetes" { print $2; exit }' "$here/go.mod") # e.g. v1.36.3
minor=${k8s_version#v1.}
minor=${minor%%.*}
V=k8s.io/component-base/version
export EXTRA_LDFLAGS="-X ${V}.gitVersion=${k8s_version} -X ${V}.gitMajor=1 -X ${V}.gitMinor=${minor} -X ${V}.gitTreeState=clean"

exec "$here/build-cached.sh" k8s . "kube-apiserver etcd kubectl" "4-8 minutes on 2 cores" \
	k8s.io/kubernetes/cmd/kube-apiserver ./cmd/etcd k8s.io/kubernetes/cmd/kubectl
