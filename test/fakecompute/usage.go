package fakecompute

import "slices"

// userOf names a resource whose references (its collection's refs) point
// at k, among the collections declared in k's usedBy; "" when none does.
// Of several users it names the first in path order, so the message is
// the same on every run.
func (s *Server) userOf(t *tx, k Key) string {
	col := s.collections[k.Collection]
	if col == nil {
		return ""
	}
	link := k.SelfLink()
	var users []string
	for _, from := range col.usedBy {
		for _, r := range s.collections[from].refs {
			if r.to != k.Collection {
				continue
			}
			t.scan(k.Project, from, func(uk Key, o any) {
				if slices.Contains(r.links(o), link) {
					users = append(users, uk.Path())
				}
			})
		}
	}
	if len(users) == 0 {
		return ""
	}
	slices.Sort(users)
	return users[0]
}
