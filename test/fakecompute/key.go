package fakecompute

import "github.com/gce-ccm/gce-ccm/providers/gce/gceref"

// The emulator's resource identity is the provider's: one Key and one
// reference grammar (providers/gce/gceref), kept here under the names the
// emulator's code uses.
type (
	Key       = gceref.Key
	ScopeKind = gceref.Scope
	Ref       = gceref.Defaults
)

const (
	Global   = gceref.Global
	Regional = gceref.Regional
	Zonal    = gceref.Zonal

	SelfLinkBase = gceref.SelfLinkBase
)

var (
	GlobalKey    = gceref.GlobalKey
	RegionalKey  = gceref.RegionalKey
	ZonalKey     = gceref.ZonalKey
	ParseRef     = gceref.ParseRef
	ScopeLink    = gceref.ScopeLink
	lastSegment  = gceref.Name
	regionOfZone = gceref.RegionOfZone
)

// scopeOf is the scope of each collection the emulator stores or serves.
var scopeOf = map[string]ScopeKind{
	"networks":         Global,
	"routes":           Global,
	"firewalls":        Global,
	"httpHealthChecks": Global,
	"images":           Global,
	"subnetworks":      Regional,
	"addresses":        Regional,
	"targetPools":      Regional,
	"forwardingRules":  Regional,
	"healthChecks":     Global, // and Regional: gceref knows both
	"backendServices":  Regional,
	"instances":        Zonal,
	"instanceGroups":   Zonal,
	membersCollection:  Zonal,
	"disks":            Zonal,
	"machineTypes":     Zonal,
}
