package fakecompute

import (
	"fmt"
	"reflect"
	"strings"
)

// shownField is a field GCE answers with on every read of a resource: with
// a default when it was never set (value), and present even at its zero
// value (false, 0, ""), which the Go types would otherwise leave out of
// the JSON. A client diffing what it sent against what it reads (terraform)
// sees the same fields as on GCE.
type shownField struct {
	path  string // JSON path: "logConfig.enable"
	value any    // the default; nil: the zero value is the answer
}

// shownPath is a shownField resolved against the Go type: the struct
// field at each level of the path.
type shownPath struct {
	fields []reflect.StructField
	value  reflect.Value // invalid when there is no default
}

// resolveShown resolves the paths against typ; a path the type does not
// have is a mistake in the collection table.
func resolveShown(typ reflect.Type, fields []shownField) []shownPath {
	out := make([]shownPath, 0, len(fields))
	for _, f := range fields {
		var p shownPath
		t := typ
		for _, name := range strings.Split(f.path, ".") {
			sf, ok := fieldByJSON(t, name)
			if !ok {
				panic(fmt.Sprintf("fakecompute: %v has no field %q (shown %q)", typ, name, f.path))
			}
			p.fields = append(p.fields, sf)
			if t = sf.Type; t.Kind() == reflect.Pointer {
				t = t.Elem()
			}
		}
		if f.value != nil {
			p.value = reflect.ValueOf(f.value).Convert(p.fields[len(p.fields)-1].Type)
		}
		out = append(out, p)
	}
	return out
}

func fieldByJSON(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		sf := t.Field(i)
		if tag, _, _ := strings.Cut(sf.Tag.Get("json"), ","); tag == name {
			return sf, true
		}
	}
	return reflect.StructField{}, false
}

// show returns a copy of the resource o with the shown fields filled in;
// o itself (which the store may hold) is not changed.
func show(o any, paths []shownPath) any {
	if len(paths) == 0 {
		return o
	}
	out := reflect.New(reflect.TypeOf(o).Elem())
	out.Elem().Set(reflect.ValueOf(o).Elem())
	for _, p := range paths {
		showPath(out.Elem(), p.fields, p.value)
	}
	return out.Interface()
}

func showPath(v reflect.Value, fields []reflect.StructField, value reflect.Value) {
	fv := v.FieldByIndex(fields[0].Index)
	if len(fields) > 1 {
		// A nested struct: a copy (or a new one) of its own.
		n := reflect.New(fv.Type().Elem())
		if !fv.IsNil() {
			n.Elem().Set(fv.Elem())
		}
		fv.Set(n)
		showPath(n.Elem(), fields[1:], value)
		return
	}
	if value.IsValid() && fv.IsZero() {
		fv.Set(value)
	}
	if fv.IsZero() {
		force := v.FieldByName("ForceSendFields")
		names := append(append([]string(nil), force.Interface().([]string)...), fields[0].Name)
		force.Set(reflect.ValueOf(names))
	}
}
