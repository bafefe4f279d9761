package fakecompute

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"regexp"
	"sync"
	"time"
)

// FaultRule makes matching requests misbehave. Method and PathRegexp select
// requests ("" matches any). Exactly one effect applies: Code (with Reason)
// answers the request with that error; FailOperation lets the request be
// accepted but its operation fails with Code/Reason; Reset closes the
// connection with a TCP reset and no answer, before the request is served
// (a dropped connection or a proxy's reset); Delay only adds latency (the
// request is still served after it, even if the client stopped waiting,
// which is how an answer gets lost after GCE applied a mutation).
// Count limits how many requests the rule hits (0: unlimited); Probability
// (0 or 1: always) picks requests at random under the server's seed.
type FaultRule struct {
	Method        string        `json:"method,omitempty"`
	PathRegexp    string        `json:"pathRegexp,omitempty"`
	Code          int           `json:"code,omitempty"`
	Reason        string        `json:"reason,omitempty"`
	Message       string        `json:"message,omitempty"`
	FailOperation bool          `json:"failOperation,omitempty"`
	Reset         bool          `json:"reset,omitempty"`
	Delay         time.Duration `json:"delay,omitempty"`
	Count         int           `json:"count,omitempty"`
	Probability   float64       `json:"probability,omitempty"`
	// Hits is how many requests the rule has hit so far (output only).
	Hits int `json:"hits,omitempty"`

	re   *regexp.Regexp
	hits int
}

// UnmarshalJSON accepts the delay as a Go duration string ("250ms") as well
// as a number of nanoseconds, which is what a time.Duration marshals to.
func (r *FaultRule) UnmarshalJSON(b []byte) error {
	type plain FaultRule
	var aux struct {
		plain
		Delay json.RawMessage `json:"delay,omitempty"`
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&aux); err != nil {
		return err
	}
	*r = FaultRule(aux.plain)
	r.Delay = 0
	if len(aux.Delay) > 0 && string(aux.Delay) != "null" {
		var str string
		if err := json.Unmarshal(aux.Delay, &str); err == nil {
			d, err := time.ParseDuration(str)
			if err != nil {
				return fmt.Errorf("delay: %w", err)
			}
			r.Delay = d
		} else {
			var n int64
			if err := json.Unmarshal(aux.Delay, &n); err != nil {
				return fmt.Errorf("delay: want a duration string or nanoseconds, got %s", aux.Delay)
			}
			r.Delay = time.Duration(n)
		}
	}
	return nil
}

type faults struct {
	mu    sync.Mutex
	rules []*FaultRule
	rnd   *rand.Rand
}

func newFaults(seed int64) *faults { return &faults{rnd: rand.New(rand.NewSource(seed))} }

// faultEffect is what the matching rules do to one request.
type faultEffect struct {
	err    *apiError
	failOp *apiError
	reset  bool
	delay  time.Duration
}

func (r *FaultRule) compile() error {
	r.hits, r.Hits = 0, 0
	if r.Delay < 0 {
		return fmt.Errorf("delay %v is negative", r.Delay)
	}
	if r.Count < 0 {
		return fmt.Errorf("count %d is negative", r.Count)
	}
	if r.PathRegexp != "" {
		re, err := regexp.Compile(r.PathRegexp)
		if err != nil {
			return fmt.Errorf("pathRegexp: %w", err)
		}
		r.re = re
	}
	if r.Code == 0 && r.Delay == 0 && !r.Reset {
		return fmt.Errorf("a fault rule needs a code, reset or a delay")
	}
	if r.Reset && (r.Code != 0 || r.FailOperation) {
		return fmt.Errorf("reset answers nothing, so it cannot go with code or failOperation")
	}
	if r.Code != 0 && (r.Code < 400 || r.Code > 599) {
		return fmt.Errorf("code %d is not an HTTP error status", r.Code)
	}
	if r.Probability < 0 || r.Probability > 1 {
		return fmt.Errorf("probability %v is not within [0,1]", r.Probability)
	}
	return nil
}

func (r *FaultRule) apiError() *apiError {
	reason, msg := r.Reason, r.Message
	if reason == "" {
		reason = defaultReason(r.Code)
	}
	if msg == "" {
		msg = fmt.Sprintf("injected fault: %d %s", r.Code, reason)
	}
	ae := &apiError{Code: r.Code, Reason: reason, Message: msg}
	if reason == "rateLimitExceeded" {
		ae.Domain = "usageLimits"
	}
	return ae
}

func defaultReason(code int) string {
	switch code {
	case http.StatusTooManyRequests:
		return "rateLimitExceeded"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "notFound"
	case http.StatusConflict:
		return "alreadyExists"
	case http.StatusPreconditionFailed:
		return "conditionNotMet"
	case http.StatusServiceUnavailable:
		return "backendError"
	case http.StatusBadRequest:
		return "invalid"
	}
	return "internalError"
}

func (f *faults) set(rules []FaultRule) error {
	compiled := make([]*FaultRule, 0, len(rules))
	for i := range rules {
		r := rules[i]
		if err := r.compile(); err != nil {
			return fmt.Errorf("fault rule %d: %w", i, err)
		}
		compiled = append(compiled, &r)
	}
	f.mu.Lock()
	f.rules = compiled
	f.mu.Unlock()
	return nil
}

func (f *faults) add(r FaultRule) error {
	if err := r.compile(); err != nil {
		return err
	}
	f.mu.Lock()
	f.rules = append(f.rules, &r)
	f.mu.Unlock()
	return nil
}

func (f *faults) list() []FaultRule {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]FaultRule, len(f.rules))
	for i, r := range f.rules {
		out[i] = *r
		out[i].re = nil
		out[i].Hits = r.hits
	}
	return out
}

func (f *faults) match(method, path string) faultEffect {
	f.mu.Lock()
	defer f.mu.Unlock()
	var eff faultEffect
	for _, r := range f.rules {
		if r.Method != "" && r.Method != method {
			continue
		}
		if r.re != nil && !r.re.MatchString(path) {
			continue
		}
		if r.Count > 0 && r.hits >= r.Count {
			continue
		}
		if r.Probability > 0 && r.Probability < 1 && f.rnd.Float64() >= r.Probability {
			continue
		}
		r.hits++
		eff.delay += r.Delay
		eff.reset = eff.reset || r.Reset
		switch {
		case r.Code != 0 && r.FailOperation && eff.failOp == nil:
			eff.failOp = r.apiError()
		case r.Code != 0 && !r.FailOperation && eff.err == nil:
			eff.err = r.apiError()
		}
	}
	return eff
}

// errReset tells serveAPI that a fault rule resets the request's connection.
var errReset = errors.New("fault: reset the connection")

// resetConnection closes the client's connection with a TCP RST (linger 0)
// and no answer; without a hijackable connection (HTTP/2) it aborts the
// handler, which also ends the stream without an answer.
func resetConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
