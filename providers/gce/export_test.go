package gce

import "errors"

// asConfigError extracts the key and reason of a bad-config error.
func asConfigError(err error) (*ConfigError, bool) {
	var ce *ConfigError
	ok := errors.As(err, &ce)
	return ce, ok
}
