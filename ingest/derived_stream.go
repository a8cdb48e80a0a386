package ingest

import (
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// derivedStream gives a transform's result as the records of a pull (Stream), so that it takes
// the load path a pull takes: the header is the result's column names, which name the entry's
// items, and each value is text in the form the parser of the item it lands in reads back to
// the same value (derivedCell). A value that cannot be so written is a record error: the row
// is rejected with its reason, as an unreadable line of a file is.
type derivedStream struct {
	rows   *sql.Rows
	header []string
	cols   []derivedCol
	vals   []any
	ptrs   []any
	rec    []string
	line   int
	peeked bool              // the first row was read ahead (to know the result is not empty)
	fail   func(error) error // DuckDB's error as the run's
}

// derivedCol is how DuckDB typed a column, and the type of the item it lands in ("" when it
// names none: the load reports the header).
type derivedCol struct {
	name string
	kind duckKind
	item schemas.DataType
}

// duckKind is a family of DuckDB types that a column's values are written from.
type duckKind int

const (
	duckPlain duckKind = iota // text, numbers, booleans: written after their Go value
	duckDate
	duckTimestamp
	duckTimestampTZ // an instant, written as the wall clock of the bureau (Location)
	duckUUID
)

// duckKinds are the DuckDB result types an item can hold; DECIMAL(p,s) is plain too. Nested
// types, BLOB, INTERVAL, TIME and the like hold no item's value: a column of one fails the run.
var duckKinds = map[string]duckKind{
	"BOOLEAN": duckPlain, "TINYINT": duckPlain, "SMALLINT": duckPlain, "INTEGER": duckPlain, "BIGINT": duckPlain,
	"HUGEINT": duckPlain, "UTINYINT": duckPlain, "USMALLINT": duckPlain, "UINTEGER": duckPlain, "UBIGINT": duckPlain,
	"UHUGEINT": duckPlain, "FLOAT": duckPlain, "DOUBLE": duckPlain, "VARCHAR": duckPlain, "ENUM": duckPlain,
	"SQLNULL": duckPlain, "NULL": duckPlain,
	"DATE":      duckDate,
	"TIMESTAMP": duckTimestamp, "TIMESTAMP_S": duckTimestamp, "TIMESTAMP_MS": duckTimestamp, "TIMESTAMP_NS": duckTimestamp,
	"TIMESTAMPTZ": duckTimestampTZ,
	"UUID":        duckUUID,
}

// newDerivedStream reads rows' columns and its first row. A column type no item holds, or a
// result without any row, is the run's failure: the load path would record the latter as
// "nothing new" and keep the rows of an earlier result as if they were this one's.
func newDerivedStream(e *catalog.Entry, rows *sql.Rows, fail func(error) error) (*derivedStream, error) {
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, fail(err)
	}
	st := &derivedStream{rows: rows, header: make([]string, len(cts)), cols: make([]derivedCol, len(cts)),
		vals: make([]any, len(cts)), ptrs: make([]any, len(cts)), rec: make([]string, len(cts)),
		fail: fail}
	for i, ct := range cts {
		name, typ := ct.Name(), ct.DatabaseTypeName()
		kind, ok := duckKinds[typ]
		if !ok && strings.HasPrefix(typ, "DECIMAL") {
			kind, ok = duckPlain, true
		}
		if !ok {
			return nil, schemas.Userf(ErrTransformFailed, "目录 %s（%s）的加工结果第 %d 列“%s”的类型为 %s，不能存入信息项（应为文本、数值、布尔、日期或日期时间）",
				e.ResourceCode, e.Name, i+1, quoteName(name), schemas.Clip(typ, 40))
		}
		st.header[i], st.cols[i] = name, derivedCol{name: name, kind: kind}
		st.ptrs[i] = &st.vals[i]
	}
	// The items are matched to the columns as the load matches a header; when they do not
	// match, the load reports it in its words.
	if p, err := newPlan(e.Name, e, st.header, EncodingUTF8); err == nil {
		for c, col := range p.cols {
			if col.item >= 0 {
				st.cols[c].item = p.items[col.item].Type
			}
		}
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, fail(err)
		}
		return nil, schemas.Userf(ErrTransformFailed, "目录 %s（%s）的加工结果没有任何行：未提交任何数据，目录数据保持不变，请检查加工 SQL 与输入数据",
			e.ResourceCode, e.Name)
	}
	st.peeked = true
	return st, nil
}

func (s *derivedStream) Encoding() string  { return EncodingUTF8 }
func (s *derivedStream) Watermark() string { return "" } // the run records its input snapshots instead
func (s *derivedStream) Close() error      { return s.rows.Close() }

// Next returns the header, then one record per result row; the line counts the header as 1.
func (s *derivedStream) Next() ([]string, int, error) {
	if s.line == 0 {
		s.line = 1
		return s.header, 1, nil
	}
	if !s.peeked && !s.rows.Next() {
		if err := s.rows.Err(); err != nil {
			return nil, s.line, s.fail(err)
		}
		return nil, s.line, io.EOF
	}
	s.peeked = false
	s.line++
	if err := s.rows.Scan(s.ptrs...); err != nil {
		return nil, s.line, s.fail(err)
	}
	for i, v := range s.vals {
		cell, ok := derivedCell(v, s.cols[i].kind, s.cols[i].item)
		if !ok {
			return nil, s.line, &RecordError{Line: s.line, Reason: fmt.Sprintf("加工结果“%s”列的值（%T）无法写成信息项的值", quoteName(s.cols[i].name), v)}
		}
		s.rec[i] = cell
	}
	return s.rec, s.line, nil
}

// Layouts a result's dates and times are written in: what schemas.ParseDate and
// ParseTimestamp read back to the same value (a fraction of a second only when there is one).
const (
	derivedDate      = "2006-01-02"
	derivedTimestamp = "2006-01-02 15:04:05.999999999"
)

// derivedCell writes v, a value DuckDB returned in a column of kind, as the text the parser of
// an item of type item (or "" when the column names no item) reads back to v: NULL as an empty
// cell, numbers in plain decimal without exponent (shortest round-trip digits for floats, so a
// whole DOUBLE lands in an INT item and a fraction is refused there with the parser's reason),
// dates as YYYY-MM-DD, timestamps as YYYY-MM-DD hh:mm:ss[.fraction]. A date-time lands in a
// DATE item only at midnight; otherwise it is written whole and the parser rejects it, rather
// than the time being dropped. false for a value of a type no item holds.
func derivedCell(v any, kind duckKind, item schemas.DataType) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case int8:
		return strconv.FormatInt(int64(x), 10), true
	case int16:
		return strconv.FormatInt(int64(x), 10), true
	case int32:
		return strconv.FormatInt(int64(x), 10), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint8:
		return strconv.FormatUint(uint64(x), 10), true
	case uint16:
		return strconv.FormatUint(uint64(x), 10), true
	case uint32:
		return strconv.FormatUint(uint64(x), 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case *big.Int:
		return x.String(), true
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case duckdb.Decimal:
		return x.String(), true
	case time.Time:
		if kind == duckTimestampTZ {
			x = x.In(Location)
		}
		midnight := x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0
		if item == schemas.Date && midnight || item != schemas.Date && item != schemas.Timestamp && kind == duckDate {
			return x.Format(derivedDate), true
		}
		return x.Format(derivedTimestamp), true
	case []byte:
		if kind == duckUUID && len(x) == 16 {
			h := hex.EncodeToString(x)
			return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], true
		}
	}
	return "", false
}
