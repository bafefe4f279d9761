#!/usr/bin/env bash
# Builds terraform's google provider (hashicorp/terraform-provider-google, pinned by
# tools/terraform-provider/go.mod) from the Go module proxy and prints the directory that holds it:
#
#   dir=$(tools/build-terraform-provider.sh)
#   # a CLI config with provider_installation { dev_overrides { "hashicorp/google" = "$dir" } }
#
# The e2e suite (test/e2e/terraform_test.go) uses it to apply and destroy deploy/terraform
# against the GCE emulator without `terraform init` and without the registry.
# Cache and locking: see build-cached.sh (${GCE_CCM_CACHE:-$HOME/.cache/gce-ccm}/tfgoogle-<hash>/).
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/build-cached.sh" tfgoogle terraform-provider terraform-provider-google \
	"about 7 minutes and 2 GB on 2 cores" github.com/hashicorp/terraform-provider-google
