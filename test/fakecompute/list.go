package fakecompute

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

const maxPageSize = 500

// page selects, filters and pages items as GCE lists do.
type page struct {
	items []any
	next  string
}

func (c *call) paginate(items []any) (page, error) {
	f, err := parseFilter(c.q.Get("filter"))
	if err != nil {
		return page{}, &apiError{Code: http.StatusBadRequest, Reason: "invalid",
			Message: fmt.Sprintf("Invalid value for field 'filter': '%s'. %v", c.q.Get("filter"), err)}
	}
	if fl := c.q.Get("filter"); fl != "" {
		kept := items[:0:0]
		for _, it := range items {
			if f.match(filterView(f, it)) {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	size := maxPageSize
	if v := c.q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return page{}, errInvalid("Invalid value for field 'maxResults': '%s'. Must be a non-negative integer.", v)
		}
		if n > 0 && n < maxPageSize {
			size = n
		}
	}
	// A page token names the last item handed out, not an offset: items
	// created or deleted between two pages then neither repeat nor hide
	// the items that were there all along.
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = sortKey(it)
	}
	if !sort.StringsAreSorted(keys) {
		idx := make([]int, len(items))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
		sortedItems, sortedKeys := make([]any, len(items)), make([]string, len(items))
		for i, j := range idx {
			sortedItems[i], sortedKeys[i] = items[j], keys[j]
		}
		items, keys = sortedItems, sortedKeys
	}
	off := 0
	if tok := c.q.Get("pageToken"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		last, ok := strings.CutPrefix(string(b), pageTokenPrefix)
		if err != nil || !ok {
			return page{}, errInvalid("Invalid value for field 'pageToken': '%s'.", tok)
		}
		off = sort.SearchStrings(keys, last)
		if off < len(keys) && keys[off] == last {
			off++
		}
	}
	end := off + size
	p := page{}
	if end < len(items) {
		p.next = base64.RawURLEncoding.EncodeToString([]byte(pageTokenPrefix + keys[end-1]))
	} else {
		end = len(items)
	}
	p.items = items[off:end]
	return p, nil
}

const pageTokenPrefix = "after:"

// sortKey orders list items: by name, and in aggregated lists by scope
// then name.
func sortKey(it any) string {
	if s, ok := it.(scoped); ok {
		return s.scope + "\x00" + s.name
	}
	return nameOf(it)
}

// nameOf reads the Name field of a typed resource (or "name" of a map).
func nameOf(obj any) string {
	if m, ok := obj.(map[string]any); ok {
		n, _ := m["name"].(string)
		return n
	}
	v := reflect.ValueOf(obj)
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return ""
	}
	if f := v.FieldByName("Name"); f.IsValid() && f.Kind() == reflect.String {
		return f.String()
	}
	return ""
}

// listResponse is GCE's list envelope.
func (c *call) listResponse(kind string, table Key, items []any) (any, error) {
	p, err := c.paginate(items)
	if err != nil {
		return nil, err
	}
	out := map[string]any{
		"kind":     kind,
		"id":       table.Path(),
		"selfLink": table.SelfLink(),
		"items":    p.items,
	}
	if len(p.items) == 0 {
		delete(out, "items")
	}
	if p.next != "" {
		out["nextPageToken"] = p.next
	}
	return out, nil
}

// scoped is one item of an aggregated list with the scope it belongs to.
type scoped struct {
	scope string
	name  string
	item  any
}

// aggregatedResponse pages across scopes and reports empty scopes with the
// NO_RESULTS_ON_PAGE warning, as GCE does.
func (c *call) aggregatedResponse(kind, field string, scopes []string, items []scoped) (any, error) {
	flat := make([]any, len(items))
	for i, it := range items {
		flat[i] = it
	}
	// Filter on the item, not on the wrapper.
	f, err := parseFilter(c.q.Get("filter"))
	if err != nil {
		return nil, &apiError{Code: http.StatusBadRequest, Reason: "invalid",
			Message: fmt.Sprintf("Invalid value for field 'filter': '%s'. %v", c.q.Get("filter"), err)}
	}
	if c.q.Get("filter") != "" {
		kept := flat[:0:0]
		for _, it := range flat {
			if f.match(filterView(f, it.(scoped).item)) {
				kept = append(kept, it)
			}
		}
		flat = kept
	}
	q := c.q
	c.q = cloneValues(q)
	c.q.Del("filter")
	p, err := c.paginate(flat)
	c.q = q
	if err != nil {
		return nil, err
	}
	byScope := map[string][]any{}
	for _, it := range p.items {
		s := it.(scoped)
		byScope[s.scope] = append(byScope[s.scope], s.item)
	}
	out := map[string]any{}
	for _, sc := range scopes {
		if its := byScope[sc]; len(its) > 0 {
			out[sc] = map[string]any{field: its}
			continue
		}
		out[sc] = map[string]any{"warning": map[string]any{
			"code":    "NO_RESULTS_ON_PAGE",
			"message": fmt.Sprintf("There are no results for scope '%s' on this page.", sc),
			"data":    []map[string]string{{"key": "scope", "value": sc}},
		}}
	}
	for sc, its := range byScope {
		if _, ok := out[sc]; !ok {
			out[sc] = map[string]any{field: its}
		}
	}
	resp := map[string]any{"kind": kind, "id": "projects/" + c.project + "/aggregated/" + c.collection,
		"selfLink": SelfLinkBase + "projects/" + c.project + "/aggregated/" + c.collection, "items": out}
	if p.next != "" {
		resp["nextPageToken"] = p.next
	}
	return resp, nil
}

// filterView is what a filter looks into: the name alone when it reads no
// other field, else the resource as a generic JSON object.
func filterView(f filter, v any) map[string]any {
	if onlyNames(f) {
		return map[string]any{"name": nameOf(v)}
	}
	return asMap(v)
}

// asMap renders a resource as the generic JSON object filters look into.
func asMap(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

func cloneValues(v map[string][]string) map[string][]string {
	out := make(map[string][]string, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
