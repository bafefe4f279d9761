package gceapi

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/api/iterator"
)

// collect drains an apiv1 list iterator. Callers run it inside c.read, which
// retries the whole listing, so a retry starts from the first page again.
func collect[T any](it interface{ Next() (T, error) }) ([]T, error) {
	var out []T
	if err := drain(it, func(v T) { out = append(out, v) }); err != nil {
		return nil, err
	}
	return out, nil
}

// drain calls f with every item of an apiv1 list iterator, page by page.
func drain[T any](it interface{ Next() (T, error) }, f func(T)) error {
	for {
		v, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return nil
		}
		if err != nil {
			return err
		}
		f(v)
	}
}

// pageSize is the largest page GCE serves: fewer reads per listing.
const pageSize = 500

// readOne runs one read through c.read (budget, retries, metrics) and
// returns what it read.
func readOne[T any](c *Client, ctx context.Context, call, target string, f func(ctx context.Context) (T, error)) (T, error) {
	var out T
	err := c.read(ctx, call, target, func(ctx context.Context) error {
		var err error
		out, err = f(ctx)
		return err
	})
	return out, err
}

// optional is a list filter as apiv1 takes it: nil when there is none.
func optional(filter string) *string {
	if filter == "" {
		return nil
	}
	return &filter
}

// maxNamesPerList bounds the names of one NamesFilter list (an operations
// poll, a batch of address reads): 100 names keep the URL well under
// GCE's limits.
const maxNamesPerList = 100

// NamesFilter is a list filter that matches exactly the given names (RFC
// 1035 labels: nothing in them is special to the filter's regular
// expression).
func NamesFilter(names []string) string {
	return fmt.Sprintf(`name eq "(%s)"`, strings.Join(names, "|"))
}
