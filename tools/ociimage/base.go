package main

import (
	"bytes"
	"encoding/pem"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// The base the images start from, made here rather than pulled: the CA
// certificates a Go program reads (the CCM calls the Google APIs over TLS)
// and a passwd entry for the non-root user it runs as. Nothing else: no
// shell, no package manager, no libc (the binaries are static).

const (
	// nonRootUID is the user (and group) the images run as: the "nonroot"
	// of distroless images, so policies written for those apply unchanged.
	nonRootUID = "65532"
	caPath     = "/etc/ssl/certs/ca-certificates.crt" // where Go's crypto/x509 looks first on Linux
	passwdPath = "/etc/passwd"
)

// passwd names user 65532 so tools that map a uid to a name find one; the
// image's config says User 65532:65532 numerically, so runtimes need no lookup.
const passwd = "nonroot:x:" + nonRootUID + ":" + nonRootUID + ":nonroot:/:/sbin/nologin\n"

// caBundle is the PEM bundle of the NSS trust store as
// golang.org/x/crypto/x509roots/fallback/bundle embeds it: pinned by go.sum,
// so every machine builds the same bytes (the build machine's own
// /etc/ssl/certs would make the digest depend on its Debian point release).
// Roots that carry a constraint PEM cannot express (a distrust-after date)
// are left out: trusting them without the constraint would trust more than
// NSS does. It returns the bundle and how many roots it holds and left out.
func caBundle() (pemBytes []byte, kept, skipped int) {
	var buf bytes.Buffer
	for r := range bundle.Roots() {
		if r.Constraint != nil {
			skipped++
			continue
		}
		_ = pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: r.Certificate}) // a bytes.Buffer does not fail
		kept++
	}
	return buf.Bytes(), kept, skipped
}

// baseFiles are the files of the base layer, shared by every image and platform.
func baseFiles() []file {
	certs, _, _ := caBundle()
	return []file{
		{path: caPath, mode: 0o644, data: certs},
		{path: passwdPath, mode: 0o644, data: []byte(passwd)},
	}
}
