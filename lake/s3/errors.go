package s3

import "errors"

// ErrInvalidConfig is returned for a configuration or URL that cannot name a bucket.
var ErrInvalidConfig = errors.New("invalid s3 configuration")
