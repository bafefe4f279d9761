package main

import (
	"fmt"
	"io"
	"strings"
)

// printBanner tells how to point each supported client at the emulator.
func printBanner(w io.Writer, addr string, c config) {
	base := "http://" + addr
	fmt.Fprintf(w, "fakecompute: listening on %s\n", base)
	fmt.Fprintf(w, "project %s (number %d), region %s, zones %s\n", c.opts.Project, c.opts.ProjectNumber,
		c.opts.Region, strings.Join(c.opts.Zones, ","))
	if len(c.opts.ExtraProjects) > 0 {
		fmt.Fprintf(w, "also projects %s (each with its default network)\n", strings.Join(c.opts.ExtraProjects, ","))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, `Point clients at it:
  gcloud:
    gcloud config set api_endpoint_overrides/compute %[1]s/compute/v1/
    gcloud config set auth/disable_credentials true
    gcloud config set project %[2]s
  terraform (hashicorp/google):
    provider "google" {
      compute_custom_endpoint = "%[1]s/compute/v1/"
      access_token            = "fake"
      project                 = "%[2]s"
    }
  cloud.google.com/go/compute/apiv1:
    option.WithEndpoint("%[1]s"), option.WithoutAuthentication()
  google.golang.org/api/compute/v1:
    option.WithEndpoint("%[1]s/compute/v1/"), option.WithoutAuthentication()
  upstream GCE cloud provider (gce.conf; its token from the metadata server below):
    [global]
    api-endpoint = %[1]s/compute/v1/
    project-id = %[2]s
    local-zone = %[4]s
    multizone = true
    network-name = default
  metadata server and Application Default Credentials:
    export GCE_METADATA_HOST=%[3]s
`, base, c.opts.Project, addr, c.opts.Zones[0]) // validate: at least one zone
	if c.opts.RequireAuth {
		fmt.Fprintf(w, `
--require-auth is on: API requests need a token this emulator issued.
  Go clients: export GCE_METADATA_HOST=%[2]s (ADC from the metadata server), or
              fakecompute keyfile --url %[1]s --project %[3]s --out key.json; export GOOGLE_APPLICATION_CREDENTIALS=key.json
  gcloud, terraform: fetch a token and use it instead of disable_credentials / "fake":
    curl -s -H Metadata-Flavor:Google %[1]s/computeMetadata/v1/instance/service-accounts/default/token
    (gcloud: auth/access_token_file; terraform: access_token)
`, base, addr, c.opts.Project)
	}
	fmt.Fprintf(w, "\nAdmin API: %s/_internal/ (healthz, stats, log, faults, settings, state)\n", base)
}
