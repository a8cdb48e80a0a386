package ingest

import (
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

func TestExplainFailure(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		msg  string // "" when the error is left as it is
	}{
		{"no space", fmt.Errorf("write parquet: %w", syscall.ENOSPC), msgNoSpace},
		{"quota", fmt.Errorf("write parquet: %w", syscall.EDQUOT), msgNoSpace},
		{"store down", fmt.Errorf("upload k: %w: dial tcp: connection refused", lake.ErrUnavailable), msgUnavailable},
		{"journal full keeps its message", fmt.Errorf("begin run: %w", catalog.ErrDiskFull), ""},
		{"other", errors.New("boom"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := explainFailure(tc.err)
			if tc.msg == "" {
				assert.False(t, ok)
				assert.Equal(t, tc.err, got)
				return
			}
			assert.True(t, ok)
			msg, _ := schemas.UserMessage(got)
			assert.Equal(t, tc.msg, msg)
			assert.ErrorIs(t, got, schemas.ErrBusy, "the same submission succeeds later")
			assert.ErrorIs(t, got, tc.err, "the cause is kept for the log")
		})
	}
}
