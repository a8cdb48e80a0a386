package ingest

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/width"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// column is one column of the submitted file.
type column struct {
	header string // header text as submitted
	item   int    // index into the entry's items; -1 for a column without header text
}

// plan maps the columns of one submitted file onto the items of its entry.
type plan struct {
	entry    *catalog.Entry
	encoding string
	cols     []column
	lists    []*schemas.CodeList // per item; nil when the item has no code list
}

// normHeader folds header text for matching: blanks anywhere (full-width space, a line break
// from a wrapped spreadsheet cell, "大渡 口区") are dropped and full-width letters, digits and
// brackets become their ASCII forms.
func normHeader(s string) string {
	s = width.Fold.String(s)
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\ufeff' || r == '\u200b' {
			return -1
		}
		return r
	}, s)
}

// newPlan matches the header row against the entry's items by Chinese name or by field
// identifier. Unknown, duplicated and missing required columns are all reported at once.
func newPlan(filename string, e *catalog.Entry, header []string, encoding string) (*plan, error) {
	p := &plan{entry: e, encoding: encoding, lists: make([]*schemas.CodeList, len(e.Items))}
	byName := map[string]int{}
	byField := map[string]int{}
	for i, it := range e.Items {
		if it.CodeList != "" {
			l, ok := schemas.List(it.CodeList)
			if !ok {
				return nil, fmt.Errorf("entry %s item %s: unknown code list %q: %w", e.ResourceCode, it.Field, it.CodeList, schemas.ErrInvalid)
			}
			p.lists[i] = l
		}
		if n := normHeader(it.Name); n != "" {
			if _, dup := byName[n]; !dup {
				byName[n] = i
			}
		}
		byField[strings.ToLower(it.Field)] = i
	}

	var problems []string
	seen := make([]int, len(e.Items)) // 1-based column of the item, 0 = not yet seen
	matched := 0
	for c, h := range header {
		n := normHeader(h)
		col := column{header: h, item: -1}
		if n != "" {
			i, ok := byName[n]
			if !ok {
				i, ok = byField[strings.ToLower(n)]
			}
			switch {
			case !ok:
				problems = append(problems, fmt.Sprintf("第 %d 列“%s”不是该目录的信息项", c+1, h))
			case seen[i] != 0:
				problems = append(problems, fmt.Sprintf("第 %d 列“%s”与第 %d 列重复（都对应信息项“%s”）", c+1, h, seen[i], e.Items[i].Name))
			default:
				seen[i] = c + 1
				col.item = i
				matched++
			}
		}
		p.cols = append(p.cols, col)
	}
	for i, it := range e.Items {
		if it.Required && seen[i] == 0 {
			problems = append(problems, fmt.Sprintf("缺少必填信息项“%s”（%s）", it.Name, it.Field))
		}
	}
	if matched == 0 && len(problems) == 0 {
		problems = append(problems, "表头没有任何信息项列")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s 表头有误：%s。该目录的信息项为：%s: %w",
			filename, strings.Join(problems, "；"), expectedColumns(e), ErrBadHeader)
	}
	return p, nil
}

// expectedColumns lists the entry's items as a district would write the header.
func expectedColumns(e *catalog.Entry) string {
	parts := make([]string, len(e.Items))
	for i, it := range e.Items {
		s := it.Name + "（" + it.Field
		if it.Required {
			s += "，必填"
		}
		parts[i] = s + "）"
	}
	return strings.Join(parts, "、")
}
