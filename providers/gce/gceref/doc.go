// Package gceref is the one identity of a Compute Engine resource: a
// comparable Key (project, scope, collection, name), the one grammar that
// reads every form of reference GCE and its clients send, and the
// canonical selfLink it prints.
//
// It is a leaf: it imports only the standard library, so the provider, its
// controllers and the emulator all share it without importing each other.
package gceref
