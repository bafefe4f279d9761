package plan

import (
	"slices"
)

// SplitRelease takes out a final release-address that nothing waits for.
func SplitRelease(actions []Action) ([]Action, *Action) {
	for i, a := range actions {
		if a.Kind != OpReleaseAddress || waitedFor(actions, a.Key) {
			continue
		}
		rest := append(append([]Action(nil), actions[:i]...), actions[i+1:]...)
		return rest, &a
	}
	return actions, nil
}

func waitedFor(actions []Action, key string) bool {
	for _, a := range actions {
		if slices.Contains(a.After, key) {
			return true
		}
	}
	return false
}
