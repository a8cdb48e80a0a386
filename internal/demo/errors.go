package demo

import "github.com/cqeco/ecolake/schemas"

// ErrRealDirectory refuses --demo on a data directory that holds real accounts (CheckDirectory).
var ErrRealDirectory = schemas.Kind("data directory holds real accounts", schemas.ErrConflict)
