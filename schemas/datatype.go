package schemas

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
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
func (t DataType) Parse(s string) (any, error) {
	s = strings.TrimSpace(s)
	switch t {
	case String:
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("文本不是有效的 UTF-8 编码")
		}
		return s, nil
	case Int:
		n, err := strconv.ParseInt(strings.ReplaceAll(s, ",", ""), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q 不是有效的整数", s)
		}
		return n, nil
	case Float:
		f, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
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
			if d, err := time.Parse(l, s); err == nil {
				return d, nil
			}
		}
		return nil, fmt.Errorf("%q 不是有效的日期 (应为 YYYY-MM-DD)", s)
	case Timestamp:
		for _, l := range tsLayouts {
			if d, err := time.Parse(l, s); err == nil {
				return time.Date(d.Year(), d.Month(), d.Day(), d.Hour(), d.Minute(), d.Second(), d.Nanosecond(), time.UTC), nil
			}
		}
		return nil, fmt.Errorf("%q 不是有效的日期时间 (应为 YYYY-MM-DD HH:MM:SS)", s)
	}
	return nil, fmt.Errorf("未知的数据类型 %s", t)
}
