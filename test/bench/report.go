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
	Date    string   `json:"date"`
	Machine string   `json:"machine"`
	Params  string   `json:"params"`
	Total   string   `json:"total"`
	Results []result `json:"results"`
	Goals   []goal   `json:"goals"`
}

// checkGoals compares the figures with the project's goals. In quick mode
// time and memory goals are reported but not asserted.
func checkGoals(p params, rs []result) []goal {
	var gs []goal
	add := func(g string, measured string, pass, timeGoal bool) {
		gs = append(gs, goal{Goal: g, Measured: measured, Pass: pass, Asserted: !(p.quick && timeGoal)})
	}
	for _, r := range rs {
		if r.Note != "" {
			add("scenario runs: "+r.Name, r.Note, false, false)
			continue
		}
		if !r.measure {
			continue
		}
		add("converges: "+r.Name, fmt.Sprint(r.Converged), r.Converged, false)
		add("within 1.2x bound: "+r.Name, fmt.Sprintf("%.2fx (%.1f s / %.1f s)", r.Ratio, r.WallS, r.BoundS), r.Ratio <= 1.2, true)
		wr := float64(r.Writes) / float64(max(r.MinWrites, 1))
		add("writes within 1.05x minimal: "+r.Name, fmt.Sprintf("%.3fx (%d / %d)", wr, r.Writes, r.MinWrites), wr <= 1.05, false)
		rpw := float64(r.Reads) / float64(max(r.Writes, 1))
		add("reads <= 0.1 per write: "+r.Name, fmt.Sprintf("%.3f (%d reads)", rpw, r.Reads), rpw <= 0.1, false)
	}
	for _, r := range rs {
		if r.Note == "" {
			add("no rateLimitExceeded: "+r.Name, fmt.Sprint(r.RateLimited), r.RateLimited == 0, false)
		}
		if r.idle {
			add("idle <= 60 reads/min and no writes", fmt.Sprintf("%.1f reads/min, %.1f writes/min", r.ReadsPerMin, r.WritesPerMin),
				r.ReadsPerMin <= 60 && r.Writes == 0, false)
			add(fmt.Sprintf("CCM peak RSS <= 150 MiB (%d nodes, %d Services)", r.Nodes, r.Services), fmt.Sprintf("%.0f MiB", r.PeakRSSMiB),
				r.PeakRSSMiB <= 150, true)
		}
	}
	return gs
}

func (rep report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Scale benchmark (%s)\n\nMachine: %s. %s. Total run time %s.\n\n", rep.Date, rep.Machine, rep.Params, rep.Total)
	b.WriteString("| scenario | converged | wall | lower bound | ratio | writes (min) | reads | reads/write | rate-limited | idle reads/min | idle writes/min | peak RSS |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rep.Results {
		if r.Note != "" {
			fmt.Fprintf(&b, "| %s | %s |||||||||||\n", r.Name, r.Note)
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
		if r.idle {
			idleR, idleW = fmt.Sprintf("%.1f", r.ReadsPerMin), fmt.Sprintf("%.1f", r.WritesPerMin)
		}
		if r.PeakRSSMiB > 0 {
			rss = fmt.Sprintf("%.0f MiB", r.PeakRSSMiB)
		}
		fmt.Fprintf(&b, "| %s | %v | %.1f s | %s | %s | %d%s | %d | %s | %d | %s | %s | %s |\n", r.Name, r.Converged, r.WallS, bound, ratio,
			r.Writes, minw, r.Reads, rpw, r.RateLimited, idleR, idleW, rss)
	}
	b.WriteString("\n| goal | measured | result |\n|---|---|---|\n")
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
