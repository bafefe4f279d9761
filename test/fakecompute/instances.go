package fakecompute

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"

	compute "google.golang.org/api/compute/v1"
)

// Instance statuses GCE reports.
const (
	StatusRunning    = "RUNNING"
	StatusTerminated = "TERMINATED"
	StatusStopped    = "STOPPED"
	StatusSuspended  = "SUSPENDED"
)

func insertInstance(c *call) (any, error) {
	var in compute.Instance
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	if err := checkName(in.Name); err != nil {
		return nil, err
	}
	if !c.s.hasZone(c.location) {
		return nil, errNotFound(Key{Project: c.project, Kind: Zonal, Location: c.location})
	}
	k := c.key()
	k.Name = in.Name
	inst, err := c.s.prepareInstance(c, k, &in)
	if err != nil {
		return nil, err
	}
	return c.s.ops.submit(c, k, "insert", func(t *tx) error { return c.s.createInstance(t, k, inst) })
}

// prepareInstance checks and normalises what does not depend on state.
func (s *Server) prepareInstance(c *call, k Key, in *compute.Instance) (*compute.Instance, error) {
	if in.MachineType == "" {
		return nil, errRequired("resource.machineType")
	}
	mt := lastSegment(in.MachineType)
	if _, ok := machineTypes[mt]; !ok {
		return nil, errInvalid("Invalid value for field 'resource.machineType': '%s'. Machine type with name '%s' does not exist in zone '%s'.", in.MachineType, mt, k.Location)
	}
	if len(in.NetworkInterfaces) == 0 {
		return nil, errRequired("resource.networkInterfaces")
	}
	out := clone(in)
	out.MachineType = ZonalKey(k.Project, k.Location, "machineTypes", mt).SelfLink()
	for i, ni := range out.NetworkInterfaces {
		field := fmt.Sprintf("resource.networkInterfaces[%d]", i)
		if ni.Network == "" && ni.Subnetwork == "" {
			ni.Network = "global/networks/default"
		}
		if ni.Network != "" {
			nk, err := c.refTo(field+".network", ni.Network, "networks")
			if err != nil {
				return nil, err
			}
			ni.Network = nk.SelfLink()
		}
		if ni.Subnetwork != "" {
			sk, err := c.refTo(field+".subnetwork", ni.Subnetwork, "subnetworks")
			if err != nil {
				return nil, err
			}
			ni.Subnetwork = sk.SelfLink()
		}
		if ni.NetworkIP != "" {
			if _, err := netip.ParseAddr(ni.NetworkIP); err != nil {
				return nil, errInvalid("Invalid value for field '%s.networkIP': '%s'. Must be an IPv4 address.", field, ni.NetworkIP)
			}
		}
		if _, err := parseAliasRanges(field, ni.AliasIpRanges); err != nil {
			return nil, err
		}
		ni.Name = fmt.Sprintf("nic%d", i)
		ni.Kind = "compute#networkInterface"
	}
	return out, nil
}

// createInstance binds the VM to its subnet, allocates its addresses, and
// creates its boot disk.
func (s *Server) createInstance(t *tx, k Key, in *compute.Instance) error {
	if t.exists(k) {
		return errAlreadyExists(k)
	}
	if err := t.chargeQuota(s, QuotaInstances, t.count(k.Project, "instances", Zonal, ""), regionOfZone(k.Location)); err != nil {
		return err
	}
	inst := clone(in)
	id := t.idFor(k)
	for i, ni := range inst.NetworkInterfaces {
		sn, err := s.subnetFor(t, k, ni)
		if err != nil {
			return err
		}
		ni.Subnetwork, ni.Network = sn.SelfLink, sn.Network
		if err := assignAliasRanges(t, k.Project, fmt.Sprintf("resource.networkInterfaces[%d]", i), sn, ni.AliasIpRanges); err != nil {
			return err
		}
		if ni.NetworkIP != "" {
			if err := checkStaticInternalIP(t, sn, k.Project, ni.NetworkIP); err != nil {
				return err
			}
		}
		if ni.NetworkIP == "" {
			ip, err := allocateInternalIP(t, sn, k.Project)
			if err != nil {
				return err
			}
			ni.NetworkIP = ip
		}
		ni.StackType = "IPV4_ONLY"
		ni.Fingerprint = t.fingerprint()
		for _, ac := range ni.AccessConfigs {
			ac.Kind, ac.Type = "compute#accessConfig", "ONE_TO_ONE_NAT"
			if ac.Name == "" {
				ac.Name = "External NAT"
			}
			if ac.NetworkTier == "" {
				ac.NetworkTier = "PREMIUM"
			}
			if ac.NatIP == "" {
				ip, err := allocateExternalIP(t, k.Project, regionOfZone(k.Location), ac.NetworkTier)
				if err != nil {
					return err
				}
				ac.NatIP = ip
			}
		}
	}
	inst.Kind, inst.Id, inst.SelfLink, inst.CreationTimestamp = "compute#instance", id, k.SelfLink(), nowStamp()
	inst.Zone = ScopeLink(k.Project, Zonal, k.Location)
	inst.Status = StatusRunning
	inst.CpuPlatform = "Intel Cascade Lake"
	inst.Fingerprint = t.fingerprint()
	inst.LastStartTimestamp = inst.CreationTimestamp
	if inst.Tags == nil {
		inst.Tags = &compute.Tags{}
	}
	inst.Tags.Fingerprint = t.fingerprint()
	if inst.Metadata == nil {
		inst.Metadata = &compute.Metadata{}
	}
	inst.Metadata.Kind, inst.Metadata.Fingerprint = "compute#metadata", t.fingerprint()
	inst.LabelFingerprint = t.fingerprint()
	if inst.Scheduling == nil {
		yes := true
		inst.Scheduling = &compute.Scheduling{AutomaticRestart: &yes, OnHostMaintenance: "MIGRATE", ProvisioningModel: "STANDARD"}
	}
	disks, err := s.attachDisks(t, k, inst)
	if err != nil {
		return err
	}
	for _, d := range disks {
		t.put(keyFromLink(d.SelfLink), d)
	}
	t.put(k, inst)
	return nil
}

// checkStaticInternalIP refuses a requested networkIP outside the subnet's
// usable range or held by another resource, as GCE does.
func checkStaticInternalIP(t *tx, sn *compute.Subnetwork, project, ip string) error {
	a, err := netip.ParseAddr(ip)
	rng, err2 := netip.ParsePrefix(sn.IpCidrRange)
	if err != nil || err2 != nil || !rng.Contains(a) || a == rng.Addr() || a == rng.Addr().Next() ||
		!rng.Contains(a.Next().Next()) {
		return errInvalid("Invalid value for field 'resource.networkInterfaces[0].networkIP': '%s'. Requested internal IP is outside the subnetwork CIDR range or reserved.", ip)
	}
	if internalInUse(t, project)[ip] {
		return &apiError{Code: 400, Reason: "invalid",
			Message: fmt.Sprintf("IP '%s' is already being used by another resource.", ip)}
	}
	return nil
}

func (s *Server) subnetFor(t *tx, k Key, ni *compute.NetworkInterface) (*compute.Subnetwork, error) {
	region := regionOfZone(k.Location)
	if ni.Subnetwork != "" {
		sk := keyFromLink(ni.Subnetwork)
		if sk.Location != region {
			return nil, errInvalid("Invalid value for field 'resource.networkInterfaces[0].subnetwork': '%s'. Subnetwork must be in region %s.", ni.Subnetwork, region)
		}
		return getAs[compute.Subnetwork](t, sk)
	}
	nk := keyFromLink(ni.Network)
	if err := mustExist(t, nk); err != nil {
		return nil, err
	}
	var found *compute.Subnetwork
	for _, o := range t.list(Key{Project: nk.Project, Kind: Regional, Location: region, Collection: "subnetworks"}) {
		if sn := o.(*compute.Subnetwork); sn.Network == nk.SelfLink() && found == nil {
			found = sn
		}
	}
	if found == nil {
		return nil, errInvalid("Invalid value for field 'resource.networkInterfaces[0].network': '%s'. The network has no subnetwork in region %s.", ni.Network, region)
	}
	return found, nil
}

// attachDisks creates disks from initializeParams and names attached ones.
func (s *Server) attachDisks(t *tx, k Key, inst *compute.Instance) ([]*compute.Disk, error) {
	var created []*compute.Disk
	for i, ad := range inst.Disks {
		ad.Kind, ad.Index = "compute#attachedDisk", int64(i)
		if ad.Type == "" {
			ad.Type = "PERSISTENT"
		}
		if ad.Mode == "" {
			ad.Mode = "READ_WRITE"
		}
		if ad.Source != "" {
			dk, err := ParseRef(ad.Source, "disks", Ref{Project: k.Project, Zone: k.Location})
			if err != nil {
				return nil, errInvalid("Invalid value for field 'resource.disks[%d].source': '%s'. %v", i, ad.Source, err)
			}
			if err := mustExist(t, dk); err != nil {
				return nil, err
			}
			ad.Source = dk.SelfLink()
			continue
		}
		name := k.Name
		if i > 0 {
			name = fmt.Sprintf("%s-%d", k.Name, i)
		}
		if ad.InitializeParams != nil && ad.InitializeParams.DiskName != "" {
			name = ad.InitializeParams.DiskName
		}
		dk := ZonalKey(k.Project, k.Location, "disks", name)
		if t.exists(dk) {
			return nil, errAlreadyExists(dk)
		}
		size := int64(10)
		img := ""
		if ip := ad.InitializeParams; ip != nil {
			if ip.DiskSizeGb > 0 {
				size = ip.DiskSizeGb
			}
			// The disk records the image a family reference resolved to.
			if ip.SourceImage != "" {
				image, err := resolveImage(fmt.Sprintf("resource.disks[%d].initializeParams.sourceImage", i), ip.SourceImage, k.Project)
				if err != nil {
					return nil, err
				}
				img = image.SelfLink
			}
		}
		if ad.DeviceName == "" {
			ad.DeviceName = fmt.Sprintf("persistent-disk-%d", i)
		}
		ad.Source = dk.SelfLink()
		ad.DiskSizeGb = size
		ad.InitializeParams = nil
		created = append(created, &compute.Disk{Kind: "compute#disk", Id: t.newID(), Name: name, SizeGb: size,
			Zone: ScopeLink(k.Project, Zonal, k.Location), Status: "READY", SourceImage: img,
			Type:  ZonalKey(k.Project, k.Location, "diskTypes", "pd-balanced").SelfLink(),
			Users: []string{k.SelfLink()}, SelfLink: dk.SelfLink(), CreationTimestamp: nowStamp()})
	}
	return created, nil
}

// deleteInstanceDisks is the delete rule of a VM: its auto-delete disks go
// with it, and it leaves every target pool.
func deleteInstanceDisks(t *tx, k Key, o any) error {
	for _, ad := range o.(*compute.Instance).Disks {
		if ad.AutoDelete {
			t.del(keyFromLink(ad.Source))
		}
	}
	detachInstance(t, k)
	return nil
}

// Disruption levels of mostDisruptiveAllowedAction, least first.
var actionRank = map[string]int{"NO_EFFECT": 0, "REFRESH": 1, "RESTART": 2, "REPLACE": 3}

// updateInstance is instances.update: a PUT of the whole resource. The
// fingerprint must be current; the change must not need a more disruptive
// action than the caller allows.
var updateInstance = withBody(func(c *call, in *compute.Instance) (any, error) {
	allowed := c.q.Get("mostDisruptiveAllowedAction")
	if allowed == "" {
		allowed = "REPLACE"
	}
	if _, ok := actionRank[allowed]; !ok {
		return nil, errInvalid("Invalid value for field 'mostDisruptiveAllowedAction': '%s'.", allowed)
	}
	if minimal := c.q.Get("minimalAction"); minimal != "" {
		if _, ok := actionRank[minimal]; !ok {
			return nil, errInvalid("Invalid value for field 'minimalAction': '%s'.", minimal)
		}
	}
	k := c.key()
	return c.s.ops.submit(c, k, "update", func(t *tx) error {
		cur, err := getAs[compute.Instance](t, k)
		if err != nil {
			return err
		}
		if in.Fingerprint != cur.Fingerprint {
			return errConditionNotMet("Supplied fingerprint does not match current fingerprint.")
		}
		if in.Name != "" && in.Name != cur.Name {
			return errInvalid("Invalid value for field 'resource.name': '%s'. The name of an instance cannot be changed.", in.Name)
		}
		needed := "NO_EFFECT"
		raise := func(a string) {
			if actionRank[a] > actionRank[needed] {
				needed = a
			}
		}
		next := clone(cur)
		if in.CanIpForward != cur.CanIpForward {
			raise("REFRESH")
			next.CanIpForward = in.CanIpForward
		}
		if in.MachineType != "" && lastSegment(in.MachineType) != lastSegment(cur.MachineType) {
			if _, ok := machineTypes[lastSegment(in.MachineType)]; !ok {
				return errInvalid("Invalid value for field 'resource.machineType': '%s'.", in.MachineType)
			}
			if cur.Status == StatusRunning {
				raise("RESTART")
			}
			next.MachineType = ZonalKey(k.Project, k.Location, "machineTypes", lastSegment(in.MachineType)).SelfLink()
		}
		if in.Description != cur.Description {
			next.Description = in.Description
		}
		if !reflect.DeepEqual(in.Labels, cur.Labels) && !(len(in.Labels) == 0 && len(cur.Labels) == 0) {
			next.Labels = in.Labels
			next.LabelFingerprint = t.fingerprint()
		}
		if in.Tags != nil && !slices.Equal(in.Tags.Items, cur.Tags.Items) {
			next.Tags = &compute.Tags{Items: in.Tags.Items, Fingerprint: t.fingerprint()}
		}
		if in.Metadata != nil && !reflect.DeepEqual(in.Metadata.Items, cur.Metadata.Items) {
			next.Metadata = &compute.Metadata{Kind: "compute#metadata", Items: in.Metadata.Items, Fingerprint: t.fingerprint()}
		}
		if len(in.NetworkInterfaces) > 0 && !sameInterfaces(in.NetworkInterfaces, cur.NetworkInterfaces) {
			return errInvalid("Invalid value for field 'resource.networkInterfaces': network interfaces cannot be changed by instances.update; use the updateNetworkInterface method.")
		}
		if actionRank[needed] > actionRank[allowed] {
			return errInvalid("Invalid value for field 'mostDisruptiveAllowedAction': '%s'. The requested update requires %s.", allowed, needed)
		}
		next.Fingerprint = t.fingerprint()
		t.put(k, next)
		return nil
	})
})

// sameInterfaces compares what a caller can express about an interface.
func sameInterfaces(a, b []*compute.NetworkInterface) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].NetworkIP != "" && a[i].NetworkIP != b[i].NetworkIP {
			return false
		}
		if a[i].Network != "" && lastSegment(a[i].Network) != lastSegment(b[i].Network) {
			return false
		}
	}
	return true
}

var setInstanceTags = withBody(func(c *call, tags *compute.Tags) (any, error) {
	for i, tag := range tags.Items {
		if !nameRE.MatchString(tag) {
			return nil, errInvalid("Invalid value for field 'resource.items[%d]': '%s'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'", i, tag)
		}
	}
	return submitModify(c, "setTags", func(t *tx, inst *compute.Instance) error {
		if tags.Fingerprint != inst.Tags.Fingerprint {
			return errConditionNotMet("Supplied fingerprint does not match current tags fingerprint.")
		}
		inst.Tags = &compute.Tags{Items: tags.Items, Fingerprint: t.fingerprint()}
		return nil
	})
})

// setInstanceStatus implements stop and start.
func setInstanceStatus(status, opType string) handler {
	return func(c *call) (any, error) {
		return submitModify(c, opType, func(_ *tx, inst *compute.Instance) error {
			inst.Status = status
			if status == StatusRunning {
				inst.LastStartTimestamp = nowStamp()
			} else {
				inst.LastStopTimestamp = nowStamp()
			}
			return nil
		})
	}
}
