package search

import (
	"hash/maphash"
	"slices"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/cqeco/ecolake/catalog"
)

// engine is the index in memory: roaring bitmaps of document numbers, so that a search, its
// total and its facet counts are intersections and cardinalities of bitmaps, never a visit of
// every match. An entry is a document number. Its searchable texts (partsOf, normalized) are
// kept in one of two ways:
//
//   - a shared part (parts.go): a text that several entries held when the engine was built (an
//     item name a thousand entries share) is kept once, with the bitmap of its documents;
//   - the document's own text: its name, then its other texts, then its identifiers (resource
//     code, table), one string separated by blanks, which no word of a query holds, so that a
//     word found in it lies within one text. Most texts (descriptions, abstracts) are held by
//     one entry: a record per text cost several times its bytes, and there are millions.
//
// The bitmaps by gram (analysis.go: every rune and every two-rune gram of a piece):
//
//   - docGram, nameGram and idGram: the documents whose prose (own text and shared parts), name
//     or identifiers hold the gram. A word of one or two runes is its gram: exact. Identifiers
//     have their own: the digits of every resource code would otherwise seem to be in every
//     document's prose, and every number a candidate everywhere.
//   - partGram: the shared parts holding the gram.
//
// A longer word is looked for in the parts holding all its grams and in the own text of the
// documents holding all its grams, each verified to hold the word (word.go), so that every total
// is exact. facet and rank hold the documents of each code and grade rank: the principal's scope
// (catalog.SearchScope) and the filters are unions and intersections of them.
//
// Documents [0, sorted) are numbered in resource-code order (a build puts them in that order), so
// that a page in that order is read off a bitmap from the cursor on, and a code's number is found
// by binary search; documents registered since, unless their code comes after every other, are
// numbered after them, in no order, and sorted when a page needs them (Index.follow rebuilds the
// engine when they grow many). An engine is not safe for concurrent use: Index guards it.
type engine struct {
	gramID   map[gram]uint32
	docGram  []*roaring.Bitmap // by gram id
	nameGram []*roaring.Bitmap // by gram id
	idGram   []*roaring.Bitmap // by gram id
	partGram []*roaring.Bitmap // by gram id

	partID map[string]uint32
	parts  []partRec
	dead   int // parts no document holds any more
	lists  map[uint64][]uint32

	// While the engine is built: the hashes of the texts several entries hold (census), which
	// become shared parts; nil after, when only a text that is a part already is taken as one.
	shared map[uint64]struct{}
	seed   maphash.Seed

	codes   []string          // resource code by document number
	tail    map[string]uint32 // number of each document numbered out of order, after sorted
	docs    []docRec
	sorted  int
	atBuild int // documents when built

	facet map[string]map[string]*roaring.Bitmap // facet → code → documents
	rank  map[int]*roaring.Bitmap               // grade rank → documents
	all   *roaring.Bitmap

	stamp []uint64 // by gram id: the gen of the last gramIDs that met it, to skip repeats
	gen   uint64
	cache [1 << 12]gramSlot // in front of gramID: a document's texts repeat their grams
	buf   []byte            // the extra text being put together (docOf)
	texts []string          // own texts being indexed (add, remove)
	bytes [256]uint64       // how often each byte occurs in the documents' own prose (word.go)
	// names holds the documents' names one after the other, in the order of their numbers: a
	// word many names hold is verified in them at the speed of memory, not of its latency.
	names arena
}

// docRec is what the engine holds of a document besides its bits in the bitmaps.
type docRec struct {
	name string // normalized, in names
	// e is the entry as indexed (stored entries are never changed in place): its own texts,
	// those no other entry holds, are read from it when a word is verified and when the
	// document is taken out (ownTexts), rather than copied, which would double the memory of
	// the directory's prose.
	e *catalog.Entry
	// extra is the own texts found through the view when indexed (eachPart), normalized,
	// blank-separated: a later view may give them otherwise. Most are shared parts; usually empty.
	extra string
	parts []uint32 // the shared parts, distinct and sorted; documents often share the slice
	// folds: normalizing changes some of the entry's own prose texts (upper case, full-width
	// forms, runs of blanks), so that a word is verified in them folded rune by rune as they are
	// read (foldFinder) rather than in a normalized copy, which would cost a province tens of
	// megabytes: Chinese abstracts hold full-width punctuation.
	folds bool
	// wide is the classes of ASCII runes (letters, digits, punctuation) that runes outside ASCII
	// in those texts fold into (full-width ，, Ｐ, ２): an ASCII rune of a word of those classes
	// may be found there other than as its byte (foldFinder).
	wide uint8
	// raw: the item strings other than names and descriptions (fields, codes) are ASCII, as are
	// ranges, which parse as numbers or dates, so a word of ideographs found in the packed items
	// lies in a name or a description (proseHolds).
	raw bool
	// ownNames: some item's name is the document's own text, not a shared part, so that the
	// items' shape, which holds the names, is read when a word is verified (proseHolds).
	ownNames bool
}

// ownTexts calls fn with the document's own texts, normalized: those its entry holds that are
// neither its name nor a shared part, each with whether it is an identifier (in order, repeats
// included: the same every time for the same document), then extra as one prose text. It stops
// when fn returns false.
func (g *engine) ownTexts(r *docRec, fn func(text string, ident bool) bool) {
	if r.e == nil {
		return
	}
	more := true
	eachPart(nil, r.e, func(p part, _ bool) {
		if !more {
			return
		}
		t := normalize(p.Text)
		if t == "" || t == r.name {
			return
		}
		if _, shared := g.partID[t]; shared {
			return
		}
		more = fn(t, p.ident())
	})
	if more && r.extra != "" {
		fn(r.extra, false)
	}
}

// ownOf returns, in buf, the document's own identifiers when ident, its own prose texts when
// not (ownTexts).
func (g *engine) ownOf(r *docRec, ident bool, buf []string) []string {
	buf = buf[:0]
	g.ownTexts(r, func(t string, isIdent bool) bool {
		if isIdent == ident {
			buf = append(buf, t)
		}
		return true
	})
	return buf
}

// doc is an entry as the engine takes it: its resource code, texts and codes.
type doc struct {
	code  string
	rec   docRec
	terms [][2]string // facet, code
	rank  int
}

func newEngine() *engine {
	return &engine{
		gramID: map[gram]uint32{}, partID: map[string]uint32{}, lists: map[uint64][]uint32{}, tail: map[string]uint32{},
		facet: map[string]map[string]*roaring.Bitmap{}, rank: map[int]*roaring.Bitmap{}, all: roaring.New(),
		seed: maphash.MakeSeed(),
	}
}

// gramIDs returns the distinct gram ids of texts, creating ids for new grams.
func (g *engine) gramIDs(texts ...string) []uint32 {
	var ids []uint32
	g.gen++
	for _, t := range texts {
		textGrams(t, func(k gram) { ids = g.stampGram(ids, g.gram(k)) })
	}
	return ids
}

func (g *engine) stampGram(ids []uint32, gid uint32) []uint32 {
	if g.stamp[gid] != g.gen {
		g.stamp[gid] = g.gen
		ids = append(ids, gid)
	}
	return ids
}

// docGrams returns the distinct gram ids of the prose of r (name, own, shared).
func (g *engine) docGrams(r *docRec) []uint32 {
	g.texts = g.ownOf(r, false, g.texts)
	ids := g.gramIDs(append(g.texts, r.name)...)
	for _, id := range r.parts {
		for _, gid := range g.parts[id].grams {
			ids = g.stampGram(ids, gid)
		}
	}
	return ids
}

// gramSlot is a slot of the engine's cache of gram ids.
type gramSlot struct {
	k   gram
	id1 uint32 // the gram's id + 1; 0 for an empty slot
}

func (g *engine) gram(k gram) uint32 {
	slot := &g.cache[uint64(k)*0x9e3779b97f4a7c15>>52]
	if slot.k == k && slot.id1 != 0 {
		return slot.id1 - 1
	}
	id, ok := g.gramID[k]
	if !ok {
		id = uint32(len(g.gramID))
		g.gramID[k] = id
		g.stamp = append(g.stamp, 0)
	}
	*slot = gramSlot{k, id + 1}
	return id
}

// bitmapAt returns the bitmap of id in s, creating it (and growing s) when missing.
func bitmapAt(s *[]*roaring.Bitmap, id uint32) *roaring.Bitmap {
	for uint32(len(*s)) <= id {
		*s = append(*s, nil)
	}
	if (*s)[id] == nil {
		(*s)[id] = roaring.New()
	}
	return (*s)[id]
}

// put indexes d, replacing what the engine held of the same resource code.
func (g *engine) put(d doc) {
	n, ok := g.number(d.code)
	if ok && g.docs[n].name == d.rec.name {
		d.rec.name = g.docs[n].name // in names already
	} else {
		d.rec.name = g.names.add(d.rec.name)
	}
	if ok {
		g.remove(n)
	} else {
		n = uint32(len(g.codes))
		code := strings.Clone(d.code) // not a piece of the entry's memory, which outlives it
		if g.sorted == len(g.codes) && (n == 0 || g.codes[n-1] < code) {
			g.sorted++ // a build puts documents in order; a new code may come after every other
		} else {
			g.tail[code] = n
		}
		g.codes = append(g.codes, code)
		g.docs = append(g.docs, docRec{})
	}
	g.add(n, d)
}

// number returns the number of a resource code's document.
func (g *engine) number(code string) (uint32, bool) {
	if i, ok := slices.BinarySearch(g.codes[:g.sorted], code); ok {
		return uint32(i), true
	}
	n, ok := g.tail[code]
	return n, ok
}

// add indexes d as document n, which holds nothing.
func (g *engine) add(n uint32, d doc) {
	r := d.rec
	for _, id := range r.parts {
		p := &g.parts[id]
		if p.docs.IsEmpty() && p.used {
			g.dead--
		}
		p.docs.Add(n)
		p.used = true
	}
	for _, gid := range g.docGrams(&r) {
		bitmapAt(&g.docGram, gid).Add(n)
	}
	for _, gid := range g.gramIDs(r.name) {
		bitmapAt(&g.nameGram, gid).Add(n)
	}
	g.texts = g.ownOf(&r, true, g.texts)
	for _, gid := range g.gramIDs(g.texts...) {
		bitmapAt(&g.idGram, gid).Add(n)
	}
	g.countBytes(&r, 1)
	for _, t := range d.terms {
		codes := g.facet[t[0]]
		if codes == nil {
			codes = map[string]*roaring.Bitmap{}
			g.facet[t[0]] = codes
		}
		bm := codes[t[1]]
		if bm == nil {
			bm = roaring.New()
			codes[strings.Clone(t[1])] = bm
		}
		bm.Add(n)
	}
	if g.rank[d.rank] == nil {
		g.rank[d.rank] = roaring.New()
	}
	g.rank[d.rank].Add(n)
	g.all.Add(n)
	g.docs[n] = r
}

// remove takes document n out of every bitmap; its number stays its resource code's. Its codes
// are not kept: it is taken out of every code's bitmap, a few hundred, which an edit can afford.
func (g *engine) remove(n uint32) {
	r := &g.docs[n]
	for _, id := range r.parts {
		p := &g.parts[id]
		p.docs.Remove(n)
		if p.docs.IsEmpty() {
			g.dead++
		}
	}
	for _, gid := range g.docGrams(r) {
		g.docGram[gid].Remove(n)
	}
	for _, gid := range g.gramIDs(r.name) {
		g.nameGram[gid].Remove(n)
	}
	g.texts = g.ownOf(r, true, g.texts)
	for _, gid := range g.gramIDs(g.texts...) {
		g.idGram[gid].Remove(n)
	}
	g.countBytes(r, ^uint64(0))
	for _, codes := range g.facet {
		for _, bm := range codes {
			bm.Remove(n)
		}
	}
	for _, bm := range g.rank {
		bm.Remove(n)
	}
	g.all.Remove(n)
	g.docs[n] = docRec{}
}

// countBytes adds d (1, or ^0 to take one away) to the count of each byte of r's own prose.
func (g *engine) countBytes(r *docRec, d uint64) {
	g.texts = g.ownOf(r, false, g.texts)
	for _, t := range g.texts {
		for i := range len(t) {
			g.bytes[t[i]] += d
		}
	}
}

// built ends a build: the census is let go, and every bitmap takes its smallest form (runs, for
// the grams nearly every document holds).
func (g *engine) built() {
	g.shared, g.atBuild = nil, len(g.codes)
	for _, bms := range [][]*roaring.Bitmap{g.docGram, g.nameGram, g.idGram, g.partGram} {
		for _, bm := range bms {
			if bm != nil {
				bm.RunOptimize()
			}
		}
	}
	for i := range g.parts {
		g.parts[i].docs.RunOptimize()
	}
	for _, codes := range g.facet {
		for _, bm := range codes {
			bm.RunOptimize()
		}
	}
	for _, bm := range g.rank {
		bm.RunOptimize()
	}
	g.all.RunOptimize()
}

// drift is how much the engine has drifted from a fresh build: documents registered since (most
// numbered out of resource-code order; texts they share are each one's own) and parts nothing
// holds.
func (g *engine) drift() int { return len(g.codes) - g.atBuild + g.dead }

// arena holds strings one after the other, in blocks that are replaced when full, never grown,
// so that a string once added never moves.
type arena struct {
	b strings.Builder
}

const arenaBlock = 1 << 16

func (a *arena) add(s string) string {
	if a.b.Cap()-a.b.Len() < len(s) {
		a.b = strings.Builder{}
		a.b.Grow(max(arenaBlock, len(s)))
	}
	start := a.b.Len()
	a.b.WriteString(s)
	return a.b.String()[start:]
}
