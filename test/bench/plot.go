package main

import (
	"fmt"
	"strings"
)

// routesPlot draws the route scenarios' progress (routes created over
// time), gce-ccm's solid and the upstream's dotted, and, dashed grey, the
// write quota's slope: no controller can be left of that line.
func routesPlot(rs []result) string {
	const w, h, ml, mr, mt, mb = 720.0, 420.0, 60.0, 20.0, 30.0, 45.0
	var curves []result
	maxT, maxN := 1.0, 1.0
	for _, r := range rs {
		if r.Kind == "routes" && len(r.Series) > 0 && r.QuotaPerS > 0 {
			curves = append(curves, r)
			maxT = max(maxT, r.Series[len(r.Series)-1].T)
			maxN = max(maxN, float64(r.Nodes))
		}
	}
	x := func(t float64) float64 { return ml + t/maxT*(w-ml-mr) }
	y := func(n float64) float64 { return h - mb - n/maxN*(h-mt-mb) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="12">`, w, h)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/><text x="%.0f" y="18" font-size="14">Routes created over time: gce-ccm solid, upstream dotted, the write-quota bound dashed grey</text>`, ml)
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="black"/><line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="black"/>`,
		ml, h-mb, w-mr, h-mb, ml, mt, ml, h-mb)
	for i := 0; i <= 5; i++ {
		t, n := maxT*float64(i)/5, maxN*float64(i)/5
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="middle">%.0f s</text>`, x(t), h-mb+16, t)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="end">%.0f</text>`, ml-6, y(n)+4, n)
	}
	colors := []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"}
	sizes := map[int]int{} // nodes -> color index, one color per size
	for _, r := range curves {
		if _, ok := sizes[r.Nodes]; !ok {
			sizes[r.Nodes] = len(sizes)
		}
	}
	for i, r := range curves {
		var pts []string
		for _, p := range r.Series {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(p.T), y(float64(p.Done))))
		}
		c, dash := colors[sizes[r.Nodes]%len(colors)], ""
		if r.CCM != "gce-ccm" {
			dash = ` stroke-dasharray="2,3"`
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>`, c, dash, strings.Join(pts, " "))
		// The bound for this size: the quota line from (latency, 0) to (bound, n).
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#888" stroke-dasharray="6,4"/>`,
			x(r.BoundS-float64(r.MinWrites)/r.QuotaPerS), y(0), x(r.BoundS), y(float64(r.Nodes)))
		status := fmt.Sprintf("%.0f s", r.WallS)
		if !r.Converged {
			status = fmt.Sprintf("%d of %d routes, did not converge in %.0f s", r.Series[len(r.Series)-1].Done, r.Nodes, r.TimeoutS)
		}
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" fill="%s">%s, %d nodes: %s (bound %.0f s)</text>`, ml+10, mt+16+float64(i)*16, c, r.CCM, r.Nodes, status, r.BoundS)
	}
	b.WriteString(`</svg>`)
	return b.String()
}
