package fakecompute

import (
	"bytes"
	"encoding/json"
	"reflect"

	compute "google.golang.org/api/compute/v1"
)

// acceptedUnmodelled are request fields GCE accepts that the compute/v1 Go
// types the emulator decodes into do not have (newer than the discovery
// document google.golang.org/api was generated from), by resource type and
// JSON path under "resource". They are accepted and dropped: none changes
// anything the emulator models. Any other unknown name is still refused.
//
// terraform's google provider sends routingConfig.deleteBgpAlwaysCompareMed
// (an instruction to clear bgpAlwaysCompareMed) with every network it
// creates or updates whose routing_mode is set.
var acceptedUnmodelled = map[reflect.Type][][]string{
	reflect.TypeOf(compute.Network{}): {{"routingConfig", "deleteBgpAlwaysCompareMed"}},
}

// dropUnmodelled removes the acceptedUnmodelled fields of into's type from a
// request body; other bodies are returned as they are.
func dropUnmodelled(body []byte, into any) []byte {
	t := reflect.TypeOf(into)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	paths := acceptedUnmodelled[t]
	if len(paths) == 0 {
		return body
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber() // re-encoded numbers stay exactly as sent
	var obj map[string]any
	if d.Decode(&obj) != nil || d.More() {
		return body // decode reports what is wrong with it
	}
	dropped := false
	for _, p := range paths {
		m := obj
		for _, k := range p[:len(p)-1] {
			m, _ = m[k].(map[string]any)
		}
		if _, ok := m[p[len(p)-1]]; ok {
			delete(m, p[len(p)-1])
			dropped = true
		}
	}
	if !dropped {
		return body
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return body
	}
	return out
}
