package ingest

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// Reject is one problem with one submitted row. A row with several problems has several.
type Reject struct {
	Row    int    // line number in the file (the header is line 1)
	Column string // header text as submitted ("" for whole-row problems)
	Field  string // item field identifier
	Value  string
	Reason string // Chinese
}

// maxRejectValue bounds the value echoed into a reject, so a runaway cell cannot bloat the file.
const maxRejectValue = 1000

func clip(s string) string {
	if len(s) <= maxRejectValue {
		return s
	}
	n := 0
	for i := range s {
		if n == maxRejectValue {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// trimBlank drops leading and trailing white space (unicode.IsSpace). Most cells have none,
// which the first and last byte tell without decoding runes.
func trimBlank(s string) string {
	if s == "" {
		return s
	}
	if a, z := s[0], s[len(s)-1]; a < utf8.RuneSelf && z < utf8.RuneSelf && !asciiSpace(a) && !asciiSpace(z) {
		return s
	}
	return strings.TrimFunc(s, unicode.IsSpace)
}

func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// blankRecord reports a record without any content (",,,," rows spreadsheets leave behind).
func blankRecord(rec []string) bool {
	for _, c := range rec {
		if trimBlank(c) != "" {
			return false
		}
	}
	return true
}

// value is one parsed cell. Which field holds it follows the item's type: s for STRING, i for
// INT, f for FLOAT, b for BOOL, t for DATE and TIMESTAMP (as schemas.DataType.Parse returns
// them). Keeping the value unboxed spares the row loop an allocation per cell.
type value struct {
	null bool
	b    bool
	s    string
	i    int64
	f    float64
	t    time.Time
}

// parse converts a trimmed cell with the typed form of schemas.DataType.Parse.
func parse(t schemas.DataType, s string, v *value) error {
	var err error
	switch t {
	case schemas.String:
		v.s, err = schemas.ParseString(s)
	case schemas.Int:
		v.i, err = schemas.ParseInt(s)
	case schemas.Float:
		v.f, err = schemas.ParseFloat(s)
	case schemas.Bool:
		v.b, err = schemas.ParseBool(s)
	case schemas.Date:
		v.t, err = schemas.ParseDate(s)
	case schemas.Timestamp:
		v.t, err = schemas.ParseTimestamp(s)
	default:
		_, err = t.Parse(s)
	}
	return err
}

// row checks one record and fills vals, one value per item. It appends every problem found to
// rejects and returns it; the row is valid when nothing was appended.
func (p *plan) row(rec []string, line int, vals []value, rejects []Reject) []Reject {
	if len(rec) != len(p.cols) {
		return append(rejects, Reject{
			Row:    line,
			Value:  clip(strings.Join(rec, ",")),
			Reason: fmt.Sprintf("该行有 %d 个字段，表头有 %d 列", len(rec), len(p.cols)),
		})
	}
	for i := range vals {
		vals[i] = value{null: true}
	}
	for c, col := range p.cols {
		raw := rec[c]
		if col.item < 0 {
			if trimBlank(raw) != "" {
				rejects = append(rejects, Reject{Row: line, Column: col.header, Value: clip(raw),
					Reason: fmt.Sprintf("第 %d 列没有列名，值无法对应到信息项", c+1)})
			}
			continue
		}
		it := &p.items[col.item]
		if reason := p.cell(it, col.item, raw, &vals[col.item]); reason != "" {
			rejects = append(rejects, Reject{Row: line, Column: col.header, Field: it.Field, Value: clip(raw), Reason: reason})
			vals[col.item] = value{null: true}
		} else if p.bounds != nil && p.bounds[col.item] != nil && !vals[col.item].null {
			// A value out of range keeps its place for the rules: a row is told all it breaks.
			if reason := p.bounds[col.item].outside(&vals[col.item], trimBlank(raw)); reason != "" {
				rejects = append(rejects, Reject{Row: line, Column: col.header, Field: it.Field, Value: clip(raw), Reason: reason})
			}
		}
	}
	if len(p.rules) > 0 {
		rejects = p.checkRules(line, vals, rejects)
	}
	return rejects
}

// cell checks one cell of item it and fills v; it returns why the cell is rejected, "" if not.
func (p *plan) cell(it *catalog.Item, item int, raw string, v *value) string {
	if !validText(p.encoding, raw) {
		return fmt.Sprintf("含有无法按 %s 解码的字节", p.encoding)
	}
	s := trimBlank(raw)
	if s == "" {
		if it.Required {
			return "必填项为空"
		}
		return ""
	}
	if l := p.lists[item]; l != nil {
		id, ok := lookupCode(l, s)
		if !ok {
			return codeReason(l, s)
		}
		s = id
	}
	if it.Type == schemas.String && p.encoding == EncodingUTF8 {
		// This is schemas.ParseString's result: validText checked the bytes and trimBlank
		// trimmed the same white space as strings.TrimSpace; it spares a second scan.
		v.s = s
	} else if err := parse(it.Type, s, v); err != nil {
		return err.Error()
	}
	if it.Type == schemas.String && it.Length > 0 {
		if n := utf8.RuneCountInString(v.s); n > it.Length {
			return fmt.Sprintf("长度为 %d 个字符，超过上限 %d 个字符", n, it.Length)
		}
	}
	v.null = false
	return ""
}

// lookupCode resolves a cell to the id of a code. Districts are accepted by code, full or short
// name and stored as their 6-digit code; other lists by id or Chinese name.
func lookupCode(l *schemas.CodeList, s string) (string, bool) {
	if l == schemas.Districts {
		d, ok := schemas.LookupDistrict(s)
		return d.Code, ok
	}
	c, ok := l.Lookup(s)
	return c.ID, ok
}

// maxListedCodes is how many allowed values a reason spells out.
const maxListedCodes = 12

func codeReason(l *schemas.CodeList, s string) string {
	if l == schemas.Districts {
		return fmt.Sprintf("“%s”不是重庆市的区县代码或名称", s)
	}
	codes := l.Codes()
	if len(codes) > maxListedCodes {
		return fmt.Sprintf("“%s”不在代码表 %s 中", s, l.Name)
	}
	names := make([]string, len(codes))
	for i, c := range codes {
		names[i] = c.Name
	}
	return fmt.Sprintf("“%s”不在代码表 %s 中（可填：%s）", s, l.Name, strings.Join(names, "、"))
}
