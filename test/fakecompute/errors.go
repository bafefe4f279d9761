package fakecompute

import (
	"errors"
	"fmt"
	"net/http"
)

// apiError is an error as GCE reports it: an HTTP status, a reason and a
// message. The store and the handlers return it; one adapter writes it.
type apiError struct {
	Code    int
	Reason  string
	Message string
	Domain  string
	// inOperation: the request is accepted and its operation fails with
	// this error (see failsInOperation).
	inOperation bool
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Code, e.Reason, e.Message) }

func errNotFound(k Key) *apiError {
	return &apiError{Code: http.StatusNotFound, Reason: "notFound",
		Message: fmt.Sprintf("The resource '%s' was not found", k.Path())}
}

func errAlreadyExists(k Key) *apiError {
	return &apiError{Code: http.StatusConflict, Reason: "alreadyExists",
		Message: fmt.Sprintf("The resource '%s' already exists", k.Path())}
}

func errInvalid(format string, args ...any) *apiError {
	return &apiError{Code: http.StatusBadRequest, Reason: "invalid", Message: fmt.Sprintf(format, args...)}
}

func errRequired(field string) *apiError {
	return &apiError{Code: http.StatusBadRequest, Reason: "required",
		Message: fmt.Sprintf("Required field '%s' not specified", field)}
}

func errBadJSON(err error) *apiError {
	return &apiError{Code: http.StatusBadRequest, Reason: "parseError",
		Message: fmt.Sprintf("Invalid JSON payload received. %v", err)}
}

func errInUse(k Key, by string) *apiError {
	return &apiError{Code: http.StatusBadRequest, Reason: "resourceInUseByAnotherResource",
		Message: fmt.Sprintf("The %s resource '%s' is already being used by '%s'", singular(k.Collection), k.Path(), by)}
}

func errConditionNotMet(format string, args ...any) *apiError {
	return &apiError{Code: http.StatusPreconditionFailed, Reason: "conditionNotMet", Message: fmt.Sprintf(format, args...)}
}

func errQuota(metric string, limit float64, scope string) *apiError {
	where := "globally"
	if scope != "" {
		where = "in region " + scope
	}
	return &apiError{Code: http.StatusForbidden, Reason: "quotaExceeded",
		Message: fmt.Sprintf("Quota '%s' exceeded.  Limit: %.1f %s.", metric, limit, where)}
}

func errRateLimited(kind string) *apiError {
	return &apiError{Code: http.StatusForbidden, Reason: "rateLimitExceeded", Domain: "usageLimits",
		Message: fmt.Sprintf("Rate Limit Exceeded: quota of %s requests per minute per project exhausted", kind)}
}

func errUnauthenticated() *apiError {
	return &apiError{Code: http.StatusUnauthorized, Reason: "authError",
		Message: "Request is missing required authentication credential. Expected OAuth 2 access token."}
}

func errNoRoute(method, path string) *apiError {
	return &apiError{Code: http.StatusNotFound, Reason: "notFound",
		Message: fmt.Sprintf("The requested URL %s %s was not found on this server.", method, path)}
}

func errMethod(method, path string) *apiError {
	return &apiError{Code: http.StatusMethodNotAllowed, Reason: "methodNotAllowed",
		Message: fmt.Sprintf("Method %s is not allowed on %s", method, path)}
}

// operationErrorCode is the code GCE puts in a failed operation's
// error.errors[] for a given reason.
func operationErrorCode(reason string) string {
	switch reason {
	case "notFound":
		return "RESOURCE_NOT_FOUND"
	case "alreadyExists":
		return "ALREADY_EXISTS"
	case "resourceInUseByAnotherResource":
		return "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE"
	case "quotaExceeded":
		return "QUOTA_EXCEEDED"
	case "conditionNotMet":
		return "CONDITION_NOT_MET"
	case "memberAlreadyExists":
		return "MEMBER_ALREADY_EXISTS"
	case "memberNotFound":
		return "MEMBER_NOT_FOUND"
	case "invalid", "required":
		return "INVALID_FIELD_VALUE"
	}
	return "INTERNAL_ERROR"
}

// asAPIError turns any error into the form the wire adapter writes.
func asAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	return &apiError{Code: http.StatusInternalServerError, Reason: "backendError", Message: err.Error()}
}

func singular(collection string) string {
	switch collection {
	case "addresses":
		return "address"
	case "httpHealthChecks":
		return "httpHealthCheck"
	}
	if n := len(collection); n > 1 && collection[n-1] == 's' {
		return collection[:n-1]
	}
	return collection
}
