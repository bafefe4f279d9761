package fakecompute

import (
	"slices"
	"strings"

	compute "google.golang.org/api/compute/v1"
)

// Public images: the families terraform and gcloud commonly resolve, each
// with dated images as GCE publishes them (an image is named after its
// release, a family after the line: debian-12-bookworm-v20250212 is in
// family debian-12). images/<image> serves an image; images/<family> is
// GCE's 404, a family being no image; images/family/<family> serves the
// family's newest image that is not deprecated (images.getFromFamily).
// A VM's boot disk made from a family reference records the image it
// resolved to.

// publicImage is one published image.
type publicImage struct {
	project, name, family string
	created               string // RFC 3339, GCE's creationTimestamp
	deprecated            bool   // replaced by the family's newer image
}

var publicImages = []publicImage{
	{"debian-cloud", "debian-12-bookworm-v20250113", "debian-12", "2025-01-13T18:30:00.000-08:00", true},
	{"debian-cloud", "debian-12-bookworm-v20250212", "debian-12", "2025-02-12T18:30:00.000-08:00", false},
	{"debian-cloud", "debian-11-bullseye-v20250212", "debian-11", "2025-02-12T18:29:00.000-08:00", false},
	{"ubuntu-os-cloud", "ubuntu-2404-noble-amd64-v20250130", "ubuntu-2404-lts-amd64", "2025-01-30T09:00:00.000-08:00", false},
	{"ubuntu-os-cloud", "ubuntu-2204-jammy-v20250128", "ubuntu-2204-lts", "2025-01-28T09:00:00.000-08:00", false},
	{"cos-cloud", "cos-stable-117-18613-164-4", "cos-stable", "2025-02-05T10:00:00.000-08:00", false},
	{"cos-cloud", "cos-117-18613-164-4", "cos-117-lts", "2025-02-05T10:00:00.000-08:00", false},
}

// imageObject is the image project/name, as images.get answers it.
func imageObject(project, name string) (*compute.Image, bool) {
	i := slices.IndexFunc(publicImages, func(p publicImage) bool { return p.project == project && p.name == name })
	if i < 0 {
		return nil, false
	}
	p := publicImages[i]
	img := &compute.Image{Kind: "compute#image", Name: p.name, Id: imageID(i), Family: p.family,
		Status: "READY", DiskSizeGb: 10, Architecture: "X86_64", SourceType: "RAW",
		SelfLink: GlobalKey(project, "images", p.name).SelfLink(), CreationTimestamp: p.created}
	if p.deprecated {
		img.Deprecated = &compute.DeprecationStatus{State: "DEPRECATED", Replacement: newestOf(project, p.family).SelfLink}
	}
	return img, true
}

// imageID is a stable id per image, in GCE's range of large numbers.
func imageID(i int) uint64 { return 5_000_000_000_000_000_000 + uint64(i) }

// newestOf is a family's newest image that is not deprecated; nil when
// the family has none.
func newestOf(project, family string) *compute.Image {
	var best *publicImage
	for i := range publicImages {
		p := &publicImages[i]
		if p.project == project && p.family == family && !p.deprecated && (best == nil || p.created > best.created) {
			best = p
		}
	}
	if best == nil {
		return nil
	}
	img, _ := imageObject(project, best.name)
	return img
}

func getImage(c *call) (any, error) {
	img, ok := imageObject(c.project, c.name)
	if !ok {
		return nil, errNotFound(c.key())
	}
	return img, nil
}

// getImageFromFamily is images.getFromFamily.
func getImageFromFamily(c *call) (any, error) {
	img := newestOf(c.project, c.name)
	if img == nil {
		return nil, &apiError{Code: 404, Reason: "notFound",
			Message: "The resource 'projects/" + c.project + "/global/images/family/" + c.name + "' was not found"}
	}
	return img, nil
}

// resolveImage is the image a boot disk's sourceImage names: an image
// (global/images/<image>) or a family's newest (global/images/family/<f>),
// in the VM's project unless the reference names another; field names the
// reference in errors.
func resolveImage(field, ref, project string) (*compute.Image, error) {
	rest := ref
	if i := strings.Index(rest, "projects/"); i >= 0 {
		rest = rest[i+len("projects/"):]
		p, after, _ := strings.Cut(rest, "/")
		project, rest = p, after
	}
	rest = strings.TrimPrefix(rest, "global/")
	if family, ok := strings.CutPrefix(rest, "images/family/"); ok {
		if img := newestOf(project, family); img != nil {
			return img, nil
		}
		return nil, &apiError{Code: 404, Reason: "notFound",
			Message: "The resource 'projects/" + project + "/global/images/family/" + family + "' was not found"}
	}
	name, ok := strings.CutPrefix(rest, "images/")
	if !ok || name == "" || strings.Contains(name, "/") {
		return nil, errInvalid("Invalid value for field '%s': '%s'. The URL is malformed.", field, ref)
	}
	if img, ok := imageObject(project, name); ok {
		return img, nil
	}
	return nil, errNotFound(GlobalKey(project, "images", name))
}
