package fakecompute_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	gce "google.golang.org/api/compute/v1"
	"google.golang.org/api/iterator"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// insertRoutes creates n routes named k8s-NNNN with a few workers.
func (e *env) insertRoutes(n int) []string {
	e.t.Helper()
	names := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	work := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				op, err := e.routes.Insert(e.ctx, &computepb.InsertRouteRequest{Project: project, RouteResource: &computepb.Route{
					Name: proto.String(names[i]), Network: proto.String("global/networks/default"),
					DestRange: proto.String(fmt.Sprintf("10.%d.%d.0/24", 64+i/256, i%256)), NextHopIp: proto.String("10.128.0.9")}})
				if err == nil {
					err = op.Wait(e.ctx)
				}
				if err != nil {
					errs <- fmt.Errorf("%s: %w", names[i], err)
				}
			}
		}()
	}
	for i := range n {
		names[i] = fmt.Sprintf("k8s-%04d", i)
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		e.t.Fatal(err)
	}
	return names
}

// TestPaging pages 1,200 routes and the default network's system routes
// (28: its route to the internet, a local route per region's subnet) with
// both clients' iterators.
func TestPaging(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	system := e.routeNames("")
	want := sortedUnion(system, e.insertRoutes(1200))
	total := len(want)

	cases := []struct {
		name     string
		pageSize int
	}{
		{"default page size", 0},
		{"maxResults 500", 500},
		{"maxResults 250", 250},
		{"maxResults 1000 is capped at 500", 1000},
		{"maxResults 7", 7},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var wantPages []int
			page := maxPage
			if tc.pageSize > 0 {
				page = min(tc.pageSize, maxPage)
			}
			for left := total; left > 0; left -= page {
				wantPages = append(wantPages, min(left, page))
			}
			// apiv1: a pager over the iterator.
			req := &computepb.ListRoutesRequest{Project: project}
			if tc.pageSize > 0 {
				req.MaxResults = proto.Uint32(uint32(tc.pageSize))
			}
			pager := iterator.NewPager(e.routes.List(e.ctx, req), max(tc.pageSize, 1), "")
			if tc.pageSize == 0 {
				pager = iterator.NewPager(e.routes.List(e.ctx, req), 500, "")
			}
			var got []string
			var sizes []int
			for {
				var page []*computepb.Route
				tok, err := pager.NextPage(&page)
				if err != nil {
					t.Fatal(err)
				}
				sizes = append(sizes, len(page))
				for _, r := range page {
					got = append(got, r.GetName())
				}
				if tok == "" {
					break
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("apiv1 names (-want +got)\n%s", diff)
			}
			if tc.pageSize <= maxPage && !cmp.Equal(wantPages, sizes) {
				t.Errorf("apiv1 page sizes %v, want %v", sizes, wantPages)
			}

			// Legacy: Pages follows nextPageToken.
			got, sizes = nil, nil
			call := e.legacy.Routes.List(project)
			if tc.pageSize > 0 {
				call = call.MaxResults(int64(tc.pageSize))
			}
			err := call.Pages(e.ctx, func(l *gce.RouteList) error {
				sizes = append(sizes, len(l.Items))
				for _, r := range l.Items {
					got = append(got, r.Name)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("legacy names (-want +got)\n%s", diff)
			}
			if diff := cmp.Diff(wantPages, sizes); diff != "" {
				t.Errorf("legacy page sizes (-want +got)\n%s", diff)
			}
		})
	}

	// The apiv1 iterator counts the HTTP pages it fetched.
	e.ts.ResetStats()
	if n := len(e.routeNames("")); n != total {
		t.Errorf("iterator saw %d routes, want %d", n, total)
	}
	if got := e.ts.Stats().Calls["compute.routes.list"]; got != 3 {
		t.Errorf("iterator made %d list calls, want 3", got)
	}
}

const maxPage = 500

// sortedUnion is the sorted union of name lists, as a list answers them.
func sortedUnion(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestPagingIsStableUnderChange: a page token resumes after the last item
// handed out, so deleting or adding earlier items between two pages
// neither repeats nor skips any item that was there all along.
func TestPagingIsStableUnderChange(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	system := e.routeNames("")
	names := sortedUnion(system, e.insertRoutes(30))
	// The first page: the system routes (which sort first) and 10 of ours.
	size := int64(len(system) + 10)
	first, err := e.legacy.Routes.List(project).MaxResults(size).Do()
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(first.Items)) != size || first.NextPageToken == "" {
		t.Fatalf("first page: %d items, token %q", len(first.Items), first.NextPageToken)
	}
	// Change the part already handed out.
	for _, n := range e.userRouteNames("")[:5] {
		if _, err := e.legacy.Routes.Delete(project, n).Do(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.legacy.Routes.Insert(project, &gce.Route{Name: "a-new", Network: "global/networks/default",
		DestRange: "10.200.0.0/24", NextHopIp: "10.128.0.9"}).Do(); err != nil {
		t.Fatal(err)
	}
	var rest []string
	err = e.legacy.Routes.List(project).MaxResults(10).PageToken(first.NextPageToken).Pages(e.ctx, func(l *gce.RouteList) error {
		for _, r := range l.Items {
			rest = append(rest, r.Name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(names[size:], rest); diff != "" {
		t.Errorf("pages after the token (-want +got)\n%s", diff)
	}
}

// TestListFilters covers the filter forms gcloud and the Go clients send,
// with both clients.
func TestListFilters(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	e.seed(fakecompute.InstanceSeed{Name: "fwd", Zone: zoneA, CanIPForward: true}, fakecompute.InstanceSeed{Name: "nofwd", Zone: zoneA})
	for _, r := range []struct {
		name, dest, vm string
		priority       uint32
	}{
		{"k8s-a", "10.0.1.0/24", "fwd", 1000},
		{"k8s-b", "10.0.2.0/24", "nofwd", 900},
		{"k8s-c", "10.0.10.0/24", "ghost", 1000},
	} {
		req := routeReq(r.name, r.dest, r.vm)
		req.RouteResource.Priority = proto.Uint32(r.priority)
		op, err := e.routes.Insert(e.ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if err := op.Wait(e.ctx); err != nil {
			t.Fatal(err)
		}
	}
	op, err := e.routes.Insert(e.ctx, &computepb.InsertRouteRequest{Project: project, RouteResource: &computepb.Route{
		Name: proto.String("other"), Network: proto.String("global/networks/default"), DestRange: proto.String("10.0.1.0/24"),
		Priority: proto.Uint32(500), NextHopGateway: proto.String("global/gateways/default-internet-gateway")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := op.Wait(e.ctx); err != nil {
		t.Fatal(err)
	}

	// The default network's system routes answer every filter they match:
	// the internet route (priority 1000, a gateway) and the local routes
	// (priority 0, nextHopNetwork).
	system := e.routeNames(`name eq "default-route-.*"`)
	internet := e.routeNames(`(name eq "default-route-.*") (nextHopGateway eq ".*default-internet-gateway")`)
	if len(system) != len(e.regionNames())+1 || len(internet) != 1 {
		t.Fatalf("system routes %v, internet %v: want one per region and one to the internet", system, internet)
	}
	with := func(sys []string, ours ...string) []string { return sortedUnion(sys, ours) }
	cases := []struct {
		filter string
		want   []string
	}{
		{``, with(system, "k8s-a", "k8s-b", "k8s-c", "other")},
		{`name eq "k8s-.*"`, []string{"k8s-a", "k8s-b", "k8s-c"}},
		{`name eq k8s-.*`, []string{"k8s-a", "k8s-b", "k8s-c"}},
		{`name eq "k8s"`, nil}, // eq is a full match
		{`name eq "K8S-.*"`, nil},
		{`name ne "k8s-.*"`, with(system, "other")},
		// gcloud --filter='name~^k8s AND destRange:10.0.1'
		{`(name eq ".*(^k8s).*")(destRange eq ".*\b10\.0\.1\b.*")`, []string{"k8s-a"}},
		// gcloud --filter='name=k8s-a'
		{`name eq ".*\bk8s\-a\b.*"`, []string{"k8s-a"}},
		{`name = "k8s-a"`, []string{"k8s-a"}},
		{`name = k8s-*`, []string{"k8s-a", "k8s-b", "k8s-c"}},
		{`name = "k8s-.*"`, nil}, // = is literal
		{`name != "k8s-a"`, with(system, "k8s-b", "k8s-c", "other")},
		{`(name = "k8s-a") OR (name = "other")`, []string{"k8s-a", "other"}},
		{`name = "k8s-a" OR name = "other"`, []string{"k8s-a", "other"}},
		{`name eq "k8s-.*" AND priority < 1000`, []string{"k8s-b"}},
		{`(name eq "k8s-a" OR name eq "k8s-b") destRange eq "10\.0\.2\..*"`, []string{"k8s-b"}},
		{`priority >= 1000`, with(internet, "k8s-a", "k8s-c")},
		{`priority > 500 priority <= 900`, []string{"k8s-b"}},
		{`warnings.code eq "NEXT_HOP_.*"`, []string{"k8s-b", "k8s-c"}},
		{`warnings.code = NEXT_HOP_INSTANCE_NOT_FOUND`, []string{"k8s-c"}},
		{`nextHopGateway:*`, with(internet, "other")},
		{`nextHopNetwork:*`, with(slices.DeleteFunc(slices.Clone(system), func(n string) bool { return slices.Contains(internet, n) }))},
		{`network eq ".*(default).*"`, with(system, "k8s-a", "k8s-b", "k8s-c", "other")},
		// k8s-cloud-provider (the upstream provider): unquoted values up to a
		// blank outside parentheses, the network as a URL on the api-endpoint
		// it was given (here: any host, any API version).
		{`(name eq k8s-.*) (network eq http://127.0.0.1:8080/compute/v1/projects/demo/global/networks/default)`, []string{"k8s-a", "k8s-b", "k8s-c"}},
		{`network eq https://compute.googleapis.com/compute/beta/projects/demo/global/networks/default`, with(system, "k8s-a", "k8s-b", "k8s-c", "other")},
		{`network eq http://127.0.0.1:8080/compute/v1/projects/demo/global/networks/other`, nil},
		{`name eq (k8s-a|other)`, []string{"k8s-a", "other"}},
		{`(name eq (k8s-a|k8s-b)) (priority eq 900)`, []string{"k8s-b"}},
		{`(name ne k8s-.*)`, with(system, "other")},
	}
	for _, tc := range cases {
		t.Run(tc.filter, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, e.routeNames(tc.filter)); diff != "" {
				t.Errorf("apiv1 (-want +got)\n%s", diff)
			}
			l, err := e.legacy.Routes.List(project).Filter(tc.filter).Do()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range l.Items {
				got = append(got, r.Name)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("legacy (-want +got)\n%s", diff)
			}
		})
	}
}

// TestBadFilters: a filter that does not parse is a 400 naming 'filter'.
func TestBadFilters(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	bad := []string{
		`name eq`,
		`name eq "("`,
		`(name eq "x"`,
		`name eq "x")`,
		`name ~ "x"`,
		`"x" eq name`,
		`name eq "x" OR`,
		`AND`,
		`name eq "unterminated`,
		`name = =`,
		`name eq "x" !`,
		`(name eq )`,
		`name eq (k8s-a|`,
		strings.Repeat("(", 100) + `name eq "x"` + strings.Repeat(")", 100),
	}
	for _, f := range bad {
		t.Run(f, func(t *testing.T) {
			for _, path := range []string{"/compute/v1/projects/demo/global/routes", "/compute/v1/projects/demo/aggregated/instances"} {
				r := e.raw("GET", path+"?filter="+url.QueryEscape(f), "")
				if r.status != 400 || r.reason() != "invalid" || !strings.Contains(r.err.Error.Message, "'filter'") {
					t.Errorf("%s: %d %s %q, want 400 invalid naming 'filter'", path, r.status, r.reason(), r.err.Error.Message)
				}
			}
			_, err := e.legacy.Routes.List(project).Filter(f).Do()
			if diff := cmp.Diff(errSummary{400, "invalid"}, summarize(err)); diff != "" {
				t.Errorf("legacy (-want +got)\n%s", diff)
			}
		})
	}
	for _, q := range []string{"maxResults=-1", "maxResults=ten", "pageToken=bm9wZQ", "pageToken=%25%25"} {
		r := e.raw("GET", "/compute/v1/projects/demo/global/routes?"+q, "")
		if r.status != 400 || r.reason() != "invalid" {
			t.Errorf("%s: %d %s, want 400 invalid", q, r.status, r.reason())
		}
	}
}
