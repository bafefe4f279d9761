package gceref

import "strings"

// ValidName says whether s is a valid GCE resource name: RFC 1035, 1-63
// characters, [a-z]([-a-z0-9]*[a-z0-9])?.
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-') {
			return false
		}
	}
	return s[len(s)-1] != '-'
}

// RegionOfZone is the region a zone belongs to: us-central1-a is in
// us-central1.
func RegionOfZone(zone string) string {
	if i := strings.LastIndexByte(zone, '-'); i >= 0 {
		return zone[:i]
	}
	return zone
}

// NodeInstanceName maps a node name to the VM name GCE would use: a node
// registered with its FQDN (node-a.c.proj.internal) is VM node-a.
func NodeInstanceName(nodeName string) string {
	if i := strings.IndexByte(nodeName, '.'); i > 0 {
		return nodeName[:i]
	}
	return nodeName
}
