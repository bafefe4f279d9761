package gceref

import (
	"fmt"
	"strings"
)

// ProviderIDPrefix starts every providerID of a GCE node.
const ProviderIDPrefix = "gce://"

// Instance is the key of a VM.
func Instance(project, zone, name string) Key { return ZonalKey(project, zone, "instances", name) }

// ProviderID renders a VM key as a node's providerID, gce://project/zone/name.
func (k Key) ProviderID() string {
	return ProviderIDPrefix + k.Project + "/" + k.Location + "/" + k.Name
}

// ParseProviderID reads gce://project/zone/name into the VM's key.
func ParseProviderID(id string) (Key, error) {
	rest, ok := strings.CutPrefix(id, ProviderIDPrefix)
	if !ok {
		return Key{}, fmt.Errorf("providerID %q does not start with %s", id, ProviderIDPrefix)
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return Key{}, fmt.Errorf("providerID %q is not gce://<project>/<zone>/<instance>", id)
	}
	k := Instance(parts[0], parts[1], parts[2])
	if err := k.check(id); err != nil {
		return Key{}, fmt.Errorf("providerID %w", err)
	}
	return k, nil
}

// Short is project/location/name (a providerID without its scheme): how
// messages and logs name a VM to a person.
func (k Key) Short() string { return k.Project + "/" + k.Location + "/" + k.Name }
