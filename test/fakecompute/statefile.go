package fakecompute

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
)

// The state file lets the standalone emulator survive a restart: every
// stored resource, typed and grouped by collection, and the id and
// fingerprint counters, so ids and fingerprints stay unique across runs. Operations are not kept: a client that
// restarts with the emulator polls operations GCE would also have expired.

const stateVersion = 1

type stateFile struct {
	Version         int               `json:"version"`
	NextID          uint64            `json:"nextId"`
	NextFingerprint uint64            `json:"nextFingerprint,omitempty"`
	Collections     []stateCollection `json:"collections"`
}

type stateCollection struct {
	Project    string                     `json:"project"`
	Scope      string                     `json:"scope"` // "global", "regions/<r>" or "zones/<z>"
	Collection string                     `json:"collection"`
	Items      map[string]json.RawMessage `json:"items"` // by name
}

// SaveState writes every resource and the id counter as JSON, sorted so
// that two saves of the same state are byte-identical.
func (s *Server) SaveState(w io.Writer) error {
	st := stateFile{Version: stateVersion}
	err := s.store.read(func(t *tx) error {
		st.NextID, st.NextFingerprint = t.s.nextID, t.s.fpSeq
		for tk, tbl := range t.s.tables {
			if len(tbl) == 0 {
				continue
			}
			col, ok := s.collections[tk.Collection]
			if !ok {
				return fmt.Errorf("saving %s: the collection table does not know the collection %q", tk.Path(), tk.Collection)
			}
			c := stateCollection{Project: tk.Project, Scope: tk.ScopePath(), Collection: tk.Collection, Items: map[string]json.RawMessage{}}
			for name, obj := range tbl {
				if reflect.TypeOf(obj) != reflect.PointerTo(col.typ) {
					return fmt.Errorf("saving %s/%s: it is a %T, want *%v", tk.Path(), name, obj, col.typ)
				}
				b, err := json.Marshal(obj)
				if err != nil {
					return fmt.Errorf("saving %s/%s: %w", tk.Path(), name, err)
				}
				c.Items[name] = b
			}
			st.Collections = append(st.Collections, c)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Slice(st.Collections, func(i, j int) bool {
		a, b := st.Collections[i], st.Collections[j]
		return a.Project+"/"+a.Scope+"/"+a.Collection < b.Project+"/"+b.Scope+"/"+b.Collection
	})
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(st)
}

// LoadState replaces every resource and the id counter with the state
// read. Nothing changes unless the whole file is valid. Resources must live
// in the projects, region and zones this server serves: a state saved with
// another topology would otherwise be unreachable. It is meant for start-up:
// operations in flight keep running against the new state.
func (s *Server) LoadState(r io.Reader) error {
	var st stateFile
	d := json.NewDecoder(r)
	d.DisallowUnknownFields()
	if err := d.Decode(&st); err != nil {
		return fmt.Errorf("reading the state: %w", err)
	}
	if st.Version != stateVersion {
		return fmt.Errorf("state version %d; this emulator reads version %d", st.Version, stateVersion)
	}
	tables := map[Key]map[string]any{}
	next := st.NextID
	for _, c := range st.Collections {
		tk, err := s.stateTable(c)
		if err != nil {
			return err
		}
		tbl := map[string]any{}
		for name, raw := range c.Items {
			obj := reflect.New(s.collections[c.Collection].typ).Interface()
			if err := json.Unmarshal(raw, obj); err != nil {
				return fmt.Errorf("state %s/%s: %w", tk.Path(), name, err)
			}
			if id := idOf(obj); id > next {
				next = id
			}
			tbl[name] = obj
		}
		tables[tk] = tbl
	}
	s.store.mu.Lock()
	s.store.tables = tables
	s.store.gen.Add(1)
	s.store.nextID = next
	s.store.fpSeq = st.NextFingerprint
	s.store.mu.Unlock()
	return nil
}

// stateTable checks where a saved collection lives and returns its table key.
func (s *Server) stateTable(c stateCollection) (Key, error) {
	where := c.Project + "/" + c.Scope + "/" + c.Collection
	if _, ok := s.collections[c.Collection]; !ok {
		return Key{}, fmt.Errorf("state %s: unknown collection %q", where, c.Collection)
	}
	if !s.projects[c.Project] {
		return Key{}, fmt.Errorf("state %s: project %q is not served here (projects: %s)", where, c.Project, strings.Join(sortedKeys(s.projects), ", "))
	}
	k := Key{Project: c.Project}
	kind, loc, _ := strings.Cut(c.Scope, "/")
	switch {
	case c.Scope == "global":
		k.Kind = Global
	case kind == "regions" && s.hasRegion(loc):
		k.Kind, k.Location = Regional, loc
	case kind == "zones" && s.hasZone(loc):
		k.Kind, k.Location = Zonal, loc
	default:
		return Key{}, fmt.Errorf("state %s: scope %q is not served here (regions %s)", where, c.Scope, strings.Join(s.regions(), ","))
	}
	if _, ok := s.collections[c.Collection].servedIn(k.Kind); !ok && k.Kind != s.collections[c.Collection].scope {
		return Key{}, fmt.Errorf("state %s: %s are not %s resources", where, c.Collection, c.Scope)
	}
	k.Collection = c.Collection
	return k, nil
}
