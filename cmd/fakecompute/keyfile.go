package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// keyfileCommand writes a service-account key whose token_uri is the
// emulator, for clients that want Application Default Credentials from a
// file (GOOGLE_APPLICATION_CREDENTIALS) rather than the metadata server.
func keyfileCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fakecompute keyfile", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	url := fs.String("url", "http://127.0.0.1:8080", "the emulator's URL")
	project := fs.String("project", "demo", "the project the key belongs to")
	out := fs.String("out", "", "where to write the key (required)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return err
		}
		return usageError{fmt.Errorf("keyfile: %w", err)}
	}
	if *out == "" {
		return usageError{errors.New("keyfile: --out: a path is required")}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("keyfile: unexpected argument %q", fs.Arg(0))}
	}
	if err := fakecompute.WriteServiceAccountKey(*out, *url, *project); err != nil {
		return fmt.Errorf("keyfile: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s (token_uri %s/token)\nuse it with: export GOOGLE_APPLICATION_CREDENTIALS=%s\n", *out, strings.TrimSuffix(*url, "/"), *out)
	return nil
}
