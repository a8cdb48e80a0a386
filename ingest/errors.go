package ingest

import (
	"errors"

	"github.com/cqeco/ecolake/schemas"
)

// The sentinels carry Chinese text because their messages reach the district staff who submitted
// the file (CLI output, HTTP responses, the run's error).
var (
	// ErrNotCollectable is returned for entries that may not be loaded into the lake: not
	// published, or 涉密.
	ErrNotCollectable = errors.New("该目录不可归集")
	// ErrBadHeader is returned when the header row does not match the entry's items.
	ErrBadHeader = errors.New("表头与目录信息项不符")
	// ErrBadEncoding is returned when the file is neither UTF-8 nor GB18030 text.
	ErrBadEncoding = errors.New("文件编码无法识别（应为 UTF-8 或 GB18030）")
	// ErrUnsupportedFormat is returned for file types no decoder handles; it is a kind of
	// schemas.ErrInvalid.
	ErrUnsupportedFormat error = &kindOf{msg: "不支持的文件格式", parent: schemas.ErrInvalid}
	// ErrInvalidSubmission is returned for a submission that lacks what it needs (a body, a
	// known district); it is a kind of schemas.ErrInvalid.
	ErrInvalidSubmission error = &kindOf{msg: "报送内容不完整或无效", parent: schemas.ErrInvalid}
	// ErrLoadForbidden is returned when the access decision does not let the principal load
	// the entry, for the district named, or by replacement; it is a kind of
	// schemas.ErrForbidden.
	ErrLoadForbidden error = &kindOf{msg: "无权报送", parent: schemas.ErrForbidden}
	// ErrInvalidConfig is returned by Config.Validate.
	ErrInvalidConfig = errors.New("invalid ingest config")
)

// kindOf is a sentinel that is also a more general one, keeping its own text.
type kindOf struct {
	msg    string
	parent error
}

func (e *kindOf) Error() string { return e.msg }
func (e *kindOf) Unwrap() error { return e.parent }
