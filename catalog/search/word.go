package search

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/RoaringBitmap/roaring/v2"
)

// word returns the documents whose texts, and those whose name, hold a normalized word. A word
// of one or two runes is its gram's bitmaps (the name's being the engine's own, which the caller
// must not change). A longer word is looked for in the documents of within only (the others are of
// no use to the caller), among those holding all its grams:
//
//   - the names holding all its grams are read (one after the other in memory);
//   - the shared parts holding all its grams are read: those holding the word give their
//     documents at once;
//   - the own prose of every other candidate is read;
//   - the identifiers of the documents whose identifiers hold all its grams are read.
func (g *engine) word(w string, within *roaring.Bitmap) (text, name *roaring.Bitmap) {
	ks := grams(w)
	ids := make([]uint32, 0, len(ks))
	for _, k := range ks {
		id, ok := g.gramID[k]
		if !ok {
			return roaring.New(), roaring.New()
		}
		ids = append(ids, id)
	}
	if utf8.RuneCountInString(w) <= 2 {
		return roaring.Or(at(g.docGram, ids[0]), at(g.idGram, ids[0])), at(g.nameGram, ids[0])
	}
	cand, names, idents := []*roaring.Bitmap{within}, []*roaring.Bitmap{}, []*roaring.Bitmap{within}
	for _, id := range ids {
		cand, names = append(cand, at(g.docGram, id)), append(names, at(g.nameGram, id))
		idents = append(idents, at(g.idGram, id))
	}
	candidates := intersect(cand...)
	byName := intersect(append(names, candidates)...)
	viaPart := roaring.And(g.inParts(w, ids), candidates)

	texts, named := newUnion(len(g.codes)), newUnion(len(g.codes))
	byName.Iterate(func(n uint32) bool {
		if strings.Contains(g.docs[n].name, w) {
			named.set(n)
			texts.set(n)
		}
		return true
	})
	find := g.finder(w)
	roaring.AndNot(candidates, viaPart).Iterate(func(n uint32) bool {
		if r := &g.docs[n]; !texts.has(n) && find(r.own[:r.prose]) >= 0 {
			texts.set(n)
		}
		return true
	})
	intersect(idents...).Iterate(func(n uint32) bool {
		if r := &g.docs[n]; !texts.has(n) && strings.Contains(r.own[r.prose:], w) {
			texts.set(n)
		}
		return true
	})
	text = texts.bitmap()
	text.Or(viaPart)
	return text, named.bitmap()
}

// finder returns strings.Index for w, faster in prose: most of the bytes of Chinese text are the
// lead bytes of a few rows of ideographs, where strings.Index looks for w's first byte. It looks
// for the byte of w the documents' prose holds least often instead.
func (g *engine) finder(w string) func(s string) int {
	k := 0
	for i := range len(w) {
		if g.bytes[w[i]] < g.bytes[w[k]] {
			k = i
		}
	}
	c, tail := w[k], len(w)-k-1
	return func(s string) int {
		last := len(s) - tail // past the last place of w[k] in an occurrence
		for i := k; i < last; {
			j := strings.IndexByte(s[i:last], c)
			if j < 0 {
				return -1
			}
			if p := i + j - k; s[p:p+len(w)] == w {
				return p
			}
			i += j + 1
		}
		return -1
	}
}

// inParts is the documents of the shared parts holding w, whose gram ids are ids.
func (g *engine) inParts(w string, ids []uint32) *roaring.Bitmap {
	bms := make([]*roaring.Bitmap, 0, len(ids))
	for _, id := range ids {
		if int(id) >= len(g.partGram) || g.partGram[id] == nil {
			return roaring.New()
		}
		bms = append(bms, g.partGram[id])
	}
	var docs []*roaring.Bitmap
	intersect(bms...).Iterate(func(id uint32) bool {
		if p := &g.parts[id]; strings.Contains(p.text, w) {
			docs = append(docs, p.docs)
		}
		return true
	})
	return roaring.FastOr(docs...)
}

// union gathers documents as bits of a dense set of every document number, turned into a bitmap
// once: cheaper than adding them to a bitmap one by one.
type union struct {
	dense []uint64
}

func newUnion(docs int) union { return union{dense: make([]uint64, (docs+63)/64)} }

func (u *union) set(n uint32) { u.dense[n/64] |= 1 << (n % 64) }

func (u *union) has(n uint32) bool { return u.dense[n/64]&(1<<(n%64)) != 0 }

func (u *union) bitmap() *roaring.Bitmap { return roaring.FromDense(u.dense, false) }

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
