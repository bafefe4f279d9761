package gceapi

import (
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
)

// Reasons of a KindTransport error.
const (
	ReasonAttemptTimeout    = "attempt_timeout"
	ReasonConnectionReset   = "connection_reset"
	ReasonConnectionRefused = "connection_refused"
	ReasonConnectionClosed  = "connection_closed" // closed under a request still being written
	ReasonBrokenPipe        = "broken_pipe"
	ReasonEOF               = "eof"
	ReasonNetTimeout        = "net_timeout" // dial, TLS handshake or response header timeout
	ReasonHTTP2             = "http2"
	ReasonNetwork           = "network"
)

// transportReason says which transport failure err is, or "" when it is
// none (a context ending, a malformed request, a decoding bug): those are
// not made better by sending the request again.
func transportReason(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNRESET):
		return ReasonConnectionReset
	case errors.Is(err, syscall.ECONNREFUSED):
		return ReasonConnectionRefused
	case errors.Is(err, syscall.EPIPE):
		return ReasonBrokenPipe
	case errors.Is(err, net.ErrClosed):
		// The server reset or closed the connection while net/http's
		// writer goroutine was still sending the request: its reader
		// closes the connection on the reset and the writer then fails
		// with "use of closed network connection". Which of the two
		// errors a caller gets depends on goroutine scheduling (a POST
		// reset by the emulator got this one in 30 of ~700 resets on a
		// loaded machine), so it is a failure of the connection like the
		// reset itself.
		return ReasonConnectionClosed
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		// The server (or a proxy) closed the connection before or during
		// the answer.
		return ReasonEOF
	case errors.As(err, &ne) && ne.Timeout():
		// net/http's TLS handshake timeout and dial timeouts are net.Errors
		// whose Timeout() is true.
		return ReasonNetTimeout
	case strings.Contains(err.Error(), "http2: "):
		// The HTTP/2 client's errors (GOAWAY, stream reset, connection
		// lost) are unexported types; their messages carry this prefix.
		return ReasonHTTP2
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return ReasonNetwork
	}
	return ""
}
