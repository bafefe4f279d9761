package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

type goal struct {
	Goal     string `json:"goal"`
	Measured string `json:"measured"`
	Pass     bool   `json:"pass"`
	Asserted bool   `json:"asserted"`
}

type report struct {
	Date     string   `json:"date"`
	Machine  string   `json:"machine"`
	Load     string   `json:"loadAverage"`
	Params   string   `json:"params"`
	Settings []string `json:"settings"`
	Total    string   `json:"total"`
	Parts    string   `json:"parts,omitempty"` // a run merged from processes side by side (--merge)
	Results  []result `json:"results"`
	Goals    []goal   `json:"goals"`
}

// ranOK says whether a row has figures (not an error, a scenario the
// controller cannot do, or one not run).
func (r result) ranOK() bool {
	return !strings.HasPrefix(r.Note, "error:") && !strings.HasPrefix(r.Note, "cannot:") && !strings.HasPrefix(r.Note, "not run:")
}

// checkGoals compares gce-ccm's figures with the project's goals (the
// upstream's are reported beside them, not held to them; its errors
// are). In quick mode time and memory goals are reported but not asserted.
func checkGoals(p params, rs []result) []goal {
	var gs []goal
	add := func(g string, measured string, pass, timeGoal bool) {
		gs = append(gs, goal{Goal: g, Measured: measured, Pass: pass, Asserted: !(p.quick && timeGoal)})
	}
	for _, r := range rs {
		if strings.HasPrefix(r.Note, "error:") {
			add(fmt.Sprintf("scenario runs: %s [%s]", r.Name, r.CCM), r.Note, false, false)
		}
	}
	for _, r := range rs {
		if r.CCM != "gce-ccm" || !r.ranOK() || !r.measured() {
			continue
		}
		add("converges: "+r.Name, fmt.Sprint(r.Converged), r.Converged, false)
		add("within 1.2x bound: "+r.Name, fmt.Sprintf("%.2fx (%.1f s / %.1f s)", r.Ratio, r.WallS, r.BoundS), r.Ratio <= 1.2, true)
		wr := float64(r.Writes) / float64(max(r.MinWrites, 1))
		add("writes within 1.05x minimal: "+r.Name, fmt.Sprintf("%.3fx (%d / %d)", wr, r.Writes, r.MinWrites), wr <= 1.05, false)
		if r.Kind == "drift" {
			// Its wall time is mostly the wait for the next periodic
			// comparison, whose reads are the idle scenario's.
			continue
		}
		rpw := float64(r.Reads) / float64(max(r.Writes, 1))
		add("reads <= 0.1 per write: "+r.Name, fmt.Sprintf("%.3f (%d reads)", rpw, r.Reads), rpw <= 0.1, false)
	}
	for _, r := range rs {
		if r.CCM != "gce-ccm" || !r.ranOK() {
			continue
		}
		if r.Kind != "quota" { // its own goal: at most 1% of its writes
			add("no rateLimitExceeded: "+r.Name, fmt.Sprint(r.RateLimited), r.RateLimited == 0, false)
		}
		if r.idle() {
			add("idle <= 60 reads/min and no writes", fmt.Sprintf("%.1f reads/min, %.1f writes/min", r.ReadsPerMin, r.WritesPerMin),
				r.ReadsPerMin <= 60 && r.Writes == 0, false)
			add(fmt.Sprintf("CCM peak RSS <= 150 MiB (%d nodes, %d Services)", r.Nodes, r.Services), fmt.Sprintf("%.0f MiB", r.PeakRSSMiB),
				r.PeakRSSMiB <= 150, true)
		}
	}
	return append(gs, quotaGoals(p, rs)...)
}

// outcome is a row's first column: converged, did not converge in T,
// or why it has no figures.
func (r result) outcome() string {
	switch {
	case r.Note != "":
		return r.Note + r.details()
	case r.idle():
		return "steady"
	case r.Converged:
		return "converged" + r.details()
	}
	return "did not converge" + r.details()
}

// details are the figures of the quota and reaction scenarios that have
// no column of their own.
func (r result) details() string {
	d := ""
	if r.Other != nil {
		d += "; " + r.Other.String()
	}
	if r.Reaction != nil {
		d += "; " + r.Reaction.String()
	}
	return d
}

func (rep report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Scale benchmark, gce-ccm beside the upstream GCE CCM (%s)\n\nMachine: %s; load average %s. %s. Total run time %s.\n\n",
		rep.Date, rep.Machine, rep.Load, rep.Params, rep.Total)
	if rep.Parts != "" {
		fmt.Fprintf(&b, "%s.\n\n", rep.Parts)
	}
	for _, s := range rep.Settings {
		fmt.Fprintf(&b, "- %s\n", s)
	}
	b.WriteString("\n| scenario | CCM | outcome | wall | lower bound | ratio | writes (min) | reads | reads/write | 403 rateLimitExceeded | 409/412 | 404 | other errors | idle reads/min | idle writes/min | peak RSS |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rep.Results {
		if !r.ranOK() {
			fmt.Fprintf(&b, "| %s | %s | %s ||||||||||||||\n", r.Name, r.CCM, r.Note)
			continue
		}
		bound, ratio, rpw := "", "", ""
		if r.BoundS > 0 {
			bound, ratio = fmt.Sprintf("%.1f s", r.BoundS), fmt.Sprintf("%.2fx", r.Ratio)
		}
		if r.Writes > 0 {
			rpw = fmt.Sprintf("%.3f", float64(r.Reads)/float64(r.Writes))
		}
		minw, idleR, idleW, rss := "", "", "", ""
		if r.MinWrites > 0 {
			minw = fmt.Sprintf(" (%d)", r.MinWrites)
		}
		if r.idle() {
			idleR, idleW = fmt.Sprintf("%.1f", r.ReadsPerMin), fmt.Sprintf("%.1f", r.WritesPerMin)
		}
		if r.PeakRSSMiB > 0 {
			rss = fmt.Sprintf("%.0f MiB", r.PeakRSSMiB)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %.1f s | %s | %s | %d%s | %d | %s | %d | %d | %d | %d | %s | %s | %s |\n", r.Name, r.CCM, r.outcome(),
			r.WallS, bound, ratio, r.Writes, minw, r.Reads, rpw, r.RateLimited, r.Conflicts, r.NotFound, r.OtherErrors, idleR, idleW, rss)
	}
	b.WriteString(rep.ratios())
	b.WriteString("\n| goal (gce-ccm) | measured | result |\n|---|---|---|\n")
	for _, g := range rep.Goals {
		res := "FAIL"
		if g.Pass {
			res = "pass"
		}
		if !g.Asserted {
			res += " (not asserted in quick mode)"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", g.Goal, g.Measured, res)
	}
	return b.String()
}

// ratios is the upstream's figures divided by gce-ccm's, per scenario both
// ran; a wall time that did not converge is a lower limit (">").
func (rep report) ratios() string {
	ours := map[string]result{}
	for _, r := range rep.Results {
		if r.CCM == "gce-ccm" && r.ranOK() {
			ours[r.Name] = r
		}
	}
	var b strings.Builder
	b.WriteString("\nUpstream ÷ gce-ccm (how many times the upstream's figure is gce-ccm's):\n\n")
	b.WriteString("| scenario | wall | writes | reads | 403 rateLimitExceeded | peak RSS |\n|---|---|---|---|---|---|\n")
	div := func(a, c float64) string {
		if c == 0 {
			if a == 0 {
				return "="
			}
			return fmt.Sprintf("%.0f vs 0", a)
		}
		return fmt.Sprintf("%.2fx", a/c)
	}
	for _, u := range rep.Results {
		o, ok := ours[u.Name]
		if u.CCM != "upstream" || !ok {
			continue
		}
		if !u.ranOK() {
			fmt.Fprintf(&b, "| %s | %s |||||\n", u.Name, u.Note)
			continue
		}
		wall := div(u.WallS, o.WallS)
		if !u.Converged && !u.idle() {
			wall = "> " + wall
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", u.Name, wall, div(float64(u.Writes), float64(o.Writes)),
			div(float64(u.Reads), float64(o.Reads)), div(float64(u.RateLimited), float64(o.RateLimited)), div(u.PeakRSSMiB, o.PeakRSSMiB))
	}
	b.WriteString("| dual-stack routes | not a scenario: " + upstream("", 0).cannot["dualstack"] + " |||||\n")
	return b.String()
}

func (rep report) write(dir string) error {
	if err := os.WriteFile(filepath.Join(dir, "results.md"), []byte(rep.markdown()+"\n![routes over time](routes.svg)\n"), 0o644); err != nil {
		return err
	}
	j, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), j, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "routes.svg"), []byte(routesPlot(rep.Results)), 0o644)
}

// failed says whether any asserted goal failed.
func (rep report) failed() bool {
	for _, g := range rep.Goals {
		if g.Asserted && !g.Pass {
			return true
		}
	}
	return false
}
