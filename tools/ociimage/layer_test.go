package main

import (
	"archive/tar"
	"bytes"
	"crypto/x509"
	"debug/elf"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestLayerTarSortedRootOwnedAtEpoch(t *testing.T) {
	b, err := layerTar([]file{
		{path: "/z", mode: 0o755, data: []byte("z")},
		{path: "/etc/ssl/certs/ca.crt", mode: 0o644, data: []byte("ca")},
		{path: "/etc/passwd", mode: 0o644, data: []byte("pw")},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !h.ModTime.Equal(epoch) || h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Format != tar.FormatUSTAR {
			t.Errorf("%s: mtime %v uid %d gid %d uname %q format %v, want epoch, 0, 0, \"\", USTAR",
				h.Name, h.ModTime, h.Uid, h.Gid, h.Uname, h.Format)
		}
		got = append(got, fmt.Sprintf("%s %o", h.Name, h.Mode))
	}
	want := []string{"etc/ 755", "etc/passwd 644", "etc/ssl/ 755", "etc/ssl/certs/ 755", "etc/ssl/certs/ca.crt 644", "z 755"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	again, _ := layerTar([]file{
		{path: "/etc/passwd", mode: 0o644, data: []byte("pw")},
		{path: "/z", mode: 0o755, data: []byte("z")},
		{path: "/etc/ssl/certs/ca.crt", mode: 0o644, data: []byte("ca")},
	})
	if !bytes.Equal(b, again) {
		t.Error("the same files in another order gave another tar")
	}
}

func TestLayerTarRefusesBadPaths(t *testing.T) {
	for _, p := range []string{"etc/passwd", "/etc/../passwd", "/", "/etc/"} {
		if _, err := layerTar([]file{{path: p, mode: 0o644}}); err == nil || !strings.Contains(err.Error(), "not a clean absolute file path") {
			t.Errorf("path %q: err %v, want a clean-path refusal", p, err)
		}
	}
	if _, err := layerTar([]file{{path: "/a", mode: 0o644}, {path: "/a", mode: 0o644}}); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("duplicate: err %v", err)
	}
}

func TestBaseHasCertificatesAndUser65532Only(t *testing.T) {
	files := baseFiles()
	var paths []string
	for _, f := range files {
		paths = append(paths, f.path)
	}
	if diff := cmp.Diff([]string{caPath, passwdPath}, paths); diff != "" {
		t.Errorf("base files (-want +got):\n%s", diff)
	}
	pemBytes, kept, skipped := caBundle()
	n := 0
	for rest := pemBytes; ; n++ {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
			t.Fatalf("certificate %d: %v", n, err)
		}
	}
	// The NSS store has about 150 roots; fewer than 100 would mean the
	// bundle lost most of them.
	if n != kept || n < 100 {
		t.Errorf("%d certificates parsed, %d kept (want the same, at least 100)", n, kept)
	}
	t.Logf("CA bundle: %d roots, %d constrained ones left out, %d bytes", kept, skipped, len(pemBytes))
	if got := string(files[1].data); got != "nonroot:x:65532:65532:nonroot:/:/sbin/nologin\n" {
		t.Errorf("passwd %q", got)
	}
}

func TestCheckELF(t *testing.T) {
	amd64 := v1.Platform{OS: "linux", Architecture: "amd64"}
	if err := checkELF(fakeELF(elf.EM_X86_64, false, "x"), amd64); err != nil {
		t.Errorf("a static amd64 binary: %v", err)
	}
	for _, tc := range []struct {
		name string
		bin  []byte
		want string
	}{
		{"arm64 binary", fakeELF(elf.EM_AARCH64, false, "x"), "built for EM_AARCH64, not amd64"},
		{"dynamic", fakeELF(elf.EM_X86_64, true, "x"), "dynamically linked"},
		{"a script", []byte("#!/bin/sh\n"), "not an ELF executable"},
	} {
		if err := checkELF(tc.bin, amd64); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.want)
		}
	}
}
