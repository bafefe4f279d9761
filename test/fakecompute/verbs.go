package fakecompute

import (
	"reflect"
	"sort"
	"strconv"
)

// The verbs every stored collection has, derived from its table entry.

// get is the get verb: one object, decorated by the collection's renderer.
func (col *collection) get(c *call) (any, error) {
	var out any
	err := c.s.store.read(func(t *tx) error {
		o, err := col.lookup(t, c.key())
		if err != nil {
			return err
		}
		out = col.rendered(t, c.key(), o)
		return nil
	})
	return out, err
}

// list is the list verb of one scope. Renderers only need the scope, so
// they get the table's key.
func (col *collection) list(c *call) (any, error) {
	table := c.key().Table()
	var items []any
	_ = c.s.store.read(func(t *tx) error {
		for _, o := range t.list(table) {
			items = append(items, col.rendered(t, table, o))
		}
		return nil
	})
	return c.listResponse(col.kind+"List", table, items)
}

// aggregatedList answers every scope of the topology ("global" and every
// region or zone), empty ones with a warning.
func (col *collection) aggregatedList(c *call) (any, error) {
	scopes := c.s.aggregatedScopes(col.scope)
	var items []scoped
	_ = c.s.store.read(func(t *tx) error {
		t.scan(c.project, col.name, func(k Key, o any) {
			items = append(items, scoped{scope: k.ScopePath(), item: col.rendered(t, k, o), name: k.Name})
		})
		return nil
	})
	sort.Slice(items, func(i, j int) bool {
		if items[i].scope != items[j].scope {
			return items[i].scope < items[j].scope
		}
		return items[i].name < items[j].name
	})
	return c.aggregatedResponse(col.kind+"AggregatedList", col.name, scopes, items)
}

// delete is the delete verb: notFound for a missing resource,
// resourceInUseByAnotherResource while a resource of a usedBy collection
// refers to it, then the collection's own rules.
func (col *collection) delete(c *call) (any, error) {
	k := c.key()
	return c.s.ops.submit(c, k, "delete", func(t *tx) error {
		o, err := col.lookup(t, k)
		if err != nil {
			return err
		}
		if by := c.s.userOf(t, k); by != "" {
			return col.inUse(errInUse(k, by))
		}
		if col.onDelete != nil {
			if err := col.onDelete(t, k, o); err != nil {
				return col.inUse(err)
			}
		}
		t.del(k)
		return nil
	})
}

// inUse marks an in-use error to fail the operation when the collection's
// deletes do so.
func (col *collection) inUse(err error) error {
	ae := asAPIError(err)
	if !col.inUseInOperation || ae.Reason != "resourceInUseByAnotherResource" {
		return err
	}
	marked := *ae
	marked.inOperation = true
	return &marked
}

// update is a PUT of the whole resource: every field takes the body's
// value, defaults included (the normaliser fills them); an absent name is
// the stored one.
func (col *collection) update(c *call) (any, error) {
	if _, err := col.decode(c.body); err != nil {
		return nil, err
	}
	return col.replace(c, "update", false, func(cur any) (any, error) {
		next, err := col.decode(c.body)
		if err != nil {
			return nil, err
		}
		if nameOf(next) == "" {
			setField(next, "Name", nameOf(cur))
		}
		return next, nil
	})
}

// patch merges the body into the stored resource (RFC 7386, as GCE's
// PATCH verbs do).
func (col *collection) patch(c *call) (any, error) {
	if _, err := col.decode(c.body); err != nil {
		return nil, err
	}
	return col.replace(c, "patch", true, func(cur any) (any, error) {
		return mergePatch(cur, c.body)
	})
}

// replace stores the next version of the resource the path names, made by
// build from the current one, once it keeps its name and the normaliser
// accepts it. It keeps the resource's identity: kind, id, selfLink,
// creation time, region or zone.
func (col *collection) replace(c *call, opType string, isPatch bool, build func(cur any) (any, error)) (any, error) {
	k := c.key()
	return c.s.ops.submit(c, k, opType, func(t *tx) error {
		cur, err := col.lookup(t, k)
		if err != nil {
			return err
		}
		next, err := build(cur)
		if err != nil {
			return err
		}
		if nameOf(next) != nameOf(cur) {
			return errInvalid("Invalid value for field 'resource.name': '%s'. The name of a %s cannot be changed.", nameOf(next), col.title)
		}
		if err := col.normalise(c, t, cur, next, isPatch); err != nil {
			return err
		}
		for _, f := range []string{"Kind", "Id", "SelfLink", "CreationTimestamp", "Region", "Zone"} {
			if to := reflect.ValueOf(next).Elem().FieldByName(f); to.IsValid() {
				to.Set(reflect.ValueOf(cur).Elem().FieldByName(f))
			}
		}
		t.put(k, next)
		return nil
	})
}

// lookup fetches a stored object of the collection or GCE's notFound.
func (col *collection) lookup(t *tx, k Key) (any, error) {
	o, ok := t.get(k)
	if !ok || reflect.TypeOf(o) != reflect.PointerTo(col.typ) {
		return nil, errNotFound(k)
	}
	return o, nil
}

// rendered is a stored object as a read answers it: decorated by the
// renderer, with the shown fields.
func (col *collection) rendered(t *tx, k Key, o any) any {
	if col.render != nil {
		o = col.render(t, k, o)
	}
	return show(o, col.shownPaths)
}

// decode reads a request body into a new resource of the collection's type.
func (col *collection) decode(body []byte) (any, error) {
	v := reflect.New(col.typ).Interface()
	if err := decode(body, v); err != nil {
		return nil, err
	}
	return v, nil
}

// setField sets a string field of a typed resource.
func setField(o any, field, value string) {
	reflect.ValueOf(o).Elem().FieldByName(field).SetString(value)
}

// stamp gives a new resource its identity: kind, id, selfLink (and
// selfLinkWithId where the type has one), creation time and, for a
// regional one, its region. Inserts call it once the
// resource is valid.
func (s *Server) stamp(t *tx, k Key, o any) {
	v := reflect.ValueOf(o).Elem()
	v.FieldByName("Kind").SetString(s.collections[k.Collection].kind)
	id := t.idFor(k)
	v.FieldByName("Id").SetUint(id)
	v.FieldByName("SelfLink").SetString(k.SelfLink())
	if f := v.FieldByName("SelfLinkWithId"); f.IsValid() {
		// The same link with the id in place of the name (output only).
		byID := k
		byID.Name = strconv.FormatUint(id, 10)
		f.SetString(byID.SelfLink())
	}
	v.FieldByName("CreationTimestamp").SetString(nowStamp())
	if k.Kind == Regional {
		v.FieldByName("Region").SetString(k.ScopeLink())
	}
}
