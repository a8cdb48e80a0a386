package catalog

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// The directory list: the entries that exist for a principal, filtered by code and read a page
// at a time in resource-code order, without walking the whole directory when a filter is given.
//
// Department, district and grade values each have a set of resource codes (keysets.go), ordered
// by code; the status index of entries (schema.go) holds, as any non-unique memdb index, the
// entries of one value one after another in resource-code order; the category is a prefix of the
// resource code itself. Each of these filters is a stream of entries in that order; the others
// (domain, share type, update cycle: few values, each held by much of the directory) are
// conditions on the entries the streams give. The first stream, the filter likely to be the
// most selective, drives: the others test its entries, and where one of them keeps refusing, it
// jumps to its own next entry and the driver follows, so that a common filter driving beside a
// rare one skips what cannot match.
// The work follows the matches of the filters, not the directory; a page stops at its last
// entry (plus one more, to know whether there is a next).

// DirectoryFilter selects entries by code; an empty field selects any value.
type DirectoryFilter struct {
	Category    string // categories code; a parent category selects its subcategories' entries too
	Domain      string // one of the entry's domains
	Department  string
	District    string
	Grade       string // the entry's grade (就高从严: the highest of its items and override)
	ShareType   string
	UpdateCycle string
	Status      string
}

// DirectoryPage is one page of the directory list.
type DirectoryPage struct {
	Entries []*Entry
	HasNext bool // more entries match after the last of Entries
}

// Directory returns up to first entries that exist for p and match f, in resource-code order,
// after the entry with resource code after ("" for the first page).
func (v *View) Directory(p *Principal, f DirectoryFilter, first int, after string) DirectoryPage {
	var page DirectoryPage
	if first <= 0 || !known(p) {
		return page
	}
	all := seesAll(p)
	v.scan(f, after, func(e *Entry) bool {
		if !all && !exists(p, e) {
			return true
		}
		if len(page.Entries) == first {
			page.HasNext = true
			return false
		}
		page.Entries = append(page.Entries, e.Copy())
		return true
	})
	return page
}

// DirectoryCount counts the entries that exist for p and match f. Unfiltered, or filtered by
// district or grade only, it adds up the counts of entries per district and grade (keysets.go)
// that exist for p; by department only, for a principal that sees every entry (seesAll), it is
// the size of the department's set. Otherwise it walks every match of the filters'
// intersection without copying; the walk is cheaper for a principal that sees every entry,
// which need not be asked about each.
func (v *View) DirectoryCount(p *Principal, f DirectoryFilter) int {
	if !known(p) {
		return 0
	}
	if f == (DirectoryFilter{District: f.District, Grade: f.Grade}) {
		n := 0
		each(v.txn, tableEntryCounts, indexID, func(c *entryCount) {
			if (f.District == "" || c.District == f.District) && (f.Grade == "" || string(c.Grade) == f.Grade) &&
				existsAt(p, c.Grade, c.District) {
				n += c.N
			}
		})
		return n
	}
	all := seesAll(p)
	if all && f == (DirectoryFilter{Department: f.Department}) {
		return setLen(keySetOf(v.txn, setKey(keyDepartment, f.Department)))
	}
	n := 0
	v.scan(f, "", func(e *Entry) bool {
		if all || exists(p, e) {
			n++
		}
		return true
	})
	return n
}

// scan calls fn with each entry matching f after the code after, in resource-code order, until
// fn returns false. The entries are the stored ones: fn copies what it keeps. It returns how
// many entries it read from the indexes, the measure of its work.
func (v *View) scan(f DirectoryFilter, after string, fn func(*Entry) bool) (read int) {
	start := ""
	if after != "" {
		start = after + "\x00" // the least code greater than after
	}
	streams, conds := v.streams(f, start)
	defer func() {
		for _, s := range streams {
			read += s.read
		}
	}()
	driver, others := streams[0], streams[1:]
	misses := 0
	for e := driver.seek(start, false); e != nil; {
		if !all(conds, e) {
			e = driver.seek(e.ResourceCode, true)
			continue
		}
		var miss *stream
		for _, o := range others {
			if !o.holds(e) {
				miss = o
				break
			}
		}
		switch {
		case miss == nil:
			misses = 0
			if !fn(e) {
				return
			}
			e = driver.seek(e.ResourceCode, true)
		case misses < missesBeforeJump:
			misses++
			e = driver.seek(e.ResourceCode, true)
		default:
			// The driver is dense where miss is sparse: miss jumps to its next entry, and the
			// driver follows; nothing between can match.
			misses = 0
			c := miss.seek(e.ResourceCode, true)
			if c == nil {
				return
			}
			e = driver.seek(c.ResourceCode, false)
		}
	}
	return
}

// streams returns one stream per indexed filter given, or the whole directory for none, each at
// its first entry from start on, and the filters without an index as conditions.
func (v *View) streams(f DirectoryFilter, start string) ([]*stream, []func(*Entry) bool) {
	var (
		out   []*stream
		conds []func(*Entry) bool
	)
	// Most selective first: the first stream drives (scan). Domains, share types and update
	// cycles have few values, each held by a large part of the directory: an index would cost
	// memory on every entry and save little, so they are conditions on the entries others give.
	for _, by := range []struct {
		index, value string
		has          func(*Entry, string) bool
	}{
		{keyDepartment, f.Department, func(e *Entry, d string) bool { return e.Department == d }},
		{keyDistrict, f.District, func(e *Entry, d string) bool { return e.District == d }},
		{"category", f.Category, nil},
		{indexStatus, f.Status, func(e *Entry, s string) bool { return e.Status == s }},
		{keyGrade, f.Grade, func(e *Entry, g string) bool { return string(e.Grade()) == g }},
		{"", f.Domain, func(e *Entry, d string) bool { return slices.Contains(e.Domains, d) }},
		{"", f.ShareType, func(e *Entry, s string) bool { return e.ShareType == s }},
		{"", f.UpdateCycle, func(e *Entry, c string) bool { return string(e.UpdateCycle) == c }},
	} {
		value, has := by.value, by.has
		switch {
		case value == "":
		case by.index == "category":
			out = append(out, v.categoryStream(value))
		case by.index == "":
			conds = append(conds, func(e *Entry) bool { return has(e, value) })
		case by.index == indexStatus && !statusIndexed(value):
			conds = append(conds, func(e *Entry) bool { return has(e, value) })
		case by.index == indexStatus:
			out = append(out, &stream{txn: v.txn, index: by.index, value: value, has: func(e *Entry) bool { return has(e, value) }})
		default:
			out = append(out, &stream{txn: v.txn, index: by.index, set: keySetOf(v.txn, setKey(by.index, value)), has: func(e *Entry) bool { return has(e, value) }})
		}
	}
	if len(out) == 0 {
		out = append(out, &stream{txn: v.txn, index: indexID, has: func(*Entry) bool { return true }})
	}
	for _, s := range out {
		s.lowerBound(start)
	}
	return out, conds
}

func all(conds []func(*Entry) bool, e *Entry) bool {
	for _, c := range conds {
		if !c(e) {
			return false
		}
	}
	return true
}

// categoryStream reads the entries of a category and its subcategories: their resource codes
// begin with the category's code (schemas checks that subcategory codes extend their parent's).
func (v *View) categoryStream(code string) *stream {
	all := schemas.Categories.Codes()
	parent := make(map[string]string, len(all))
	for _, c := range all {
		parent[c.ID] = c.Extra["parent"]
	}
	cats := map[string]bool{}
	for _, c := range all {
		// The walk ends: a parent is in the list and shorter than its children (schemas).
		for id := c.ID; id != ""; id = parent[id] {
			if id == code {
				cats[c.ID] = true
				break
			}
		}
	}
	cats[code] = true
	return &stream{txn: v.txn, index: indexID, value: code,
		has:   func(e *Entry) bool { return strings.HasPrefix(e.ResourceCode, code) },
		match: func(e *Entry) bool { return cats[e.CategoryCode] }}
}

// stepsBeforeSeek: a stream steps through its index this many times before it seeks instead.
// A step is cheaper than a seek, and the driving stream's target is mostly its next entry; a
// jumping stream's target is far, and steps towards it would be wasted.
const stepsBeforeSeek = 1

// missesBeforeJump: the driving stream steps past this many entries another filter refuses
// before that filter's stream jumps ahead instead.
const missesBeforeJump = 16

// stream is the entries of one index value (or of a resource-code prefix, on the id index), or
// of one key set (keysets.go), in resource-code order.
type stream struct {
	txn   *memdb.Txn
	index string
	value string
	set   *loadNode         // the codes read, when the stream reads a key set (keysets.go) instead of an index
	codes codeCursor        // where the stream stands in set
	has   func(*Entry) bool // the entry is in the value's range of the index
	match func(*Entry) bool // nil, or a further condition on the entries of the range
	it    memdb.ResultIterator
	cur   *Entry // nil once the range is passed
	read  int    // entries read from the index
}

// keyed reports whether the stream reads a key set.
func (s *stream) keyed() bool {
	return s.index == keyDepartment || s.index == keyDistrict || s.index == keyGrade
}

// seek moves to the first matching entry whose code is target or after it (strictly after
// when strict) and returns it, nil when there is none.
func (s *stream) seek(target string, strict bool) *Entry {
	behind := func(e *Entry) bool {
		return e.ResourceCode < target || strict && e.ResourceCode == target
	}
	for n := 0; s.cur != nil && (behind(s.cur) || s.match != nil && !s.match(s.cur)); n++ {
		if n >= stepsBeforeSeek && behind(s.cur) {
			if strict {
				s.lowerBound(target + "\x00") // the least code greater than target
			} else {
				s.lowerBound(target)
			}
			continue
		}
		s.step()
	}
	return s.cur
}

// holds reports whether e is an entry of the stream, wherever the stream stands.
func (s *stream) holds(e *Entry) bool {
	return s.has(e) && (s.match == nil || s.match(e))
}

// lowerBound positions the stream at the first entry of its range at or after target. The first
// entry memdb returns is in the range exactly when has holds and its code is not before target:
// an entry of the range at or after target has its key before any key beyond the range. The one
// exception: for target code+"\x00" (just after code) the seek key value\x00code\x00 is the
// key of code itself, which is then skipped.
func (s *stream) lowerBound(target string) {
	if s.keyed() {
		s.codes.seek(s.set, target)
		s.step()
		return
	}
	var (
		it  memdb.ResultIterator
		err error
	)
	switch {
	case s.index == indexID:
		it = entriesFrom(s.txn, max(target, s.value))
	default:
		it, err = s.txn.LowerBound(tableEntryMarks, s.index, s.value, target)
	}
	if err != nil {
		panic(fmt.Sprintf("catalog: %s.%s: %v", tableEntryMarks, s.index, err)) // schema bug, not input
	}
	s.it, s.cur = it, nil
	for raw := it.Next(); raw != nil; raw = it.Next() {
		s.read++
		e := s.entry(raw)
		if e == nil || !s.has(e) {
			return
		}
		if e.ResourceCode >= target {
			s.cur = e
			return
		}
		if e.ResourceCode+"\x00" != target {
			return
		}
	}
}

// step moves to the next entry of the range: past it, the index holds entries of other values.
func (s *stream) step() {
	if s.keyed() { // every code of a key set is an entry of the stream
		s.cur = nil
		if code, ok := s.codes.next(); ok {
			s.read++
			s.cur = s.entry(code)
		}
		return
	}
	raw := s.it.Next()
	if raw == nil {
		s.cur = nil
		return
	}
	s.read++
	e := s.entry(raw)
	if e == nil || !s.has(e) {
		s.cur = nil
		return
	}
	s.cur = e
}

// entry is the entry of an object the stream's iterator gave: the entry itself, or for a key
// set the entry of the code.
func (s *stream) entry(raw any) *Entry {
	code, ok := raw.(string)
	if !ok {
		return raw.(*Entry)
	}
	e, err := entryTxn(s.txn, code)
	if err != nil {
		panic(fmt.Sprintf("catalog: key sets name %s, which is no entry", code)) // kept in the same transaction as the entries
	}
	return e
}

// entryValue indexes entries by one attribute. Its FromArgs takes the value and optionally a
// resource code: memdb stores a non-unique index key as value\x00resourceCode\x00, so (value,
// code) is where the value's entries from that code on begin, for LowerBound.
type entryValue struct{ get func(*Entry) string }

func (x entryValue) FromObject(obj any) (bool, []byte, error) {
	e, ok := obj.(*Entry)
	if !ok {
		return false, nil, fmt.Errorf("entry index: %T is not an entry", obj)
	}
	v := x.get(e)
	if v == "" {
		return false, nil, nil
	}
	return true, []byte(v + "\x00"), nil
}

func (entryValue) FromArgs(args ...any) ([]byte, error) { return valueArgs(args) }

func valueArgs(args []any) ([]byte, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, fmt.Errorf("entry index: want a value and optionally a resource code, got %d arguments", len(args))
	}
	key := make([]byte, 0, 32)
	for i, a := range args {
		s, ok := a.(string)
		if !ok {
			return nil, fmt.Errorf("entry index: argument %d is %T, not a string", i, a)
		}
		key = append(key, s...)
		if i == 0 {
			key = append(key, 0)
		}
	}
	return key, nil
}
