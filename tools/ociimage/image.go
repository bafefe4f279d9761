package main

import (
	"fmt"
	"os"
	"path"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// OCI annotation keys (image-spec annotations.md) the images carry, on the
// index, on each manifest and as config labels (what `docker inspect` shows).
const (
	annSource   = "org.opencontainers.image.source"
	annRevision = "org.opencontainers.image.revision"
	annVersion  = "org.opencontainers.image.version"
	annCreated  = "org.opencontainers.image.created"
	annTitle    = "org.opencontainers.image.title"
	annRefName  = "org.opencontainers.image.ref.name"
)

// spec is one image to build: a binary per platform plus where it came from.
type spec struct {
	name     string            // the binary's name: its path in the image is /<name>
	binaries map[string]string // "os/arch" -> path of the binary built for it
	order    []v1.Platform     // the index lists platforms in this order
	source   string            // repository URL
	revision string            // commit
	version  string
	created  time.Time // the commit's time, so a rebuild of the same commit is the same image
}

func (s spec) validate() error {
	switch {
	case s.name == "" || path.Base(s.name) != s.name:
		return fmt.Errorf("--name %q: want a binary name without a directory", s.name)
	case len(s.order) == 0:
		return fmt.Errorf("--binary: none given (want PLATFORM=PATH for each platform)")
	case s.source == "":
		return fmt.Errorf("--source is empty: the repository URL goes into %s", annSource)
	case s.revision == "":
		return fmt.Errorf("--revision is empty: the commit goes into %s", annRevision)
	case s.version == "":
		return fmt.Errorf("--version is empty: it goes into %s", annVersion)
	case s.created.IsZero():
		return fmt.Errorf("--created is empty: the commit time goes into %s", annCreated)
	}
	return nil
}

func (s spec) annotations() map[string]string {
	return map[string]string{
		annSource: s.source, annRevision: s.revision, annVersion: s.version,
		annCreated: s.created.UTC().Format(time.RFC3339), annTitle: s.name,
	}
}

// buildIndex assembles the multi-platform image index. base is the shared
// base layer; each platform's image is base + a layer holding /<name>.
func buildIndex(s spec, base v1.Layer) (v1.ImageIndex, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	ann := s.annotations()
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range s.order {
		img, err := platformImage(s, p, base, ann)
		if err != nil {
			return nil, fmt.Errorf("%s for %s: %w", s.name, p, err)
		}
		pc := p
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &pc}})
	}
	return mutate.Annotations(idx, ann).(v1.ImageIndex), nil
}

func platformImage(s spec, p v1.Platform, base v1.Layer, ann map[string]string) (v1.Image, error) {
	bin, err := os.ReadFile(s.binaries[platformString(p)])
	if err != nil {
		return nil, fmt.Errorf("reading the binary: %w", err)
	}
	if err := checkELF(bin, p); err != nil {
		return nil, fmt.Errorf("%s: %w", s.binaries[platformString(p)], err)
	}
	layer, err := newLayer([]file{{path: "/" + s.name, mode: 0o755, data: bin}})
	if err != nil {
		return nil, err
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	at := v1.Time{Time: epoch}
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: base, History: v1.History{Created: at, CreatedBy: "ociimage: CA certificates, /etc/passwd (user " + nonRootUID + ")"}},
		mutate.Addendum{Layer: layer, History: v1.History{Created: at, CreatedBy: "ociimage: /" + s.name}})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	cf.Created = v1.Time{Time: s.created.UTC()}
	cf.Config = v1.Config{
		Entrypoint: []string{"/" + s.name},
		User:       nonRootUID + ":" + nonRootUID,
		WorkingDir: "/",
		Env:        []string{"PATH=/"},
		Labels:     ann,
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, err
	}
	return mutate.Annotations(img, ann).(v1.Image), nil
}
