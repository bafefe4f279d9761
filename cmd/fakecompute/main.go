// Command fakecompute serves the GCE Compute v1 emulator of
// test/fakecompute on loopback, for gcloud, terraform, both Go client
// libraries, the upstream GCE cloud provider and programs that look for the
// GCE metadata server.
//
//	fakecompute [flags]                                    serve (see -h)
//	fakecompute keyfile --url URL --project P --out FILE   write a service-account key
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.As(err, &ue):
		fmt.Fprintf(os.Stderr, "fakecompute: %v\n(see fakecompute -h)\n", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "fakecompute:", err)
		os.Exit(1)
	}
}

// usageError marks command-line mistakes (exit status 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "keyfile" {
		return keyfileCommand(args[1:], stdout, stderr)
	}
	c, err := parseServeFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	return serve(ctx, c, stdout, stderr)
}
