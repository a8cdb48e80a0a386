package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// How district files are laid out: the separator of a text file, and title rows above the real
// header (a report title, a merged "填报单位" cell, the period), which a district's spreadsheet
// usually has. Both are found, not guessed from the extension, and said in the result.

// delimiters are the separators a text file may use, the first preferred on a tie.
var delimiters = []struct {
	r    rune
	name string // Chinese, for the summary
}{{',', "逗号"}, {'\t', "制表符"}, {';', "分号"}}

// sniffLines is how many lines of a text file's start are read to find its separator.
const sniffLines = 20

// sniffDelimiter returns the separator of the text that head begins: the one found the same
// number of times (at least once) on most of its first lines, outside quotes. Title lines hold
// none and do not count against it. Comma when none is found.
func sniffDelimiter(head []byte) rune {
	lines := bytes.SplitN(head, []byte{'\n'}, sniffLines+1)
	if len(lines) > sniffLines {
		lines = lines[:sniffLines] // the last may be cut off
	}
	best, bestLines, bestCount := ',', 0, 0
	for _, d := range delimiters {
		counts := map[int]int{} // separators on a line → lines
		for _, l := range lines {
			if n := countOutsideQuotes(l, byte(d.r)); n > 0 {
				counts[n]++
			}
		}
		modeLines, modeCount := 0, 0
		for n, k := range counts {
			if k > modeLines || (k == modeLines && n > modeCount) {
				modeLines, modeCount = k, n
			}
		}
		if modeLines > bestLines || (modeLines == bestLines && modeCount > bestCount) {
			best, bestLines, bestCount = d.r, modeLines, modeCount
		}
	}
	return best
}

// countOutsideQuotes counts c in line outside double-quoted fields.
func countOutsideQuotes(line []byte, c byte) int {
	n, quoted := 0, false
	for _, b := range line {
		switch {
		case b == '"':
			quoted = !quoted
		case b == c && !quoted:
			n++
		}
	}
	return n
}

// delimiterName is the Chinese name of a separator, "" for the comma (the default, not worth a
// mention).
func delimiterName(r rune) string {
	for _, d := range delimiters[1:] {
		if d.r == r {
			return d.name
		}
	}
	return ""
}

// maxTitleRows bounds the rows above the header that are looked through for it, and
// maxTitleBytes the text read ahead while looking (title rows are short; a file of a few lines of
// megabytes each must not be held whole for it).
const (
	maxTitleRows  = 10
	maxTitleBytes = 1 << 20
)

// itemNames maps the texts a header cell may name an item by to the item: its name as
// normHeader folds it, and its field in lower case.
func itemNames(e *catalog.Entry) map[string]int {
	names := make(map[string]int, 2*e.Items.Len())
	for i, it := range e.Items.All() {
		names[normHeader(it.Name)] = i
		names[strings.ToLower(it.Field)] = i
	}
	return names
}

// headerMatches counts the items the cells of rec name (itemNames), each item once.
func headerMatches(names map[string]int, rec []string) int {
	seen := map[int]bool{}
	for _, c := range rec {
		h := normHeader(c)
		if h == "" {
			continue
		}
		i, ok := names[h]
		if !ok {
			i, ok = names[strings.ToLower(h)]
		}
		if ok && !seen[i] {
			seen[i] = true
		}
	}
	return len(seen)
}

// header is the header row found in a file and what was read to find it.
type header struct {
	cells []string // a copy
	line  int      // the line (row) it is on, 1 for the first
	// buffered are the records read after it while looking (replayed before the rest).
	buffered []buffered
}

type buffered struct {
	rec  []string
	line int
	err  error
}

// findHeader returns the header of a file: its first record, unless that names fewer than half
// of the entry's items and one of the next maxTitleRows records (within maxTitleBytes) names
// more (the first such best one). Records read past the header are kept to be read again
// (replay).
func findHeader(filename string, dec Decoder, e *catalog.Entry) (*header, error) {
	names := itemNames(e)
	half := func(n int) bool { return 2*n >= e.Items.Len() }
	var recs []buffered
	var matched []int // items each record names; -1 for a record that could not be parsed
	held := 0
	for len(recs) <= maxTitleRows && held <= maxTitleBytes {
		rec, line, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var re *RecordError
		if err != nil && !errors.As(err, &re) {
			return nil, fmt.Errorf("read %s: %w", filename, err)
		}
		recs = append(recs, buffered{rec: append([]string(nil), rec...), line: line, err: err})
		n := -1
		if err == nil {
			n = headerMatches(names, rec)
		}
		matched = append(matched, n)
		for _, c := range rec {
			held += len(c)
		}
		if len(recs) == 1 && half(n) {
			break // the common case: the first row is the header
		}
	}
	if len(recs) == 0 {
		return nil, schemas.Userf(ErrBadHeader, "%s 是空文件，没有表头", quoteName(filename))
	}
	at, most := 0, -1
	for i, n := range matched {
		if n > most {
			at, most = i, n
		}
	}
	if most <= 0 || half(matched[0]) {
		at = 0 // the first row names half the items, or none names any: newPlan names its problems
	}
	var re *RecordError
	if errors.As(recs[at].err, &re) {
		return nil, schemas.Userf(ErrBadHeader, "%s 表头无法解析：%s", quoteName(filename), re.Reason)
	}
	return &header{cells: recs[at].rec, line: recs[at].line, buffered: recs[at+1:]}, nil
}

// replay is a Decoder that gives the records read while finding the header, then the rest.
type replay struct {
	Decoder
	queue []buffered
}

func (r *replay) Next() ([]string, int, error) {
	if len(r.queue) > 0 {
		b := r.queue[0]
		r.queue = r.queue[1:]
		return b.rec, b.line, b.err
	}
	return r.Decoder.Next()
}

// padded gives the records of a workbook at the header's width: a spreadsheet stores no empty
// cell after a row's last value, so a shorter row is padded with empty cells and empty cells
// beyond the header are dropped; a row with values beyond the header stays as it is (and is
// rejected for it).
type padded struct {
	Decoder
	width int
	buf   []string
}

func (d *padded) Next() ([]string, int, error) {
	rec, line, err := d.Decoder.Next()
	if err != nil {
		return rec, line, err
	}
	for len(rec) > d.width && trimBlank(rec[len(rec)-1]) == "" {
		rec = rec[:len(rec)-1]
	}
	if len(rec) < d.width {
		d.buf = append(d.buf[:0], rec...)
		for len(d.buf) < d.width {
			d.buf = append(d.buf, "")
		}
		rec = d.buf
	}
	return rec, line, nil
}
