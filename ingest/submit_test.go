package ingest

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

// mixedCSV has three good rows and one row for every reject reason.
const mixedCSV = `站点编码,区县,监测日期,PM2.5浓度（μg/m³）,是否超标,监测次数,采样时间,备注
S001,渝中区,2024-01-05,35.5,否,24,2024-01-05 08:00:00,正常
S002,500105,2024/1/6,,是,12,,
S003,大渡 口区,2024-01-07,40,否,1,2024-01-07T09:30:00,  
,渝中区,2024-01-08,1,否,1,,
S005,火星区,2024-01-09,1,否,1,,
S006,渝中区,2024-13-01,1,否,1,,
S007,渝中区,2024-01-10,abc,否,x,,
S008,渝中区,2024-01-10,1,否
S00000009,渝中区,2024-01-11,1,否,1,,
S010,渝中区,2024-01-12,1,否,1,,这个备注超过了十个字符的长度
S011,江北区,2024-01-13,1,也许,1,,
`

// mixedRows are the valid rows of mixedCSV as read back from Parquet.
var mixedRows = [][]string{
	{"S001", "500103", "2024-01-05", "35.5", "false", "24", "2024-01-05 08:00:00", "正常"},
	{"S002", "500105", "2024-01-06", "<nil>", "true", "12", "<nil>", "<nil>"},
	{"S003", "500104", "2024-01-07", "40", "false", "1", "2024-01-07 09:30:00", "<nil>"},
}

// mixedRejects are the problems of mixedCSV: line, column, field, value, reason.
var mixedRejects = []Reject{
	{Row: 5, Column: "站点编码", Field: "station_code", Value: "", Reason: "必填项为空"},
	{Row: 6, Column: "区县", Field: "district", Value: "火星区", Reason: "“火星区”不是重庆市的区县代码或名称"},
	{Row: 7, Column: "监测日期", Field: "sample_date", Value: "2024-13-01", Reason: `"2024-13-01" 不是有效的日期 (应为 YYYY-MM-DD)`},
	{Row: 8, Column: "PM2.5浓度（μg/m³）", Field: "pm25", Value: "abc", Reason: `"abc" 不是有效的数值`},
	{Row: 8, Column: "监测次数", Field: "samples", Value: "x", Reason: `"x" 不是有效的整数`},
	{Row: 9, Value: "S008,渝中区,2024-01-10,1,否", Reason: "该行有 5 个字段，表头有 8 列"},
	{Row: 10, Column: "站点编码", Field: "station_code", Value: "S00000009", Reason: "长度为 9 个字符，超过上限 8 个字符"},
	{Row: 11, Column: "备注", Field: "remark", Value: "这个备注超过了十个字符的长度", Reason: "长度为 14 个字符，超过上限 10 个字符"},
	{Row: 12, Column: "是否超标", Field: "exceeded", Value: "也许", Reason: `"也许" 不是有效的布尔值 (应为 是/否)`},
}

func rejectRecords(rs []Reject) [][]string {
	out := make([][]string, len(rs))
	for i, r := range rs {
		out[i] = []string{strconv.Itoa(r.Row), r.Column, r.Field, r.Value, r.Reason}
	}
	return out
}

func TestSubmitMixedRows(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		encoding string
	}{
		{"utf8", mixedCSV, EncodingUTF8},
		{"utf8 bom", "\ufeff" + mixedCSV, EncodingUTF8},
		{"gb18030", gb18030(t, mixedCSV), EncodingGB18030},
		{"crlf", strings.ReplaceAll(mixedCSV, "\n", "\r\n"), EncodingUTF8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.MaxRejectedShare = 1 // the rows are mixed on purpose, most of them bad
			e := newEnv(t, cfg)
			e.putEntry(nil)
			// A city-wide submission: one "for 渝中区" would hold only 渝中区's rows (TestStewardForDistrictIsScoped).
			res, err := e.submit("渝中区空气质量.csv", tc.body, func(s *Submission) { s.Principal = e.principal("yz_user") })
			require.NoError(t, err)
			assert.Equal(t, tc.encoding, res.Encoding)
			assert.Equal(t, catalog.RunPartial, res.Run.Status)
			assert.Equal(t, int64(11), res.Run.RowsRead)
			assert.Equal(t, int64(3), res.Run.RowsAccepted)
			assert.Equal(t, int64(8), res.Run.RowsRejected)
			assert.Empty(t, res.Run.District)
			assert.Equal(t, mixedRejects, res.Rejects)
			require.NotNil(t, res.Snapshot)
			assert.Equal(t, int64(3), res.Snapshot.Rows)

			assert.Equal(t, mixedRows, e.rows("0101/000001"))
			assert.Equal(t, rejectRecords(mixedRejects), e.rejectsFile(res.Run.RejectedKey))
			assert.Equal(t, lake.RejectsKey("air_daily", res.Run.ID), res.Run.RejectedKey)

			v := e.cat.View()
			run, err := v.Run(res.Run.ID)
			require.NoError(t, err)
			assert.Equal(t, catalog.RunPartial, run.Status)
			assert.Equal(t, res.Snapshot.ID, run.Snapshot)
			assert.Equal(t, "渝中区空气质量.csv", run.Source)
			assert.Equal(t, "yz_user", run.Principal)
			en, err := v.Entry("0101/000001")
			require.NoError(t, err)
			assert.Equal(t, res.Snapshot.ID, en.CurrentSnapshot)

			sum := res.Summary()
			for _, want := range []string{"0101/000001 空气质量日报", "部分入库", "读取 11 行：入库 3 行，拒收 8 行", "共 9 条问题", "第 6 行“区县”列值“火星区”", res.Snapshot.ID, tc.encoding} {
				assert.Contains(t, sum, want)
			}
		})
	}
}

func TestSubmitHeaders(t *testing.T) {
	tests := []struct {
		name string
		body string
		want [][]string
	}{
		{
			name: "field names in another order and case",
			body: "Sample_Date,station_code,DISTRICT,remark\n2024-02-01,S100,万州区,好\n",
			want: [][]string{{"S100", "500101", "2024-02-01", "<nil>", "<nil>", "<nil>", "<nil>", "好"}},
		},
		{
			name: "chinese names with blanks and half-width brackets",
			body: "站点 编码,\u3000区县\u3000,监测\n日期,PM2.5浓度(μg/m³),是否超标\nS101,两江新区,20240202,12.5,Y\n",
			want: [][]string{{"S101", "500190", "2024-02-02", "12.5", "true", "<nil>", "<nil>", "<nil>"}},
		},
		{
			name: "an unnamed empty column is ignored",
			body: "站点编码,区县,监测日期,\nS102,高新区,2024-02-03,\n",
			want: [][]string{{"S102", "500191", "2024-02-03", "<nil>", "<nil>", "<nil>", "<nil>", "<nil>"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, DefaultConfig())
			e.putEntry(nil)
			body := strings.ReplaceAll(tc.body, "监测\n日期", "\"监测\n日期\"")
			res, err := e.submit("报送.csv", body, nil)
			require.NoError(t, err)
			assert.Equal(t, catalog.RunSucceeded, res.Run.Status)
			assert.Empty(t, res.Run.RejectedKey)
			assert.Equal(t, tc.want, e.rows("0101/000001"))
		})
	}
}

func TestSubmitHeaderErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"unknown column", "站点编码,区县,监测日期,风速\nS1,渝中区,2024-01-01,3\n",
			[]string{"风速.csv", "第 4 列“风速”不是该目录的信息项", "站点编码（station_code，必填）", "备注（remark）"}},
		{"duplicated column", "站点编码,区县,监测日期,station_code\nS1,渝中区,2024-01-01,S1\n",
			[]string{"第 4 列“station_code”与第 1 列重复"}},
		{"missing required column", "站点编码,区县,备注\nS1,渝中区,好\n",
			[]string{"缺少必填信息项“监测日期”（sample_date）"}},
		{"several problems at once", "站点编码,风速,区县,区县\n",
			[]string{"第 2 列“风速”", "第 4 列“区县”与第 3 列重复", "缺少必填信息项“监测日期”"}},
		{"empty file", "", []string{"空文件"}},
		{"header with broken quote", "站点编码,\"区县\n", []string{"表头无法解析"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, DefaultConfig())
			e.putEntry(nil)
			res, err := e.submit("风速.csv", tc.body, nil)
			require.ErrorIs(t, err, ErrBadHeader)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			require.NotNil(t, res)
			assert.Nil(t, res.Snapshot)
			run, rerr := e.cat.View().Run(res.Run.ID)
			require.NoError(t, rerr)
			assert.Equal(t, catalog.RunFailed, run.Status)
			assert.Equal(t, err.Error(), run.Error)
			en, _ := e.cat.View().Entry("0101/000001")
			assert.Empty(t, en.CurrentSnapshot)
		})
	}
}

func TestSubmitAppendAndReplace(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	e.putEntry(nil)
	head := "站点编码,区县,监测日期\n"

	first, err := e.submit("1.csv", head+"A1,渝中区,2024-01-01\nA2,渝中区,2024-01-02\n", nil)
	require.NoError(t, err)
	assert.Empty(t, first.Snapshot.Parent)

	second, err := e.submit("2.csv", head+"B1,江北区,2024-01-03\n", nil)
	require.NoError(t, err)
	assert.Equal(t, first.Snapshot.ID, second.Snapshot.Parent)
	assert.Equal(t, int64(3), second.Snapshot.Rows)
	assert.Equal(t, 2, second.Snapshot.Files)
	assert.Equal(t, second.Snapshot.SchemaVersion, first.Snapshot.SchemaVersion)
	got := e.rows("0101/000001")
	require.Len(t, got, 3)
	assert.Equal(t, []string{"A1", "A2", "B1"}, []string{got[0][0], got[1][0], got[2][0]})

	third, err := e.submit("3.csv", head+"C1,北碚区,2024-01-04\n", func(s *Submission) { s.Replace = true })
	require.NoError(t, err)
	assert.Equal(t, second.Snapshot.ID, third.Snapshot.Parent)
	assert.Equal(t, int64(1), third.Snapshot.Rows)
	assert.Equal(t, 1, third.Snapshot.Files)
	got = e.rows("0101/000001")
	require.Len(t, got, 1)
	assert.Equal(t, "C1", got[0][0])

	m, err := lake.ReadManifest(context.Background(), e.bucket, third.Snapshot.ManifestKey)
	require.NoError(t, err)
	assert.Equal(t, "replace", m.Summary["operation"])
	assert.Equal(t, second.Snapshot.ID, m.Parent)
	assert.Equal(t, lakeSchema(testEntry()), m.Schema)
}

func TestSubmitRefused(t *testing.T) {
	body := "站点编码,区县,监测日期\nA1,渝中区,2024-01-01\n"
	tests := []struct {
		name  string
		entry func(*catalog.Entry)
		sub   func(*Submission)
		want  error
		text  string
	}{
		{"draft entry", func(e *catalog.Entry) { e.Status = "DRAFT" }, nil, ErrNotCollectable, "草稿"},
		{"retired entry", func(e *catalog.Entry) { e.Status = "RETIRED" }, nil, ErrNotCollectable, "已下线"},
		{"secret entry", func(e *catalog.Entry) { e.Secret = true }, nil, ErrNotCollectable, "涉密"},
		{"unknown entry", nil, func(s *Submission) { s.Entry = "0101/999999" }, catalog.ErrNotFound, "0101/999999"},
		{"unknown district", nil, func(s *Submission) { s.District = "火星区" }, ErrInvalidSubmission, "火星区"},
		{"no body", nil, func(s *Submission) { s.Body = nil }, ErrInvalidSubmission, "没有文件内容"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, DefaultConfig())
			e.putEntry(tc.entry)
			res, err := e.submit("a.csv", body, tc.sub)
			require.ErrorIs(t, err, tc.want)
			if tc.want == ErrInvalidSubmission {
				require.ErrorIs(t, err, schemas.ErrInvalid, "bad input maps to the general sentinel")
			}
			assert.Contains(t, err.Error(), tc.text)
			assert.Nil(t, res, "no run is begun for a refused submission")
			assert.Empty(t, e.cat.View().Runs("0101/000001"))
		})
	}
}

func TestSubmitByTableName(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	e.putEntry(nil)
	res, err := e.submit("a.csv", "站点编码,区县,监测日期\nA1,渝中区,2024-01-01\n", func(s *Submission) { s.Entry = "air_daily" })
	require.NoError(t, err)
	assert.Equal(t, "0101/000001", res.Run.Entry)
	assert.Len(t, e.rows("0101/000001"), 1)
}

func TestSubmitNoValidRows(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	e.putEntry(nil)
	res, err := e.submit("bad.csv", "站点编码,区县,监测日期\nA1,火星区,2024-01-01\n,渝中区,昨天\n", nil)
	require.NoError(t, err)
	assert.Nil(t, res.Snapshot)
	assert.Equal(t, catalog.RunFailed, res.Run.Status)
	assert.Equal(t, ReasonNoValidRows, res.Run.Error)
	assert.Equal(t, int64(2), res.Run.RowsRejected)
	run, err := e.cat.View().Run(res.Run.ID)
	require.NoError(t, err)
	assert.Equal(t, catalog.RunFailed, run.Status)
	assert.Equal(t, ReasonNoValidRows, run.Error)
	assert.Equal(t, res.Run.RejectedKey, run.RejectedKey)
	assert.Len(t, e.rejectsFile(run.RejectedKey), 3)
	en, _ := e.cat.View().Entry("0101/000001")
	assert.Empty(t, en.CurrentSnapshot)
	assert.Contains(t, res.Summary(), "失败原因：没有可入库的有效行")

	res, err = e.submit("empty.csv", "站点编码,区县,监测日期\n", nil)
	require.NoError(t, err)
	assert.Equal(t, catalog.RunFailed, res.Run.Status)
	assert.Empty(t, res.Run.RejectedKey)
}

func TestSubmitRecordErrors(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	e.putEntry(nil)
	body := "站点编码,区县,监测日期\nA1,渝中区,2024-01-01\nA\"2,渝中区,2024-01-02\n\n,,\nA3,渝中区,2024-01-03\nA4,\"渝中区,2024-01-04\nA5,渝中区,2024-01-05\n"
	res, err := e.submit("q.csv", body, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(2), res.Run.RowsAccepted)
	require.Len(t, res.Rejects, 2)
	assert.Equal(t, 3, res.Rejects[0].Row)
	assert.Contains(t, res.Rejects[0].Reason, "双引号")
	assert.Equal(t, 7, res.Rejects[1].Row)
	assert.Contains(t, res.Rejects[1].Reason, "第 7 行至第 8 行")
	assert.Empty(t, res.Rejects[1].Column)
}

func TestSubmitBatchesAndRejectLimit(t *testing.T) {
	cfg := DefaultConfig()
	cfg.BatchRows = 3
	cfg.MaxRejectsInResult = 2
	cfg.Writer.TargetRows = 5
	cfg.MaxRejectedShare = 1
	e := newEnv(t, cfg)
	e.putEntry(nil)
	var b strings.Builder
	b.WriteString("站点编码,区县,监测日期,监测次数\n")
	var want [][]string
	for i := range 20 {
		code := fmt.Sprintf("S%03d", i)
		if i%4 == 3 {
			fmt.Fprintf(&b, "%s,渝中区,2024-01-01,many\n", code)
			continue
		}
		fmt.Fprintf(&b, "%s,渝中区,2024-01-01,%d\n", code, i)
		want = append(want, []string{code, "500103", "2024-01-01", "<nil>", "<nil>", strconv.Itoa(i), "<nil>", "<nil>"})
	}
	res, err := e.submit("many.csv", b.String(), nil)
	require.NoError(t, err)
	assert.Equal(t, int64(15), res.Run.RowsAccepted)
	assert.Len(t, res.Rejects, 2)
	assert.Len(t, e.rejectsFile(res.Run.RejectedKey), 5)
	assert.Equal(t, 3, res.Snapshot.Files)
	assert.Equal(t, want, e.rows("0101/000001"))
	assert.Contains(t, res.Summary(), "前 2 条问题")
}

func TestSubmitBadEncoding(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"utf16", "\xff\xfe\x59\x00"},
		{"binary", "PK\x03\x04\x00\x00"},
		{"neither utf8 nor gb18030", "站点编码,区县\n\xff\xff\xff\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, DefaultConfig())
			e.putEntry(nil)
			res, err := e.submit("x.csv", tc.body, nil)
			require.ErrorIs(t, err, ErrBadEncoding)
			assert.Equal(t, catalog.RunFailed, res.Run.Status)
		})
	}
	e := newEnv(t, DefaultConfig())
	e.putEntry(nil)
	res, err := e.submit("x.xls", "PK", nil)
	require.ErrorIs(t, err, ErrUnsupportedFormat)
	run, rerr := e.cat.View().Run(res.Run.ID)
	require.NoError(t, rerr)
	assert.Equal(t, catalog.RunFailed, run.Status)
}

// cancelReader cancels its context once more than limit bytes were read.
type cancelReader struct {
	r      io.Reader
	n      int
	limit  int
	cancel context.CancelFunc
}

func (c *cancelReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	if c.n > c.limit {
		c.cancel()
	}
	return n, err
}

func TestSubmitCancelled(t *testing.T) {
	cfg := DefaultConfig()
	cfg.BatchRows = 500
	cfg.Writer.TargetRows = 1000
	e := newEnv(t, cfg)
	e.putEntry(nil)
	before, err := e.submit("1.csv", "站点编码,区县,监测日期\nA1,渝中区,2024-01-01\n", nil)
	require.NoError(t, err)

	res := submitCancelledHalfway(t, e)

	v := e.cat.View()
	run, err := v.Run(res.Run.ID)
	require.NoError(t, err)
	assert.Equal(t, catalog.RunFailed, run.Status)
	assert.Contains(t, run.Error, "归集被中断", "the run says it was interrupted, in Chinese and without Go's error text")
	en, err := v.Entry("0101/000001")
	require.NoError(t, err)
	assert.Equal(t, before.Snapshot.ID, en.CurrentSnapshot)
	assert.Len(t, e.rows("0101/000001"), 1)
}

// submitCancelledHalfway submits a 20 000-row file whose context is cancelled once half of it
// was read, and checks that the submission failed without a snapshot.
func submitCancelledHalfway(t *testing.T, e *env) *Result {
	t.Helper()
	var b strings.Builder
	b.WriteString("站点编码,区县,监测日期\n")
	for i := range 20000 {
		fmt.Fprintf(&b, "C%05d,渝中区,2024-01-01\n", i)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	body := &cancelReader{r: strings.NewReader(b.String()), limit: b.Len() / 2, cancel: cancel}
	res, err := e.svc.Submit(ctx, Submission{Principal: catalog.Operator(), Entry: "0101/000001", Filename: "big.csv", Body: body})
	require.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, res)
	assert.Nil(t, res.Snapshot)
	return res
}

// hookBucket is a real bucket that runs hook once, after the first upload whose key contains
// match ("/metadata/": the first manifest, "/data/": the first data file), so that a test can
// act in the middle of a load: commit a racing submission, disable the submitter.
type hookBucket struct {
	lake.Bucket
	match string
	once  sync.Once
	hook  func()
}

func (b *hookBucket) Upload(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := b.Bucket.Upload(ctx, key, r, size); err != nil {
		return err
	}
	if strings.Contains(key, b.match) {
		b.once.Do(b.hook)
	}
	return nil
}

func TestSubmitRetriesOnConflict(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	e.putEntry(nil)
	var otherRes *Result
	var otherErr error
	rb := &hookBucket{Bucket: e.bucket, match: "/metadata/"}
	racing := New(e.cat, rb, DefaultConfig(), nil)
	rb.hook = func() {
		otherRes, otherErr = e.submit("other.csv", "站点编码,区县,监测日期\nB1,江北区,2024-01-02\n", nil)
	}
	res, err := racing.Submit(context.Background(), Submission{Principal: catalog.Operator(), Entry: "0101/000001", Filename: "mine.csv",
		Body: strings.NewReader("站点编码,区县,监测日期\nA1,渝中区,2024-01-01\n")})
	require.NoError(t, err)
	require.NoError(t, otherErr)
	assert.Equal(t, otherRes.Snapshot.ID, res.Snapshot.Parent, "the losing commit is rebased on the winner")
	assert.Equal(t, int64(2), res.Snapshot.Rows)
	got := e.rows("0101/000001")
	require.Len(t, got, 2)
	assert.Equal(t, "A1", got[0][0])
	assert.Equal(t, "B1", got[1][0])
}

func TestSubmitClock(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	e.putEntry(nil)
	clock := fixedClock()
	svc := e.svc.WithClock(clock)
	res, err := svc.Submit(context.Background(), Submission{Principal: catalog.Operator(), Entry: "0101/000001", Filename: "a.csv",
		Body: strings.NewReader("站点编码,区县,监测日期\nA1,渝中区,2024-01-01\n")})
	require.NoError(t, err)
	run, err := e.cat.View().Run(res.Run.ID)
	require.NoError(t, err)
	assert.True(t, run.StartedAt.Equal(clock()))
	assert.True(t, run.FinishedAt.Equal(clock()))
	assert.True(t, res.Snapshot.CommittedAt.Equal(clock()))
}
