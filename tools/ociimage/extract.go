package main

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// imageFor returns the image of idx for platform p.
func imageFor(idx v1.ImageIndex, p v1.Platform) (v1.Image, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var have []string
	for _, d := range im.Manifests {
		if d.Platform != nil && d.Platform.OS == p.OS && d.Platform.Architecture == p.Architecture {
			return idx.Image(d.Digest)
		}
		if d.Platform != nil {
			have = append(have, d.Platform.OS+"/"+d.Platform.Architecture)
		}
	}
	return nil, fmt.Errorf("the image has no %s/%s (it has %s)", p.OS, p.Architecture, strings.Join(have, ", "))
}

// readFile returns the content of an absolute path of img's file system.
func readFile(img v1.Image, path string) ([]byte, error) {
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	want := strings.TrimPrefix(path, "/")
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s is not in the image", path)
		}
		if err != nil {
			return nil, err
		}
		if strings.TrimPrefix(h.Name, "./") == want && h.Typeflag == tar.TypeReg {
			return io.ReadAll(tr)
		}
	}
}

// extract copies path of platform p's image in the layout dir to out (mode 0755).
func extract(dir string, p v1.Platform, path, out string) error {
	idx, err := readLayout(dir)
	if err != nil {
		return err
	}
	img, err := imageFor(idx, p)
	if err != nil {
		return err
	}
	b, err := readFile(img, path)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	// A fresh file, not a rewrite: out may be a binary that is running.
	if err := os.Remove(out); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return os.WriteFile(out, b, 0o755)
}
