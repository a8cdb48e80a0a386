package schemas

import "errors"

// ErrInvalid marks a value that does not fit the vocabulary (type, code list, identifier).
var ErrInvalid = errors.New("invalid value")
