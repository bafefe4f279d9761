package main

import (
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// supportedPlatforms are the platforms the images are built and tested for.
// The binaries are static (CGO_ENABLED=0), so others would probably work,
// but nothing here tests them: asking for one is an error, not a guess.
var supportedPlatforms = []string{"linux/amd64", "linux/arm64"}

// PlatformError names a platform the images are not built for.
type PlatformError struct{ Platform string }

func (e *PlatformError) Error() string {
	return fmt.Sprintf("platform %q is not one the images are built for (supported: %s)",
		e.Platform, strings.Join(supportedPlatforms, ", "))
}

// parsePlatform turns "os/arch" into a platform, or a *PlatformError.
func parsePlatform(s string) (v1.Platform, error) {
	for _, p := range supportedPlatforms {
		if s == p {
			os, arch, _ := strings.Cut(s, "/")
			return v1.Platform{OS: os, Architecture: arch}, nil
		}
	}
	return v1.Platform{}, &PlatformError{Platform: s}
}

// parsePlatforms parses a list, refusing duplicates and an empty list.
func parsePlatforms(list []string) ([]v1.Platform, error) {
	if len(list) == 0 {
		return nil, fmt.Errorf("no platform given (supported: %s)", strings.Join(supportedPlatforms, ", "))
	}
	seen := map[string]bool{}
	out := make([]v1.Platform, 0, len(list))
	for _, s := range list {
		if seen[s] {
			return nil, fmt.Errorf("platform %q given twice", s)
		}
		seen[s] = true
		p, err := parsePlatform(s)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func platformString(p v1.Platform) string { return p.OS + "/" + p.Architecture }
