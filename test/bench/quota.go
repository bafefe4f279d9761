package main

import (
	"fmt"
	"time"

	"github.com/gce-ccm/gce-ccm/test/quotashare"
)

// The quota scenario: routes from empty while another client of the
// project (test/quotashare, the real Compute client) spends about half of
// the mutation quota and a fifth of the read quota for the whole run, as
// the owner's other tools do. The CCM must take what is left without being
// refused more than 1% of its writes, and leave the other client its share.
const (
	otherMutationShare = 0.5
	otherReadShare     = 0.2
	// otherKeep is how long the other client's firewall rules live: longer
	// than the emulator's operation latency, so its deletes find them.
	otherKeep = 10 * time.Second
)

func quotaName(n int) string {
	return fmt.Sprintf("routes from empty, %d nodes, another client spending half the mutation quota", n)
}

// otherClient is what the other client offered and got, in a row.
type otherClient struct {
	OfferedMutationsPerS float64 `json:"offeredMutationsPerSecond"`
	MutationsPerS        float64 `json:"mutationsPerSecond"`
	MutationsRefused     int64   `json:"mutationsRefused"`
	Mutations            int64   `json:"mutations"`
	OfferedReadsPerS     float64 `json:"offeredReadsPerSecond"`
	ReadsPerS            float64 `json:"readsPerSecond"`
	ReadsRefused         int64   `json:"readsRefused"`
	Reads                int64   `json:"reads"`
}

func (o *otherClient) String() string {
	return fmt.Sprintf("the other client got %.1f mutations/s of %.1f offered (%d of %d refused), %.1f reads/s of %.1f (%d of %d refused)",
		o.MutationsPerS, o.OfferedMutationsPerS, o.MutationsRefused, o.Mutations, o.ReadsPerS, o.OfferedReadsPerS, o.ReadsRefused, o.Reads)
}

// routesSharingQuota: n nodes exist with pod CIDRs, the other client
// starts spending, then the CCM starts; converged when every node has its
// route and NetworkUnavailable=False. The bound is n at the mutation rate
// the other client left (the quota minus what it achieved) plus one
// operation. The emulator's counts are the CCM's once the other client's,
// which it counts itself, are taken out.
func (b *bench) routesSharingQuota(n int) result {
	name := quotaName(n)
	fmt.Printf("==> %s [%s]\n", name, b.ctl.Name)
	if err := b.unrouted(n); err != nil {
		return b.fail(name, err)
	}
	offeredW, offeredR := otherMutationShare*b.writeRate(), otherReadShare*float64(b.p.readsPerMin)/60
	other, err := quotashare.Start(b.ctx, quotashare.Options{Endpoint: b.gce.URL, Project: project, Network: "default",
		Prefix: "other-tool", MutationsPerSecond: offeredW, ReadsPerSecond: offeredR, Keep: otherKeep})
	if err != nil {
		return b.fail(name, err)
	}
	start := time.Now()
	if err := b.startCCM(); err != nil {
		other.Stop()
		return b.fail(name, err)
	}
	// The bound before the run: the other client getting all it offers.
	r := result{Name: name, Kind: "quota", Nodes: n, MinWrites: int64(n), QuotaPerS: b.writeRate() - offeredW,
		BoundS: float64(n)/(b.writeRate()-offeredW) + b.p.latency.Seconds()}
	limit := timeout(r.BoundS)
	series, ok := b.converge(start, n, limit, func() int { return min(b.gceCount("routes"), b.routesReady()) },
		func() int { return b.gceCount("routes") })
	wall := time.Since(start)
	theirs := other.Stop()
	b.fill(&r, start)
	r.WallS = wall.Seconds()
	r.Converged, r.Series = ok, series
	r.Other = &otherClient{OfferedMutationsPerS: offeredW, MutationsPerS: theirs.MutationsPerSecond(), MutationsRefused: theirs.MutationsRefused,
		Mutations: theirs.Mutations, OfferedReadsPerS: offeredR, ReadsPerS: theirs.ReadsPerSecond(), ReadsRefused: theirs.ReadsRefused, Reads: theirs.Reads}
	withoutOther(&r, theirs)
	// The bound on what was left: the other client's achieved rate.
	r.QuotaPerS = b.writeRate() - r.Other.MutationsPerS
	r.BoundS = float64(n)/r.QuotaPerS + b.p.latency.Seconds()
	r.Ratio = r.WallS / r.BoundS
	r.timedOut(limit)
	fmt.Printf("    %.1f s (bound %.1f s at the %.1f/s left), %d writes, %d reads, %d rate-limited; %s\n",
		r.WallS, r.BoundS, r.QuotaPerS, r.Writes, r.Reads, r.RateLimited, r.Other)
	b.teardown()
	return r
}

// withoutOther takes the other client's requests and answers out of a
// row's emulator counts.
func withoutOther(r *result, c quotashare.Counts) {
	r.Writes -= c.Mutations
	r.Reads -= c.Reads
	r.RateLimited -= c.MutationsRefused + c.ReadsRefused
	for status, n := range c.Statuses {
		switch {
		case status == 409 || status == 412:
			r.Conflicts -= n
		case status == 404:
			r.NotFound -= n
		case status == 0 || status >= 400:
			r.OtherErrors -= n
		}
	}
	// fill took every 403 rateLimitExceeded out of OtherErrors; the other
	// client's are among them.
	r.OtherErrors += c.MutationsRefused + c.ReadsRefused
}

// quotaGoals are the quota scenario's goals for gce-ccm: converged within
// 1.2x of n over what was left, at most 1% of its writes refused for the
// rate quota, and the other client not starved (at most 5% of its calls
// refused; its achieved rate is in the row).
func quotaGoals(p params, rs []result) []goal {
	var gs []goal
	for _, r := range rs {
		if r.CCM != "gce-ccm" || r.Kind != "quota" || !r.ranOK() || r.Other == nil {
			continue
		}
		gs = append(gs,
			goal{Goal: "converges: " + r.Name, Measured: fmt.Sprint(r.Converged), Pass: r.Converged, Asserted: true},
			goal{Goal: "within 1.2x of N / the quota left: " + r.Name,
				Measured: fmt.Sprintf("%.2fx (%.1f s / %.1f s at %.1f/s)", r.Ratio, r.WallS, r.BoundS, r.QuotaPerS),
				Pass:     r.Ratio <= 1.2, Asserted: !p.quick},
			goal{Goal: "at most 1% of writes refused for the rate quota: " + r.Name,
				// The first refusals (the budget starts at its ceiling)
				// are more than 1% of a quick run's 100 writes.
				Measured: fmt.Sprintf("%d of %d", r.RateLimited, r.Writes), Pass: r.RateLimited*100 <= r.Writes, Asserted: !p.quick},
			goal{Goal: "the other client not starved (at most 5% of its calls refused): " + r.Name, Measured: r.Other.String(),
				Pass:     (r.Other.MutationsRefused+r.Other.ReadsRefused)*20 <= r.Other.Mutations+r.Other.Reads,
				Asserted: true})
	}
	return gs
}
