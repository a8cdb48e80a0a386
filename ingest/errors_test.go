package ingest

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// boundedAnswer is the most a refused submission may say, in bytes, in its error, its summary
// and the run's stored error, whatever the size of the file.
const boundedAnswer = 8 << 10

// TestHugeHeadersGiveSmallAnswers submits headers built to blow up the error text: a million
// columns, a 10 MB cell, thousands of unknown columns. The error, the summary and the run's
// stored error stay small; the header text they quote is clipped.
func TestHugeHeadersGiveSmallAnswers(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"a million columns", "站点编码,区县,监测日期" + strings.Repeat(",列", 1_000_000) + "\nS1,渝中区,2024-01-01\n",
			[]string{"表头共 1000003 列，超过上限 4096 列"}},
		{"a 10 MB header cell", "站点编码,区县,监测日期," + strings.Repeat("风", 10<<20/3) + "\nS1,渝中区,2024-01-01,x\n",
			[]string{"第 4 列“风风风", "…”不是该目录的信息项"}},
		{"four thousand unknown columns", "站点编码,区县,监测日期" + strings.Repeat(",未知列", 4000) + "\n",
			[]string{"第 4 列“未知列”不是该目录的信息项", "第 13 列", "另有 3990 列也不是该目录的信息项"}},
		{"many duplicated columns", strings.Repeat("站点编码,", 500) + "区县,监测日期\n",
			[]string{"第 2 列“站点编码”与第 1 列重复", "另有 489 列与前面的列重复"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, DefaultConfig())
			e.putEntry(nil)
			res, err := e.submit("报送.csv", tc.body, nil)
			require.ErrorIs(t, err, ErrBadHeader)
			assert.Equal(t, schemas.CodeInvalid, schemas.CodeOf(err))
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Less(t, len(err.Error()), boundedAnswer, "the error")
			msg, ok := schemas.UserMessage(err)
			require.True(t, ok, "a header problem is told to the submitter")
			assert.Less(t, len(msg), boundedAnswer)
			require.NotNil(t, res)
			assert.Less(t, len(res.Summary()), boundedAnswer, "the summary")
			run, rerr := e.cat.View().Run(res.Run.ID)
			require.NoError(t, rerr)
			assert.Equal(t, catalog.RunFailed, run.Status)
			assert.NotEmpty(t, run.Error)
			assert.Less(t, len(run.Error), boundedAnswer, "the stored run error")
		})
	}
}

// TestHugeMatchingHeaderCellIsClipped: a header cell that matches an item only after its blanks
// are dropped ("区县" and 10 MB of spaces) is accepted, but the rejects that name its column quote
// it clipped, in the result and in the rejected-rows file.
func TestHugeMatchingHeaderCellIsClipped(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	e.putEntry(nil)
	res, err := e.submit("报送.csv", "站点编码,区县"+strings.Repeat(" ", 10<<20)+",监测日期\nS1,火星区,2024-01-01\nS2,渝中区,2024-01-01\n", nil)
	require.NoError(t, err)
	require.Len(t, res.Rejects, 1)
	assert.True(t, strings.HasPrefix(res.Rejects[0].Column, "区县"))
	assert.LessOrEqual(t, utf8.RuneCountInString(res.Rejects[0].Column), maxNameInMessage)
	assert.Less(t, len(res.Summary()), boundedAnswer)
	file := e.rejectsFile(res.Run.RejectedKey)
	require.Len(t, file, 1)
	assert.True(t, strings.HasPrefix(file[0][1], "区县"))
	assert.LessOrEqual(t, len(file[0][1]), 4*maxNameInMessage)
}

// TestSummaryNamesNoStorageKey: the rejected rows are fetched by run, so the summary does not
// show where the lake keeps them.
func TestSummaryNamesNoStorageKey(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	e.putEntry(nil)
	res, err := e.submit("a.csv", mixedCSV, nil)
	require.NoError(t, err)
	require.NotEmpty(t, res.Run.RejectedKey)
	sum := res.Summary()
	assert.NotContains(t, sum, res.Run.RejectedKey)
	assert.NotContains(t, sum, "tables/")
	assert.Contains(t, sum, res.Run.ID)
}

// TestUnknownEntryIsNotFound: an unknown entry is of kind not found, so that every door answers
// it as such; the text of the error is for the log, the user message is the door's.
func TestUnknownEntryIsNotFound(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	e.putEntry(nil)
	res, err := e.submit("a.csv", "站点编码,区县,监测日期\n", func(s *Submission) { s.Entry = "x" })
	require.Error(t, err)
	assert.Nil(t, res)
	assert.ErrorIs(t, err, schemas.ErrNotFound)
	assert.Equal(t, schemas.CodeNotFound, schemas.CodeOf(err))
	msg, public := schemas.UserMessage(err)
	assert.True(t, public)
	assert.Equal(t, "目录资源 x 不存在", msg, "the user's message names the entry as given, never the catalogue's English text")
}

// TestSentinelKinds holds each ingest sentinel to its root kind and its Chinese text.
func TestSentinelKinds(t *testing.T) {
	for _, c := range []struct {
		err  error
		root error
	}{
		{ErrNotCollectable, schemas.ErrConflict},
		{ErrBadHeader, schemas.ErrUnprocessable},
		{ErrBadEncoding, schemas.ErrUnprocessable},
		{ErrUnsupportedFormat, schemas.ErrInvalid},
		{ErrInvalidSubmission, schemas.ErrInvalid},
	} {
		assert.ErrorIs(t, c.err, c.root)
		msg, ok := schemas.UserMessage(c.err)
		assert.True(t, ok)
		assert.Regexp(t, `^\p{Han}`, msg, "user text is Chinese")
	}
	assert.Equal(t, schemas.CodeInternal, schemas.CodeOf(ErrInvalidConfig))
}

// TestEndlessLineIsRefused: a file of one line beyond MaxLineBytes is refused as soon as the line
// passes the bound, with a short Chinese message, instead of being read whole.
func TestEndlessLineIsRefused(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	e.putEntry(nil)
	body := strings.Repeat("站点编码,", MaxLineBytes/10) + "\nA1,渝中区,2024-01-01\n"
	res, err := e.submit("a.csv", body, nil)
	require.Error(t, err)
	require.NotNil(t, res)
	msg, ok := schemas.UserMessage(err)
	require.True(t, ok)
	assert.Contains(t, msg, "第 1 行超过 16 MiB")
	assert.Less(t, len(res.Run.Error), 200)
	assert.Equal(t, catalog.RunFailed, res.Run.Status)
}
