package lake

import (
	"fmt"
	"strings"
)

// CheckKey validates an object key: a non-empty, slash-separated relative path without empty,
// "." or ".." segments, backslashes or control characters. Backends call it before touching
// storage so that every backend accepts exactly the same keys.
func CheckKey(key string) error {
	if key == "" {
		return fmt.Errorf("empty key: %w", ErrInvalidKey)
	}
	return checkPath(key, false)
}

// CheckPrefix validates a listing prefix: empty, or a key-like path that may end in "/" or in a
// partial segment.
func CheckPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	return checkPath(prefix, true)
}

func checkPath(p string, isPrefix bool) error {
	if strings.HasPrefix(p, "/") {
		return fmt.Errorf("key %q is absolute: %w", p, ErrInvalidKey)
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return fmt.Errorf("key %q contains %q: %w", p, r, ErrInvalidKey)
		}
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		last := i == len(segs)-1
		switch {
		case s == "" && last && isPrefix:
			// "a/b/" as a prefix lists the folder
		case s == "":
			return fmt.Errorf("key %q has an empty segment: %w", p, ErrInvalidKey)
		case s == "..":
			return fmt.Errorf("key %q escapes the bucket: %w", p, ErrInvalidKey)
		case s == "." && !(last && isPrefix):
			return fmt.Errorf("key %q has a \".\" segment: %w", p, ErrInvalidKey)
		}
	}
	return nil
}
