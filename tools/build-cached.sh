#!/usr/bin/env bash
# Builds Go commands of a pinned tool module (a directory of tools/ with its own go.mod/go.sum)
# into a cache directory keyed by the sha256 of that module's go.sum, and prints the directory on
# stdout (and nothing else; progress goes to stderr):
#
#   tools/build-cached.sh PREFIX MODULE_DIR "BINARY..." NOTE PACKAGE...
#   e.g. tools/build-cached.sh tfgoogle terraform-provider terraform-provider-google \
#          "about 7 minutes" github.com/hashicorp/terraform-provider-google
#
# BINARY... are the names `go build -o DIR/ PACKAGE...` gives (the last element of each package
# path, or of the module path for "."). EXTRA_LDFLAGS, if set, is appended to "-s -w".
#
# Cache: ${GCE_CCM_CACHE:-$HOME/.cache/gce-ccm}/PREFIX-<first 16 hex of sha256(go.sum)>/
# If every binary is there it prints the directory at once. Otherwise it builds them into a
# temporary directory inside the cache directory and renames them into place, so a reader never
# sees a half-written binary. Concurrent invocations are serialised with flock(1) when available,
# and whoever waited finds the binaries already built.
set -euo pipefail

if [[ $# -lt 5 ]]; then
	echo "usage: $0 PREFIX MODULE_DIR \"BINARY...\" NOTE PACKAGE..." >&2
	exit 2
fi
prefix=$1 module=$2 note=$4
read -r -a binaries <<<"$3"
shift 4

cd "$(dirname "${BASH_SOURCE[0]}")/${module}"

if command -v sha256sum >/dev/null 2>&1; then
	sum=$(sha256sum go.sum)
else
	sum=$(shasum -a 256 go.sum)
fi
dir="${GCE_CCM_CACHE:-$HOME/.cache/gce-ccm}/${prefix}-${sum:0:16}"

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

echo "building ${binaries[*]} from Go modules${note:+; a cold build takes ${note}}" >&2
echo "  into ${dir}" >&2
tmp=$(mktemp -d "$dir/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS
go build -trimpath -ldflags "-s -w${EXTRA_LDFLAGS:+ $EXTRA_LDFLAGS}" -o "$tmp/" "$@" >&2
for b in "${binaries[@]}"; do
	mv -f "$tmp/$b" "$dir/$b" # same file system: an atomic rename
done
echo "built in $((SECONDS - start)) s: ${binaries[*]}" >&2
times >&2 # the second line: CPU (user, sys) of the build
printf '%s\n' "$dir"
