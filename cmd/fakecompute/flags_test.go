package main

import (
	"errors"
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseServeFlags(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		check func(c config) bool
	}{
		{"defaults", nil, func(c config) bool {
			return c.listen == "127.0.0.1:8080" && c.opts.Project == "demo" && c.opts.Region == "us-central1" &&
				reflect.DeepEqual(c.opts.Zones, []string{"us-central1-a", "us-central1-b", "us-central1-c"}) &&
				c.opts.ProjectNumber == 123456789012 && !c.opts.RequireAuth && c.stateInterval == 30*time.Second
		}},
		{"zones follow the region", []string{"--region", "europe-west4"}, func(c config) bool {
			return reflect.DeepEqual(c.opts.Zones, []string{"europe-west4-a", "europe-west4-b", "europe-west4-c"})
		}},
		{"everything", []string{"--listen", "localhost:0", "--project", "p-1", "--project-number", "42", "--zones", "us-central1-f, us-central1-b",
			"--operation-latency", "2s", "--reads-per-minute", "1500", "--mutations-per-minute", "600", "--quota", "ROUTES=250",
			"--quota", "INSTANCES=8", "--require-auth", "--seed", "7", "--metadata-instance", "us-central1-f/ccm", "--state-file", "s.json",
			"--state-save-interval", "1m", "--seed-instances", "5"}, func(c config) bool {
			return c.listen == "localhost:0" && c.opts.Project == "p-1" && c.opts.ProjectNumber == 42 &&
				reflect.DeepEqual(c.opts.Zones, []string{"us-central1-f", "us-central1-b"}) && c.opts.OperationLatency == 2*time.Second &&
				c.rates.ReadsPerMinute == 1500 && c.rates.MutationsPerMinute == 600 &&
				reflect.DeepEqual(c.quotas, map[string]float64{"ROUTES": 250, "INSTANCES": 8}) && c.opts.RequireAuth && c.opts.Seed == 7 &&
				c.opts.MetadataInstance == "us-central1-f/ccm" && c.stateFile == "s.json" && c.stateInterval == time.Minute && c.seedInstances == 5
		}},
		{"extra projects", []string{"--extra-project", "host", "--extra-project", "other-1"}, func(c config) bool {
			return reflect.DeepEqual(c.opts.ExtraProjects, []string{"host", "other-1"})
		}},
		{"IPv6 loopback", []string{"--listen", "[::1]:9000"}, func(c config) bool { return c.listen == "[::1]:9000" }},
		{"wildcard when allowed", []string{"--listen", "0.0.0.0:9000", "--allow-non-loopback"}, func(c config) bool { return c.allowNonLoopback }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseServeFlags(tc.args, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(c) {
				t.Errorf("config %+v", c)
			}
		})
	}
}

func TestParseServeFlagsNamesTheFlagAndTheProblem(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--listen", "0.0.0.0:8080"}, `--listen: "0.0.0.0:8080" is not a loopback address`},
		{[]string{"--listen", ":8080"}, `--listen: ":8080" is not a loopback address`},
		{[]string{"--listen", "10.0.0.1:80"}, "not a loopback address"},
		{[]string{"--listen", "127.0.0.1"}, `--listen: "127.0.0.1" is not host:port`},
		{[]string{"--listen", "127.0.0.1:http2"}, "--listen: port"},
		{[]string{"--project", "Demo"}, `--project: "Demo" is not a project id`},
		{[]string{"--extra-project", "Host"}, `--extra-project: "Host" is not a project id`},
		{[]string{"--extra-project", "demo"}, `--extra-project: "demo" is already --project`},
		{[]string{"--extra-project", "h", "--extra-project", "h"}, `--extra-project: "h" is listed twice`},
		{[]string{"--project-number", "-3"}, "--project-number: -3 is not a positive number"},
		{[]string{"--project-number", "x"}, `invalid value "x" for flag -project-number`},
		{[]string{"--zones", "us-east1-b"}, `--zones: zone "us-east1-b" is not in region us-central1`},
		{[]string{"--zones", "us-central1-a,us-central1-a"}, `--zones: zone "us-central1-a" is listed twice`},
		{[]string{"--operation-latency", "-1s"}, "--operation-latency: -1s is negative"},
		{[]string{"--operation-latency", "soon"}, `invalid value "soon" for flag -operation-latency`},
		{[]string{"--reads-per-minute", "-1"}, "--reads-per-minute: -1 is negative"},
		{[]string{"--mutations-per-minute", "-1"}, "--mutations-per-minute: -1 is negative"},
		{[]string{"--quota", "ROUTES"}, `flag -quota: "ROUTES" is not METRIC=LIMIT`},
		{[]string{"--quota", "ROUTS=5"}, `flag -quota: unknown metric "ROUTS"`},
		{[]string{"--quota", "ROUTES=-5"}, `flag -quota: limit "-5" of ROUTES is not a non-negative number`},
		{[]string{"--metadata-instance", "ccm"}, `--metadata-instance: "ccm" is not zone/name`},
		{[]string{"--metadata-instance", "us-east1-b/ccm"}, `--metadata-instance: zone "us-east1-b" is not one of --zones`},
		{[]string{"--state-save-interval", "0s"}, "--state-save-interval: 0s is not positive"},
		{[]string{"--seed-instances", "-2"}, "--seed-instances: -2 is negative"},
		{[]string{"--no-such-flag"}, "flag provided but not defined: -no-such-flag"},
		{[]string{"serve"}, `unexpected argument "serve"`},
	} {
		_, err := parseServeFlags(tc.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want it to contain %q", tc.args, err, tc.want)
		}
	}
	// Every problem is reported at once, not one per run.
	_, err := parseServeFlags([]string{"--project", "X", "--seed-instances", "-1"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--project") || !strings.Contains(err.Error(), "--seed-instances") {
		t.Errorf("two problems: %v", err)
	}
}

func TestHelpPrintsUsage(t *testing.T) {
	var out strings.Builder
	if _, err := parseServeFlags([]string{"-h"}, &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	if !strings.Contains(out.String(), "-metadata-instance") || !strings.Contains(out.String(), "fakecompute keyfile") {
		t.Errorf("usage: %s", out.String())
	}
}
