package ingest

import (
	"errors"

	"github.com/cqeco/ecolake/schemas"
)

// The sentinels that reach district staff (CLI output, HTTP responses, the run's error) are
// *schemas.UserError values with Chinese text: a door shows that text when no more detailed
// user message (schemas.Userf with the sentinel as kind) wraps it, and never the text %w
// wrapping added around it.
var (
	// ErrNotCollectable is returned for entries that may not be loaded into the lake: not
	// published, or 涉密. It is a kind of schemas.ErrConflict (the entry's state forbids it).
	ErrNotCollectable error = &schemas.UserError{Msg: "该目录不可归集", Err: schemas.ErrConflict}
	// ErrBadHeader is returned when the header row does not match the entry's items.
	ErrBadHeader error = &schemas.UserError{Msg: "表头与目录信息项不符", Err: schemas.ErrUnprocessable}
	// ErrBadEncoding is returned when the file is neither UTF-8 nor GB18030 text.
	ErrBadEncoding error = &schemas.UserError{Msg: "文件编码无法识别（应为 UTF-8 或 GB18030）", Err: schemas.ErrUnprocessable}
	// ErrUnsupportedFormat is returned for file types no decoder handles.
	ErrUnsupportedFormat error = &schemas.UserError{Msg: "不支持的文件格式", Err: schemas.ErrInvalid}
	// ErrInvalidSubmission is returned for a submission that lacks what it needs (a body, a
	// known district).
	ErrInvalidSubmission error = &schemas.UserError{Msg: "报送内容不完整或无效", Err: schemas.ErrInvalid}
	// ErrTooLarge is returned for a workbook beyond the limits of Config.XLSX.
	ErrTooLarge error = &schemas.UserError{Msg: "报送文件过大", Err: schemas.ErrTooLarge}
	// ErrLoadForbidden is returned when the access decision does not let the principal load
	// the entry, for the district named, or by replacement.
	ErrLoadForbidden error = &schemas.UserError{Msg: "无权报送", Err: schemas.ErrForbidden}
	// ErrInvalidConnector is the kind of a connector configuration that does not fit its spec
	// (a *schemas.InvalidError naming each field), or of a connector kind or schedule that does
	// not exist. Of no text of its own: the problems are the message.
	ErrInvalidConnector = schemas.Kind("invalid connector configuration", schemas.ErrInvalid)
	// ErrSourceFailed is returned when a source could not be read: the remote side refused,
	// failed after the retry budget, or sent what cannot be read.
	ErrSourceFailed error = &schemas.UserError{Msg: "数据源读取失败"}
	// ErrInvalidConfig is returned by Config.Validate; a bad configuration is the operator's
	// fault, not the submitter's, so it is of no kind (internal).
	ErrInvalidConfig = errors.New("invalid ingest config")
)
