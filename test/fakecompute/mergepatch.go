package fakecompute

import (
	"bytes"
	"encoding/json"
	"reflect"
)

// mergePatch applies a request body to a stored resource the way GCE's
// PATCH verbs do (RFC 7386 JSON merge patch): a field absent from the body
// keeps its value, null clears it, objects merge, lists are replaced. The
// body must already have passed decode, so it holds no unknown field. The
// result is a new value of the stored resource's type.
func mergePatch(cur any, body []byte) (any, error) {
	base, err := json.Marshal(cur)
	if err != nil {
		return nil, err
	}
	var doc, patch any
	if err := unmarshalNumbers(base, &doc); err != nil {
		return nil, err
	}
	if err := unmarshalNumbers(body, &patch); err != nil {
		return nil, errBadJSON(err)
	}
	merged, err := json.Marshal(mergeValue(doc, patch))
	if err != nil {
		return nil, err
	}
	out := reflect.New(reflect.TypeOf(cur).Elem()).Interface()
	if err := json.Unmarshal(merged, out); err != nil {
		return nil, errBadJSON(err)
	}
	return out, nil
}

func mergeValue(doc, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	d, ok := doc.(map[string]any)
	if !ok {
		d = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(d, k)
			continue
		}
		d[k] = mergeValue(d[k], v)
	}
	return d
}

// unmarshalNumbers keeps numbers as written so large ids survive the trip.
func unmarshalNumbers(b []byte, into any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(into)
}
