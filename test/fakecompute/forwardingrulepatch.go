package fakecompute

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"

	compute "google.golang.org/api/compute/v1"
)

// forwardingRules.patch: a JSON merge patch of a rule that may change only
// what GCE lets change in place. Here that is allowGlobalAccess of an
// INTERNAL rule (gcloud compute forwarding-rules update --allow-global-access
// patches it; the rule keeps its IP and id). GCE's reference also names
// networkTier as patchable; the emulator does not model a tier change and
// refuses it by name. Every other field is fixed at creation: a body that
// changes one is refused (400 invalid naming the field), and a fingerprint
// that is sent must be the current one (412 conditionNotMet). There is no
// forwardingRules.update.

// rulePatchable are the fields a patch may change (JSON names).
var rulePatchable = map[string]bool{"allowGlobalAccess": true}

// ruleOutputOnly are the fields a client may send back unchanged or
// differently without asking for a change: GCE ignores them in a patch.
var ruleOutputOnly = map[string]bool{"kind": true, "id": true, "creationTimestamp": true, "selfLink": true, "selfLinkWithId": true,
	"region": true, "fingerprint": true, "labelFingerprint": true}

func patchForwardingRule(c *call) (any, error) {
	var sent compute.ForwardingRule
	if err := decode(c.body, &sent); err != nil {
		return nil, err
	}
	return submitModify(c, "patch", func(t *tx, fr *compute.ForwardingRule) error {
		if sent.Fingerprint != "" && sent.Fingerprint != fr.Fingerprint {
			return errConditionNotMet("Supplied fingerprint does not match current fingerprint.")
		}
		merged, err := mergePatch(fr, c.body)
		if err != nil {
			return err
		}
		next := merged.(*compute.ForwardingRule)
		if field, err := firstChangedField(fr, next); err != nil || field != "" {
			if err != nil {
				return err
			}
			return errInvalid("Invalid value for field 'resource.%s'. Only allowGlobalAccess can be patched on a forwarding rule here; %s is fixed at creation (delete and recreate the rule).", field, field)
		}
		if next.AllowGlobalAccess && fr.LoadBalancingScheme != "INTERNAL" {
			return errInvalid("Invalid value for field 'resource.allowGlobalAccess': 'true'. Global access is only allowed for INTERNAL forwarding rules.")
		}
		if next.AllowGlobalAccess != fr.AllowGlobalAccess {
			fr.AllowGlobalAccess, fr.Fingerprint = next.AllowGlobalAccess, t.fingerprint()
		}
		return nil
	})
}

// firstChangedField is the first field (by JSON name) next changes that a
// patch may not change, "" if none.
func firstChangedField(cur, next *compute.ForwardingRule) (string, error) {
	a, err := asJSONMap(cur)
	if err != nil {
		return "", err
	}
	b, err := asJSONMap(next)
	if err != nil {
		return "", err
	}
	keys := slices.Sorted(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		if rulePatchable[k] || ruleOutputOnly[k] {
			continue
		}
		if !reflect.DeepEqual(a[k], b[k]) {
			return k, nil
		}
	}
	return "", nil
}

func asJSONMap(o any) (map[string]any, error) {
	raw, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(raw, &m)
}
