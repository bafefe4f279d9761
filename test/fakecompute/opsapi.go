package fakecompute

// Handlers for globalOperations, regionOperations and zoneOperations.

func (c *call) opKey() Key {
	k := c.key()
	k.Collection = "operations"
	return k
}

func getOperation(c *call) (any, error) {
	rec, err := c.s.ops.lookup(c.opKey())
	if err != nil {
		return nil, err
	}
	return c.s.ops.snapshot(rec), nil
}

func waitOperation(c *call) (any, error) {
	return c.s.ops.wait(c.r.Context(), c.opKey(), c.s.opts.WaitTimeout)
}

func listOperations(c *call) (any, error) {
	table := c.opKey().Table()
	return c.listResponse("compute#operationList", table, c.s.ops.list(table))
}

func deleteOperation(c *call) (any, error) {
	if err := c.s.ops.remove(c.opKey()); err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}
