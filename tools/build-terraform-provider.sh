#!/usr/bin/env bash
# Builds terraform's google provider (hashicorp/terraform-provider-google, pinned by
# tools/terraform-provider/go.mod) from the Go module proxy into a cache directory keyed by the
# sha256 of tools/terraform-provider/go.sum, and prints that directory on stdout (and nothing else):
#
#   dir=$(tools/build-terraform-provider.sh)
#   # a CLI config with provider_installation { dev_overrides { "hashicorp/google" = "$dir" } }
#
# The e2e suite (test/e2e/terraform_test.go) uses it to apply and destroy deploy/terraform
# against the GCE emulator without `terraform init` and without the registry.
#
# Cache: ${GCE_CCM_CACHE:-$HOME/.cache/gce-ccm}/tfgoogle-<first 16 hex of sha256(go.sum)>/
# If the binary is already there it prints the directory and exits at once. Otherwise it builds it
# (all progress on stderr) into a temporary directory inside the cache directory and renames it into
# place, so a reader never sees a half-written binary. Concurrent invocations are serialised with
# flock(1) when available.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/terraform-provider"

binary=terraform-provider-google

if command -v sha256sum >/dev/null 2>&1; then
	sum=$(sha256sum go.sum)
else
	sum=$(shasum -a 256 go.sum)
fi
key=${sum:0:16}
dir="${GCE_CCM_CACHE:-$HOME/.cache/gce-ccm}/tfgoogle-${key}"

if [[ -x "$dir/$binary" ]]; then
	printf '%s\n' "$dir"
	exit 0
fi

mkdir -p "$dir"

# One build at a time per cache directory; whoever waited finds the binary already there.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$dir/.lock"
	flock 9
	if [[ -x "$dir/$binary" ]]; then
		printf '%s\n' "$dir"
		exit 0
	fi
fi

# Build exactly what go.mod/go.sum pin: no go.work from a parent directory, never rewrite go.mod
# or go.sum (whatever GOFLAGS the caller has), no VCS stamping.
export GOWORK=off
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=readonly -buildvcs=false"

version=$(go list -m -f '{{.Version}}' github.com/hashicorp/terraform-provider-google)

echo "building terraform-provider-google ${version} from Go modules; a cold build takes about 7 minutes and 2 GB on 2 cores" >&2
echo "  into ${dir}" >&2

tmp=$(mktemp -d "$dir/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

start=$SECONDS
go build -trimpath -ldflags "-s -w" -o "$tmp/$binary" github.com/hashicorp/terraform-provider-google >&2

mv -f "$tmp/$binary" "$dir/$binary" # same file system: an atomic rename

echo "built in $((SECONDS - start)) s: ${binary}" >&2
printf '%s\n' "$dir"
