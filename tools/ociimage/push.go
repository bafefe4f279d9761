package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// target is one image to push: the layout it is in and the tag to push it to.
type target struct {
	layout string
	tag    name.Tag
}

// parseTarget reads LAYOUT=REGISTRY/REPOSITORY:TAG. The registry and the tag
// must be written out: a default (Docker Hub, "latest") is never guessed.
func parseTarget(s string) (target, error) {
	dir, ref, ok := strings.Cut(s, "=")
	if !ok || dir == "" || ref == "" {
		return target{}, fmt.Errorf("--push %q: want LAYOUT_DIR=REGISTRY/REPOSITORY:TAG", s)
	}
	tag, err := parseImage(ref)
	if err != nil {
		return target{}, err
	}
	return target{layout: dir, tag: tag}, nil
}

// parseImage reads REGISTRY/REPOSITORY:TAG strictly.
func parseImage(ref string) (name.Tag, error) {
	if ref == "" {
		return name.Tag{}, fmt.Errorf("IMAGE is empty: want REGISTRY/REPOSITORY:TAG, e.g. europe-docker.pkg.dev/my-project/ccm/gce-cloud-controller-manager:v1")
	}
	tag, err := name.NewTag(ref, name.StrictValidation)
	if err != nil {
		return name.Tag{}, fmt.Errorf("IMAGE %q: want REGISTRY/REPOSITORY:TAG with the registry and the tag written out: %w", ref, err)
	}
	return tag, nil
}

// PushError says which image failed, at which step, and whether any tag
// was written (it never is before every image's content is in).
type PushError struct {
	Image string
	Step  string
	Err   error
}

func (e *PushError) Error() string {
	return fmt.Sprintf("push %s: %s: %v", e.Image, e.Step, e.Err)
}

func (e *PushError) Unwrap() error { return e.Err }

// pushed is one image in the registry.
type pushed struct {
	Tag    name.Tag
	Digest v1.Hash
}

// pushAll pushes the targets so that no tag points at an incomplete set:
//  1. the credentials (authn.DefaultKeychain: docker/podman config, credential
//     helpers) may push to every repository, asked before anything is uploaded;
//  2. every image's blobs and manifests, by digest (an untagged manifest is
//     invisible to anyone pulling by tag);
//  3. the tags, last, once everything they point at is there.
//
// A refusal at 1 or 2 leaves no tag written; at 3 (the registry refused a
// manifest it accepted seconds before) the error names the tags not written.
func pushAll(ctx context.Context, targets []target, kc authn.Keychain, rt http.RoundTripper) ([]pushed, error) {
	idxs := make([]v1.ImageIndex, len(targets))
	for i, t := range targets {
		idx, err := readLayout(t.layout)
		if err != nil {
			return nil, &PushError{Image: t.tag.String(), Step: "reading the image", Err: err}
		}
		idxs[i] = idx
	}
	for _, t := range targets {
		if err := remote.CheckPushPermission(t.tag, kc, rt); err != nil {
			return nil, &PushError{Image: t.tag.String(), Step: "checking push permission (nothing pushed)", Err: err}
		}
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc), remote.WithTransport(rt)}
	out := make([]pushed, len(targets))
	for i, t := range targets {
		d, err := idxs[i].Digest()
		if err != nil {
			return nil, err
		}
		if err := remote.WriteIndex(t.tag.Context().Digest(d.String()), idxs[i], opts...); err != nil {
			return nil, &PushError{Image: t.tag.String(), Step: "uploading by digest (no tag written)", Err: err}
		}
		out[i] = pushed{Tag: t.tag, Digest: d}
	}
	for i, t := range targets {
		if err := remote.Tag(t.tag, idxs[i], opts...); err != nil {
			var missing []string
			for _, u := range targets[i:] {
				missing = append(missing, u.tag.String())
			}
			return nil, &PushError{Image: t.tag.String(), Step: "tagging (content uploaded; tags not written: " +
				strings.Join(missing, ", ") + ")", Err: err}
		}
	}
	return out, nil
}

// sibling is image's repository with its last path element replaced by
// name, same registry and tag: where `make push` puts fakecompute by default.
func sibling(image, name string) (name.Tag, error) {
	tag, err := parseImage(image)
	if err != nil {
		return tag, err
	}
	repo := tag.Context().RepositoryStr()
	dir := ""
	if i := strings.LastIndex(repo, "/"); i >= 0 {
		dir = repo[:i+1]
	}
	return parseImage(tag.Context().RegistryStr() + "/" + dir + name + ":" + tag.TagStr())
}
