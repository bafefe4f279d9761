package fakecompute_test

import (
	"google.golang.org/protobuf/proto"
	"testing"

	compute "cloud.google.com/go/compute/apiv1"
	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// TestTopologyReads covers the read-only surface clients use to find their
// way: project, regions, zones, machine types and public images, through
// both Go clients. Each case renders the answer as a short string, so one
// table states what both clients must see.
func TestTopologyReads(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	co := e.ts.ClientOptions()
	projects, err := compute.NewProjectsRESTClient(e.ctx, co...)
	if err != nil {
		t.Fatal(err)
	}
	defer projects.Close()
	regions, err := compute.NewRegionsRESTClient(e.ctx, co...)
	if err != nil {
		t.Fatal(err)
	}
	defer regions.Close()
	zones, err := compute.NewZonesRESTClient(e.ctx, co...)
	if err != nil {
		t.Fatal(err)
	}
	defer zones.Close()
	mts, err := compute.NewMachineTypesRESTClient(e.ctx, co...)
	if err != nil {
		t.Fatal(err)
	}
	defer mts.Close()
	images, err := compute.NewImagesRESTClient(e.ctx, co...)
	if err != nil {
		t.Fatal(err)
	}
	defer images.Close()

	type result struct {
		Got string
		Err errSummary
	}
	cases := []struct {
		name   string
		apiv1  func() (string, error)
		legacy func() (string, error)
		want   result
	}{
		{
			name: "projects.get",
			apiv1: func() (string, error) {
				p, err := projects.Get(e.ctx, &computepb.GetProjectRequest{Project: project})
				return p.GetName() + " " + p.GetSelfLink() + " " + p.GetDefaultServiceAccount(), err
			},
			legacy: func() (string, error) {
				p, err := e.legacy.Projects.Get(project).Do()
				if err != nil {
					return "", err
				}
				return p.Name + " " + p.SelfLink + " " + p.DefaultServiceAccount, nil
			},
			want: result{Got: "demo " + base + "projects/demo 123456789012-compute@developer.gserviceaccount.com"},
		},
		{
			name: "projects.get unknown project",
			apiv1: func() (string, error) {
				_, err := projects.Get(e.ctx, &computepb.GetProjectRequest{Project: "nope"})
				return "", err
			},
			legacy: func() (string, error) { _, err := e.legacy.Projects.Get("nope").Do(); return "", err },
			want:   result{Err: errSummary{404, "notFound"}},
		},
		{
			name: "regions.list",
			apiv1: func() (string, error) {
				var out string
				it := regions.List(e.ctx, &computepb.ListRegionsRequest{Project: project, Filter: proto.String("name eq us-central1")})
				for r, err := it.Next(); err == nil; r, err = it.Next() {
					out += r.GetName() + " " + r.GetStatus() + " " + lastSegments(r.GetZones())
				}
				return out, nil
			},
			legacy: func() (string, error) {
				l, err := e.legacy.Regions.List(project).Filter("name eq us-central1").Do()
				if err != nil {
					return "", err
				}
				var out string
				for _, r := range l.Items {
					out += r.Name + " " + r.Status + " " + lastSegments(r.Zones)
				}
				return out, nil
			},
			want: result{Got: "us-central1 UP us-central1-a,us-central1-b,us-central1-c"},
		},
		{
			name: "regions.get",
			apiv1: func() (string, error) {
				r, err := regions.Get(e.ctx, &computepb.GetRegionRequest{Project: project, Region: region})
				return r.GetSelfLink(), err
			},
			legacy: func() (string, error) {
				r, err := e.legacy.Regions.Get(project, region).Do()
				if err != nil {
					return "", err
				}
				return r.SelfLink, nil
			},
			want: result{Got: base + "projects/demo/regions/us-central1"},
		},
		{
			name: "regions.get unknown",
			apiv1: func() (string, error) {
				_, err := regions.Get(e.ctx, &computepb.GetRegionRequest{Project: project, Region: "mars-north1"})
				return "", err
			},
			legacy: func() (string, error) { _, err := e.legacy.Regions.Get(project, "mars-north1").Do(); return "", err },
			want:   result{Err: errSummary{404, "notFound"}},
		},
		{
			name: "zones.list",
			apiv1: func() (string, error) {
				var out []string
				it := zones.List(e.ctx, &computepb.ListZonesRequest{Project: project, Filter: proto.String("region eq .*/regions/us-central1")})
				for z, err := it.Next(); err == nil; z, err = it.Next() {
					out = append(out, z.GetName())
				}
				return lastSegments(out), nil
			},
			legacy: func() (string, error) {
				l, err := e.legacy.Zones.List(project).Filter("region eq .*/regions/us-central1").Do()
				if err != nil {
					return "", err
				}
				var out []string
				for _, z := range l.Items {
					out = append(out, z.Name)
				}
				return lastSegments(out), nil
			},
			want: result{Got: "us-central1-a,us-central1-b,us-central1-c"},
		},
		{
			name: "zones.get",
			apiv1: func() (string, error) {
				z, err := zones.Get(e.ctx, &computepb.GetZoneRequest{Project: project, Zone: zoneB})
				return z.GetName() + " " + z.GetStatus() + " " + z.GetRegion(), err
			},
			legacy: func() (string, error) {
				z, err := e.legacy.Zones.Get(project, zoneB).Do()
				if err != nil {
					return "", err
				}
				return z.Name + " " + z.Status + " " + z.Region, nil
			},
			want: result{Got: "us-central1-b UP " + base + "projects/demo/regions/us-central1"},
		},
		{
			name: "zones.get unknown",
			apiv1: func() (string, error) {
				_, err := zones.Get(e.ctx, &computepb.GetZoneRequest{Project: project, Zone: "us-central1-z"})
				return "", err
			},
			legacy: func() (string, error) { _, err := e.legacy.Zones.Get(project, "us-central1-z").Do(); return "", err },
			want:   result{Err: errSummary{404, "notFound"}},
		},
		{
			name: "machineTypes.get",
			apiv1: func() (string, error) {
				m, err := mts.Get(e.ctx, &computepb.GetMachineTypeRequest{Project: project, Zone: zoneA, MachineType: "e2-standard-4"})
				return m.GetSelfLink() + " " + m.GetDescription(), err
			},
			legacy: func() (string, error) {
				m, err := e.legacy.MachineTypes.Get(project, zoneA, "e2-standard-4").Do()
				if err != nil {
					return "", err
				}
				return m.SelfLink + " " + m.Description, nil
			},
			want: result{Got: base + "projects/demo/zones/us-central1-a/machineTypes/e2-standard-4 4 vCPUs, 16384 MB RAM"},
		},
		{
			name: "machineTypes.get unknown",
			apiv1: func() (string, error) {
				_, err := mts.Get(e.ctx, &computepb.GetMachineTypeRequest{Project: project, Zone: zoneA, MachineType: "z9-huge"})
				return "", err
			},
			legacy: func() (string, error) {
				_, err := e.legacy.MachineTypes.Get(project, zoneA, "z9-huge").Do()
				return "", err
			},
			want: result{Err: errSummary{404, "notFound"}},
		},
		{
			name: "images.get debian-cloud/debian-12-bookworm-v20250212",
			apiv1: func() (string, error) {
				i, err := images.Get(e.ctx, &computepb.GetImageRequest{Project: "debian-cloud", Image: "debian-12-bookworm-v20250212"})
				return i.GetSelfLink() + " " + i.GetStatus() + " " + i.GetFamily(), err
			},
			legacy: func() (string, error) {
				i, err := e.legacy.Images.Get("debian-cloud", "debian-12-bookworm-v20250212").Do()
				if err != nil {
					return "", err
				}
				return i.SelfLink + " " + i.Status + " " + i.Family, nil
			},
			want: result{Got: base + "projects/debian-cloud/global/images/debian-12-bookworm-v20250212 READY debian-12"},
		},
		{
			// A family is no image: GCE's 404.
			name: "images.get debian-cloud/debian-12 (a family)",
			apiv1: func() (string, error) {
				_, err := images.Get(e.ctx, &computepb.GetImageRequest{Project: "debian-cloud", Image: "debian-12"})
				return "", err
			},
			legacy: func() (string, error) {
				_, err := e.legacy.Images.Get("debian-cloud", "debian-12").Do()
				return "", err
			},
			want: result{Err: errSummary{404, "notFound"}},
		},
		{
			// The family's newest image that is not deprecated (an older one is).
			name: "images.getFromFamily debian-cloud/debian-12",
			apiv1: func() (string, error) {
				i, err := images.GetFromFamily(e.ctx, &computepb.GetFromFamilyImageRequest{Project: "debian-cloud", Family: "debian-12"})
				return i.GetName() + " " + i.GetFamily(), err
			},
			legacy: func() (string, error) {
				i, err := e.legacy.Images.GetFromFamily("debian-cloud", "debian-12").Do()
				if err != nil {
					return "", err
				}
				return i.Name + " " + i.Family, nil
			},
			want: result{Got: "debian-12-bookworm-v20250212 debian-12"},
		},
		{
			name: "images.get a deprecated image",
			apiv1: func() (string, error) {
				i, err := images.Get(e.ctx, &computepb.GetImageRequest{Project: "debian-cloud", Image: "debian-12-bookworm-v20250113"})
				return i.GetDeprecated().GetState() + " " + i.GetDeprecated().GetReplacement(), err
			},
			legacy: func() (string, error) {
				i, err := e.legacy.Images.Get("debian-cloud", "debian-12-bookworm-v20250113").Do()
				if err != nil {
					return "", err
				}
				return i.Deprecated.State + " " + i.Deprecated.Replacement, nil
			},
			want: result{Got: "DEPRECATED " + base + "projects/debian-cloud/global/images/debian-12-bookworm-v20250212"},
		},
		{
			name: "images.getFromFamily unknown",
			apiv1: func() (string, error) {
				_, err := images.GetFromFamily(e.ctx, &computepb.GetFromFamilyImageRequest{Project: "debian-cloud", Family: "debian-7"})
				return "", err
			},
			legacy: func() (string, error) {
				_, err := e.legacy.Images.GetFromFamily("debian-cloud", "debian-7").Do()
				return "", err
			},
			want: result{Err: errSummary{404, "notFound"}},
		},
		{
			name: "images.get unknown",
			apiv1: func() (string, error) {
				_, err := images.Get(e.ctx, &computepb.GetImageRequest{Project: "debian-cloud", Image: "debian-1"})
				return "", err
			},
			legacy: func() (string, error) { _, err := e.legacy.Images.Get("debian-cloud", "debian-1").Do(); return "", err },
			want:   result{Err: errSummary{404, "notFound"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for client, call := range map[string]func() (string, error){"apiv1": tc.apiv1, "legacy": tc.legacy} {
				got, err := call()
				r := result{Err: summarize(err)}
				if err == nil {
					r.Got = got
				}
				if diff := cmp.Diff(tc.want, r); diff != "" {
					t.Errorf("%s: (-want +got)\n%s", client, diff)
				}
			}
		})
	}
}

// lastSegments joins the names at the end of URLs or paths.
func lastSegments(links []string) string {
	out := ""
	for i, l := range links {
		if i > 0 {
			out += ","
		}
		for j := len(l) - 1; j >= 0; j-- {
			if l[j] == '/' {
				l = l[j+1:]
				break
			}
		}
		out += l
	}
	return out
}
