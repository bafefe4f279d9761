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

// insertAs is the insert verb's shell: the body decoded into a T, prepare
// checks and completes what does not depend on state (its result, the
// references it resolved say, goes to create), and in the operation create
// checks what it depends on, charges quota, stamps and stores a copy of it.
func insertAs[T, P any](c *call, prepare func(in *T) (P, error), create func(t *tx, k Key, obj *T, p P) error) (any, error) {
	in := new(T)
	if err := decode(c.body, in); err != nil {
		return nil, err
	}
	p, err := prepare(in)
	if err != nil {
		return nil, err
	}
	k := c.key()
	k.Name = nameOf(in)
	return submitInsert(c, k, func(t *tx) error { return create(t, k, clone(in), p) })
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
