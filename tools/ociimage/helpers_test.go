package main

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// fakeELF is an ELF64 executable header for machine followed by payload:
// enough for checkELF and the packaging, which never runs it. interp adds a
// PT_INTERP program header (a dynamically linked binary).
func fakeELF(machine elf.Machine, interp bool, payload string) []byte {
	var b bytes.Buffer
	phnum := uint16(0)
	if interp {
		phnum = 1
	}
	hdr := elf.Header64{Type: uint16(elf.ET_EXEC), Machine: uint16(machine), Version: uint32(elf.EV_CURRENT),
		Ehsize: 64, Phentsize: 56, Phnum: phnum}
	copy(hdr.Ident[:], elf.ELFMAG)
	hdr.Ident[elf.EI_CLASS], hdr.Ident[elf.EI_DATA], hdr.Ident[elf.EI_VERSION] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
	if interp {
		hdr.Phoff = 64
	}
	_ = binary.Write(&b, binary.LittleEndian, hdr)
	if interp {
		_ = binary.Write(&b, binary.LittleEndian, elf.Prog64{Type: uint32(elf.PT_INTERP)})
	}
	b.WriteString(payload)
	return b.Bytes()
}

// testBinaries writes a fake binary per supported platform into dir and
// returns the --binary flags for them.
func testBinaries(t *testing.T, dir, name string) []string {
	t.Helper()
	var flags []string
	for _, p := range supportedPlatforms {
		_, arch, _ := strings.Cut(p, "/")
		path := filepath.Join(dir, arch, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, fakeELF(elfMachine[arch], false, name+" for "+p), 0o755); err != nil {
			t.Fatal(err)
		}
		flags = append(flags, "--binary", p+"="+path)
	}
	return flags
}

const (
	testSource   = "https://github.com/gce-ccm/gce-ccm"
	testRevision = "0123456789abcdef0123456789abcdef01234567"
	testVersion  = "v0.0.0-20261121115007-0123456789ab"
	testCreated  = "2026-11-21T11:50:07Z"
)

// buildTestImage runs `ociimage build` for name with fake binaries and
// returns the layout directory.
func buildTestImage(t *testing.T, root, name string) string {
	t.Helper()
	out := filepath.Join(root, "image", name)
	args := append([]string{"build", "--name", name, "--source", testSource, "--revision", testRevision,
		"--version", testVersion, "--created", testCreated, "--out", out}, testBinaries(t, filepath.Join(root, "bin"), name)...)
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("ociimage build: exit %d: %s", code, stderr.String())
	}
	return out
}

// testRegistry is go-containerregistry's in-process registry on 127.0.0.1
// (ggcr speaks plain HTTP to a loopback registry), behind mw if not nil.
func testRegistry(t *testing.T, mw func(http.Handler) http.Handler) string {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if mw != nil {
		h = mw(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// basicAuth refuses requests without user:pass, as a registry with
// credentials does (401 and a Basic challenge).
func basicAuth(user, pass string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// dockerConfig makes authn.DefaultKeychain find user:pass for host, the
// way `docker login` / `podman login` / `crane auth login` leave it.
func dockerConfig(t *testing.T, host, user, pass string) {
	t.Helper()
	dir := t.TempDir()
	cfg := map[string]any{"auths": map[string]any{host: map[string]string{
		"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))}}}
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dir)
}

// tagsOf lists a repository's tags in the registry (none when it has no
// manifest yet: the registry answers NAME_UNKNOWN).
func tagsOf(t *testing.T, ref string, opts ...remote.Option) []string {
	t.Helper()
	repo, err := name.NewRepository(ref)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tags, err := remote.List(repo, append(opts, remote.WithContext(ctx))...)
	var te *transport.Error
	if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
		return nil
	}
	if err != nil {
		t.Fatalf("listing the tags of %s: %v", ref, err)
	}
	return tags
}

// tarFiles reads a tar file's regular files.
func tarFiles(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			b, _ := io.ReadAll(tr)
			out[h.Name] = b
		}
	}
}
