package ingest

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

// Messages of loads that failed for a fault of the service's storage, not of what was submitted:
// the submitter is told so, and that the same submission succeeds once the fault is mended.
const (
	msgNoSpace     = "数据目录磁盘空间不足，归集失败，未提交任何数据；请管理员释放磁盘空间后重新报送"
	msgUnavailable = "数据湖存储暂时无法访问，归集失败，未提交任何数据；请稍后重新报送，或联系管理员"
)

// explainFailure words a load failure that has no message for users yet and was caused by the
// data directory running out of space or by the lake's object store not answering. Both are of
// kind schemas.ErrBusy (retry later) and keep err as their cause for the log.
func explainFailure(err error) (error, bool) {
	if _, ok := schemas.UserMessage(err); ok {
		return err, false
	}
	var msg string
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		msg = msgNoSpace
	case errors.Is(err, lake.ErrUnavailable):
		msg = msgUnavailable
	default:
		return err, false
	}
	return schemas.Userf(fmt.Errorf("%w: %w", schemas.ErrBusy, err), "%s", msg), true
}
