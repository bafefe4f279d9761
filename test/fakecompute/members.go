package fakecompute

import (
	"fmt"
	"strings"
)

// The shapes of the verbs that name other resources in their body: a
// target pool's addInstance/removeInstance/addHealthCheck/
// removeHealthCheck, an instance group's addInstances/removeInstances,
// setTarget, setBackup, getHealth. Each verb says only its own rules.

// withBody is a verb whose request body decodes as an R.
func withBody[R any](verb func(c *call, req *R) (any, error)) handler {
	return func(c *call) (any, error) {
		req := new(R)
		if err := decode(c.body, req); err != nil {
			return nil, err
		}
		return verb(c, req)
	}
}

// memberVerb is a verb whose body R names members of the resource P the
// path names: keys checks what the body names before the operation, and
// change applies it to P in one operation of type op.
func memberVerb[R, P any](op string, keys func(c *call, req *R) ([]Key, error), change func(c *call, t *tx, p *P, ks []Key) error) handler {
	return withBody(func(c *call, req *R) (any, error) {
		ks, err := keys(c, req)
		if err != nil {
			return nil, err
		}
		return submitModify(c, op, func(t *tx, p *P) error { return change(c, t, p, ks) })
	})
}

// linksOf checks the list of references a body names under field (e.g.
// "resource.instances", each one's link in its sub field "instance"): at
// least one, none empty, and at most limit when limit > 0.
func linksOf[R any](field, sub string, refs []*R, limit int, link func(*R) string) ([]string, error) {
	if len(refs) == 0 {
		return nil, errRequired(field)
	}
	if limit > 0 && len(refs) > limit {
		return nil, errInvalid("Invalid value for field '%s': %d %s were given; at most %d may be added or removed in one request.",
			field, len(refs), strings.TrimPrefix(field, "resource."), limit)
	}
	links := make([]string, len(refs))
	for i, r := range refs {
		if r == nil || link(r) == "" {
			return nil, errRequired(fmt.Sprintf("%s[%d].%s", field, i, sub))
		}
		links[i] = link(r)
	}
	return links, nil
}

// keysOf resolves links into collection. fieldOf names the i-th in an
// error; check, when set, refuses a key by what only the verb knows (the
// zone or region it must be in).
func (c *call) keysOf(links []string, collection string, fieldOf func(i int) string, check func(field, link string, k Key) error) ([]Key, error) {
	out := make([]Key, 0, len(links))
	for i, link := range links {
		field := fieldOf(i)
		k, err := c.refTo(field, link, collection)
		if err != nil {
			return nil, err
		}
		if check != nil {
			if err := check(field, link, k); err != nil {
				return nil, err
			}
		}
		out = append(out, k)
	}
	return out, nil
}

// requiredRef resolves the one reference a body must name in field.
func (c *call) requiredRef(field, link, collection string) (Key, error) {
	if link == "" {
		return Key{}, errRequired(field)
	}
	return c.refTo(field, link, collection)
}

// indexed names the i-th element of a list field: "resource.instances[2]"
// or, with a sub field, "resource.instances[2].instance".
func indexed(field, sub string) func(i int) string {
	return func(i int) string {
		if sub == "" {
			return fmt.Sprintf("%s[%d]", field, i)
		}
		return fmt.Sprintf("%s[%d].%s", field, i, sub)
	}
}
