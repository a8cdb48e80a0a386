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
	items    []catalog.Item // entry's items, decoded once for the rows
	encoding string
	cols     []column
	lists    []*schemas.CodeList // per item; nil when the item has no code list
	bounds   []*bound            // per item, nil when no item has a range; nil for an item without
	rules    []rowRule           // the entry's cross-field rules (rules.go)
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

// Bounds of a header message: it names at most maxListed columns of each kind of problem and
// maxExpected items of the entry, so that its size does not follow the size of the header.
const (
	maxListed   = 10
	maxExpected = 30
)

// headerProblems collects the problems of one header, naming the first few of each kind and
// counting the rest.
type headerProblems struct {
	unknown, dup, missing []string
	nUnknown, nDup, nMiss int
}

func addListed(list *[]string, n *int, format string, args ...any) {
	*n++
	if len(*list) < maxListed {
		*list = append(*list, fmt.Sprintf(format, args...))
	}
}

func (hp *headerProblems) text() string {
	var parts []string
	parts = append(parts, hp.unknown...)
	if more := hp.nUnknown - len(hp.unknown); more > 0 {
		parts = append(parts, fmt.Sprintf("另有 %d 列也不是该目录的信息项", more))
	}
	parts = append(parts, hp.dup...)
	if more := hp.nDup - len(hp.dup); more > 0 {
		parts = append(parts, fmt.Sprintf("另有 %d 列与前面的列重复", more))
	}
	parts = append(parts, hp.missing...)
	if more := hp.nMiss - len(hp.missing); more > 0 {
		parts = append(parts, fmt.Sprintf("另缺少 %d 个必填信息项", more))
	}
	return strings.Join(parts, "；")
}

// newPlan matches the header row against the entry's items by Chinese name or by field
// identifier. Unknown, duplicated and missing required columns are all reported at once, the
// first few of each by name. Header text is clipped wherever it is echoed.
func newPlan(filename string, e *catalog.Entry, header []string, encoding string) (*plan, error) {
	if len(header) > MaxColumns {
		return nil, schemas.Userf(ErrBadHeader, "%s 表头共 %d 列，超过上限 %d 列，请检查是否提交了该目录的报送表",
			quoteName(filename), len(header), MaxColumns)
	}
	items := e.Items.Slice()
	p := &plan{entry: e, items: items, encoding: encoding, lists: make([]*schemas.CodeList, len(items))}
	byName := map[string]int{}
	byField := map[string]int{}
	for i, it := range items {
		if it.CodeList != "" {
			l, ok := schemas.List(it.CodeList)
			if !ok {
				// The catalogue validates code lists: this is an inconsistency, not bad input.
				return nil, fmt.Errorf("entry %s item %s: unknown code list %q", e.ResourceCode, it.Field, it.CodeList)
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

	var hp headerProblems
	seen := make([]int, len(items)) // 1-based column of the item, 0 = not yet seen
	matched := 0
	for c, h := range header {
		n := normHeader(h)
		col := column{header: quoteName(h), item: -1}
		if n != "" {
			i, ok := byName[n]
			if !ok {
				i, ok = byField[strings.ToLower(n)]
			}
			switch {
			case !ok:
				addListed(&hp.unknown, &hp.nUnknown, "第 %d 列“%s”不是该目录的信息项", c+1, col.header)
			case seen[i] != 0:
				addListed(&hp.dup, &hp.nDup, "第 %d 列“%s”与第 %d 列重复（都对应信息项“%s”）", c+1, col.header, seen[i], items[i].Name)
			default:
				seen[i] = c + 1
				col.item = i
				matched++
			}
		}
		p.cols = append(p.cols, col)
	}
	for i, it := range items {
		if it.Required && seen[i] == 0 {
			addListed(&hp.missing, &hp.nMiss, "缺少必填信息项“%s”（%s）", it.Name, it.Field)
		}
	}
	problems := hp.text()
	if matched == 0 && problems == "" {
		problems = "表头没有任何信息项列"
	}
	if problems != "" {
		return nil, schemas.Userf(ErrBadHeader, "%s 表头有误：%s。该目录的信息项为：%s",
			quoteName(filename), problems, expectedColumns(e))
	}
	if err := p.compileChecks(); err != nil {
		return nil, err
	}
	return p, nil
}

// expectedColumns lists the entry's items as a district would write the header, the first
// maxExpected of them.
func expectedColumns(e *catalog.Entry) string {
	parts := make([]string, 0, min(e.Items.Len(), maxExpected))
	for i, it := range e.Items.All() {
		if i == maxExpected {
			break
		}
		s := it.Name + "（" + it.Field
		if it.Required {
			s += "，必填"
		}
		parts = append(parts, s+"）")
	}
	list := strings.Join(parts, "、")
	if more := e.Items.Len() - len(parts); more > 0 {
		list += fmt.Sprintf(" 等共 %d 项", e.Items.Len())
	}
	return list
}
