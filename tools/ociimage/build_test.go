package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

func TestBuildIsReproducible(t *testing.T) {
	a := buildTestImage(t, t.TempDir(), "gce-cloud-controller-manager")
	b := buildTestImage(t, t.TempDir(), "gce-cloud-controller-manager")
	ia, err := readLayout(a)
	if err != nil {
		t.Fatal(err)
	}
	ib, err := readLayout(b)
	if err != nil {
		t.Fatal(err)
	}
	da, _ := ia.Digest()
	db, _ := ib.Digest()
	if da != db {
		t.Errorf("two builds of the same inputs: %s and %s", da, db)
	}
	ta, _ := os.ReadFile(a + ".tar")
	tb, _ := os.ReadFile(b + ".tar")
	if len(ta) == 0 || !bytes.Equal(ta, tb) {
		t.Errorf("the layout tarballs differ (%d and %d bytes)", len(ta), len(tb))
	}
	// Another version is another image (the stamp reaches the digest).
	out := filepath.Join(t.TempDir(), "other")
	args := append([]string{"build", "--name", "gce-cloud-controller-manager", "--source", testSource, "--revision", testRevision,
		"--version", "v9.9.9", "--created", testCreated, "--out", out}, testBinaries(t, t.TempDir(), "gce-cloud-controller-manager")...)
	var stderr bytes.Buffer
	if code := run(context.Background(), args, &bytes.Buffer{}, &stderr); code != 0 {
		t.Fatal(stderr.String())
	}
	other, _ := readLayout(out)
	if d, _ := other.Digest(); d == da {
		t.Error("another version gave the same digest")
	}
}

func TestBuildWritesTheImageItSays(t *testing.T) {
	root := t.TempDir()
	dir := buildTestImage(t, root, "fakecompute")
	idx, err := readLayout(dir)
	if err != nil {
		t.Fatal(err)
	}
	checkIndex(t, idx, "fakecompute", testVersion, testRevision, testSource, supportedPlatforms)
	for _, p := range supportedPlatforms {
		pl, _ := parsePlatform(p)
		img, err := imageFor(idx, pl)
		if err != nil {
			t.Fatal(err)
		}
		got, err := readFile(img, "/fakecompute")
		if err != nil {
			t.Fatal(err)
		}
		_, arch, _ := strings.Cut(p, "/")
		want, _ := os.ReadFile(filepath.Join(root, "bin", arch, "fakecompute"))
		if !bytes.Equal(got, want) {
			t.Errorf("%s: /fakecompute is not the binary given", p)
		}
	}
	// index.json tags the index with the version (docker/podman load name it).
	top, _ := layout.ImageIndexFromPath(dir)
	im, _ := top.IndexManifest()
	if got := im.Manifests[0].Annotations[annRefName]; got != testVersion {
		t.Errorf("index.json %s = %q, want %q", annRefName, got, testVersion)
	}
	// The tarball is the layout, file for file.
	files := tarFiles(t, dir+".tar")
	err = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, _ := os.ReadFile(p)
		if !bytes.Equal(files[filepath.ToSlash(rel)], b) {
			t.Errorf("%s.tar: %s differs from the layout's", dir, rel)
		}
		delete(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 0 {
		t.Errorf("%s.tar has files the layout has not: %v", dir, files)
	}
}

// checkIndex checks what every image of ours must be: one image per
// platform, in order; entrypoint /name, user 65532, and the OCI annotations
// on the index, on each manifest and as labels.
func checkIndex(t *testing.T, idx v1.ImageIndex, name, version, revision, source string, platforms []string) {
	t.Helper()
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{annSource: source, annRevision: revision, annVersion: version}
	for k, v := range want {
		if im.Annotations[k] != v {
			t.Errorf("index annotation %s = %q, want %q", k, im.Annotations[k], v)
		}
	}
	var got []string
	for _, d := range im.Manifests {
		got = append(got, d.Platform.OS+"/"+d.Platform.Architecture)
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range want {
			if m.Annotations[k] != v || cf.Config.Labels[k] != v {
				t.Errorf("%s %s: annotation %q label %q, want %q", d.Platform.Architecture, k, m.Annotations[k], cf.Config.Labels[k], v)
			}
		}
		if diff := cmp.Diff([]string{"/" + name}, cf.Config.Entrypoint); diff != "" {
			t.Errorf("%s entrypoint (-want +got):\n%s", d.Platform.Architecture, diff)
		}
		if cf.Config.User != "65532:65532" || cf.OS != d.Platform.OS || cf.Architecture != d.Platform.Architecture {
			t.Errorf("%s: user %q os %q architecture %q", d.Platform.Architecture, cf.Config.User, cf.OS, cf.Architecture)
		}
		passwd, err := readFile(img, "/etc/passwd")
		if err != nil || !strings.Contains(string(passwd), ":65532:65532:") {
			t.Errorf("%s /etc/passwd %q: %v", d.Platform.Architecture, passwd, err)
		}
		if _, err := readFile(img, caPath); err != nil {
			t.Errorf("%s: %v", d.Platform.Architecture, err)
		}
	}
	if diff := cmp.Diff(platforms, got); diff != "" {
		t.Errorf("platforms (-want +got):\n%s", diff)
	}
}

func TestBadBuildInputIsRefusedBeforeAnythingIsWritten(t *testing.T) {
	root := t.TempDir()
	bins := testBinaries(t, root, "x")
	amd := bins[1]
	good := []string{"--name", "x", "--source", testSource, "--revision", testRevision, "--version", testVersion, "--created", testCreated}
	for _, tc := range []struct {
		name string
		args []string
		want string
		code int
	}{
		{"unknown platform", append(good, "--binary", "linux/s390x="+strings.SplitN(amd, "=", 2)[1]), `platform "linux/s390x" is not one the images are built for (supported: linux/amd64, linux/arm64)`, 2},
		{"no binary", good, "--binary: none given", 2},
		{"platform twice", append(good, "--binary", amd, "--binary", amd), "platform linux/amd64 given twice", 2},
		{"binary of another platform", append(good, "--binary", "linux/arm64="+strings.SplitN(amd, "=", 2)[1]), "built for EM_X86_64, not arm64", 1},
		{"no version", []string{"--name", "x", "--source", testSource, "--revision", testRevision, "--created", testCreated, "--binary", amd}, "--version is empty", 2},
		{"bad created", append([]string{"--name", "x", "--source", testSource, "--revision", testRevision, "--version", "v1", "--created", "yesterday"}, "--binary", amd), `--created "yesterday"`, 2},
		{"missing binary", append(good, "--binary", "linux/amd64="+filepath.Join(root, "nope")), "reading the binary", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "img")
			var stderr bytes.Buffer
			code := run(context.Background(), append([]string{"build", "--out", out}, tc.args...), &bytes.Buffer{}, &stderr)
			if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr.String(), tc.code, tc.want)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("%s was written (stat: %v)", out, err)
			}
		})
	}
}

func TestPlatformsCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"platforms", "linux/amd64", "linux/arm64"}, &stdout, &stderr); code != 0 ||
		stdout.String() != "linux/amd64\nlinux/arm64\n" {
		t.Errorf("exit %d stdout %q stderr %q", code, stdout.String(), stderr.String())
	}
	for args, want := range map[string]string{
		"linux/riscv64": `platform "linux/riscv64" is not one the images are built for`,
		"windows/amd64": `platform "windows/amd64" is not one`,
		"":              "no platform given",
	} {
		stderr.Reset()
		if code := run(context.Background(), append([]string{"platforms"}, strings.Fields(args)...), &bytes.Buffer{}, &stderr); code != 2 ||
			!strings.Contains(stderr.String(), want) {
			t.Errorf("platforms %q: exit %d stderr %q, want 2 and %q", args, code, stderr.String(), want)
		}
	}
}

func TestExtract(t *testing.T) {
	root := t.TempDir()
	dir := buildTestImage(t, root, "gce-cloud-controller-manager")
	out := filepath.Join(root, "out", "ccm")
	var stderr bytes.Buffer
	args := []string{"extract", "--layout", dir, "--platform", "linux/arm64", "--file", "/gce-cloud-controller-manager", "--out", out}
	if code := run(context.Background(), args, &bytes.Buffer{}, &stderr); code != 0 {
		t.Fatal(stderr.String())
	}
	got, _ := os.ReadFile(out)
	want, _ := os.ReadFile(filepath.Join(root, "bin", "arm64", "gce-cloud-controller-manager"))
	if !bytes.Equal(got, want) {
		t.Error("the extracted file is not the arm64 binary")
	}
	if st, _ := os.Stat(out); st.Mode().Perm() != 0o755 {
		t.Errorf("mode %v", st.Mode())
	}
	stderr.Reset()
	args[8] = filepath.Join(root, "out", "missing")
	args[6] = "/nope"
	if code := run(context.Background(), args, &bytes.Buffer{}, &stderr); code != 1 || !strings.Contains(stderr.String(), "/nope is not in the image") {
		t.Errorf("exit %d stderr %q", code, stderr.String())
	}
}
