package lb

import (
	"fmt"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/snapshot"
)

// The executors (exec_*.go) make one gceapi call each. After it, made or
// attempted, the object's name is marked written in its collection's
// snapshot: a list begun before the write ends must not count as seeing
// it.

// wrote marks the write of name in c and says what failed
// ("<doing> <name>: <err>").
func wrote[T any](c *snapshot.Cache[T], doing, name string, err error) error {
	c.Invalidate(name)
	if err != nil {
		return fmt.Errorf("%s %s: %w", doing, name, err)
	}
	return nil
}

// gone: deleting what is already missing is done.
func gone(err error) error {
	if gceapi.IsNotFound(err) {
		return nil
	}
	return err
}
