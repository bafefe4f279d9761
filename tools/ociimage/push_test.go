package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// pushBoth runs `ociimage push` for the two test images to host.
func pushBoth(t *testing.T, root, host string) (code int, stdout, stderr string) {
	t.Helper()
	ccm := buildTestImage(t, root, "gce-cloud-controller-manager")
	fc := buildTestImage(t, root, "fakecompute")
	var out, errb bytes.Buffer
	code = run(context.Background(), []string{"push",
		"--push", ccm + "=" + host + "/gce-ccm/gce-cloud-controller-manager:v1",
		"--push", fc + "=" + host + "/gce-ccm/fakecompute:v1"}, &out, &errb)
	return code, out.String(), errb.String()
}

func TestPushWithTheEnvironmentsCredentialsAndPullBack(t *testing.T) {
	host := testRegistry(t, basicAuth("ci", "s3cret"))
	dockerConfig(t, host, "ci", "s3cret")
	root := t.TempDir()
	code, stdout, stderr := pushBoth(t, root, host)
	if code != 0 {
		t.Fatalf("push: exit %d: %s", code, stderr)
	}
	auth := remote.WithAuth(&authn.Basic{Username: "ci", Password: "s3cret"})
	for i, n := range []string{"gce-cloud-controller-manager", "fakecompute"} {
		ref := host + "/gce-ccm/" + n + ":v1"
		r, err := name.ParseReference(ref)
		if err != nil {
			t.Fatal(err)
		}
		idx, err := remote.Index(r, auth)
		if err != nil {
			t.Fatalf("pulling %s back: %v", ref, err)
		}
		checkIndex(t, idx, n, testVersion, testRevision, testSource, supportedPlatforms)
		local, _ := readLayout(filepath.Join(root, "image", n))
		ld, _ := local.Digest()
		rd, _ := idx.Digest()
		if ld != rd {
			t.Errorf("%s: pushed %s, the layout holds %s", n, rd, ld)
		}
		if line := strings.Split(strings.TrimSpace(stdout), "\n")[i]; line != ref+"@"+ld.String() {
			t.Errorf("push printed %q, want %q", line, ref+"@"+ld.String())
		}
		for _, p := range supportedPlatforms {
			pl, _ := parsePlatform(p)
			img, err := imageFor(idx, pl)
			if err != nil {
				t.Fatal(err)
			}
			got, err := readFile(img, "/"+n)
			if err != nil {
				t.Fatal(err)
			}
			_, arch, _ := strings.Cut(p, "/")
			want, _ := os.ReadFile(filepath.Join(root, "bin", arch, n))
			if !bytes.Equal(got, want) {
				t.Errorf("%s %s: the pulled binary is not the one built", n, p)
			}
		}
	}
}

func TestPushRefusedCredentialsPushNothing(t *testing.T) {
	host := testRegistry(t, basicAuth("ci", "s3cret"))
	dockerConfig(t, host, "ci", "wrong")
	code, _, stderr := pushBoth(t, t.TempDir(), host)
	if code != 1 || !strings.Contains(stderr, "checking push permission (nothing pushed)") || !strings.Contains(stderr, "UNAUTHORIZED") {
		t.Errorf("exit %d stderr %q; want 1, the permission check and the registry's UNAUTHORIZED", code, stderr)
	}
	auth := remote.WithAuth(&authn.Basic{Username: "ci", Password: "s3cret"})
	for _, n := range []string{"gce-cloud-controller-manager", "fakecompute"} {
		if tags := tagsOf(t, host+"/gce-ccm/"+n, auth); len(tags) != 0 {
			t.Errorf("%s has tags %v after a refused push", n, tags)
		}
	}
}

// A registry that accepts the first image and refuses the second one's
// manifests (a quota, a policy on that repository): no tag is written, so
// nobody pulls a CCM image whose fakecompute twin is missing.
func TestPushRefusedMidwayWritesNoTag(t *testing.T) {
	host := testRegistry(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/fakecompute/manifests/") {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusForbidden)
				_, _ = w.Write([]byte(`{"errors":[{"code":"DENIED","message":"repository gce-ccm/fakecompute is read-only"}]}`))
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // anonymous
	code, stdout, stderr := pushBoth(t, t.TempDir(), host)
	if code != 1 || !strings.Contains(stderr, "fakecompute:v1: uploading by digest (no tag written)") || !strings.Contains(stderr, "is read-only") {
		t.Errorf("exit %d stderr %q", code, stderr)
	}
	if stdout != "" {
		t.Errorf("printed %q for a failed push", stdout)
	}
	for _, n := range []string{"gce-cloud-controller-manager", "fakecompute"} {
		if tags := tagsOf(t, host+"/gce-ccm/"+n); len(tags) != 0 {
			t.Errorf("%s has tags %v after a push that failed on fakecompute", n, tags)
		}
	}
}

func TestPushBadImageNames(t *testing.T) {
	dir := buildTestImage(t, t.TempDir(), "fakecompute")
	for _, tc := range []struct{ arg, want string }{
		{dir + "=", "want LAYOUT_DIR=REGISTRY/REPOSITORY:TAG"},
		{dir + "=gce-ccm/fakecompute:v1", "the registry and the tag written out"},
		{dir + "=ghcr.io/me/fakecompute", "the registry and the tag written out"},
		{dir + "=ghcr.io/me/Fake:v1", "the registry and the tag written out"},
		{filepath.Join(t.TempDir(), "none") + "=127.0.0.1:1/x:v1", "run make image first"},
	} {
		var stderr bytes.Buffer
		code := run(context.Background(), []string{"push", "--push", tc.arg}, &bytes.Buffer{}, &stderr)
		if code == 0 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("push %q: exit %d stderr %q, want %q", tc.arg, code, stderr.String(), tc.want)
		}
	}
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"push"}, &bytes.Buffer{}, &stderr); code != 2 || !strings.Contains(stderr.String(), "--push: none given") {
		t.Errorf("push without targets: exit %d %q", code, stderr.String())
	}
}

func TestSibling(t *testing.T) {
	for in, want := range map[string]string{
		"europe-docker.pkg.dev/proj/ccm/gce-cloud-controller-manager:v1": "europe-docker.pkg.dev/proj/ccm/fakecompute:v1",
		"localhost:5000/gce-cloud-controller-manager:e2e":                "localhost:5000/fakecompute:e2e",
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{"sibling", in, "fakecompute"}, &stdout, &stderr); code != 0 {
			t.Errorf("%s: %s", in, stderr.String())
		}
		if diff := cmp.Diff(want+"\n", stdout.String()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", in, diff)
		}
	}
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"sibling", "", "fakecompute"}, &bytes.Buffer{}, &stderr); code != 2 || !strings.Contains(stderr.String(), "IMAGE is empty") {
		t.Errorf("empty IMAGE: exit %d %q", code, stderr.String())
	}
}
