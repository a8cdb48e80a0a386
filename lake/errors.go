package lake

import "errors"

var (
	// ErrNotFound is returned when an object does not exist.
	ErrNotFound = errors.New("object not found")
	// ErrInvalidKey is returned for keys that are empty, absolute or escape the bucket.
	ErrInvalidKey = errors.New("invalid object key")
	// ErrChecksum is returned when stored bytes do not match their recorded checksum.
	ErrChecksum = errors.New("checksum mismatch")
)
