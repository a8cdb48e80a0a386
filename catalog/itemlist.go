package catalog

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"iter"
	"strings"

	"github.com/cqeco/ecolake/schemas"
)

// ItemList is an entry's data items (信息项) in order, packed into one immutable string. A
// province holds two million items: as Item structs they cost 136 bytes and seven pointers
// each, which the collector marks on every cycle and start-up decodes one by one. Packed, an
// entry's items are one allocation without pointers, restored from a checkpoint in one copy;
// an Item read from the list holds substrings of it (or, for codes, static strings), so reading
// allocates nothing. The zero ItemList is empty. Its JSON is the array of its items, as []Item's.
//
// Each item is packed as: ID (signed varint), Name, Field, Type, Length (signed varint), a flag
// byte (Required, IsKey, HasRange), Grade, PIType, CodeList, Description, then Min and Max only
// when HasRange is set, so that lists packed before items had ranges read as they are. Strings
// are a uvarint length and their bytes; the codes (Type, Grade, PIType, CodeList) are a uvarint
// v, the string packedCodes[v>>1] when v is odd (one byte for what every item repeats), else
// v>>1 bytes following. The binary checkpoint stores this form as it is (checkpoint_binary.go):
// a change of it is a new checkpoint format version (HasRange came with version 3).
type ItemList struct {
	// s is the number of items as a uvarint followed by the items packed (str), "" for none:
	// one string, so that a list takes 16 bytes of its Entry (a province holds 100,000) and
	// lists compare by their content.
	s string
}

// listOf is a new list of the n items packed in packed (which may be a buffer's bytes).
func listOf(packed string, n uint64) ItemList {
	if n == 0 && packed == "" {
		return ItemList{}
	}
	var p packer
	p.b.Grow(uvarintLen(n) + len(packed))
	p.uvarint(n)
	p.b.WriteString(packed)
	return ItemList{s: p.b.String()}
}

// head decodes the count of s, returning it and its length in bytes.
func (l ItemList) head() (n uint64, size int) {
	for shift := 0; size < len(l.s); shift += 7 {
		c := l.s[size]
		size++
		n |= uint64(c&0x7f) << shift
		if c < 0x80 {
			break
		}
	}
	return n, size
}

// str is the items packed.
func (l ItemList) str() string {
	_, k := l.head()
	return l.s[k:]
}

const (
	itemRequired = 1 << iota
	itemIsKey
	itemHasRange // Min and Max follow the description
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
	size := 0
	for i := range items {
		size += packedLen(&items[i])
	}
	var p packer
	p.b.Grow(uvarintLen(uint64(len(items))) + size)
	p.uvarint(uint64(len(items)))
	for i := range items {
		it := &items[i]
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
		p.str(it.Description)
		if flags&itemHasRange != 0 {
			p.str(it.Min)
			p.str(it.Max)
		}
	}
	return ItemList{s: p.b.String()}
}

// packedLen is the byte count of it packed.
func packedLen(it *Item) int {
	n := varintLen(int64(it.ID)) + varintLen(int64(it.Length)) + 1
	for _, s := range [...]string{it.Name, it.Field, it.Description} {
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

// Packed is the items as stored, for a scan of their texts at the speed of memory: each string
// in it (name, field, description, the codes not in the table of common ones) follows its length
// as a uvarint, whose last byte is below 0x80, so that bytes all at or above 0x80 found in it lie
// within one string.
func (l ItemList) Packed() string { return l.str() }

// Prose yields the name and the description of every item in order, each with its place in
// Packed, decoding one item at a time.
func (l ItemList) Prose() iter.Seq2[int, string] {
	return func(yield func(int, string) bool) {
		r := itemReader{s: l.str()}
		for range l.Len() {
			r.varint() // ID
			name := r.str()
			if !yield(r.off-len(name), name) {
				return
			}
			r.skip()   // Field
			r.code()   // Type
			r.varint() // Length
			flags := r.s[r.off]
			r.off++
			r.code() // Grade
			r.code() // PIType
			r.code() // CodeList
			desc := r.str()
			if !yield(r.off-len(desc), desc) {
				return
			}
			if flags&itemHasRange != 0 {
				r.skip() // Min
				r.skip() // Max
			}
		}
	}
}

// Len is the number of items.
func (l ItemList) Len() int {
	n, _ := l.head()
	return int(n)
}

// All yields the items in order with their positions, decoding one at a time.
func (l ItemList) All() iter.Seq2[int, Item] {
	return func(yield func(int, Item) bool) {
		r := itemReader{s: l.str()}
		for i := range l.Len() {
			if !yield(i, r.item()) {
				return
			}
		}
	}
}

// Slice returns the items as a new slice the caller may change; nil when there are none.
func (l ItemList) Slice() []Item {
	if l.s == "" {
		return nil
	}
	out := make([]Item, l.Len())
	r := itemReader{s: l.str()}
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

// grade is the highest grade of the items, "" when there are none. It reads the grades alone,
// and ranks only a grade other than the highest so far (most items share one).
func (l ItemList) grade() schemas.Grade {
	var (
		g    schemas.Grade
		rank int
	)
	r := itemReader{s: l.str()}
	for range l.Len() {
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
		r.skip() // Description
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

// packedItems is a new list of the n items packed as s, read from outside (a checkpoint; s may
// be a buffer's bytes, which the list does not keep): it is checked to decode to exactly n
// items, since reading a list assumes that it does.
func packedItems(s string, n uint64) (l ItemList, err error) {
	if n > uint64(len(s)) || (n == 0) != (s == "") {
		return ItemList{}, errBadItems
	}
	defer func() {
		// A malformed list fails decoding by indexing out of its string.
		if recover() != nil {
			l, err = ItemList{}, errBadItems
		}
	}()
	r := itemReader{s: s}
	for range n {
		r.item()
	}
	if r.off != len(s) {
		return ItemList{}, errBadItems
	}
	return listOf(s, n), nil
}

// itemReader decodes packed items. It trusts its string (ItemsOf made it, or packedItems
// checked it): a malformed one panics.
type itemReader struct {
	s   string
	off int
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

// str returns the next string: a substring of the list, never a copy.
func (r *itemReader) str() string {
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

func (r *itemReader) item() Item {
	var it Item
	it.ID = int(r.varint())
	it.Name = r.str()
	it.Field = r.str()
	it.Type = schemas.DataType(r.code())
	it.Length = int(r.varint())
	flags := r.s[r.off]
	r.off++
	it.Required = flags&itemRequired != 0
	it.IsKey = flags&itemIsKey != 0
	it.Grade = schemas.Grade(r.code())
	it.PIType = r.code()
	it.CodeList = r.code()
	it.Description = r.str()
	if flags&itemHasRange != 0 {
		it.Min = r.str()
		it.Max = r.str()
	}
	return it
}
