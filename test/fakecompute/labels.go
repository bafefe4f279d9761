package fakecompute

import (
	"crypto/sha256"
	"encoding/base64"
	"sort"
	"unicode"
	"unicode/utf8"

	compute "google.golang.org/api/compute/v1"
)

// maxLabels is GCE's limit of labels on one resource.
const maxLabels = 64

// validateLabels applies GCE's label rules: at most 64; keys of 1-63
// characters that start with a lowercase letter; keys and values made of
// lowercase letters, digits, '_' and '-' (international letters allowed);
// values of at most 63 characters, possibly empty.
func validateLabels(field string, labels map[string]string) error {
	if len(labels) > maxLabels {
		return errInvalid("Invalid value for field '%s': %d labels. A resource can have at most %d labels.", field, len(labels), maxLabels)
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the first offender in a stable order
	for _, k := range keys {
		first, _ := utf8.DecodeRuneInString(k)
		if !labelChars(k, 1) || !(unicode.IsLower(first) || (first > unicode.MaxASCII && unicode.IsLetter(first))) {
			return errInvalid("Invalid value for field '%s.%s': '%s'. Label keys must start with a lowercase letter, be 1 to 63 characters long and hold only lowercase letters, digits, underscores and dashes.", field, k, k)
		}
		if v := labels[k]; !labelChars(v, 0) {
			return errInvalid("Invalid value for field '%s.%s': '%s'. Label values must be at most 63 characters long and hold only lowercase letters, digits, underscores and dashes.", field, k, v)
		}
	}
	return nil
}

// labelChars says whether s is min to 63 characters of the label alphabet.
func labelChars(s string, min int) bool {
	n := utf8.RuneCountInString(s)
	if n < min || n > 63 || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		ok := r == '_' || r == '-' || unicode.IsDigit(r) || unicode.IsLower(r) ||
			(r > unicode.MaxASCII && unicode.IsLetter(r) && !unicode.IsUpper(r))
		if !ok {
			return false
		}
	}
	return true
}

// labelFingerprint is derived from the labels alone, as GCE's is: the same
// labels give the same fingerprint, and no labels give GCE's empty one.
func labelFingerprint(labels map[string]string) string {
	if len(labels) == 0 {
		return emptyLabelFingerprint
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(labels[k]))
		h.Write([]byte{0})
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)[:8])
}

// decodeSetLabels reads and checks a regional setLabels request body.
func decodeSetLabels(c *call) (compute.RegionSetLabelsRequest, error) {
	var in compute.RegionSetLabelsRequest
	if err := decode(c.body, &in); err != nil {
		return in, err
	}
	return in, validateLabels("resource.labels", in.Labels)
}

// checkLabelFingerprint refuses a setLabels whose fingerprint is stale
// (somebody changed the labels since the caller read them) or missing: GCE
// documents 412 conditionNotMet for both.
func checkLabelFingerprint(sent, current string) error {
	if sent != current {
		return errConditionNotMet("Labels fingerprint either invalid or resource labels have changed")
	}
	return nil
}

// setLabels is the setLabels verb of a labelled resource type T; fields
// points at T's labels and label fingerprint.
func setLabels[T any](fields func(*T) (*map[string]string, *string)) handler {
	return func(c *call) (any, error) {
		in, err := decodeSetLabels(c)
		if err != nil {
			return nil, err
		}
		return submitModify(c, "setLabels", func(_ *tx, next *T) error {
			labels, fp := fields(next)
			if err := checkLabelFingerprint(in.LabelFingerprint, *fp); err != nil {
				return err
			}
			*labels, *fp = in.Labels, labelFingerprint(in.Labels)
			return nil
		})
	}
}

func addressLabels(a *compute.Address) (*map[string]string, *string) {
	return &a.Labels, &a.LabelFingerprint
}

func forwardingRuleLabels(fr *compute.ForwardingRule) (*map[string]string, *string) {
	return &fr.Labels, &fr.LabelFingerprint
}
