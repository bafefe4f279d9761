package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// stateSaver writes the emulator's state to --state-file, skipping writes
// when nothing changed since the last one.
type stateSaver struct {
	path string
	s    *fakecompute.Server
	last []byte
}

// load reads the state file if it exists; a missing file is a fresh start.
func (st *stateSaver) load() (bool, error) {
	f, err := os.Open(st.path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("--state-file: %w", err)
	}
	defer f.Close()
	if err := st.s.LoadState(f); err != nil {
		return false, fmt.Errorf("--state-file %s: %w", st.path, err)
	}
	return true, nil
}

// save replaces the file atomically (write a temporary file, then rename),
// so a crash mid-write leaves the previous state intact.
func (st *stateSaver) save() error {
	var buf bytes.Buffer
	if err := st.s.SaveState(&buf); err != nil {
		return err
	}
	if bytes.Equal(buf.Bytes(), st.last) {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(st.path), filepath.Base(st.path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), st.path); err != nil {
		return err
	}
	st.last = buf.Bytes()
	return nil
}
