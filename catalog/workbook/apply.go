package workbook

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// Versions lists the entries that exist for p, each in the version a steward edits and an import
// is compared with: an entry's open change request when it has one that exists for p, the entry
// itself otherwise. Exporting these and importing the workbook unchanged changes nothing.
func Versions(v *catalog.View, p *catalog.Principal) []*catalog.Entry {
	entries := v.Visible(p)
	for i, e := range entries {
		if c, err := v.ChangeFor(p, e.ResourceCode); err == nil && catalog.Exists(p, c.Proposed) {
			entries[i] = c.Proposed
		}
	}
	return entries
}

// Import reads a workbook and applies its entries for p in one catalogue command
// (catalog.Store.ImportEntries): new entries become drafts, changed ones edits or change requests,
// unchanged ones nothing. A workbook with any problem, in its cells or in what the catalogue
// refuses, changes nothing and gives an *Error naming each problem's sheet, row and column.
func Import(ctx context.Context, s *catalog.Store, p *catalog.Principal, r io.Reader, size int64, reason string) (catalog.ImportResult, error) {
	if !catalog.Allowed(p, catalog.ActEditDirectory) {
		return catalog.ImportResult{}, schemas.Userf(schemas.ErrForbidden, "无权导入目录：只有系统管理员与数据管理员可以")
	}
	book, err := ReadBook(ctx, r, size, DefaultLimits())
	if err != nil {
		return catalog.ImportResult{}, err
	}
	cur := map[string]*catalog.Entry{}
	for _, e := range Versions(s.View(), p) {
		cur[e.ResourceCode] = e
	}
	book.keepAbsent(cur)
	if codes, same := unchanged(cur, book.Entries); same {
		return catalog.ImportResult{Unchanged: codes}, nil
	}
	res, err := s.ImportEntries(ctx, p, book.Entries, reason)
	if err != nil {
		return catalog.ImportResult{}, book.Locate(err)
	}
	return res, nil
}

// keepAbsent gives each entry of b already in the catalogue (cur, the versions an import is
// compared with, by resource code) the current value of each setting whose column the workbook
// lacks, so that a workbook written before the column existed leaves that setting alone.
func (b *Book) keepAbsent(cur map[string]*catalog.Entry) {
	for _, e := range b.Entries {
		c, ok := cur[e.ResourceCode]
		if !ok || e.ResourceCode == "" {
			continue
		}
		for _, i := range b.absent {
			entryCols[i].keep(c, e)
		}
	}
}

// unchanged reports whether every entry of a workbook is, field for field, the version an import
// compares it with (cur, by resource code; catalog.Diff, as ImportEntries asks), and lists them.
// Such a workbook is answered without a command, so that importing it leaves the catalogue
// exactly as it was.
func unchanged(cur map[string]*catalog.Entry, entries []*catalog.Entry) ([]string, bool) {
	codes := []string{}
	for _, e := range entries {
		c, ok := cur[e.ResourceCode]
		if !ok || len(catalog.Diff(c, e)) > 0 {
			return nil, false
		}
		codes = append(codes, e.ResourceCode)
	}
	return codes, true
}

// Locate turns the catalogue's refusal of an import of b's entries into an *Error whose problems
// stand at the cells they concern; any other error is returned as it is.
func (b *Book) Locate(err error) error {
	var ie *catalog.ImportError
	if !errors.As(err, &ie) {
		return err
	}
	out := &Error{}
	for _, pr := range ie.Problems {
		out.Problems = append(out.Problems, b.locate(pr))
	}
	return out
}

// locate places one problem: an item's field on the items sheet, an entry's field on the entries
// sheet, anything else on the entry's row.
func (b *Book) locate(pr catalog.ImportProblem) Problem {
	if pr.Index < 0 || pr.Index >= len(b.rows) {
		return Problem{Sheet: SheetEntries, Message: problemText(pr)}
	}
	if i, sub, ok := itemField(pr.Field); ok && i < len(b.itemRows[pr.Index]) {
		p := Problem{Sheet: SheetItems, Row: b.itemRows[pr.Index][i], Message: pr.Message}
		for k, c := range itemCols {
			if c.field == sub {
				p.Column, p.Header = columnName(k), c.head
			}
		}
		if p.Column == "" {
			p.Message = problemText(pr)
		}
		return p
	}
	p := Problem{Sheet: SheetEntries, Row: b.rows[pr.Index], Message: pr.Message}
	base, _, _ := strings.Cut(pr.Field, "[")
	for k, c := range entryCols {
		if c.field != "" && (c.field == base || base == "related_resource_codes" && c.field == "related_codes") {
			p.Column, p.Header = columnName(k), c.head
		}
	}
	if p.Column == "" && pr.Field != "" {
		p.Message = problemText(pr)
	}
	return p
}

// itemField parses "items[2].grade" or "items[2] (pm25).grade" into 2 and "grade".
func itemField(field string) (int, string, bool) {
	rest, ok := strings.CutPrefix(field, "items[")
	if !ok {
		return 0, "", false
	}
	num, rest, ok := strings.Cut(rest, "]")
	i, err := strconv.Atoi(num)
	if !ok || err != nil || i < 0 {
		return 0, "", false
	}
	if _, after, found := strings.Cut(rest, ")"); found {
		rest = after
	}
	sub, ok := strings.CutPrefix(rest, ".")
	return i, sub, ok
}

// problemText is a catalogue problem with its field named, for a place without a column.
func problemText(pr catalog.ImportProblem) string {
	if pr.Field == "" {
		return pr.Message
	}
	return pr.Field + ": " + pr.Message
}
