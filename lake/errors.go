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

var (
	// ErrSize is returned when an upload's bytes do not match its declared size.
	ErrSize = errors.New("object size mismatch")
	// ErrInvalidManifest is returned for a snapshot manifest that is malformed or inconsistent.
	ErrInvalidManifest = errors.New("invalid manifest")
	// ErrClosed is returned by a writer used after Close or Abort.
	ErrClosed = errors.New("writer closed")
)
