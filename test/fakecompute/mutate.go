package fakecompute

// The shapes most mutating verbs share, so each handler says only what is
// particular to it.

// submitInsert creates the resource k in an operation: alreadyExists if it
// is there; otherwise create checks what it depends on, charges quota and
// stores it.
func submitInsert(c *call, k Key, create func(t *tx) error) (any, error) {
	return c.s.ops.submit(c, k, "insert", func(t *tx) error {
		if t.exists(k) {
			return errAlreadyExists(k)
		}
		return create(t)
	})
}

// modifyAs is the read-modify-write of one stored resource: change edits a
// copy (which still holds the current values until change sets them), and
// the copy replaces the resource only if change succeeds. A missing
// resource is GCE's notFound.
func modifyAs[T any](t *tx, k Key, change func(next *T) error) error {
	cur, err := getAs[T](t, k)
	if err != nil {
		return err
	}
	next := clone(cur)
	if err := change(next); err != nil {
		return err
	}
	t.put(k, next)
	return nil
}

// submitModify runs modifyAs on the resource the request path names, as an
// operation of type opType.
func submitModify[T any](c *call, opType string, change func(t *tx, next *T) error) (any, error) {
	k := c.key()
	return c.s.ops.submit(c, k, opType, func(t *tx) error {
		return modifyAs(t, k, func(next *T) error { return change(t, next) })
	})
}

// deleteUnlessUsed is the delete verb of a collection: notFound for a
// missing resource, resourceInUseByAnotherResource while usedBy (nil: never
// used) names a resource that refers to it.
func deleteUnlessUsed(usedBy func(t *tx, k Key) string) handler {
	return func(c *call) (any, error) {
		k := c.key()
		return c.s.ops.submit(c, k, "delete", func(t *tx) error {
			if err := mustExist(t, k); err != nil {
				return err
			}
			if usedBy != nil {
				if by := usedBy(t, k); by != "" {
					return errInUse(k, by)
				}
			}
			t.del(k)
			return nil
		})
	}
}
