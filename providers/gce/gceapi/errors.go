// Package gceapi is the thin, careful layer between the provider and GCE:
// one instrumented wrapper per Compute call, client-side rate limits for
// reads and mutations, retries with backoff for idempotent calls, shared
// operation waiting, and errors classified into kinds callers test with
// errors.As.
package gceapi

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"

	"google.golang.org/api/googleapi"
)

// Kind is the class of a GCE failure, the part callers act on.
type Kind int

const (
	KindOther Kind = iota
	KindNotFound
	KindAlreadyExists
	KindInUse
	KindPreconditionFailed
	KindQuotaExceeded
	KindRateLimited
	KindForbidden
	KindInvalid
	KindUnavailable // 5xx
	// KindTransport: no answer from GCE (connection reset or refused, EOF,
	// a TLS handshake or attempt timeout). Reason says which.
	KindTransport
	// KindOperationTimeout: the call was accepted but its operation was not
	// DONE within Config.OperationTimeout; it may still finish later.
	KindOperationTimeout
)

var kindNames = map[Kind]string{
	KindOther: "other", KindNotFound: "not_found", KindAlreadyExists: "already_exists", KindInUse: "in_use",
	KindPreconditionFailed: "precondition_failed", KindQuotaExceeded: "quota_exceeded", KindRateLimited: "rate_limited",
	KindForbidden: "forbidden", KindInvalid: "invalid", KindUnavailable: "unavailable",
	KindTransport: "transport", KindOperationTimeout: "operation_timeout",
}

func (k Kind) String() string { return kindNames[k] }

// Error is a classified GCE failure of one call.
type Error struct {
	Kind    Kind
	Call    string // e.g. "routes.insert"
	Target  string // the resource the call was about
	Code    int    // HTTP status (the operation's httpErrorStatusCode for failed operations)
	Reason  string // GCE's reason or operation error code
	Quota   string // the quota's metric name when Kind is KindQuotaExceeded
	Message string
	Err     error // the underlying error, if any
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("gce %s %s: %s", e.Call, e.Target, e.Kind)
	if e.Quota != "" {
		msg += fmt.Sprintf(" (quota %s)", e.Quota)
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of a classified error, KindOther otherwise.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindOther
}

// IsNotFound and friends read the kind through errors.As.
func IsNotFound(err error) bool      { return KindOf(err) == KindNotFound }
func IsAlreadyExists(err error) bool { return KindOf(err) == KindAlreadyExists }
func IsInUse(err error) bool         { return KindOf(err) == KindInUse }
func IsQuotaExceeded(err error) bool { return KindOf(err) == KindQuotaExceeded }
func IsPrecondition(err error) bool  { return KindOf(err) == KindPreconditionFailed }
func IsTransport(err error) bool     { return KindOf(err) == KindTransport }
func IsOperationTimeout(err error) bool {
	return KindOf(err) == KindOperationTimeout
}

var quotaRE = regexp.MustCompile(`Quota '([A-Za-z0-9_]+)' exceeded`)

// classify turns a failed attempt into an *Error: GCE's answer, or a
// transport failure; anything else is returned as it is.
func classify(call, target string, err error) error {
	if err == nil {
		return nil
	}
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		if reason := transportReason(err); reason != "" {
			return &Error{Kind: KindTransport, Call: call, Target: target, Reason: reason, Message: err.Error(), Err: err}
		}
		return err
	}
	reason := ""
	if len(ge.Errors) > 0 {
		reason = ge.Errors[0].Reason
	}
	e := &Error{Call: call, Target: target, Code: ge.Code, Reason: reason, Message: ge.Message, Err: err}
	e.Kind = kindFor(ge.Code, reason, ge.Message)
	if e.Kind == KindQuotaExceeded {
		e.Quota = quotaName(ge.Message)
	}
	return e
}

// classifyOperation turns a failed operation into an *Error.
func classifyOperation(call, target string, code int, opCode, message string) error {
	e := &Error{Call: call, Target: target, Code: code, Reason: opCode, Message: message}
	switch opCode {
	case "QUOTA_EXCEEDED":
		e.Kind, e.Quota = KindQuotaExceeded, quotaName(message)
	case "RESOURCE_NOT_FOUND":
		e.Kind = KindNotFound
	case "ALREADY_EXISTS":
		e.Kind = KindAlreadyExists
	case "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE":
		e.Kind = KindInUse
	case "CONDITION_NOT_MET":
		e.Kind = KindPreconditionFailed
	default:
		e.Kind = kindFor(code, "", message)
	}
	return e
}

func kindFor(code int, reason, message string) Kind {
	switch {
	case reason == "rateLimitExceeded" || reason == "userRateLimitExceeded" || code == http.StatusTooManyRequests:
		return KindRateLimited
	case reason == "quotaExceeded" || quotaRE.MatchString(message):
		return KindQuotaExceeded
	case code == http.StatusNotFound:
		return KindNotFound
	case code == http.StatusConflict:
		return KindAlreadyExists
	case reason == "resourceInUseByAnotherResource":
		return KindInUse
	case code == http.StatusPreconditionFailed:
		return KindPreconditionFailed
	case code == http.StatusForbidden:
		return KindForbidden
	case code == http.StatusBadRequest:
		return KindInvalid
	case code >= 500:
		return KindUnavailable
	}
	return KindOther
}

func quotaName(message string) string {
	if m := quotaRE.FindStringSubmatch(message); m != nil {
		return m[1]
	}
	return "unknown"
}

// retryable says whether a call may be repeated: rate limits, server
// errors and transport failures are transient (every call of this layer is
// a read or a mutation with a requestId, so repeating it is safe); every
// other 4xx is GCE's final answer.
func retryable(err error) bool {
	switch KindOf(err) {
	case KindRateLimited, KindUnavailable, KindTransport:
		return true
	}
	return false
}

// retryReason is the label of a retry in the retries metric: the transport
// failure's reason, or the error kind.
func retryReason(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Kind == KindTransport {
		return e.Reason
	}
	return KindOf(err).String()
}
