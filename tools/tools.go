//go:build tools

// Package tools pins the Kubernetes commands built by build-k8s.sh so that `go mod tidy`
// keeps their dependencies in go.mod and go.sum. It is never compiled normally.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
