package schemas

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/width"
)

// slowParse is Parse as it reads without the fast paths: every layout through time.Parse.
// The fast paths must never change a result or an error text.
func slowParse(t DataType, s string) (any, error) {
	s = strings.TrimSpace(s)
	folded := width.Fold.String(s) // numbers and dates may be typed full-width
	switch t {
	case String:
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("文本不是有效的 UTF-8 编码")
		}
		return s, nil
	case Int:
		n, err := strconv.ParseInt(strings.ReplaceAll(folded, ",", ""), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q 不是有效的整数", s)
		}
		return n, nil
	case Float:
		f, err := strconv.ParseFloat(strings.ReplaceAll(folded, ",", ""), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%q 不是有效的数值", s)
		}
		return f, nil
	case Bool:
		switch strings.ToLower(s) {
		case "true", "1", "是", "y", "yes":
			return true, nil
		case "false", "0", "否", "n", "no":
			return false, nil
		}
		return nil, fmt.Errorf("%q 不是有效的布尔值 (应为 是/否)", s)
	case Date:
		for _, l := range dateLayouts {
			if d, err := time.Parse(l, folded); err == nil {
				return d, nil
			}
		}
		return nil, fmt.Errorf("%q 不是有效的日期 (应为 YYYY-MM-DD)", s)
	case Timestamp:
		for _, l := range tsLayouts {
			if d, err := time.Parse(l, folded); err == nil {
				return time.Date(d.Year(), d.Month(), d.Day(), d.Hour(), d.Minute(), d.Second(), d.Nanosecond(), time.UTC), nil
			}
		}
		return nil, fmt.Errorf("%q 不是有效的日期时间 (应为 YYYY-MM-DD HH:MM:SS)", s)
	}
	return nil, fmt.Errorf("未知的数据类型 %s", t)
}

var allTypes = []DataType{String, Int, Float, Bool, Date, Timestamp, "DECIMAL"}

// parseSeeds are cells around the edges of the fast paths: every layout, out-of-range fields,
// leap days, blanks and near misses.
var parseSeeds = []string{
	"", " ", "0", "1", "-1", "2,121", "3.5", "1e3", "NaN", "Inf", "1,000.5", "9223372036854775808",
	"是", "否", "TRUE", "Yes", "n", "maybe", " 万州区 ", "\xff",
	"2024-09-01", " 2024-09-01 ", "2024/9/1", "2024-9-1", "20240901", "2024年9月1日", "2024.9.1",
	"2024-13-01", "2024-00-10", "2024-01-00", "2024-02-29", "2023-02-29", "1900-02-29", "2000-02-29",
	"2024-04-31", "2024-12-31", "0000-01-01", "9999-12-31", "2024-1-01", "2024-01-1", "2024-0a-01",
	"+024-01-01", "2024-01-01x", "２０２４-01-01",
	"2024-09-01 13:00:00", "2024-09-01T13:00:00", "2024-09-01 13:00", "2024-09-01T13:00",
	"2024/9/1 13:00:00", "2024/9/1 13:00", "2024-09-01T13:00:00+08:00", "2024-09-01T13:00:00Z",
	"2024-09-01 13:00:00.123456", "2024-09-01 13:00:00.5", "2024-09-01 24:00:00", "2024-09-01 23:60:00",
	"2024-09-01 23:59:60", "2024-09-01 23:59:59", "2024-09-01 00:00:00", "2024-09-01 1:00:00",
	"2024-09-01_13:00:00", "2024-09-01 13-00-00", "2024-09-01 13:00:0", "2024-02-30 10:00:00",
	"2024-09-01 -1:00:00", "2024-09-01 13:0a:00",
	"-0", "-0.0", "+1.5", "0.1", "35.5", "123456789012345", "1234567890123456", "0.000000000000001",
	"99999999999999.9", "9007199254740993", ".5", "5.", "-", "-.5", "1.2.3", "1..2", "0x1p3", "1_000",
	"00012.50", "-999999999999999",
	"１１６", "１，２３４．５", "－３", "２０２４年５月７日", "２０２４／５／７", "２０２４－０５－０７　１３：００", "１e３", "１２３４５６７８９０１２３４５６",
}

func checkParseSame(t *testing.T, typ DataType, s string) {
	got, gerr := typ.Parse(s)
	want, werr := slowParse(typ, s)
	if werr != nil {
		require.Error(t, gerr, "%s %q", typ, s)
		require.Equal(t, werr.Error(), gerr.Error(), "%s %q", typ, s)
		return
	}
	require.NoError(t, gerr, "%s %q", typ, s)
	require.Equal(t, want, got, "%s %q", typ, s)
	if w, ok := want.(float64); ok {
		require.Equal(t, math.Signbit(w), math.Signbit(got.(float64)), "%s %q: sign", typ, s)
	}
	if w, ok := want.(time.Time); ok {
		// Same instant and same location: a fast-path time must be indistinguishable.
		require.True(t, w == got.(time.Time), "%s %q: %v vs %v", typ, s, w, got)
	}
}

func TestParseFastPathsMatchLayouts(t *testing.T) {
	for _, s := range parseSeeds {
		for _, typ := range allTypes {
			checkParseSame(t, typ, s)
		}
	}
	// Every day of a leap and a common year, and every minute of one day, both separators.
	for _, y := range []int{2023, 2024, 2100} {
		for d := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() == y; d = d.AddDate(0, 0, 1) {
			checkParseSame(t, Date, d.Format("2006-01-02"))
		}
	}
	for m := 0; m < 24*60; m++ {
		ts := time.Date(2024, 2, 29, 0, m, m%60, 0, time.UTC)
		checkParseSame(t, Timestamp, ts.Format("2006-01-02 15:04:05"))
		checkParseSame(t, Timestamp, ts.Format("2006-01-02T15:04"))
	}
}

// TestFastFloatDecimals compares the decimal fast path with strconv on many generated decimals.
func TestFastFloatDecimals(t *testing.T) {
	x := uint64(88172645463325252)
	for range 200000 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		digits := strconv.FormatUint(x%1_000_000_000_000_000, 10)
		digits = digits[:1+int(x>>60)%len(digits)]
		s := digits
		if p := int(x>>50) % (len(digits) + 1); p > 0 && p < len(digits) {
			s = digits[:p] + "." + digits[p:]
		}
		if x&1 == 1 {
			s = "-" + s
		}
		checkParseSame(t, Float, s)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, typ := range allTypes {
			checkParseSame(t, typ, s)
		}
	})
}
