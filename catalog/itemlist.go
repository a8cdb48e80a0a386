package catalog

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"iter"
	"strings"
	"unique"

	"github.com/cqeco/ecolake/schemas"
)

// ItemList is an entry's data items (信息项) in order, in two immutable strings: the items'
// shape, which is all of them but their descriptions, and their descriptions. A province holds
// two million items: as Item structs they cost 136 bytes and seven pointers each, which the
// collector marks on every cycle and start-up decodes one by one. Packed, an entry's items are
// at most two allocations without pointers, restored from a checkpoint in a copy each (a shape
// already held is looked up instead); an Item read from the list holds substrings of them (or,
// for codes, static strings), so reading allocates nothing. The zero ItemList is empty. Its JSON
// is the array of its items, as []Item's.
//
// The shape is the table's schema: the entries registered from one template (the same
// monitoring table for each of 41 districts) have the same, and hold one copy of it between
// them (unique.Make, which lets a shape go when no list holds it any more). The descriptions
// are the entry's own documentation, often naming its own scope.
//
// The shape is the count of items as a uvarint, then each item packed as: ID (signed varint),
// Name, Field, Type, Length (signed varint), a flag byte (Required, IsKey, HasRange), Grade,
// PIType, CodeList, then Min and Max only when HasRange is set. The descriptions are each item's
// in order, or "" when no item has one. Strings are a uvarint length and their bytes; the codes
// (Type, Grade, PIType, CodeList) are a uvarint v, the string packedCodes[v>>1] when v is odd
// (one byte for what every item repeats), else v>>1 bytes following. The binary checkpoint
// stores both strings as they are (checkpoint_binary.go): a change of them is a new checkpoint
// format version. Versions before binVersionShapes held one string, each item's description
// after its CodeList (packedItems reads it).
type ItemList struct {
	shape unique.Handle[itemShape] // zero for no items
	desc  string
}

// itemShape is a packed shape and the highest grade of its items ("" for none), which the
// entry's grade starts from (Entry.Grade). An installed grades list may renumber the ranks but
// never reorder the grades (schemas' codelist rules), so the highest stays the highest.
type itemShape struct {
	s     string
	grade schemas.Grade
}

// shapeStr is the packed shape, "" for no items.
func (l ItemList) shapeStr() string {
	if l.shape == (unique.Handle[itemShape]{}) {
		return ""
	}
	return l.shape.Value().s
}

// makeShape is the shared shape of the packed s, which must decode (ItemsOf made it, or
// shapedItems checked it).
func makeShape(s string) unique.Handle[itemShape] {
	return unique.Make(itemShape{s: s, grade: shapeGrade(s)})
}

// head decodes the count of s, returning it and its length in bytes.
func head(s string) (n uint64, size int) {
	for shift := 0; size < len(s); shift += 7 {
		c := s[size]
		size++
		n |= uint64(c&0x7f) << shift
		if c < 0x80 {
			break
		}
	}
	return n, size
}

const (
	itemRequired = 1 << iota
	itemIsKey
	itemHasRange // Min and Max follow the CodeList
)

// packedCodes are the codes packed as one byte: the data types, grades and personal
// information types, and the districts list. The list is part of the format: append only.
var packedCodes = [...]string{
	"STRING", "INT", "FLOAT", "BOOL", "DATE", "TIMESTAMP",
	"GENERAL_1", "GENERAL_2", "GENERAL_3", "GENERAL_4", "IMPORTANT", "CORE",
	"MOBILE", "ID_CARD", "CN_NAME", "FIXED_PHONE", "BANK_CARD", "ADDRESS", "EMAIL", "PLATE",
	"districts",
}

var packedCode = func() map[string]uint64 {
	m := make(map[string]uint64, len(packedCodes))
	for i, c := range packedCodes {
		m[c] = uint64(i)<<1 | 1
	}
	return m
}()

// ItemsOf packs items; it is the only way to make a non-empty list.
func ItemsOf(items ...Item) ItemList {
	if len(items) == 0 {
		return ItemList{}
	}
	shapeSize, descSize := uvarintLen(uint64(len(items))), 0
	for i := range items {
		shapeSize += packedLen(&items[i])
		descSize += len(items[i].Description)
	}
	var p, d packer
	p.b.Grow(shapeSize)
	p.uvarint(uint64(len(items)))
	for i := range items {
		packShape(&p, &items[i])
	}
	if descSize > 0 {
		d.b.Grow(descSize + len(items))
		for i := range items {
			d.str(items[i].Description)
		}
	}
	return ItemList{shape: makeShape(p.b.String()), desc: d.b.String()}
}

// packShape packs it but its description.
func packShape(p *packer, it *Item) {
	p.varint(int64(it.ID))
	p.str(it.Name)
	p.str(it.Field)
	p.code(string(it.Type))
	p.varint(int64(it.Length))
	var flags byte
	if it.Required {
		flags |= itemRequired
	}
	if it.IsKey {
		flags |= itemIsKey
	}
	if it.Min != "" || it.Max != "" {
		flags |= itemHasRange
	}
	p.b.WriteByte(flags)
	p.code(string(it.Grade))
	p.code(it.PIType)
	p.code(it.CodeList)
	if flags&itemHasRange != 0 {
		p.str(it.Min)
		p.str(it.Max)
	}
}

// packedLen is the byte count of it packed in a shape.
func packedLen(it *Item) int {
	n := varintLen(int64(it.ID)) + varintLen(int64(it.Length)) + 1
	for _, s := range [...]string{it.Name, it.Field} {
		n += uvarintLen(uint64(len(s))) + len(s)
	}
	if it.Min != "" || it.Max != "" {
		n += uvarintLen(uint64(len(it.Min))) + len(it.Min) + uvarintLen(uint64(len(it.Max))) + len(it.Max)
	}
	for _, s := range [...]string{string(it.Type), string(it.Grade), it.PIType, it.CodeList} {
		if _, ok := packedCode[s]; ok {
			n++
		} else {
			n += uvarintLen(uint64(len(s))<<1) + len(s)
		}
	}
	return n
}

func uvarintLen(v uint64) int {
	n := 1
	for ; v >= 0x80; v >>= 7 {
		n++
	}
	return n
}

func varintLen(v int64) int { return uvarintLen(uint64(v<<1) ^ uint64(v>>63)) }

type packer struct {
	b   strings.Builder
	buf [binary.MaxVarintLen64]byte
}

func (p *packer) uvarint(v uint64) { p.b.Write(binary.AppendUvarint(p.buf[:0], v)) }
func (p *packer) varint(v int64)   { p.b.Write(binary.AppendVarint(p.buf[:0], v)) }
func (p *packer) str(s string)     { p.uvarint(uint64(len(s))); p.b.WriteString(s) }

func (p *packer) code(s string) {
	if v, ok := packedCode[s]; ok {
		p.uvarint(v)
		return
	}
	p.uvarint(uint64(len(s)) << 1)
	p.b.WriteString(s)
}

// Texts are the items as stored, for a scan of their texts at the speed of memory: the shape
// (names, fields, the codes not in the table of common ones, ranges) and the descriptions. Each
// string in them follows its length as a uvarint, whose last byte is below 0x80, so that bytes
// all at or above 0x80 found in them lie within one string.
func (l ItemList) Texts() (shape, descriptions string) { return l.shapeStr(), l.desc }

// Names yields every item's name in order, with where it lies in the shape (Texts).
func (l ItemList) Names() iter.Seq2[int, string] {
	return func(yield func(int, string) bool) {
		r := l.reader()
		var it Item
		for range l.Len() {
			if off := r.shapeItem(&it); !yield(off, it.Name) {
				return
			}
		}
	}
}

// Descriptions yields every item's description in order, with where it lies in the
// descriptions (Texts), reading the descriptions alone.
func (l ItemList) Descriptions() iter.Seq2[int, string] {
	return func(yield func(int, string) bool) {
		r := itemReader{s: l.desc}
		for range l.Len() {
			d := r.str()
			if !yield(r.off-len(d), d) {
				return
			}
		}
	}
}

// Len is the number of items.
func (l ItemList) Len() int {
	n, _ := head(l.shapeStr())
	return int(n)
}

// All yields the items in order with their positions, decoding one at a time.
func (l ItemList) All() iter.Seq2[int, Item] {
	return func(yield func(int, Item) bool) {
		r := l.reader()
		for i := range l.Len() {
			if !yield(i, r.item()) {
				return
			}
		}
	}
}

// Slice returns the items as a new slice the caller may change; nil when there are none.
func (l ItemList) Slice() []Item {
	n := l.Len()
	if n == 0 {
		return nil
	}
	out := make([]Item, n)
	r := l.reader()
	for i := range out {
		out[i] = r.item()
	}
	return out
}

// Field returns the item with the given field identifier and its position.
func (l ItemList) Field(field string) (Item, int, bool) {
	for i, it := range l.All() {
		if it.Field == field {
			return it, i, true
		}
	}
	return Item{}, -1, false
}

// grade is the highest grade of the items, "" when there are none.
func (l ItemList) grade() schemas.Grade {
	if l.shape == (unique.Handle[itemShape]{}) {
		return ""
	}
	return l.shape.Value().grade
}

// shapeGrade is the highest grade of the items of the packed shape s, "" when there are none. It
// reads the grades alone, and ranks only a grade other than the highest so far (most items share
// one).
func shapeGrade(s string) schemas.Grade {
	var (
		g    schemas.Grade
		rank int
	)
	n, k := head(s)
	r := itemReader{s: s, off: k}
	for range n {
		r.uvarint() // ID
		r.skip()    // Name
		r.skip()    // Field
		r.code()    // Type
		r.uvarint() // Length
		flags := r.s[r.off]
		r.off++
		if ig := schemas.Grade(r.code()); ig != g {
			if ir := ig.Rank(); ir > rank {
				g, rank = ig, ir
			}
		}
		r.code() // PIType
		r.code() // CodeList
		if flags&itemHasRange != 0 {
			r.skip() // Min
			r.skip() // Max
		}
	}
	return g
}

// MarshalJSON writes the items as a JSON array, null when there are none (as a nil []Item).
func (l ItemList) MarshalJSON() ([]byte, error) { return json.Marshal(l.Slice()) }

// UnmarshalJSON reads a JSON array of items (or null).
func (l *ItemList) UnmarshalJSON(b []byte) error {
	var items []Item
	if err := json.Unmarshal(b, &items); err != nil {
		return err
	}
	*l = ItemsOf(items...)
	return nil
}

var errBadItems = errors.New("malformed packed items")

// shapedItems is a new list of the packed shape and descriptions, read from outside (a
// checkpoint; they may be a buffer's bytes, which the list does not keep): they are checked to
// decode to the same number of items, since reading a list assumes that they do.
func shapedItems(shape, desc string) (ItemList, error) {
	var c shapeCache
	return c.items(shape, desc)
}

// shapeCache is the last shape a checkpoint's reader made: entries follow one another in code
// order, and neighbours are mostly registered from one template, so that the shape of most is
// the one before, compared rather than checked item by item and looked up again.
type shapeCache struct {
	s string // the shared shape's own string, not the buffer's
	h unique.Handle[itemShape]
}

// items is shapedItems, the shape checked and made only when it is not the last one.
func (c *shapeCache) items(shape, desc string) (l ItemList, err error) {
	if shape == "" {
		if desc != "" {
			return ItemList{}, errBadItems
		}
		return ItemList{}, nil
	}
	n, k := head(shape)
	if n == 0 || n > uint64(len(shape)) {
		return ItemList{}, errBadItems
	}
	defer func() {
		// A malformed list fails decoding by indexing out of its strings.
		if recover() != nil {
			l, err = ItemList{}, errBadItems
		}
	}()
	if c.s == "" || shape != c.s {
		r := itemReader{s: shape, off: k}
		var it Item
		for range n {
			r.shapeItem(&it)
		}
		if r.off != len(shape) {
			return ItemList{}, errBadItems
		}
		c.h = makeShape(shape)
		c.s = c.h.Value().s
	}
	if desc != "" {
		d := itemReader{s: desc}
		for range n {
			d.skip()
		}
		if d.off != len(desc) {
			return ItemList{}, errBadItems
		}
	}
	return ItemList{shape: c.h, desc: strings.Clone(desc)}, nil
}

// packedItems is a new list of the n items packed as one string as versions of the checkpoint
// before binVersionShapes stored them (each item's description after its CodeList), read from
// outside: checked to decode to exactly n items.
func packedItems(s string, n uint64) (l ItemList, err error) {
	if n > uint64(len(s)) || (n == 0) != (s == "") {
		return ItemList{}, errBadItems
	}
	defer func() {
		if recover() != nil {
			l, err = ItemList{}, errBadItems
		}
	}()
	items := make([]Item, n)
	r := itemReader{s: s}
	for i := range items {
		it := &items[i]
		flags, _ := r.fields(it)
		it.Description = r.str()
		r.ranged(it, flags)
	}
	if r.off != len(s) {
		return ItemList{}, errBadItems
	}
	return ItemsOf(items...), nil // copies the strings, which s's buffer holds
}

// itemReader decodes packed items. It trusts its string (ItemsOf made it, or shapedItems checked
// it): a malformed one panics.
type itemReader struct {
	s   string
	off int
}

// listReader decodes a list's shape and descriptions in step.
type listReader struct {
	itemReader
	desc itemReader
}

func (l ItemList) reader() listReader {
	s := l.shapeStr()
	_, k := head(s)
	return listReader{itemReader: itemReader{s: s, off: k}, desc: itemReader{s: l.desc}}
}

func (r *itemReader) uvarint() uint64 {
	if c := r.s[r.off]; c < 0x80 { // lengths of names, fields, codes: one byte
		r.off++
		return uint64(c)
	}
	var v uint64
	for shift := 0; ; shift += 7 {
		c := r.s[r.off]
		r.off++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v
		}
	}
}

func (r *itemReader) varint() int64 {
	u := r.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

// str returns the next string: a substring of the list, never a copy; "" past the end of a
// list of descriptions that is "" (none has one).
func (r *itemReader) str() string {
	if r.s == "" {
		return ""
	}
	n := int(r.uvarint())
	s := r.s[r.off : r.off+n]
	r.off += n
	return s
}

func (r *itemReader) skip() { r.off += int(r.uvarint()) }

// code returns the next code: a packed code's string, or a substring of the list.
func (r *itemReader) code() string {
	v := r.uvarint()
	if v&1 != 0 {
		return packedCodes[v>>1]
	}
	n := int(v >> 1)
	s := r.s[r.off : r.off+n]
	r.off += n
	return s
}

// fields reads an item's fields from its ID to its CodeList, and returns its flags and where
// its name lies in the string.
func (r *itemReader) fields(it *Item) (flags byte, nameOff int) {
	it.ID = int(r.varint())
	it.Name = r.str()
	nameOff = r.off - len(it.Name)
	it.Field = r.str()
	it.Type = schemas.DataType(r.code())
	it.Length = int(r.varint())
	flags = r.s[r.off]
	r.off++
	it.Required = flags&itemRequired != 0
	it.IsKey = flags&itemIsKey != 0
	it.Grade = schemas.Grade(r.code())
	it.PIType = r.code()
	it.CodeList = r.code()
	return flags, nameOff
}

// ranged reads the item's range, if its flags say it has one.
func (r *itemReader) ranged(it *Item, flags byte) {
	it.Min, it.Max = "", ""
	if flags&itemHasRange != 0 {
		it.Min = r.str()
		it.Max = r.str()
	}
}

// shapeItem reads an item of a shape, all of it but its description, and returns where its
// name lies in the shape.
func (r *itemReader) shapeItem(it *Item) (nameOff int) {
	flags, nameOff := r.fields(it)
	r.ranged(it, flags)
	return nameOff
}

// item reads the next item of the list.
func (r *listReader) item() Item {
	var it Item
	r.shapeItem(&it)
	it.Description = r.desc.str()
	return it
}
