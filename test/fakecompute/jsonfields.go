package fakecompute

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// unknownField finds a name in a request body that the resource type does
// not have, with its path ("resource.allowed[0]"). encoding/json is not
// strict enough on its own: it matches names regardless of case ("ipAddress"
// fills IPAddress), and DisallowUnknownFields is lost inside a type with
// its own UnmarshalJSON, which every compute type with a float field has
// (TargetPool, ForwardingRule, ...). GCE matches names exactly.
func unknownField(body []byte, into any) (name, at string) {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return "", ""
	}
	return walkFields(v, reflect.TypeOf(into), "resource")
}

func walkFields(v any, t reflect.Type, at string) (string, string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return "", ""
		}
		fields := jsonFields(t)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ft, ok := fields[k]
			if !ok {
				return k, at
			}
			if n, where := walkFields(obj[k], ft, at+"."+k); n != "" {
				return n, where
			}
		}
	case reflect.Slice, reflect.Array:
		items, _ := v.([]any)
		for i, it := range items {
			if n, where := walkFields(it, t.Elem(), fmt.Sprintf("%s[%d]", at, i)); n != "" {
				return n, where
			}
		}
	case reflect.Map:
		obj, _ := v.(map[string]any)
		for k, it := range obj {
			if n, where := walkFields(it, t.Elem(), at+"."+k); n != "" {
				return n, where
			}
		}
	}
	return "", ""
}

// jsonFields maps the JSON names of a struct's fields, promoted ones
// included (an outer field wins), to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out, promoted := map[string]reflect.Type{}, map[string]reflect.Type{}
	defer func() {
		for n, typ := range promoted {
			if _, ok := out[n]; !ok {
				out[n] = typ
			}
		}
	}()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for n, typ := range jsonFields(ft) {
					promoted[n] = typ
				}
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}
