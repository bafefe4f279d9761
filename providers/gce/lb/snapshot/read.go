package snapshot

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"
)

// Go views c on g (with g's ctx) and keeps the objects in *dst, once the
// group is waited for; an error says what was listed ("listing <what>").
func Go[T any](g *errgroup.Group, ctx context.Context, c *Cache[T], dst *map[string]T, what string, r Recency, names ...string) {
	g.Go(func() error {
		v, err := c.View(ctx, r, names...)
		if err != nil {
			return fmt.Errorf("listing %s: %w", what, err)
		}
		*dst = v
		return nil
	})
}

// Pick copies the named objects of a view that exist.
func Pick[T any](dst, src map[string]T, names ...string) {
	for _, n := range names {
		if v, ok := src[n]; ok {
			dst[n] = v
		}
	}
}
