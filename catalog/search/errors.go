package search

import (
	"errors"

	"github.com/cqeco/ecolake/schemas"
)

// Sentinels of the search index. The first two are answers users see (kinds of schemas.ErrBusy:
// the same search a little later succeeds); ErrClosed is internal.
var (
	// ErrRebuilding: the index was missing, unreadable or of another version and is being
	// rebuilt from the catalogue; searches are refused until it is complete rather than
	// answered from a part of the directory.
	ErrRebuilding = &schemas.UserError{Msg: "搜索索引重建中，请稍后再试", Err: schemas.ErrBusy}
	// ErrBehind: the index has not caught up with the catalogue view of the search within
	// Config.MaxWait (a large import is being indexed).
	ErrBehind = &schemas.UserError{Msg: "搜索索引正在同步目录的最新变更，请稍后再试", Err: schemas.ErrBusy}
	// ErrClosed: the index was closed.
	ErrClosed = errors.New("search index closed")
)
