package ingest

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cqeco/ecolake/schemas/xlsxguard"
)

// FuzzXLSXDecoder: whatever bytes a submitted workbook holds, opening and reading it never
// panics; a refusal to open says it is invalid or too large, and rows come numbered in order.
func FuzzXLSXDecoder(f *testing.F) {
	build := func(rows ...[]any) []byte {
		wb := excelize.NewFile()
		defer wb.Close()
		for i, r := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := wb.SetSheetRow("Sheet1", cell, &r); err != nil {
				f.Fatal(err)
			}
		}
		var b bytes.Buffer
		if err := wb.Write(&b); err != nil {
			f.Fatal(err)
		}
		return b.Bytes()
	}
	day := time.Date(2024, 5, 7, 0, 0, 0, 0, time.UTC)
	good := build([]any{"重庆市空气质量日报"}, nil, []any{"站点编码", "区县", "监测日期", "PM2.5"},
		[]any{"S1", "渝中区", day, 12.5}, []any{"S2", "江北区", "2024年5月8日", "１１６"})
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte("站点编码,区县\nS1,渝中区\n"))
	limits := xlsxguard.Limits{MaxBytes: 1 << 20, MaxUnzipBytes: 8 << 20, MaxParts: 100, MaxRatio: 100}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := NewXLSXDecoder(bytes.NewReader(data), Options{XLSX: limits})
		if err != nil {
			if !errors.Is(err, ErrInvalidSubmission) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("refusal to open is neither invalid nor too large: %v", err)
			}
			return
		}
		defer d.(io.Closer).Close()
		last := 0
		for range 10000 {
			_, line, err := d.Next()
			if err == io.EOF {
				return
			}
			if line <= last && err == nil {
				t.Fatalf("row %d after row %d", line, last)
			}
			var re *RecordError
			if err != nil && !errors.As(err, &re) {
				return // the sheet's XML broke off: the load fails with it
			}
			last = line
		}
	})
}
