package main

import (
	"bytes"
	"debug/elf"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// elfMachine is the ELF machine of each supported architecture.
var elfMachine = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

// checkELF refuses a binary built for another platform than the image
// claims, or one that needs a dynamic loader the image does not have.
func checkELF(b []byte, p v1.Platform) error {
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("not an ELF executable: %w", err)
	}
	defer f.Close()
	if want := elfMachine[p.Architecture]; f.Machine != want {
		return fmt.Errorf("built for %s, not %s (%s)", f.Machine, p.Architecture, want)
	}
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return fmt.Errorf("dynamically linked (it has an ELF interpreter); build with CGO_ENABLED=0")
		}
	}
	return nil
}
