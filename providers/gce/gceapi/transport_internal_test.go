package gceapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"
)

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "net/http: TLS handshake timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestTransportReason(t *testing.T) {
	op := func(err error) error {
		return &url.Error{Op: "Get", URL: "https://compute.googleapis.com/x",
			Err: &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", err)}}
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{op(syscall.ECONNRESET), ReasonConnectionReset},
		{op(syscall.ECONNREFUSED), ReasonConnectionRefused},
		{op(syscall.EPIPE), ReasonBrokenPipe},
		// What a reset looks like when it reaches net/http's writer first.
		{&url.Error{Op: "Post", URL: "u", Err: &net.OpError{Op: "readfrom", Net: "tcp",
			Err: &net.OpError{Op: "write", Net: "tcp", Err: net.ErrClosed}}}, ReasonConnectionClosed},
		{&url.Error{Op: "Post", URL: "u", Err: io.EOF}, ReasonEOF},
		{fmt.Errorf("reading body: %w", io.ErrUnexpectedEOF), ReasonEOF},
		{&url.Error{Op: "Get", URL: "u", Err: timeoutErr{}}, ReasonNetTimeout},
		{errors.New("http2: server sent GOAWAY and closed the connection"), ReasonHTTP2},
		{op(syscall.EHOSTUNREACH), ReasonNetwork},
		{&url.Error{Op: "Get", URL: "u", Err: context.Canceled}, ""},
		{errors.New("unsupported protocol scheme"), ""},
	} {
		if got := transportReason(tc.err); got != tc.want {
			t.Errorf("transportReason(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
