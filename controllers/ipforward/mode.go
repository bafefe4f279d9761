package ipforward

import (
	"fmt"
	"strings"

	"github.com/gce-ccm/gce-ccm/providers/gce"
)

// Mode is what the controller does about a VM that cannot forward.
type Mode string

const (
	// ModeEnforce turns canIpForward on, and reports when it cannot.
	ModeEnforce Mode = gce.IPForwardEnforce
	// ModeAudit only reports.
	ModeAudit Mode = gce.IPForwardAudit
	// ModeOff does nothing: the controller does not start.
	ModeOff Mode = gce.IPForwardOff
)

// ParseMode reads a mode as gce.conf and the flag spell it.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case ModeEnforce, ModeAudit, ModeOff:
		return m, nil
	}
	return "", fmt.Errorf("%q is not one of %s, %s, %s", s, ModeEnforce, ModeAudit, ModeOff)
}
