package ingest

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
)

// TestSniffDelimiter: the separator found the same number of times on most lines wins; title
// lines and separators inside quotes do not count.
func TestSniffDelimiter(t *testing.T) {
	for _, c := range []struct {
		head string
		want rune
	}{
		{"a,b,c\n1,2,3\n", ','},
		{"a\tb\tc\n1\t2,5\t3\n4\t5\t6\n", '\t'},
		{"重庆市某区空气质量日报\n填报单位：某区生态环境局\na;b;c\n1;2,5;3\n", ';'},
		{"\"a;b\",c,d\n\"1;2\",3,4\n", ','},
		{"just one column\nvalue\n", ','},
		{"", ','},
	} {
		assert.Equal(t, string(c.want), string(sniffDelimiter([]byte(c.head))), "%q", c.head)
	}
}

// TestDistrictFileLayouts: what districts really send is read without a person fixing it first:
// a tab- or semicolon-separated file, title rows and a merged "填报单位" row above the header,
// GB18030 text, full-width digits. The result says what was found, and rejected rows keep the
// line numbers of the file as the district sees it.
func TestDistrictFileLayouts(t *testing.T) {
	const want = "S1"
	cases := []struct {
		name, body           string
		delimiter            string
		headerLine, rejectAt int
	}{
		{name: "tabs", body: "站点编码\t区县\t监测日期\tPM2.5浓度（μg/m³）\nS1\t渝中区\t2024-05-07\t１２.５\nS9\t渝中区\t不是日期\t1\n",
			delimiter: "制表符", headerLine: 1, rejectAt: 3},
		{name: "semicolons and titles", body: "重庆市渝中区空气质量日报\n填报单位：渝中区生态环境局;;;\n站点编码;区县;监测日期;PM2.5浓度（μg/m³）\nS1;渝中区;2024年5月7日;12.5\nS9;渝中区;不是日期;1\n",
			delimiter: "分号", headerLine: 3, rejectAt: 5},
		{name: "commas, titles, full-width header", body: "渝中区 2024 年 5 月报表,,,\n,,,\n站点编码,区\u3000县,监测日期,ＰＭ２．５浓度（μg/m³）\nS1,渝中区,２０２４/５/７,\"1,2.5\"\nS9,渝中区,不是日期,1\n",
			headerLine: 3, rejectAt: 5},
	}
	for _, c := range cases {
		for _, gb := range []bool{false, true} {
			cfg := DefaultConfig()
			cfg.MaxRejectedShare = 1 // one row of two is rejected, to show its line
			e := newEnv(t, cfg)
			e.putEntry(nil)
			body := c.body
			if gb {
				body = gb18030(t, body)
			}
			res, err := e.submit("报送.csv", body, nil)
			require.NoError(t, err, c.name)
			assert.Equal(t, catalog.RunPartial, res.Run.Status, "%s: one row rejected", c.name)
			assert.Equal(t, c.delimiter, res.Delimiter, c.name)
			assert.Equal(t, c.headerLine, res.HeaderLine, c.name)
			assert.EqualValues(t, 2, res.Run.RowsRead, "%s: the title rows are not rows", c.name)
			require.Len(t, res.Rejects, 1, c.name)
			assert.Equal(t, c.rejectAt, res.Rejects[0].Row, "%s: the line as the district sees it", c.name)
			rows := e.rows("0101/000001")
			require.Len(t, rows, 1, c.name)
			assert.Equal(t, want, rows[0][0], c.name)
			assert.Equal(t, "2024-05-07", rows[0][2], c.name)
			if c.headerLine > 1 {
				assert.Contains(t, res.Summary(), "表头在第 3 行，其上 2 行视为标题，未读取", c.name)
			}
			if c.delimiter != "" {
				assert.Contains(t, res.Summary(), "分隔符："+c.delimiter, c.name)
			}
		}
	}
}

// TestHeaderNotFound: a file whose first rows name no item is refused with the problems of its
// first row, as before, and nothing is stored; a header further down than maxTitleRows rows, or
// below maxTitleBytes of text, is not looked for.
func TestHeaderNotFound(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	e.putEntry(nil)
	_, err := e.submit("报送.csv", "甲,乙\n1,2\n", nil)
	require.ErrorIs(t, err, ErrBadHeader)
	assert.Contains(t, err.Error(), "第 1 列“甲”不是该目录的信息项")

	long := strings.Repeat("长", maxTitleBytes/3+1) + "\n" // one title line beyond the bytes read ahead
	_, err = e.submit("报送.csv", long+"站点编码,区县,监测日期\nS1,渝中区,2024-05-07\n", nil)
	require.ErrorIs(t, err, ErrBadHeader, "the header below it is not looked for")

	deep := strings.Repeat("标题\n", maxTitleRows+1) + "站点编码,区县,监测日期\nS1,渝中区,2024-05-07\n"
	_, err = e.submit("报送.csv", deep, nil)
	require.ErrorIs(t, err, ErrBadHeader)
	assert.Contains(t, err.Error(), "“标题”不是该目录的信息项")
	got, err := e.cat.View().Entry("0101/000001")
	require.NoError(t, err)
	assert.Empty(t, got.CurrentSnapshot, "nothing stored")
}

// TestRejectedShareThreshold: a file whose invalid rows are more than Config.MaxRejectedShare of
// its rows loads nothing and fails, with the share in its error, and its rejected rows are still
// kept for download; at the share it loads its valid rows. Rows refused only because they are
// another district's do not count.
func TestRejectedShareThreshold(t *testing.T) {
	file := func(rows, bad int, district string) string {
		var b strings.Builder
		b.WriteString("站点编码,区县,监测日期\n")
		for i := range rows {
			date := "2024-05-07"
			if i < bad {
				date = "不是日期"
			}
			fmt.Fprintf(&b, "S%d,%s,%s\n", i, district, date)
		}
		return b.String()
	}
	e := newEnv(t, DefaultConfig())
	e.putEntry(nil)
	res, err := e.submit("报送.csv", file(100, 5, "渝中区"), nil)
	require.NoError(t, err)
	assert.Equal(t, catalog.RunPartial, res.Run.Status, "5 of 100: at the share")
	assert.Len(t, e.rows("0101/000001"), 95)

	res, err = e.submit("报送.csv", file(100, 6, "渝中区"), nil)
	require.NoError(t, err)
	assert.Equal(t, catalog.RunFailed, res.Run.Status)
	assert.Nil(t, res.Snapshot)
	assert.Equal(t, "6 行数据有误，占读取行数的 6%，超过允许的 5%：本次报送未入库，请按拒收明细修正后重新报送", res.Run.Error)
	assert.NotEmpty(t, res.Run.RejectedKey, "the rejected rows can be downloaded")
	assert.Len(t, e.rejectsFile(res.Run.RejectedKey), 6, "the six rows")
	assert.Len(t, e.rows("0101/000001"), 95, "nothing of it was loaded")
	assert.Contains(t, res.Summary(), "未生成新快照")

	// A district account's file of a shared template: the other districts' rows are refused,
	// not invalid.
	yz := e.principal("yz_user")
	var b strings.Builder
	b.WriteString(file(10, 0, "渝中区"))
	for i := range 30 {
		fmt.Fprintf(&b, "J%d,江北区,2024-05-07\n", i)
	}
	res, err = e.submit("报送.csv", b.String(), func(s *Submission) { s.Principal = yz; s.District = "500103" })
	require.NoError(t, err)
	assert.Equal(t, catalog.RunPartial, res.Run.Status)
	assert.EqualValues(t, 30, res.Run.RowsRejected)
	assert.EqualValues(t, 10, res.Run.RowsAccepted)

	for _, bad := range []float64{-0.1, 1.5} {
		cfg := DefaultConfig()
		cfg.MaxRejectedShare = bad
		assert.ErrorIs(t, cfg.Validate(), ErrInvalidConfig, "%g", bad)
	}
}

// TestDuplicateSubmission: the same file appended again to an entry adds nothing and says so,
// also after other loads; a replacement is a duplicate only of the same replacement just made,
// and after a replacement of every row the files loaded before hold none of its rows.
func TestDuplicateSubmission(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	e.putEntry(nil)
	may := "站点编码,区县,监测日期\nS1,渝中区,2024-05-07\nS2,渝中区,2024-05-07\n"
	june := "站点编码,区县,监测日期\nS1,渝中区,2024-06-07\n"
	first, err := e.submit("5月.csv", may, nil)
	require.NoError(t, err)
	require.NotNil(t, first.Snapshot)
	assert.Len(t, first.Source, 64)
	assert.Equal(t, int64(len(may)), first.Run.Bytes, "the run records the bytes it read")
	stored, err := e.cat.View().Run(first.Run.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(len(may)), stored.Bytes)

	again, err := e.submit("5月-重报.csv", may, nil)
	require.NoError(t, err, "not an error")
	assert.True(t, again.Duplicate)
	assert.Nil(t, again.Snapshot)
	assert.Equal(t, first.Source, again.Source)
	assert.Equal(t, catalog.RunUnchanged, again.Run.Status, "a duplicate is no failure of the entry")
	assert.True(t, again.Unchanged)
	assert.Contains(t, again.Run.Error, "重复报送：文件内容与此前已入库的报送完全相同（SHA-256 "+first.Source[:12]+"…）")
	assert.Contains(t, again.Summary(), "状态：重复报送，未重复入库")
	assert.Contains(t, again.Summary(), "说明：重复报送")
	assert.NotContains(t, again.Summary(), "失败原因")
	assert.Len(t, e.rows("0101/000001"), 2, "nothing added")

	_, err = e.submit("6月.csv", june, nil)
	require.NoError(t, err)
	assert.Len(t, e.rows("0101/000001"), 3)
	later, err := e.submit("5月.csv", may, nil)
	require.NoError(t, err)
	assert.True(t, later.Duplicate, "found after another load")
	changed, err := e.submit("5月.csv", may+"S3,渝中区,2024-05-07\n", nil)
	require.NoError(t, err)
	assert.False(t, changed.Duplicate)
	assert.Len(t, e.rows("0101/000001"), 6)

	replaced, err := e.submit("全量.csv", june, func(s *Submission) { s.Replace = true })
	require.NoError(t, err)
	assert.False(t, replaced.Duplicate, "a replacement by a file appended before is applied")
	assert.Len(t, e.rows("0101/000001"), 1)
	twice, err := e.submit("全量.csv", june, func(s *Submission) { s.Replace = true })
	require.NoError(t, err)
	assert.True(t, twice.Duplicate, "the same replacement again")
	restored, err := e.submit("5月.csv", may, nil)
	require.NoError(t, err)
	assert.False(t, restored.Duplicate, "after the replacement of every row")
	assert.Len(t, e.rows("0101/000001"), 3)
}

// FuzzFindHeader drives the header finder with arbitrary records above and around a header: it
// never panics, takes a row among the first maxTitleRows+1, replays every record after it in
// order and with its line, and takes the first row when that one names half the items.
func FuzzFindHeader(f *testing.F) {
	f.Add("重庆市某区空气质量日报\n填报单位：某区;;\n站点编码;区县;监测日期\nS1;渝中区;2024-05-07\n")
	f.Add("站点编码,区县,监测日期\nS1,渝中区,2024-05-07\n")
	f.Add(strings.Repeat("标题\n", maxTitleRows+2) + "站点编码,区县\n")
	f.Add(",,,\n\"站点编码\",\"区县\"\n\"S1\n\",渝中区\n")
	entry := testEntry()
	f.Fuzz(func(t *testing.T, text string) {
		d, err := NewCSVDecoder(strings.NewReader(text))
		if err != nil {
			return
		}
		var all []buffered
		for {
			rec, line, err := d.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil && !errors.As(err, new(*RecordError)) {
				return
			}
			all = append(all, buffered{rec: append([]string(nil), rec...), line: line, err: err})
		}
		d, err = NewCSVDecoder(strings.NewReader(text))
		require.NoError(t, err)
		h, err := findHeader("f.csv", d, entry)
		if err != nil {
			require.ErrorIs(t, err, ErrBadHeader)
			return
		}
		at := -1
		for i, r := range all {
			if r.line == h.line { // a record's first line is its own
				at = i
				break
			}
		}
		require.GreaterOrEqual(t, at, 0, "the header is one of the records")
		require.Equal(t, all[at].rec, h.cells)
		require.LessOrEqual(t, at, maxTitleRows)
		if all[0].err == nil && 2*headerMatches(itemNames(entry), all[0].rec) >= entry.Items.Len() {
			require.Equal(t, 0, at, "a first row naming half the items is the header")
		}
		rest := &replay{Decoder: d, queue: h.buffered}
		for _, want := range all[at+1:] {
			rec, line, err := rest.Next()
			require.Equal(t, want.line, line)
			require.Equal(t, want.err == nil, err == nil)
			if err == nil {
				require.Equal(t, want.rec, rec)
			}
		}
		_, _, err = rest.Next()
		require.ErrorIs(t, err, io.EOF)
	})
}
