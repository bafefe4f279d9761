package fakecompute

// Hooks for the external core tests (the export_test idiom): the fuzzers
// need the filter parser, which is not part of the package's API.

// ParseFilterForTest compiles a list filter and returns its matcher over a
// resource as the list handlers apply it.
func ParseFilterForTest(expr string) (func(obj any) bool, error) {
	f, err := parseFilter(expr)
	if err != nil {
		return nil, err
	}
	return func(obj any) bool { return f.match(asMap(obj)) }, nil
}
