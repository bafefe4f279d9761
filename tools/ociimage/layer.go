package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// epoch is the modification time of every file in every layer: the images
// are a function of their inputs, not of when they were built.
var epoch = time.Unix(0, 0).UTC()

// file is one regular file of a layer.
type file struct {
	path string // absolute, in the image
	mode int64
	data []byte
}

// layerTar is the uncompressed tar of files: entries sorted by path, each
// parent directory before its children, owner root:root, mtime epoch, USTAR
// format (no PAX records that could carry build-machine details).
func layerTar(files []file) ([]byte, error) {
	entries := map[string]*tar.Header{}
	data := map[string][]byte{}
	for _, f := range files {
		if !strings.HasPrefix(f.path, "/") || path.Clean(f.path) != f.path || f.path == "/" {
			return nil, fmt.Errorf("layer file path %q is not a clean absolute file path", f.path)
		}
		name := strings.TrimPrefix(f.path, "/")
		if _, dup := entries[name]; dup {
			return nil, fmt.Errorf("layer file %q given twice", f.path)
		}
		entries[name] = &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: f.mode, Size: int64(len(f.data))}
		data[name] = f.data
		for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
			if h, ok := entries[dir+"/"]; ok && h.Typeflag == tar.TypeDir {
				continue
			}
			entries[dir+"/"] = &tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755}
		}
	}
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	sort.Strings(names) // "etc/" sorts before "etc/passwd": parents come first
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		h := entries[n]
		h.ModTime, h.Format = epoch, tar.FormatUSTAR
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("tar header %s: %w", n, err)
		}
		if _, err := tw.Write(data[n]); err != nil {
			return nil, fmt.Errorf("tar data %s: %w", n, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// newLayer is an OCI layer (gzip, compressed once and cached) of files.
// BestCompression: the CCM's layer is ~40% of its binary at this level;
// the few extra seconds are paid once per build, the bytes on every pull.
func newLayer(files []file) (v1.Layer, error) {
	b, err := layerTar(files)
	if err != nil {
		return nil, err
	}
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil },
		tarball.WithMediaType(types.OCILayer), tarball.WithCompressionLevel(gzip.BestCompression),
		tarball.WithCompressedCaching)
}
