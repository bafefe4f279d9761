// Command ociimage builds, pushes and opens the OCI images of gce-ccm's
// binaries without a container engine (go-containerregistry):
//
//	ociimage platforms linux/amd64 linux/arm64    validate a platform list (make image runs it before compiling)
//	ociimage build --name N --binary PLATFORM=PATH... --source URL --revision SHA --version V --created RFC3339 --out DIR
//	              the multi-platform image as an OCI layout DIR and DIR.tar
//	ociimage push --push LAYOUT=REGISTRY/REPO:TAG...   push, with the environment's credentials
//	ociimage extract --layout DIR --platform P --file /PATH --out FILE
//	ociimage sibling REGISTRY/DIR/REPO:TAG NAME       prints REGISTRY/DIR/NAME:TAG
//
// Errors name the flag or the image and what is wrong; the exit code is 2
// for bad input and 1 for a failure.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// usageError is bad input: exit code 2.
type usageError struct{ error }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := dispatch(ctx, args, stdout)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "ociimage:", err)
	var ue usageError
	var pe *PlatformError
	if errors.As(err, &ue) || errors.As(err, &pe) {
		return 2
	}
	return 1
}

func dispatch(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{errors.New("want a command: platforms, build, push, extract or sibling")}
	}
	switch args[0] {
	case "platforms":
		ps, err := parsePlatforms(args[1:])
		if err != nil {
			return usageError{err}
		}
		for _, p := range ps {
			fmt.Fprintln(stdout, p.OS+"/"+p.Architecture)
		}
		return nil
	case "build":
		return cmdBuild(args[1:], stdout)
	case "push":
		return cmdPush(ctx, args[1:], stdout)
	case "extract":
		return cmdExtract(args[1:])
	case "sibling":
		if len(args) != 3 {
			return usageError{errors.New("sibling: want IMAGE NAME")}
		}
		t, err := sibling(args[1], args[2])
		if err != nil {
			return usageError{err}
		}
		fmt.Fprintln(stdout, t.String())
		return nil
	}
	return usageError{fmt.Errorf("unknown command %q (want platforms, build, push, extract or sibling)", args[0])}
}

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

func cmdBuild(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	var s spec
	var bins listFlag
	var created, out string
	fs.StringVar(&s.name, "name", "", "the binary's name; the image runs /NAME")
	fs.Var(&bins, "binary", "PLATFORM=PATH of the binary for one platform (repeat per platform)")
	fs.StringVar(&s.source, "source", "", "repository URL ("+annSource+")")
	fs.StringVar(&s.revision, "revision", "", "commit ("+annRevision+")")
	fs.StringVar(&s.version, "version", "", "version ("+annVersion+", and the tag in the layout's index.json)")
	fs.StringVar(&created, "created", "", "RFC 3339 time of the commit ("+annCreated+" and the config's created)")
	fs.StringVar(&out, "out", "", "the OCI layout directory to write; OUT.tar gets the same layout as one file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if out == "" {
		return usageError{errors.New("--out is empty")}
	}
	if created != "" {
		t, err := time.Parse(time.RFC3339, created)
		if err != nil {
			return usageError{fmt.Errorf("--created %q: %w", created, err)}
		}
		s.created = t
	}
	s.binaries = map[string]string{}
	for _, b := range bins {
		ps, path, ok := strings.Cut(b, "=")
		if !ok || path == "" {
			return usageError{fmt.Errorf("--binary %q: want PLATFORM=PATH", b)}
		}
		p, err := parsePlatform(ps)
		if err != nil {
			return err
		}
		if _, dup := s.binaries[ps]; dup {
			return usageError{fmt.Errorf("--binary: platform %s given twice", ps)}
		}
		s.binaries[ps] = path
		s.order = append(s.order, p)
	}
	if err := s.validate(); err != nil {
		return usageError{err}
	}
	base, err := newLayer(baseFiles())
	if err != nil {
		return err
	}
	idx, err := buildIndex(s, base)
	if err != nil {
		return err
	}
	if err := writeLayout(out, s.version, idx); err != nil {
		return err
	}
	if err := writeLayoutTar(out, out+".tar"); err != nil {
		return fmt.Errorf("%s.tar: %w", out, err)
	}
	return describe(stdout, s.name, idx)
}

// describe prints the index digest and each platform's digest and sizes.
func describe(w io.Writer, name string, idx v1.ImageIndex) error {
	d, err := idx.Digest()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s %s\n", name, d)
	im, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	for _, m := range im.Manifests {
		img, err := idx.Image(m.Digest)
		if err != nil {
			return err
		}
		layers, err := img.Layers()
		if err != nil {
			return err
		}
		var compressed int64
		for _, l := range layers {
			n, err := l.Size()
			if err != nil {
				return err
			}
			compressed += n
		}
		fmt.Fprintf(w, "  %s/%s %s layers %d bytes compressed\n", m.Platform.OS, m.Platform.Architecture, m.Digest, compressed)
	}
	return nil
}

func cmdPush(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("push", flag.ContinueOnError)
	var pushes listFlag
	fs.Var(&pushes, "push", "LAYOUT_DIR=REGISTRY/REPOSITORY:TAG (repeat per image; all content goes before any tag)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if len(pushes) == 0 {
		return usageError{errors.New("--push: none given (want LAYOUT_DIR=REGISTRY/REPOSITORY:TAG)")}
	}
	var targets []target
	for _, p := range pushes {
		t, err := parseTarget(p)
		if err != nil {
			return usageError{err}
		}
		targets = append(targets, t)
	}
	done, err := pushAll(ctx, targets, authn.DefaultKeychain, http.DefaultTransport)
	if err != nil {
		return err
	}
	for _, p := range done {
		fmt.Fprintf(stdout, "%s@%s\n", p.Tag, p.Digest)
	}
	return nil
}

func cmdExtract(args []string) error {
	fs := flag.NewFlagSet("extract", flag.ContinueOnError)
	var dir, platform, path, out string
	fs.StringVar(&dir, "layout", "", "OCI layout directory")
	fs.StringVar(&platform, "platform", "", "the image of this platform")
	fs.StringVar(&path, "file", "", "absolute path of the file in the image")
	fs.StringVar(&out, "out", "", "where to write it")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	for flagName, v := range map[string]string{"layout": dir, "platform": platform, "file": path, "out": out} {
		if v == "" {
			return usageError{fmt.Errorf("--%s is empty", flagName)}
		}
	}
	p, err := parsePlatform(platform)
	if err != nil {
		return err
	}
	return extract(dir, p, path, out)
}
