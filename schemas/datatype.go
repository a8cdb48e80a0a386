package schemas

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"golang.org/x/text/width"
)

// DataType is the logical type of a directory item (信息项). Every layer maps it the same way:
// Arrow/Parquet for storage, DuckDB for queries, GraphQL scalars for the API.
type DataType string

const (
	String    DataType = "STRING"
	Int       DataType = "INT"
	Float     DataType = "FLOAT"
	Bool      DataType = "BOOL"
	Date      DataType = "DATE"
	Timestamp DataType = "TIMESTAMP"
)

// Valid reports whether t is a known type.
func (t DataType) Valid() bool { return DataTypes.Has(string(t)) }

// Numeric reports whether sum and avg apply to the type.
func (t DataType) Numeric() bool { return t == Int || t == Float }

// Ordered reports whether range filters, min and max apply to the type.
func (t DataType) Ordered() bool { return t != Bool }

// ArrowType is the Arrow (and so Parquet) type of values of t.
func (t DataType) ArrowType() arrow.DataType {
	switch t {
	case Int:
		return arrow.PrimitiveTypes.Int64
	case Float:
		return arrow.PrimitiveTypes.Float64
	case Bool:
		return arrow.FixedWidthTypes.Boolean
	case Date:
		return arrow.FixedWidthTypes.Date32
	case Timestamp:
		return &arrow.TimestampType{Unit: arrow.Microsecond}
	default:
		return arrow.BinaryTypes.String
	}
}

// DuckDBType is the SQL type DuckDB reads the Parquet column as.
func (t DataType) DuckDBType() string {
	switch t {
	case Int:
		return "BIGINT"
	case Float:
		return "DOUBLE"
	case Bool:
		return "BOOLEAN"
	case Date:
		return "DATE"
	case Timestamp:
		return "TIMESTAMP"
	default:
		return "VARCHAR"
	}
}

// Layouts accepted for DATE and TIMESTAMP text; wall-clock times, read as written.
var (
	dateLayouts = []string{"2006-01-02", "2006/1/2", "2006-1-2", "20060102", "2006年1月2日", "2006.1.2"}
	tsLayouts   = []string{
		"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02T15:04",
		"2006/1/2 15:04:05", "2006/1/2 15:04", "2006-01-02T15:04:05Z07:00", "2006-01-02 15:04:05.999999",
	}
)

// Parse converts the text of one cell into the Go value of t: string, int64, float64, bool or
// time.Time (UTC wall clock). The error text is Simplified Chinese because it ends up in the
// rejected-rows file a district reads; it never contains more than the offending value.
//
// The Parse* functions below do the same for one type without boxing the value; Parse is
// exactly the function of t's type.
func (t DataType) Parse(s string) (any, error) {
	switch t {
	case String:
		return box(ParseString(s))
	case Int:
		return box(ParseInt(s))
	case Float:
		return box(ParseFloat(s))
	case Bool:
		return box(ParseBool(s))
	case Date:
		return box(ParseDate(s))
	case Timestamp:
		return box(ParseTimestamp(s))
	}
	return nil, fmt.Errorf("未知的数据类型 %s", t)
}

func box[T any](v T, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return v, nil
}

// ParseString is Parse for STRING: the trimmed text, which must be valid UTF-8.
func ParseString(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("文本不是有效的 UTF-8 编码")
	}
	return s, nil
}

// narrow folds full-width forms to ASCII (１１６ → 116, １，２３４．５ → 1,234.5, －３ → -3): what
// a Chinese input method types in a spreadsheet. ASCII text is returned as it is.
func narrow(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return width.Fold.String(s)
		}
	}
	return s
}

// ParseInt is Parse for INT; thousands separators and full-width digits are allowed.
func ParseInt(s string) (int64, error) {
	s = strings.TrimSpace(s)
	n, err := strconv.ParseInt(withoutCommas(narrow(s)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q 不是有效的整数", s)
	}
	return n, nil
}

// ParseFloat is Parse for FLOAT; thousands separators and full-width digits are allowed, NaN
// and infinities are not.
func ParseFloat(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if f, ok := fastFloat(s); ok {
		return f, nil
	}
	f, err := strconv.ParseFloat(withoutCommas(narrow(s)), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q 不是有效的数值", s)
	}
	return f, nil
}

// pow10 are the powers of ten float64 holds exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// fastFloat reads plain decimals such as "35.5" or "-12" without strconv: with at most 15
// digits the digits are an exact float64 and so is the power of ten, so one division rounds
// correctly and gives exactly strconv.ParseFloat's result. Anything else (exponents, commas,
// more digits, ".5", "5.") is left to strconv.
func fastFloat(s string) (float64, bool) {
	neg := false
	if s != "" && s[0] == '-' {
		neg, s = true, s[1:]
	}
	if s == "" || len(s) > 16 {
		return 0, false
	}
	var mant uint64
	digitCount, frac, dot := 0, 0, -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			mant = mant*10 + uint64(c-'0')
			digitCount++
			if dot >= 0 {
				frac++
			}
		case c == '.' && dot < 0 && i > 0 && i < len(s)-1:
			dot = i
		default:
			return 0, false
		}
	}
	if digitCount > 15 {
		return 0, false
	}
	f := float64(mant) / pow10[frac]
	if neg {
		f = -f
	}
	return f, true
}

func withoutCommas(s string) string {
	if strings.IndexByte(s, ',') < 0 {
		return s
	}
	return strings.ReplaceAll(s, ",", "")
}

// ParseBool is Parse for BOOL: 是/否 and the usual English and numeric spellings.
func ParseBool(s string) (bool, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "是", "1", "true":
		return true, nil
	case "否", "0", "false":
		return false, nil
	}
	switch strings.ToLower(s) {
	case "true", "1", "是", "y", "yes":
		return true, nil
	case "false", "0", "否", "n", "no":
		return false, nil
	}
	return false, fmt.Errorf("%q 不是有效的布尔值 (应为 是/否)", s)
}

// ParseDate is Parse for DATE: midnight UTC of the day written in any of dateLayouts, digits
// full-width or not.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if d, ok := fastDate(s); ok {
		return d, nil
	}
	n := narrow(s)
	for _, l := range dateLayouts {
		if d, err := time.Parse(l, n); err == nil {
			return d, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q 不是有效的日期 (应为 YYYY-MM-DD)", s)
}

// ParseTimestamp is Parse for TIMESTAMP: the wall clock written in any of tsLayouts (digits
// full-width or not), as UTC.
// A zone offset, when written, is dropped: times are read as written.
func ParseTimestamp(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if d, ok := fastTimestamp(s); ok {
		return d, nil
	}
	n := narrow(s)
	for _, l := range tsLayouts {
		if d, err := time.Parse(l, n); err == nil {
			return time.Date(d.Year(), d.Month(), d.Day(), d.Hour(), d.Minute(), d.Second(), d.Nanosecond(), time.UTC), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q 不是有效的日期时间 (应为 YYYY-MM-DD HH:MM:SS)", s)
}

// fastDate reads "YYYY-MM-DD", the layout nearly every file uses, without time.Parse. It only
// ever accepts what the first of dateLayouts accepts, with the same value; anything else
// (including out-of-range days) is left to the layouts loop, which also words the error.
func fastDate(s string) (time.Time, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(m, y) {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), true
}

// fastTimestamp reads "YYYY-MM-DD hh:mm:ss" and "YYYY-MM-DD hh:mm" (blank or T between date and
// time) without time.Parse, accepting only what the matching one of tsLayouts accepts.
func fastTimestamp(s string) (time.Time, bool) {
	if len(s) != 19 && len(s) != 16 {
		return time.Time{}, false
	}
	if s[10] != ' ' && s[10] != 'T' || s[13] != ':' {
		return time.Time{}, false
	}
	d, ok := fastDate(s[:10])
	if !ok {
		return time.Time{}, false
	}
	hh, ok1 := digits(s[11:13])
	mm, ok2 := digits(s[14:16])
	ss, ok3 := 0, true
	if len(s) == 19 {
		if s[16] != ':' {
			return time.Time{}, false
		}
		ss, ok3 = digits(s[17:19])
	}
	if !ok1 || !ok2 || !ok3 || hh > 23 || mm > 59 || ss > 59 {
		return time.Time{}, false
	}
	return d.Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute + time.Duration(ss)*time.Second), true
}

// digits reads a run of ASCII digits.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
