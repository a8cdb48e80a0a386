package workbook

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/cqeco/ecolake/schemas"
)

// rewritePart replaces old by new in one part of a workbook's zip.
func rewritePart(t *testing.T, data []byte, part, old, new string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		if f.Name != part {
			require.NoError(t, zw.Copy(f))
			continue
		}
		rc, err := f.Open()
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.Contains(t, string(b), old)
		w, err := zw.Create(part)
		require.NoError(t, err)
		_, err = w.Write([]byte(strings.Replace(string(b), old, new, 1)))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// withParts copies a workbook's zip and adds parts to it.
func withParts(t *testing.T, data []byte, add func(zw *zip.Writer)) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		require.NoError(t, zw.Copy(f))
	}
	add(zw)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// failingReader fails the test if anything reads it.
type failingReader struct{ t *testing.T }

func (r failingReader) Read([]byte) (int, error) {
	r.t.Error("an upload declared too large was read")
	return 0, io.EOF
}

func TestReadRefusesHostileFiles(t *testing.T) {
	good := export(t, testStore(t))
	small := DefaultLimits()
	small.MaxBytes = 512 << 10
	small.MaxUnzipBytes = 1 << 20
	bomb := withParts(t, good, func(zw *zip.Writer) {
		w, err := zw.Create("xl/media/image1.bin")
		require.NoError(t, err)
		_, err = w.Write(make([]byte, 4<<20)) // 4 MiB of zeros: a few KiB compressed
		require.NoError(t, err)
	})
	require.Less(t, len(bomb), len(good)+64<<10, "the bomb is small on the wire")
	parts := withParts(t, good, func(zw *zip.Writer) {
		for i := range 1000 {
			_, err := zw.Create(fmt.Sprintf("xl/media/p%d.bin", i))
			require.NoError(t, err)
		}
	})
	cases := []struct {
		name string
		r    io.Reader
		size int64
		lim  Limits
		kind error
		msg  string
	}{
		{"declared too large", failingReader{t}, 33 << 20, DefaultLimits(), schemas.ErrTooLarge, "工作簿过大：不能超过 32 MiB"},
		{"larger than declared", bytes.NewReader(append(good, make([]byte, 512<<10)...)), 1000, small, schemas.ErrTooLarge, "工作簿过大：不能超过 512 KiB"},
		{"zip bomb", bytes.NewReader(bomb), int64(len(bomb)), small, schemas.ErrTooLarge, "工作簿解压后过大：不能超过 1 MiB"},
		{"zip bomb within the size limit", bytes.NewReader(bomb), int64(len(bomb)), DefaultLimits(), schemas.ErrTooLarge, "工作簿的压缩比异常"},
		{"too many parts", bytes.NewReader(parts), int64(len(parts)), DefaultLimits(), schemas.ErrTooLarge, "工作簿的组成部分过多"},
		{"not a workbook", strings.NewReader("信息资源代码,信息资源名称\n0101/000001,空气\n"), -1, DefaultLimits(), schemas.ErrUnprocessable, "不是 xlsx 文件"},
		{"empty", strings.NewReader(""), 0, DefaultLimits(), schemas.ErrUnprocessable, "不是 xlsx 文件"},
		{"a zip that is no workbook", bytes.NewReader(withParts(t, emptyZip(t), func(*zip.Writer) {})), -1, DefaultLimits(), schemas.ErrUnprocessable, "不是 xlsx 文件"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadBook(context.Background(), c.r, c.size, c.lim)
			require.Error(t, err)
			assert.ErrorIs(t, err, c.kind)
			msg, ok := schemas.UserMessage(err)
			require.True(t, ok, "a Chinese message: %v", err)
			assert.Contains(t, msg, c.msg)
		})
	}
}

func emptyZip(t *testing.T) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("readme.txt")
	require.NoError(t, err)
	_, _ = w.Write([]byte("不是工作簿"))
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func TestReadLimitsRowsColumnsAndCells(t *testing.T) {
	good := export(t, testStore(t))
	rows := DefaultLimits()
	rows.MaxEntryRows = 3 // the header and two entries
	got := problems(t, good, rows)
	require.NotEmpty(t, got)
	assert.Equal(t, Problem{Sheet: SheetEntries, Row: 4, Message: "超过 3 行的上限"}, got[0])

	wide := edit(t, good, func(f *excelize.File) { require.NoError(t, f.SetCellStr(SheetItems, "XFD3", "远处")) })
	got = problems(t, wide, DefaultLimits())
	require.Len(t, got, 1)
	assert.Equal(t, Problem{Sheet: SheetItems, Row: 3, Column: "XFD", Message: "超过 64 列的上限"}, got[0])

	long := DefaultLimits()
	long.MaxCellChars = 20
	got = problems(t, good, long)
	require.NotEmpty(t, got)
	assert.Equal(t, Problem{Sheet: SheetEntries, Row: 2, Column: "F", Message: "单元格超过 20 个字符的上限"}, got[0])
}

// A formula in a cell is never evaluated: the reader takes the value the file stores for it.
func TestReadTakesValuesNotFormulas(t *testing.T) {
	data := export(t, testStore(t))
	data = rewritePart(t, data, "xl/worksheets/sheet1.xml", `<c r="B2" t="inlineStr"><is><t>空气质量监测日均值</t></is></c>`,
		`<c r="B2" t="str"><f>"注入"&amp;"名称"</f><v>空气质量（缓存值）</v></c>`)
	data = rewritePart(t, data, "xl/worksheets/sheet1.xml", `<c r="F3" t="inlineStr"><is><t>国控断面月度水质</t></is></c>`,
		`<c r="F3"><f>WEBSERVICE("http://127.0.0.1:1/")</f></c>`)
	got, err := Read(context.Background(), bytes.NewReader(data), -1)
	require.NoError(t, err)
	assert.Equal(t, "空气质量（缓存值）", got[0].Name)
	assert.Equal(t, "", got[1].Abstract, "a formula without a stored value reads as empty, nothing is fetched")
}

func TestReadStopsOnCancel(t *testing.T) {
	data := export(t, testStore(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Read(ctx, bytes.NewReader(data), -1)
	assert.True(t, errors.Is(err, context.Canceled), "%v", err)
}

// FuzzRead: whatever the bytes, reading returns entries or an error, never panics.
func FuzzRead(f *testing.F) {
	f.Add(export(f, testStore(f)))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := DefaultLimits()
		lim.MaxUnzipBytes = 8 << 20
		b, err := ReadBook(context.Background(), bytes.NewReader(data), int64(len(data)), lim)
		if err == nil {
			require.NotNil(t, b)
		}
	})
}
