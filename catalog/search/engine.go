package search

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/cqeco/ecolake/catalog"
)

// engine is the index in memory: roaring bitmaps of document numbers, so that a search, its
// total and its facet counts are intersections and cardinalities of bitmaps, never a visit of
// every match. An entry is a document number; its searchable text is a set of parts (its name,
// abstract, every item name …, normalized), interned: an item name that a thousand entries share
// is one part.
//
//   - docGram and nameGram hold, by gram (analysis.go: every rune and every two-rune gram of a
//     piece), the documents whose text, or name, holds it: a word of one or two runes is one
//     lookup, exact.
//   - partGram holds, by gram, the parts that hold it: a longer word is the intersection of its
//     grams' parts, each verified to hold the word (strings.Contains on a short string), and
//     then the union of the documents of the parts that do; so that every total is exact.
//   - facet and rank hold the documents of each code and of each grade rank: the principal's
//     scope (catalog.SearchScope) and the filters are unions and intersections of them.
//
// Documents [0, sorted) are numbered in resource-code order, so that a page in that order is
// read off a bitmap from the cursor on; documents registered since are numbered after them, in
// no order, and sorted when a page needs them (Index.follow rebuilds the engine when they grow
// many). An engine is not safe for concurrent use: Index guards it.
type engine struct {
	gramID   map[string]uint32
	docGram  []*roaring.Bitmap // by gram id
	nameGram []*roaring.Bitmap // by gram id
	partGram []*roaring.Bitmap // by gram id

	partID map[string]uint32
	parts  []partRec
	dead   int             // parts no document holds any more
	arena  strings.Builder // the parts' texts, one after the other (text)

	codes  []string // resource code by document number
	docNo  map[string]uint32
	docs   []docRec
	sorted int

	facet map[string]map[string]*roaring.Bitmap // facet → code → documents
	rank  map[int]*roaring.Bitmap               // grade rank → documents
	all   *roaring.Bitmap

	stamp []uint64 // by gram id: the gen of the last gramsOf that met it, to skip repeats
	gen   uint64
}

type partRec struct {
	text  string   // normalized
	grams []uint32 // distinct gram ids, kept once a second document holds the part (gramsOf)
	docs  posting  // documents whose text holds the part
	names posting  // documents whose name is the part
	used  bool
}

type docRec struct {
	name   uint32            // part id of the name
	parts  []uint32          // distinct part ids, the name's included
	facets []*roaring.Bitmap // the facet bitmaps the document is in
	rank   int
}

// doc is an entry as the engine takes it: its resource code, text and codes.
type doc struct {
	code  string
	name  uint32
	parts []uint32
	terms [][2]string // facet, code
	rank  int
}

func newEngine() *engine {
	return &engine{
		gramID: map[string]uint32{}, partID: map[string]uint32{}, docNo: map[string]uint32{},
		facet: map[string]map[string]*roaring.Bitmap{}, rank: map[int]*roaring.Bitmap{}, all: roaring.New(),
	}
}

// docOf is what the engine holds of an entry; it interns the entry's parts.
func (g *engine) docOf(v *catalog.View, e *catalog.Entry) doc {
	d := doc{code: e.ResourceCode, rank: e.Grade().Rank(), name: g.part(normalize(e.Name))}
	for _, p := range partsOf(v, e) {
		if id := g.part(normalize(p.Text)); !slices.Contains(d.parts, id) {
			d.parts = append(d.parts, id)
		}
	}
	codes := codesOf(e)
	for _, f := range facets {
		for _, c := range codes[f.name] {
			d.terms = append(d.terms, [2]string{f.name, c})
		}
	}
	return d
}

// part returns the id of a normalized text, interning it and indexing its grams when new.
func (g *engine) part(text string) uint32 {
	if id, ok := g.partID[text]; ok {
		return id
	}
	id := uint32(len(g.parts))
	text = g.text(text)
	g.partID[text] = id
	g.parts = append(g.parts, partRec{text: text})
	for _, gid := range g.gramsOf(id) {
		bitmapAt(&g.partGram, gid).Add(id)
	}
	return id
}

// arenaSize is the size of one block of the parts' texts.
const arenaSize = 1 << 20

// text returns a copy of s in the arena: the texts a search verifies lie next to each other in
// the order of their ids, which a search visits them in, rather than all over the heap. The copy
// is a part of the arena's string, never moved: a block is replaced when full, not grown.
func (g *engine) text(s string) string {
	if g.arena.Cap()-g.arena.Len() < len(s) {
		g.arena = strings.Builder{}
		g.arena.Grow(max(arenaSize, len(s)))
	}
	start := g.arena.Len()
	g.arena.WriteString(s)
	return g.arena.String()[start:]
}

// gramsOf returns the distinct gram ids of part id. Most parts (names, abstracts) belong to one
// document: their grams are found again from the text when needed rather than kept.
func (g *engine) gramsOf(id uint32) []uint32 {
	p := &g.parts[id]
	if p.grams != nil {
		return p.grams
	}
	ids := make([]uint32, 0, len(p.text)/2)
	g.gen++
	textGrams(p.text, func(gram string) {
		if gid := g.gram(gram); g.stamp[gid] != g.gen {
			g.stamp[gid] = g.gen
			ids = append(ids, gid)
		}
	})
	if p.docs.many != nil {
		p.grams = slices.Clip(ids)
	}
	return ids
}

func (g *engine) gram(s string) uint32 {
	if id, ok := g.gramID[s]; ok {
		return id
	}
	id := uint32(len(g.gramID))
	g.gramID[strings.Clone(s)] = id
	g.stamp = append(g.stamp, 0)
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
	n, ok := g.docNo[d.code]
	if ok {
		g.remove(n)
	} else {
		n = uint32(len(g.codes))
		g.docNo[d.code] = n
		g.codes = append(g.codes, d.code)
		g.docs = append(g.docs, docRec{})
	}
	g.add(n, d)
}

// add indexes d as document n, which holds nothing.
func (g *engine) add(n uint32, d doc) {
	r := docRec{name: d.name, parts: d.parts, rank: d.rank}
	for _, id := range d.parts {
		p := &g.parts[id]
		if p.docs.empty() && p.used {
			g.dead--
		}
		p.docs.add(n)
		for _, gid := range g.gramsOf(id) {
			bitmapAt(&g.docGram, gid).Add(n) // a gram of several parts: Add is idempotent
		}
		p.used = true
	}
	g.parts[d.name].names.add(n)
	for _, gid := range g.gramsOf(d.name) {
		bitmapAt(&g.nameGram, gid).Add(n)
	}
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
		r.facets = append(r.facets, bm)
	}
	if g.rank[d.rank] == nil {
		g.rank[d.rank] = roaring.New()
	}
	g.rank[d.rank].Add(n)
	g.all.Add(n)
	g.docs[n] = r
}

// remove takes document n out of every bitmap; its number stays its resource code's.
func (g *engine) remove(n uint32) {
	r := g.docs[n]
	for _, id := range r.parts {
		p := &g.parts[id]
		p.docs.remove(n)
		if p.docs.empty() {
			g.dead++
		}
		for _, gid := range g.gramsOf(id) {
			g.docGram[gid].Remove(n)
		}
	}
	g.parts[r.name].names.remove(n)
	for _, gid := range g.gramsOf(r.name) {
		g.nameGram[gid].Remove(n)
	}
	for _, bm := range r.facets {
		bm.Remove(n)
	}
	g.rank[r.rank].Remove(n)
	g.all.Remove(n)
	g.docs[n] = docRec{}
}

// build indexes docs, all new, numbering them in resource-code order.
func (g *engine) build(docs []doc) {
	slices.SortFunc(docs, func(a, b doc) int { return strings.Compare(a.code, b.code) })
	for _, d := range docs {
		g.put(d)
	}
	g.sorted = len(g.codes)
}

// unsorted is how much the engine has drifted from a fresh build: documents numbered out of
// resource-code order and parts nothing holds.
func (g *engine) unsorted() int { return len(g.codes) - g.sorted + g.dead }

// posting is the documents of a part: most parts (names, abstracts) belong to one document, which
// a bitmap would hold at many times the cost.
type posting struct {
	many *roaring.Bitmap // when it ever held more than one
	one  uint32
	has  bool
}

func (p *posting) add(n uint32) {
	switch {
	case p.many != nil:
		p.many.Add(n)
	case !p.has:
		p.one, p.has = n, true
	case p.one != n:
		p.many, p.has = roaring.BitmapOf(p.one, n), false
	}
}

func (p *posting) remove(n uint32) {
	switch {
	case p.many != nil:
		p.many.Remove(n)
	case p.has && p.one == n:
		p.has = false
	}
}

func (p *posting) empty() bool {
	if p.many != nil {
		return p.many.IsEmpty()
	}
	return !p.has
}

// union gathers postings into one bitmap as bits of a dense set of every document number:
// merging thousands of small bitmaps costs more, and the set answers at once whether a posting
// of one document adds anything (holds).
type union struct {
	dense []uint64
}

func newUnion(docs int) union { return union{dense: make([]uint64, (docs+63)/64)} }

func (u *union) set(n uint32) { u.dense[n/64] |= 1 << (n % 64) }

func (u *union) add(p *posting) {
	switch {
	case p.many != nil:
		p.many.Iterate(func(n uint32) bool { u.set(n); return true })
	case p.has:
		u.set(p.one)
	}
}

// holds reports whether the union holds every document of p already: only a posting of one
// document is looked at, the others answer false.
func (u *union) holds(p *posting) bool {
	return p.many == nil && (!p.has || u.dense[p.one/64]&(1<<(p.one%64)) != 0)
}

func (u *union) bitmap() *roaring.Bitmap { return roaring.FromDense(u.dense, false) }

// word returns the documents whose text, and those whose name, holds a normalized word: the
// engine's own bitmaps for a gram, which the caller must not change.
func (g *engine) word(w string) (text, name *roaring.Bitmap) {
	if utf8.RuneCountInString(w) <= 2 {
		id, ok := g.gramID[w]
		if !ok {
			return roaring.New(), roaring.New()
		}
		return at(g.docGram, id), at(g.nameGram, id)
	}
	var bms []*roaring.Bitmap
	for _, gram := range grams(w) {
		id, ok := g.gramID[gram]
		if !ok || int(id) >= len(g.partGram) || g.partGram[id] == nil {
			return roaring.New(), roaring.New()
		}
		bms = append(bms, g.partGram[id])
	}
	texts, names := newUnion(len(g.codes)), newUnion(len(g.codes))
	intersect(bms...).Iterate(func(id uint32) bool {
		p := &g.parts[id]
		// A part adds nothing when its documents are in the union already, as the many parts
		// of one document (its items' descriptions) are once one of them matched: its text need
		// not be read.
		if texts.holds(&p.docs) && names.holds(&p.names) {
			return true
		}
		if strings.Contains(p.text, w) {
			texts.add(&p.docs)
			names.add(&p.names)
		}
		return true
	})
	return texts.bitmap(), names.bitmap()
}

func at(s []*roaring.Bitmap, id uint32) *roaring.Bitmap {
	if int(id) >= len(s) || s[id] == nil {
		return roaring.New()
	}
	return s[id]
}

// intersect is the intersection of bms, a new bitmap, the smallest taken first.
func intersect(bms ...*roaring.Bitmap) *roaring.Bitmap {
	if len(bms) == 0 {
		return roaring.New()
	}
	slices.SortFunc(bms, func(a, b *roaring.Bitmap) int {
		return int(a.GetCardinality()) - int(b.GetCardinality())
	})
	return roaring.FastAnd(bms...)
}
