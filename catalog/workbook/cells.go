package workbook

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// bureauZone is the zone dates are written and read in: a publish date is the bureau's day.
var bureauZone = time.FixedZone("CST", 8*3600)

const dateLayout = "2006-01-02"

// Written forms of a flag.
const (
	yes = "是"
	no  = "否"
)

// cell is one cell being read, and where it is, so that a problem names its place.
type cell struct {
	probs *collector
	sheet string
	row   int
	col   string // Excel letter
	head  string
	text  string // trimmed
}

func (c *cell) bad(format string, args ...any) {
	c.probs.add(Problem{Sheet: c.sheet, Row: c.row, Column: c.col, Header: c.head, Message: fmt.Sprintf(format, args...)})
}

// code reads a code of list by its Chinese name or its id; "" for an empty cell.
func (c *cell) code(list *schemas.CodeList) string {
	if c.text == "" {
		return ""
	}
	if code, ok := list.Lookup(c.text); ok {
		return code.ID
	}
	c.bad("%s不是%s的名称或代码（可选：%s）", schemas.Quote(c.text), listTitle(list), names(list))
	return c.text
}

// codes reads a list of codes of list, separated by 、，,；; or line breaks.
func (c *cell) codes(list *schemas.CodeList) []string {
	var out []string
	for _, part := range splitCodes(c.text) {
		if code, ok := list.Lookup(part); ok {
			out = append(out, code.ID)
			continue
		}
		c.bad("%s不是%s的名称或代码（可选：%s）", schemas.Quote(part), listTitle(list), names(list))
		out = append(out, part)
	}
	return out
}

// words reads a list of identifiers (关联资源代码) separated as codes are.
func (c *cell) words() []string { return splitCodes(c.text) }

// texts reads a list of free-text names (业务事项, 应用场景). Such names may hold 、 or ，, so only
// line breaks separate them, or, in a cell without line breaks, ； and ;.
func (c *cell) texts() []string { return splitTexts(c.text) }

// flag reads 是/否; an empty cell is 否.
func (c *cell) flag() bool {
	switch strings.ToUpper(c.text) {
	case "", no, "N", "NO", "FALSE", "0", "×":
		return false
	case yes, "Y", "YES", "TRUE", "1", "√":
		return true
	}
	c.bad("%s应为“是”或“否”", schemas.Quote(c.text))
	return false
}

// count reads a whole number of at least 0; an empty cell is 0. Excel may store a typed number
// as "20" or "20.0".
func (c *cell) count() int {
	if c.text == "" {
		return 0
	}
	n, err := strconv.Atoi(c.text)
	if err != nil {
		f, ferr := strconv.ParseFloat(c.text, 64)
		if ferr != nil || f != math.Trunc(f) || f > math.MaxInt32 || f < math.MinInt32 {
			c.bad("%s不是整数", schemas.Quote(c.text))
			return 0
		}
		n = int(f)
	}
	if n < 0 {
		c.bad("%s不能为负数", schemas.Quote(c.text))
		return 0
	}
	return n
}

// date reads a day as 2006-01-02 (also 2006/1/2 and 2006年1月2日), or as the serial number Excel
// stores when a steward types a date into the cell.
func (c *cell) date() time.Time {
	if c.text == "" {
		return time.Time{}
	}
	for _, layout := range []string{dateLayout, "2006/1/2", "2006-1-2", "2006年1月2日"} {
		if t, err := time.ParseInLocation(layout, c.text, bureauZone); err == nil {
			return t
		}
	}
	if f, err := strconv.ParseFloat(c.text, 64); err == nil && f >= 61 && f < 2958466 {
		// Days since 1899-12-30, Excel's epoch once its 1900 leap-year bug is taken into account.
		days := int(math.Floor(f))
		return time.Date(1899, 12, 30, 0, 0, 0, 0, bureauZone).AddDate(0, 0, days)
	}
	c.bad("%s不是日期，应写作 2025-06-01", schemas.Quote(c.text))
	return time.Time{}
}

// dateText writes a day in the bureau's zone; "" for none.
func dateText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(bureauZone).Format(dateLayout)
}

func flagText(b bool) string {
	if b {
		return yes
	}
	return no
}

// nameOf writes a code as its Chinese name; "" for none.
func nameOf(list *schemas.CodeList, id string) string {
	if id == "" {
		return ""
	}
	return list.NameOf(id)
}

// namesOf writes codes as their Chinese names joined by 、.
func namesOf(list *schemas.CodeList, ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = list.NameOf(id)
	}
	return strings.Join(out, "、")
}

// textsOf writes free-text names one per line, the one separator such names never hold.
func textsOf(names []string) string { return strings.Join(names, "\n") }

func splitCodes(s string) []string {
	return fields(s, func(r rune) bool { return strings.ContainsRune("、，,；;\n\r\t ", r) })
}

func splitTexts(s string) []string {
	if strings.ContainsAny(s, "\n\r") {
		return fields(s, func(r rune) bool { return r == '\n' || r == '\r' })
	}
	return fields(s, func(r rune) bool { return r == '；' || r == ';' })
}

func fields(s string, sep func(rune) bool) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, sep) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// listTitle is the Chinese meaning of a list for messages ("共享类型").
func listTitle(l *schemas.CodeList) string {
	if t := l.Title(); t != "" {
		return t
	}
	return l.Name
}

// maxNamesInText bounds the choices a message lists.
const maxNamesInText = 12

// names lists the Chinese names of a list's codes for a message.
func names(l *schemas.CodeList) string {
	codes := l.Codes()
	out := make([]string, 0, min(len(codes), maxNamesInText))
	for _, c := range codes[:min(len(codes), maxNamesInText)] {
		out = append(out, c.Name)
	}
	s := strings.Join(out, "、")
	if len(codes) > maxNamesInText {
		s += fmt.Sprintf(" 等 %d 项，见工作表“%s”", len(codes), SheetCodes)
	}
	return s
}

// lines reads a list of texts one per line (rules hold the separators of other lists).
func (c *cell) lines() []string {
	return fields(c.text, func(r rune) bool { return r == '\n' || r == '\r' })
}

// writeMode reads a write mode by its Chinese name or id; an empty cell is "" (append).
func (c *cell) writeMode() string {
	for id, name := range catalog.WriteModeNames {
		if c.text == name || c.text == id {
			return id
		}
	}
	if c.text != "" {
		c.bad("%s不是写入方式（可选：追加、按主键更新）", schemas.Quote(c.text))
	}
	return c.text
}

// writeModeText writes a write mode as its Chinese name; "" stays empty, so that a workbook
// read back changes nothing.
func writeModeText(m string) string {
	if m == "" {
		return ""
	}
	return catalog.WriteModeName(m)
}

// percent reads a percentage, "12.5" or "12.5%"; an empty cell is nil.
func (c *cell) percent() *float64 {
	if c.text == "" {
		return nil
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(c.text, "%")), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		c.bad("%s不是百分比，应写作 0 至 100 的数，如 5", schemas.Quote(c.text))
		return nil
	}
	return &f
}

func percentCell(p *float64) any {
	if p == nil {
		return ""
	}
	return *p
}

// setting reads an optional whole-number setting of 0 to limit (zeroMeans says what 0 does); an
// empty cell is nil, the service's default.
func (c *cell) setting(limit int, zeroMeans string) *int {
	if c.text == "" {
		return nil
	}
	n, err := strconv.Atoi(c.text)
	if err != nil {
		f, ferr := strconv.ParseFloat(c.text, 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
			c.bad("%s不是整数，应为 0 至 %d 的整数（0 为%s），留空按系统默认", schemas.Quote(c.text), limit, zeroMeans)
			return nil
		}
		n = int(f)
	}
	if n < 0 || n > limit {
		c.bad("%s应为 0 至 %d 的整数（0 为%s），留空按系统默认", schemas.Quote(c.text), limit, zeroMeans)
		return nil
	}
	return &n
}

func intCell(p *int) any {
	if p == nil {
		return ""
	}
	return *p
}

func copyInt(p *int) *int {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// bound reads one end of an item's range as written; for a date or date-time item, the serial
// number Excel stores when a steward types a date into the cell is written back as the date.
func (c *cell) bound(t schemas.DataType) string {
	f, err := strconv.ParseFloat(c.text, 64)
	if err != nil || (t != schemas.Date && t != schemas.Timestamp) || f < 61 || f >= 2958466 {
		return c.text
	}
	// Days since 1899-12-30 (cell.date), the fraction the time of day to the second.
	at := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).Add(time.Duration(math.Round(f*86400)) * time.Second)
	if t == schemas.Date {
		return at.Format(dateLayout)
	}
	return at.Format("2006-01-02 15:04:05")
}
