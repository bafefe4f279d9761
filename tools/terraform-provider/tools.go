//go:build tools

// Package tools pins terraform's google provider (built by ../build-terraform-provider.sh for the
// e2e proof of deploy/terraform against the emulator) so that `go mod tidy` keeps its
// dependencies in go.mod and go.sum. It is never compiled normally.
package tools

import (
	_ "github.com/hashicorp/terraform-provider-google"
)
