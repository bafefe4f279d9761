package ipforward

import (
	"fmt"
	"strings"
)

// Mode is what the controller does about a VM that cannot forward.
type Mode string

const (
	// ModeEnforce turns canIpForward on, and reports when it cannot.
	ModeEnforce Mode = "enforce"
	// ModeAudit only reports.
	ModeAudit Mode = "audit"
	// ModeOff does nothing: the controller does not start.
	ModeOff Mode = "off"
)

// ParseMode reads a mode as gce.conf (gce-ccm-ipforward-mode) and the flag
// spell it; it is where the two meet, so a spelling gce.conf accepts and
// this controller does not is an error at start.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case ModeEnforce, ModeAudit, ModeOff:
		return m, nil
	}
	return "", fmt.Errorf("%q is not one of %s, %s, %s", s, ModeEnforce, ModeAudit, ModeOff)
}
