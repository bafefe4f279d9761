package fakecompute

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"
)

var nameRE = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$`)

// checkName applies GCE's RFC 1035 rule to resource.name.
func checkName(name string) error {
	if name == "" {
		return errRequired("resource.name")
	}
	if !nameRE.MatchString(name) {
		return errInvalid("Invalid value for field 'resource.name': '%s'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'", name)
	}
	return nil
}

// checkCIDR parses an IPv4 or IPv6 range for the named field.
func checkCIDR(field, v string) (netip.Prefix, error) {
	if v == "" {
		return netip.Prefix{}, errRequired(field)
	}
	p, err := netip.ParsePrefix(v)
	if err != nil {
		return netip.Prefix{}, errInvalid("Invalid value for field '%s': '%s'. Must be a valid CIDR range.", field, v)
	}
	if p.Masked() != p {
		return netip.Prefix{}, errInvalid("Invalid value for field '%s': '%s'. The range has host bits set; did you mean '%s'?", field, v, p.Masked())
	}
	return p, nil
}

// decode reads a request body into a typed resource, refusing unknown fields
// and wrong types with GCE's wording.
func decode(body []byte, into any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return errBadJSON(errors.New("Request body is empty."))
	}
	body = dropUnmodelled(body, into)
	if name, at := unknownField(body, into); name != "" {
		return errBadJSON(fmt.Errorf("Unknown name %q at '%s': Cannot find field.", name, at))
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(into); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te):
			return errBadJSON(fmt.Errorf("Invalid value at 'resource.%s' (%s), cannot be a JSON %s", te.Field, te.Type, te.Value))
		case errors.As(err, &se):
			return errBadJSON(fmt.Errorf("Syntax error at offset %d: %v", se.Offset, se))
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.TrimPrefix(err.Error(), "json: unknown field ")
			return errBadJSON(fmt.Errorf("Unknown name %s at 'resource': Cannot find field.", f))
		}
		return errBadJSON(err)
	}
	if d.More() {
		return errBadJSON(errors.New("Unexpected data after the JSON object."))
	}
	return nil
}

// refTo resolves a reference field, naming the field when it is malformed.
func (c *call) refTo(field, ref, collection string) (Key, error) {
	k, err := ParseRef(ref, collection, c.ref())
	if err != nil {
		return Key{}, errInvalid("Invalid value for field '%s': '%s'. %v", field, ref, err)
	}
	return k, nil
}

// mustExist gives GCE's 404 for the first reference to a missing object;
// zero keys (an optional reference not given) are skipped.
func mustExist(t *tx, keys ...Key) error {
	for _, k := range keys {
		if k != (Key{}) && !t.exists(k) {
			return errNotFound(k)
		}
	}
	return nil
}

func nowStamp() string { return time.Now().Format("2006-01-02T15:04:05.000-07:00") }

// containsField says whether the JSON body sets a top-level field, to tell
// an explicit zero from an absent value.
func containsField(body []byte, field string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	_, ok := m[field]
	return ok
}

// oneOf completes an enumerated field of the resource: empty takes def, a
// value not in allowed is refused with GCE's message, which lists allowed
// in GCE's order.
func oneOf(field string, v *string, def string, allowed ...string) error {
	if *v == "" {
		*v = def
		return nil
	}
	if slices.Contains(allowed, *v) {
		return nil
	}
	return errInvalid("Invalid value for field 'resource.%s': '%s'. Must be one of [%s].", field, *v, strings.Join(allowed, ", "))
}
