package catalog

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// dirSize sums the sizes of the files under dir (journal, checkpoint, lock).
func dirSize(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	require.NoError(t, filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		n += info.Size()
		return err
	}))
	return n
}

// TestRunErrorIsBounded checks that a 10 MB run error (a header of a million columns echoed into
// it) is stored, journaled and replayed within MaxRunError, whichever command carries it.
func TestRunErrorIsBounded(t *testing.T) {
	huge := strings.Repeat("第 1 列“风速”不是该目录的信息项；", 10<<20/50)
	require.Greater(t, len(huge), 10<<20-100)
	hugeSource := strings.Repeat("报", 1<<20) + ".csv"

	for _, how := range []string{"fail", "commit", "begin", "raw journal record"} {
		t.Run(how, func(t *testing.T) {
			dir := t.TempDir()
			clock := newClock()
			s := openTest(t, testConfig(dir, clock))
			ctx := context.Background()
			require.NoError(t, s.PutDepartment(ctx, Department{Code: "AIR_DIV", Name: "大气环境处", Kind: DepartmentDivision}))
			require.NoError(t, s.PutEntry(ctx, validEntry("000001", "air_daily")))
			base := dirSize(t, dir)

			begin := Run{ID: "run-1", Entry: "0101/000001", Status: RunRunning, Source: hugeSource}
			if how == "begin" {
				begin.Error = huge
			}
			require.NoError(t, s.BeginRun(ctx, begin))
			switch how {
			case "fail":
				require.NoError(t, s.FailRun(ctx, Run{ID: "run-1", Error: huge}))
			case "commit":
				require.NoError(t, s.CommitSnapshot(ctx,
					Snapshot{ID: "snap-1", Entry: "0101/000001", ManifestKey: "m.json", Rows: 1, Files: 1, Bytes: 1},
					Run{ID: "run-1", Status: RunSucceeded, RowsRead: 1, RowsAccepted: 1, Error: huge}, ""))
			case "raw journal record":
				// A journal written before the bound: the applier still clips on replay.
				require.NoError(t, s.submit(ctx, cmdFailRun, runCmd{Run: Run{ID: "run-1", Error: huge}}, nil))
			}

			check := func(v *View) {
				r, err := v.Run("run-1")
				require.NoError(t, err)
				assert.LessOrEqual(t, utf8.RuneCountInString(r.Error), MaxRunError)
				assert.LessOrEqual(t, len(r.Error), 4*MaxRunError)
				assert.True(t, strings.HasPrefix(r.Error, "第 1 列“风速”"), "the start of the error is kept")
				assert.True(t, strings.HasSuffix(r.Error, "…"), "a clipped error says so")
				assert.LessOrEqual(t, utf8.RuneCountInString(r.Source), MaxRunSource)
			}
			check(s.View())
			if how != "raw journal record" {
				assert.Less(t, dirSize(t, dir)-base, int64(64<<10), "the journal holds the clipped text only")
			}
			require.NoError(t, s.Close())
			s = openTest(t, testConfig(dir, clock))
			defer s.Close()
			check(s.View())
		})
	}
}

// TestValidationProblemsPerField checks that a rejected command names each field in a
// *schemas.InvalidError that is both catalog.ErrInvalid and schemas.ErrInvalid.
func TestValidationProblemsPerField(t *testing.T) {
	s, _ := newTestStore(t)
	e := validEntry("000001", "air_daily")
	e.Name = ""
	e.FormatType = "PDF"
	err := s.PutEntry(context.Background(), e)
	require.ErrorIs(t, err, ErrInvalid)
	require.ErrorIs(t, err, schemas.ErrInvalid)
	var inv *schemas.InvalidError
	require.True(t, errors.As(err, &inv))
	assert.Equal(t, []string{"name", "format_type"}, inv.Fields())
	assert.Equal(t, "必填", inv.Problems[0].Message)
	assert.Equal(t, "“PDF”不在代码表 format_types（资源格式）中（可选：DOCUMENT、SPREADSHEET、DATABASE、IMAGE、STREAM、SELF_DESCRIBING、SERVICE）", inv.Problems[1].Message,
		"the field is the problem's own, not repeated in its message")
	assert.Contains(t, err.Error(), "目录 0101/000001: name: 必填; format_type: ", "the log text lists the problems")
	assert.Equal(t, "目录 0101/000001 校验未通过: name: 必填；format_type: "+inv.Problems[1].Message, inv.UserText(),
		"users read the problems without the sentinel's English")
}

func TestSentinelsAreKindsOfRoots(t *testing.T) {
	for _, c := range []struct{ sentinel, root error }{
		{ErrNotFound, schemas.ErrNotFound}, {ErrInvalid, schemas.ErrInvalid}, {ErrConflict, schemas.ErrConflict},
	} {
		assert.ErrorIs(t, c.sentinel, c.root)
		assert.NotErrorIs(t, c.root, c.sentinel)
	}
	for _, internal := range []error{ErrLocked, ErrCorrupt, ErrClosed} {
		assert.Equal(t, schemas.CodeInternal, schemas.CodeOf(internal))
	}
}
