//go:build e2e

package e2e

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/gce-ccm/gce-ccm/test/e2e/harness"
)

// Least privilege by trace: every scenario's emulator records, per call,
// the IAM permissions GCE checks (test/fakecompute/permissions.go). The
// CCM's calls (its User-Agent names it; the tests' own reads, terraform's
// and the upstream provider's do not) across all scenarios are compared,
// after the last test, with the custom role of deploy/terraform/iam.tf: a
// permission used but not granted fails the run, as does a method the
// emulator has no permission entry for; one granted but not used is
// reported (deploy/README.md says why each is kept).

const ccmUserAgent = "gce-cloud-controller-manager/"

var ccmPerms = struct {
	sync.Mutex
	scenarios int
	used      map[string][]string // permission -> the methods that needed it
	unknown   map[string]bool     // methods with no permission entry
}{used: map[string][]string{}, unknown: map[string]bool{}}

// collectPermissions adds the CCM's calls on one scenario's emulator.
func collectPermissions(g *harness.Emulator) {
	ccmPerms.Lock()
	defer ccmPerms.Unlock()
	seen := false
	for _, u := range g.PermissionTrace() {
		if !strings.Contains(u.Client, ccmUserAgent) {
			continue
		}
		seen = true
		if u.Unknown {
			ccmPerms.unknown[u.MethodID] = true
		}
		for _, p := range u.Perms {
			if !slices.Contains(ccmPerms.used[p], u.MethodID) {
				ccmPerms.used[p] = append(ccmPerms.used[p], u.MethodID)
			}
		}
	}
	if seen {
		ccmPerms.scenarios++
	}
}

// rolePermissions reads local.ccm_permissions of deploy/terraform/iam.tf.
func rolePermissions(root string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(root, "deploy", "terraform", "iam.tf"))
	if err != nil {
		return nil, err
	}
	block := regexp.MustCompile(`(?s)ccm_permissions\s*=\s*sort\(\[(.*?)\]\)`).FindSubmatch(b)
	if block == nil {
		return nil, fmt.Errorf("deploy/terraform/iam.tf has no `ccm_permissions = sort([...])`")
	}
	var out []string
	for _, line := range strings.Split(string(block[1]), "\n") {
		line, _, _ = strings.Cut(line, "#") // comments name methods too
		for _, m := range regexp.MustCompile(`"([a-z]+\.[A-Za-z]+\.[A-Za-z]+)"`).FindAllStringSubmatch(line, -1) {
			out = append(out, m[1])
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("deploy/terraform/iam.tf: ccm_permissions is empty")
	}
	return out, nil
}

// compareWithRole writes the comparison and says whether it failed. Lines
// start with "permissions:" (make e2e shows them) or "FAIL:".
func compareWithRole(w io.Writer, root string) (failed bool) {
	ccmPerms.Lock()
	defer ccmPerms.Unlock()
	if ccmPerms.scenarios == 0 {
		return false // no scenario ran the CCM (a -run that picked none)
	}
	granted, err := rolePermissions(root)
	if err != nil {
		fmt.Fprintln(w, "FAIL: permissions:", err)
		return true
	}
	var used, missing, unused, unknown []string
	for p := range ccmPerms.used {
		used = append(used, p)
		if !slices.Contains(granted, p) {
			missing = append(missing, p)
		}
	}
	for _, p := range granted {
		if _, ok := ccmPerms.used[p]; !ok {
			unused = append(unused, p)
		}
	}
	for m := range ccmPerms.unknown {
		unknown = append(unknown, m)
	}
	sort.Strings(used)
	sort.Strings(missing)
	sort.Strings(unknown)
	fmt.Fprintf(w, "permissions: the CCM's calls in %d scenarios needed %d permissions; deploy/terraform/iam.tf grants %d\n",
		ccmPerms.scenarios, len(used), len(granted))
	for _, p := range used {
		fmt.Fprintf(w, "permissions:   used %s (%s)\n", p, strings.Join(ccmPerms.used[p], ", "))
	}
	for _, p := range missing {
		fmt.Fprintf(w, "FAIL: permissions: used but not granted by deploy/terraform/iam.tf: %s (by %s)\n", p, strings.Join(ccmPerms.used[p], ", "))
	}
	for _, m := range unknown {
		fmt.Fprintf(w, "FAIL: permissions: the CCM called %s, which has no entry in test/fakecompute/permissions.go\n", m)
	}
	justified := justifiedUnused(root)
	for _, p := range unused {
		why := "justified in deploy/README.md"
		if !justified[p] {
			why = "NOT justified in deploy/README.md (\"Granted but not seen in the e2e suite\"): justify it or remove it from the role"
		}
		fmt.Fprintf(w, "permissions: granted but not used by these scenarios: %s (%s)\n", p, why)
	}
	return len(missing) > 0 || len(unknown) > 0
}

// justifiedUnused are the permissions deploy/README.md's section "Granted
// but not seen in the e2e suite" explains, one "- `compute.x.y`: why" each.
func justifiedUnused(root string) map[string]bool {
	out := map[string]bool{}
	b, err := os.ReadFile(filepath.Join(root, "deploy", "README.md"))
	if err != nil {
		return out
	}
	_, section, ok := strings.Cut(string(b), "### Granted but not seen in the e2e suite")
	if !ok {
		return out
	}
	section, _, _ = strings.Cut(section, "\n#")
	for _, m := range regexp.MustCompile("(?m)^- `([a-z]+\\.[A-Za-z]+\\.[A-Za-z]+)`").FindAllStringSubmatch(section, -1) {
		out[m[1]] = true
	}
	return out
}
