package ingest

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// readAll decodes a whole file, returning its records joined by "|".
func readAll(t *testing.T, d Decoder) []string {
	t.Helper()
	var out []string
	for {
		rec, _, err := d.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		out = append(out, strings.Join(rec, "|"))
	}
}

func TestDecodeEncodings(t *testing.T) {
	// A row of Chinese text long enough that the sniffed window ends inside a character.
	long := strings.Repeat("重庆市生态环境局,渝中区\n", sniffSize/20)
	tests := []struct {
		name string
		data string
		enc  string
		want string // text after decoding
	}{
		{"ascii", "a,b\n1,2\n", EncodingUTF8, "a,b\n1,2\n"},
		{"utf8", "区县,值\n渝中区,1\n", EncodingUTF8, "区县,值\n渝中区,1\n"},
		{"utf8 bom", "\ufeff区县,值\n", EncodingUTF8, "区县,值\n"},
		{"gb18030", gb18030(t, "区县,值\n渝中区,1\n"), EncodingGB18030, "区县,值\n渝中区,1\n"},
		{"gb18030 four-byte", gb18030(t, "名称\n€𠀀\n"), EncodingGB18030, "名称\n€𠀀\n"},
		{"utf8 cut at the window", "x" + long, EncodingUTF8, "x" + long},
		{"gb18030 cut at the window", gb18030(t, "x"+long), EncodingGB18030, "x" + long},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, enc, err := decodeText(strings.NewReader(tc.data))
			require.NoError(t, err)
			assert.Equal(t, tc.enc, enc)
			got, err := io.ReadAll(r)
			require.NoError(t, err)
			assert.True(t, string(got) == tc.want, "decoded text differs")
		})
	}
}

func TestDecodeBadEncodings(t *testing.T) {
	for name, data := range map[string]string{
		"utf16le":  "\xff\xfeA\x00",
		"utf16be":  "\xfe\xff\x00A",
		"nul":      "a,b\n\x00\n",
		"garbage":  "\xff\xff\xff\xff",
		"bad tail": "区县\n" + "\x81\x20",
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := decodeText(strings.NewReader(data))
			require.ErrorIs(t, err, ErrBadEncoding)
		})
	}
}

func TestNewDecoderFormats(t *testing.T) {
	for _, name := range []string{"a.csv", "A.CSV", "a.txt", "a.tsv", "noext"} {
		d, err := NewDecoder(name, strings.NewReader("a,b\n"), Options{})
		require.NoError(t, err, name)
		assert.Equal(t, []string{"a|b"}, readAll(t, d))
	}
	_, err := NewDecoder("a.xls", strings.NewReader("PK"), Options{})
	require.ErrorIs(t, err, ErrUnsupportedFormat)
	assert.Contains(t, err.Error(), "a.xls")
	assert.Contains(t, err.Error(), "另存为 .xlsx")
	_, err = NewDecoder("a.xlsx", strings.NewReader("PK"), Options{XLSX: DefaultXLSXLimits()})
	require.ErrorIs(t, err, ErrInvalidSubmission)
	assert.Contains(t, err.Error(), "不是 xlsx 文件")
	_, err = NewDecoder("a.csv", strings.NewReader("a,b\n"), Options{Sheet: "5月"})
	require.ErrorIs(t, err, ErrInvalidSubmission)
	assert.Contains(t, err.Error(), "文本文件不能指定工作表“5月”")
}

// Broken bytes after the sniffed window are never stored garbled: the cell is rejected.
func TestBrokenBytesAfterWindow(t *testing.T) {
	var b strings.Builder
	b.WriteString("station_code,district,sample_date\n")
	for b.Len() < sniffSize+100 {
		b.WriteString("S1,500103,2024-01-01\n")
	}
	b.WriteString("S2," + gb18030(t, "渝中区") + ",2024-01-02\n")
	d, err := NewCSVDecoder(strings.NewReader(b.String()))
	require.NoError(t, err)
	assert.Equal(t, EncodingUTF8, d.Encoding())
	h, err := findHeader("f.csv", d, testEntry())
	require.NoError(t, err)
	p, err := newPlan("f.csv", testEntry(), h.cells, d.Encoding())
	require.NoError(t, err)
	vals := make([]value, p.entry.Items.Len())
	var last []Reject
	for {
		rec, line, err := d.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		last = p.row(rec, line, vals, nil)
	}
	require.Len(t, last, 1)
	assert.Equal(t, "district", last[0].Field)
	assert.Contains(t, last[0].Reason, "无法按 UTF-8 解码")
}

// FuzzDecode drives the whole front end (encoding sniffing, CSV, header matching, cell
// validation, Arrow building) with arbitrary bytes. It must never panic, and what it accepts
// must satisfy the entry's rules.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(mixedCSV))
	f.Add([]byte("\ufeff" + mixedCSV))
	f.Add([]byte(strings.ReplaceAll(mixedCSV, "\n", "\r\n")))
	if gb, err := encodeGB18030(mixedCSV); err == nil {
		f.Add(gb)
	}
	f.Add([]byte("station_code,district,sample_date,pm25,exceeded,samples,measured_at,remark\nS1,1,20240101,1e3,1,-5,2024-01-01T00:00:00Z,\"a,\"\"b\"\n"))
	f.Add([]byte("站点编码,区县,监测日期\n\"A1\n,渝中区\"\",x\n"))
	f.Add([]byte{})
	f.Add([]byte("\xff\xfe\x00"))
	// District layouts: title rows above the header, tabs, semicolons, full-width values.
	f.Add([]byte("重庆市某区空气质量日报\n填报单位：某区;;\n站点编码;区县;监测日期\nS1;渝中区;２０２４年５月７日\n"))
	f.Add([]byte("站点编码\t区县\t监测日期\t监测次数\nS1\t渝中区\t2024/5/7\t１，２３４\n"))
	f.Add([]byte(strings.Repeat("标题\n", maxTitleRows) + "站点编码,区县\n\"S1\",渝中区\n"))
	entry := testEntry()
	schema := arrowSchema(entry)
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := NewCSVDecoder(bytes.NewReader(data))
		if err != nil {
			require.ErrorIs(t, err, ErrBadEncoding)
			return
		}
		h, err := findHeader("f.csv", d, entry)
		if err != nil {
			return
		}
		dec := &replay{Decoder: d, queue: h.buffered}
		p, err := newPlan("f.csv", entry, h.cells, d.Encoding())
		if err != nil {
			require.ErrorIs(t, err, ErrBadHeader)
			return
		}
		b := newBatch(schema, 8)
		defer b.release()
		vals := make([]value, entry.Items.Len())
		var rejects []Reject
		for {
			rec, line, err := dec.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			var re *RecordError
			if errors.As(err, &re) {
				require.Positive(t, re.Line)
				continue
			}
			require.NoError(t, err)
			rejects = p.row(rec, line, vals, rejects[:0])
			for _, r := range rejects {
				require.Positive(t, r.Row)
				require.NotEmpty(t, r.Reason)
			}
			if len(rejects) == 0 && !blankRecord(rec) {
				checkAccepted(t, entry, vals)
				b.append(vals)
			}
			if b.rows >= 4 {
				b.flush().Release()
			}
		}
		if rec := b.flush(); rec != nil {
			rec.Release()
		}
	})
}

func checkAccepted(t *testing.T, e *catalog.Entry, vals []value) {
	for i, it := range e.Items.All() {
		if vals[i].null {
			require.False(t, it.Required, "required %s is null", it.Field)
			continue
		}
		if s, ok := boxed(it.Type, vals[i]).(string); ok {
			require.True(t, utf8.ValidString(s))
			if it.Length > 0 {
				require.LessOrEqual(t, utf8.RuneCountInString(s), it.Length)
			}
		}
	}
}

// boxed is v as schemas.DataType.Parse returns it.
func boxed(t schemas.DataType, v value) any {
	if v.null {
		return nil
	}
	switch t {
	case schemas.String:
		return v.s
	case schemas.Int:
		return v.i
	case schemas.Float:
		return v.f
	case schemas.Bool:
		return v.b
	case schemas.Date, schemas.Timestamp:
		return v.t
	}
	return nil
}

// TestParseMatchesDataType holds the unboxed parse to schemas.DataType.Parse: same values,
// same error texts.
func TestParseMatchesDataType(t *testing.T) {
	types := []schemas.DataType{schemas.String, schemas.Int, schemas.Float, schemas.Bool, schemas.Date, schemas.Timestamp, "DECIMAL"}
	cells := []string{"", "0", "1", "2,121", "3.5", "-7", "1e3", "NaN", "是", "否", "yes", "x", "万州区",
		"2024-09-01", "2024/9/1", "2024-02-30", "2024-09-01 13:00:00", "2024-09-01T13:00", "2024-09-01 24:00:00"}
	for _, typ := range types {
		for _, c := range cells {
			want, werr := typ.Parse(c)
			var v value
			err := parse(typ, c, &v)
			if werr != nil {
				require.EqualError(t, err, werr.Error(), "%s %q", typ, c)
				continue
			}
			require.NoError(t, err, "%s %q", typ, c)
			require.Equal(t, want, boxed(typ, v), "%s %q", typ, c)
		}
	}
}

func TestTrimBlank(t *testing.T) {
	for _, s := range []string{"", " ", "a", " a", "a ", "\ta\r\n", "\u3000渝中区\u3000", "渝中区", "\u00a0x", "x\u0085", "\v", "a b"} {
		require.Equal(t, strings.TrimFunc(s, unicode.IsSpace), trimBlank(s), "%q", s)
	}
}
