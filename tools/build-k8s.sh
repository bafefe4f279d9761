#!/usr/bin/env bash
# Builds kube-apiserver, etcd and kubectl from the Go module proxy (module ./go.mod next to this
# script) into a cache directory keyed by the sha256 of tools/go.sum, and prints that directory on
# stdout (and nothing else):
#
#   dir=$(tools/build-k8s.sh)
#   "$dir/etcd" ...; "$dir/kube-apiserver" ...; "$dir/kubectl" ...
#
# Cache: ${GCE_CCM_CACHE:-$HOME/.cache/gce-ccm}/k8s-<first 16 hex of sha256(tools/go.sum)>/
# If the three binaries are already there it prints the directory and exits at once. Otherwise it
# builds them (all progress on stderr) into a temporary directory inside the cache directory and
# renames them into place, so a reader never sees a half-written binary. Concurrent invocations
# are serialised with flock(1) when available.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

binaries=(kube-apiserver etcd kubectl)

if command -v sha256sum >/dev/null 2>&1; then
	sum=$(sha256sum go.sum)
else
	sum=$(shasum -a 256 go.sum)
fi
key=${sum:0:16}
dir="${GCE_CCM_CACHE:-$HOME/.cache/gce-ccm}/k8s-${key}"

have_all() {
	local b
	for b in "${binaries[@]}"; do
		[[ -x "$dir/$b" ]] || return 1
	done
}

if have_all; then
	printf '%s\n' "$dir"
	exit 0
fi

mkdir -p "$dir"

# One build at a time per cache directory; whoever waited finds the binaries already there.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$dir/.lock"
	flock 9
	if have_all; then
		printf '%s\n' "$dir"
		exit 0
	fi
fi

# Build exactly what go.mod/go.sum pin: no go.work from a parent directory, never rewrite go.mod
# or go.sum (whatever GOFLAGS the caller has), no VCS stamping.
export GOWORK=off
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=readonly -buildvcs=false"

k8s_version=$(go list -m -f '{{.Version}}' k8s.io/kubernetes) # e.g. v1.36.3
minor=${k8s_version#v1.}
minor=${minor%%.*}

echo "building kube-apiserver ${k8s_version}, etcd and kubectl from Go modules; a cold build takes 4-8 minutes on 2 cores" >&2
echo "  into ${dir}" >&2

tmp=$(mktemp -d "$dir/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

start=$SECONDS
V=k8s.io/component-base/version
go build -trimpath \
	-ldflags "-s -w -X ${V}.gitVersion=${k8s_version} -X ${V}.gitMajor=1 -X ${V}.gitMinor=${minor} -X ${V}.gitTreeState=clean" \
	-o "$tmp/" \
	k8s.io/kubernetes/cmd/kube-apiserver ./cmd/etcd k8s.io/kubernetes/cmd/kubectl >&2

for b in "${binaries[@]}"; do
	mv -f "$tmp/$b" "$dir/$b" # same file system: an atomic rename
done

echo "built in $((SECONDS - start)) s: ${binaries[*]}" >&2
times >&2 # the second line: CPU (user, sys) of the build
printf '%s\n' "$dir"
