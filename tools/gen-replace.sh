#!/usr/bin/env bash
# Prints the replace block for tools/go.mod: every staging module k8s.io/X listed in the
# replace block of k8s.io/kubernetes@$K8S_VERSION's own go.mod, mapped to k8s.io/X v0.<minor>.<patch>.
# Modules whose zip the module proxy does not serve are left out (with a note on stderr).
# Usage: tools/gen-replace.sh [v1.36.3] > /tmp/replace.txt   (then paste into tools/go.mod)
set -euo pipefail
K8S_VERSION=${1:-v1.36.3}
STAGING_VERSION=v0.${K8S_VERSION#v1.}
cd "$(dirname "${BASH_SOURCE[0]}")"
gomod=$(go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
echo "replace ("
sed -n '/^replace (/,/^)/p' "$gomod" | awk '$2 == "=>" && $3 ~ /^\.\/staging\// {print $1}' |
	while read -r mod; do
		if go mod download "${mod}@${STAGING_VERSION}" >/dev/null 2>&1; then
			printf '\t%s => %s %s\n' "$mod" "$mod" "$STAGING_VERSION"
		else
			echo "gen-replace: ${mod}@${STAGING_VERSION} not served by the module proxy; left out" >&2
		fi
	done
echo ")"
