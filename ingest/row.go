package ingest

import (
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

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

func trimBlank(s string) string { return strings.TrimFunc(s, unicode.IsSpace) }

// blankRecord reports a record without any content (",,,," rows spreadsheets leave behind).
func blankRecord(rec []string) bool {
	for _, c := range rec {
		if trimBlank(c) != "" {
			return false
		}
	}
	return true
}

// row checks one record and fills vals, one value per item (nil for null). It appends every
// problem found to rejects and returns it; the row is valid when nothing was appended.
func (p *plan) row(rec []string, line int, vals []any, rejects []Reject) []Reject {
	if len(rec) != len(p.cols) {
		return append(rejects, Reject{
			Row:    line,
			Value:  clip(strings.Join(rec, ",")),
			Reason: fmt.Sprintf("该行有 %d 个字段，表头有 %d 列", len(rec), len(p.cols)),
		})
	}
	for i := range vals {
		vals[i] = nil
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
		it := &p.entry.Items[col.item]
		bad := func(reason string) {
			rejects = append(rejects, Reject{Row: line, Column: col.header, Field: it.Field, Value: clip(raw), Reason: reason})
		}
		if !validText(p.encoding, raw) {
			bad(fmt.Sprintf("含有无法按 %s 解码的字节", p.encoding))
			continue
		}
		s := trimBlank(raw)
		if s == "" {
			if it.Required {
				bad("必填项为空")
			}
			continue
		}
		if l := p.lists[col.item]; l != nil {
			id, ok := lookupCode(l, s)
			if !ok {
				bad(codeReason(l, s))
				continue
			}
			s = id
		}
		v, err := it.Type.Parse(s)
		if err != nil {
			bad(err.Error())
			continue
		}
		if str, ok := v.(string); ok && it.Length > 0 {
			if n := utf8.RuneCountInString(str); n > it.Length {
				bad(fmt.Sprintf("长度为 %d 个字符，超过上限 %d 个字符", n, it.Length))
				continue
			}
		}
		vals[col.item] = v
	}
	return rejects
}

// lookupCode resolves a cell to the id of a code. Districts are accepted by code, full or short
// name and stored as their 6-digit code; other lists by id or Chinese name.
func lookupCode(l *schemas.CodeList, s string) (string, bool) {
	if l == schemas.Districts {
		if code, ok := districtIndex()[s]; ok {
			return code, true
		}
		// Blanks inside the name and the bureau's aliases for zones take the slow path.
		d, ok := schemas.LookupDistrict(s)
		return d.Code, ok
	}
	c, ok := l.Lookup(s)
	return c.ID, ok
}

// districtIndex maps every code, full and short name of a district to its code; district
// columns are on the hot path of every row.
var districtIndex = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, d := range schemas.AllDistricts() {
		m[d.Code], m[d.Name], m[d.ShortName] = d.Code, d.Code, d.Code
	}
	return m
})

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
