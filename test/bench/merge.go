package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// mergeRuns makes one report of several processes of one run, started
// side by side on the same machine with the same settings but different
// --scenarios (a full run is longer than one sitting: the upstream's
// did-not-converge timeouts alone are about 45 minutes). Parts are given
// in order of precedence: each row is taken from the first part that ran
// it (an error row, such as "context canceled" from a part stopped early,
// gives way to a later part that has figures). Rows stand in the order of
// the part that lists the most (a stopped run still lists every scenario);
// the header names every part, its start, load and length.
func mergeRuns(p params, parts []report, names []string) (report, error) {
	if len(parts) == 0 {
		return report{}, fmt.Errorf("merge: no results to merge")
	}
	first := parts[0]
	for i, r := range parts[1:] {
		if r.Params != first.Params || strings.Join(r.Settings, "\n") != strings.Join(first.Settings, "\n") {
			return report{}, fmt.Errorf("merge: %s ran with other settings than %s", names[i+1], names[0])
		}
	}
	merged := report{Machine: first.Machine, Params: first.Params, Settings: first.Settings}
	at := map[string]int{} // scenario and CCM → index in merged.Results
	var dates, loads, totals []string
	for i, part := range parts {
		dates = append(dates, part.Date)
		loads = append(loads, fmt.Sprintf("%s: %s", names[i], part.Load))
		totals = append(totals, fmt.Sprintf("%s %s", names[i], part.Total))
		for _, r := range part.Results {
			key := r.Name + "\x00" + r.CCM
			j, seen := at[key]
			switch {
			case !seen:
				at[key] = len(merged.Results)
				merged.Results = append(merged.Results, r)
			case !merged.Results[j].ranOK() && strings.HasPrefix(merged.Results[j].Note, "error:") && r.ranOK():
				merged.Results[j] = r
			}
		}
	}
	order := map[string]int{}
	longest := slices.MaxFunc(parts, func(a, b report) int { return len(a.Results) - len(b.Results) })
	for i, r := range longest.Results {
		order[r.Name+"\x00"+r.CCM] = i
	}
	slices.SortStableFunc(merged.Results, func(a, b result) int {
		ia, oka := order[a.Name+"\x00"+a.CCM]
		ib, okb := order[b.Name+"\x00"+b.CCM]
		switch {
		case oka && okb:
			return ia - ib
		case oka:
			return -1
		case okb:
			return 1
		}
		return 0
	})
	merged.Date = strings.Join(dates, " and ")
	merged.Load = strings.Join(loads, "; ")
	merged.Total = strings.Join(totals, ", ")
	merged.Parts = fmt.Sprintf("One run in %d processes side by side on this machine (%s), merged with --merge", len(parts), strings.Join(names, ", "))
	merged.Goals = checkGoals(p, merged.Results)
	return merged, nil
}

// readRuns reads dir/results.json of every part.
func readRuns(dirs []string) ([]report, error) {
	var parts []report
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "results.json"))
		if err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		var r report
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("merge: %s: %w", d, err)
		}
		parts = append(parts, r)
	}
	return parts, nil
}

// writeMerged merges the parts in dirs and writes the report to out.
func writeMerged(p params, dirs []string, out string) error {
	parts, err := readRuns(dirs)
	if err != nil {
		return err
	}
	rep, err := mergeRuns(p, parts, dirs)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	return rep.write(out)
}
