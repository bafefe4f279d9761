#!/usr/bin/env bash
# Prints one fact about the checked-out commit, for the version stamp of the
# binaries and the images (Makefile: make build, make image):
#
#   tools/version.sh version    the nearest v* tag (git describe), or, with no
#                               tag, v0.0.0-<commit time UTC>-<12 hex of the commit>
#                               (a Go pseudo-version); "-dirty" when the work tree
#                               has uncommitted changes
#   tools/version.sh revision   the full commit hash
#   tools/version.sh date       the commit time, RFC 3339 UTC (build date, image created)
#   tools/version.sh tree       clean or dirty
#
# Everything is derived from the commit, never from the clock, so building the
# same commit twice gives the same bytes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

tree() {
	if [[ -z "$(git status --porcelain 2>/dev/null)" ]]; then echo clean; else echo dirty; fi
}
epoch=$(git log -1 --format=%ct HEAD)
case "${1:-}" in
version)
	suffix=""
	[[ "$(tree)" == dirty ]] && suffix="-dirty"
	if tag=$(git describe --tags --match 'v[0-9]*' --abbrev=12 HEAD 2>/dev/null); then
		echo "${tag}${suffix}"
	else
		echo "v0.0.0-$(date -u -d "@${epoch}" +%Y%m%d%H%M%S)-$(git rev-parse --short=12 HEAD)${suffix}"
	fi
	;;
revision) git rev-parse HEAD ;;
date) date -u -d "@${epoch}" +%Y-%m-%dT%H:%M:%SZ ;;
tree) tree ;;
*)
	echo "usage: $0 version|revision|date|tree" >&2
	exit 2
	;;
esac
