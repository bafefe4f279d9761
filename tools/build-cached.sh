#!/usr/bin/env bash
# Builds one Go command of a pinned tool module (a directory of tools/ with its own go.mod/go.sum)
# into a cache directory keyed by the sha256 of that module's go.sum, and prints the directory on
# stdout (and nothing else; progress goes to stderr):
#
#   tools/build-cached.sh PREFIX MODULE_DIR BINARY PACKAGE [NOTE]
#   e.g. tools/build-cached.sh tfgoogle terraform-provider terraform-provider-google \
#          github.com/hashicorp/terraform-provider-google "about 7 minutes"
#
# Cache: ${GCE_CCM_CACHE:-$HOME/.cache/gce-ccm}/PREFIX-<first 16 hex of sha256(go.sum)>/BINARY
# If the binary is there it prints the directory at once. Otherwise it builds it into a temporary
# directory inside the cache directory and renames it into place, so a reader never sees a
# half-written binary. Concurrent invocations are serialised with flock(1) when available, and
# whoever waited finds the binary already built.
set -euo pipefail

if [[ $# -lt 4 ]]; then
	echo "usage: $0 PREFIX MODULE_DIR BINARY PACKAGE [NOTE]" >&2
	exit 2
fi
prefix=$1 module=$2 binary=$3 pkg=$4 note=${5:-}

cd "$(dirname "${BASH_SOURCE[0]}")/${module}"

if command -v sha256sum >/dev/null 2>&1; then
	sum=$(sha256sum go.sum)
else
	sum=$(shasum -a 256 go.sum)
fi
dir="${GCE_CCM_CACHE:-$HOME/.cache/gce-ccm}/${prefix}-${sum:0:16}"

if [[ -x "$dir/$binary" ]]; then
	printf '%s\n' "$dir"
	exit 0
fi
mkdir -p "$dir"
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

echo "building ${binary} (${pkg}) from Go modules${note:+; a cold build takes ${note}}" >&2
echo "  into ${dir}" >&2
tmp=$(mktemp -d "$dir/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS
go build -trimpath -ldflags "-s -w" -o "$tmp/$binary" "$pkg" >&2
mv -f "$tmp/$binary" "$dir/$binary" # same file system: an atomic rename
echo "built in $((SECONDS - start)) s: ${binary}" >&2
times >&2 # the second line: CPU (user, sys) of the build
printf '%s\n' "$dir"
