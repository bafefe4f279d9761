package gceapi

import (
	"errors"

	"google.golang.org/api/iterator"
)

// collect drains an apiv1 list iterator. Callers run it inside c.read, which
// retries the whole listing, so a retry starts from the first page again.
func collect[T any](it interface{ Next() (T, error) }) ([]T, error) {
	var out []T
	for {
		v, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
}

// pageSize is the largest page GCE serves: fewer reads per listing.
const pageSize = 500
