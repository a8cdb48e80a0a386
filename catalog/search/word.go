package search

import (
	"iter"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/RoaringBitmap/roaring/v2"
)

// verifyBudget bounds the bytes of documents' own prose one search reads to verify its longer
// words (proseHolds), a few milliseconds of reading: a word whose grams every document holds would
// otherwise cost a read of all of them, in proportion to the directory. Documents past the bound
// stay unsure: the page verifies those it shows (pageBudget), the total counts the verified ones
// (a lower bound) and says so.
var verifyBudget = 16 << 20

// pageBudget bounds the bytes one page reads to verify the unsure documents it reaches.
var pageBudget = 8 << 20

// verifyCost is what reading a document costs the budget besides its bytes.
const verifyCost = 64

// word returns the documents whose texts, and those whose name, hold a normalized word, and
// those not verified for want of budget (unsure). A word of one or two runes is its gram's
// bitmaps (the name's being the engine's own, which the caller must not change). A longer word
// is looked for in the documents of within only (the others are of no use to the caller), among
// those holding all its grams:
//
//   - the names holding all its grams are read (one after the other in memory);
//   - the shared parts holding all its grams are read: those holding the word give their
//     documents at once;
//   - the own prose of every other candidate is read, in document order, while *budget lasts
//     (each read takes the bytes read); the candidates left are unsure;
//   - the identifiers of the documents whose identifiers hold all its grams are read.
func (g *engine) word(w string, within *roaring.Bitmap, budget *int) (text, name, unsure *roaring.Bitmap) {
	ks := grams(w)
	ids := make([]uint32, 0, len(ks))
	for _, k := range ks {
		id, ok := g.gramID[k]
		if !ok {
			return roaring.New(), roaring.New(), roaring.New()
		}
		ids = append(ids, id)
	}
	if utf8.RuneCountInString(w) <= 2 {
		return roaring.Or(at(g.docGram, ids[0]), at(g.idGram, ids[0])), at(g.nameGram, ids[0]), roaring.New()
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
	find := g.finders(w)
	ideographs := ideographic(w)
	prose := roaring.AndNot(candidates, viaPart)
	stop, cut := uint32(0), false
	prose.Iterate(func(n uint32) bool {
		if texts.has(n) {
			return true
		}
		if *budget <= 0 {
			stop, cut = n, true
			return false
		}
		if proseHolds(&g.docs[n], w, ideographs, find, budget) {
			texts.set(n)
		}
		return true
	})
	intersect(idents...).Iterate(func(n uint32) bool {
		if r := &g.docs[n]; !texts.has(n) && r.e != nil && identHolds(r, w) {
			texts.set(n)
		}
		return true
	})
	text = texts.bitmap()
	text.Or(viaPart)
	unsure = roaring.New()
	if cut {
		unsure = prose
		unsure.RemoveRange(0, uint64(stop))
		unsure.AndNot(text)
	}
	return text, named.bitmap(), unsure
}

// identHolds reports whether the resource code or table of document r holds w.
func identHolds(r *docRec, w string) bool {
	return strings.Contains(normalize(r.e.ResourceCode), w) || strings.Contains(normalize(r.e.Table), w)
}

// holds reports whether document n holds the normalized word w anywhere word looks: what a page
// asks of an unsure document, with w's finders, made once for the page. The bytes of prose read
// are taken from *budget.
func (g *engine) holds(n uint32, w string, finders *wordFinders, budget *int) bool {
	ks := grams(w)
	if len(ks) == 0 {
		return false
	}
	if utf8.RuneCountInString(w) <= 2 {
		id, ok := g.gramID[ks[0]]
		return ok && (at(g.docGram, id).Contains(n) || at(g.idGram, id).Contains(n))
	}
	r := &g.docs[n]
	if strings.Contains(r.name, w) {
		return true
	}
	for _, id := range r.parts {
		if strings.Contains(g.parts[id].text, w) {
			return true
		}
	}
	return proseHolds(r, w, ideographic(w), finders, budget) || r.e != nil && identHolds(r, w)
}

// proseHolds reports whether a prose text of document r holds the normalized word w, whose
// ideographs tells whether it is made of CJK ideographs alone; find is its finders. What it reads
// (bytes, and verifyCost) is taken from *budget. Every prose text of the entry is read, shared
// parts included: a document whose part holds w is found through the part anyway.
//
// The entry's texts are read as stored: by the plain finder when normalizing changes none of
// them, else by the folding one (docRec.folds). The items are read packed, at the speed of
// memory: a word of ideographs found there lies within a name or a description (docRec.raw);
// any other word found there may lie in an item's field or code, or across two strings, and the
// names and descriptions are then read one by one.
func proseHolds(r *docRec, w string, ideographs bool, finders *wordFinders, budget *int) bool {
	e := r.e
	if e == nil {
		return false
	}
	*budget -= verifyCost
	if r.extra != "" { // normalized
		*budget -= len(r.extra)
		if finders.plain(r.extra) >= 0 {
			return true
		}
	}
	find := finders.plain
	if r.folds {
		find = finders.folding(r.wide)
	}
	in := func(s string) bool {
		*budget -= len(s)
		return find(s) >= 0
	}
	if in(e.Abstract) || in(e.ProviderName) || slices.ContainsFunc(e.BusinessItems, in) || slices.ContainsFunc(e.Scenes, in) {
		return true
	}
	// The shape holds the items' names (and fields, codes, ranges): read only when some name is
	// the document's own, not a shared part found through the part.
	shape, descs := e.Items.Texts()
	atShape, atDesc := -1, -1
	if r.ownNames {
		*budget -= len(shape)
		atShape = find(shape)
	}
	*budget -= len(descs)
	atDesc = find(descs)
	if atShape < 0 && atDesc < 0 {
		return false
	}
	if ideographs && r.raw {
		return true
	}
	// at is where the first run found in its string starts, or before it (foldFinder): a name
	// or description ending there holds none.
	within := func(texts iter.Seq2[int, string], at int) bool {
		if at < 0 {
			return false
		}
		for off, text := range texts {
			if off+len(text) > at && find(text) >= 0 {
				return true
			}
		}
		return false
	}
	return within(e.Items.Descriptions(), atDesc) || within(e.Items.Names(), atShape)
}

// wordFinders are a word's finders: in normalized text, or in text as stored that normalizing
// does not change (finder), and in the normalized form of text as stored (foldFinder), one for
// each set of ASCII classes the text may hold other than as ASCII, made when first asked.
type wordFinders struct {
	plain   func(string) int
	folding func(wide uint8) func(string) int
}

func (g *engine) finders(w string) *wordFinders {
	plain := g.finder(w)
	if ideographic(w) {
		// Only an ideograph folds into itself: a text holds w folded where it holds w.
		return &wordFinders{plain: plain, folding: func(uint8) func(string) int { return plain }}
	}
	var folded [wideAll + 1]func(string) int
	return &wordFinders{plain: plain, folding: func(wide uint8) func(string) int {
		if folded[wide] == nil {
			folded[wide] = g.foldFinder(w, wide)
		}
		return folded[wide]
	}}
}

// ideographic reports whether w is made of CJK ideographs alone (analysis.go's range).
func ideographic(w string) bool {
	for _, r := range w {
		if r < cjkFirst || r > cjkLast {
			return false
		}
	}
	return w != ""
}

// ascii reports whether s is ASCII alone.
func ascii(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
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

// foldFinder returns a find for w in a text's normalized form, reading the text as stored: a
// document whose own texts normalizing changes (docRec.folds) is verified without a normalized
// copy of them. normalize folds rune by rune and w holds no blank, so a text's normalized form
// holds w exactly where a run of the text's runes, folded, is w. It returns where in s the run
// starts, or -1.
//
// The finder looks for one rune of w (the anchor) by a byte the documents' prose holds rarely (as
// finder does), and compares the runes around it folded. Only an ideograph of w folds from itself
// alone, in any text. In texts that hold no rune outside ASCII folding into the class of an ASCII
// rune of w (wide: the classes they do, docRec.wide), that rune is also found as its byte, or a
// letter as one of its two cases' bytes. A word without an anchor is compared at every rune.
func (g *engine) foldFinder(w string, wide uint8) func(s string) int {
	runes := []rune(w)
	k, off := -1, 0 // the anchor, runes[k], is looked for by its byte at off
	var bytes [2]byte
	cost := ^uint64(0)
	var enc [utf8.UTFMax]byte
	for i, r := range runes {
		switch {
		case cjkFirst <= r && r <= cjkLast:
			n := utf8.EncodeRune(enc[:], r)
			for j := range n {
				if c := g.bytes[enc[j]]; c < cost {
					k, off, cost, bytes = i, j, c, [2]byte{enc[j], enc[j]}
				}
			}
		case r < utf8.RuneSelf && asciiClass(r)&wide == 0:
			lo, up := byte(r), byte(r)
			if 'a' <= r && r <= 'z' {
				up = byte(r - 'a' + 'A')
			}
			c := g.bytes[lo]
			if up != lo {
				c += g.bytes[up]
			}
			if c < cost {
				k, off, cost, bytes = i, 0, c, [2]byte{lo, up}
			}
		}
	}
	if k < 0 {
		return func(s string) int {
			for i := 0; i < len(s); {
				if foldedAt(s, i, runes) {
					return i
				}
				_, n := utf8.DecodeRuneInString(s[i:])
				i += n
			}
			return -1
		}
	}
	before := runes[:k]
	return func(s string) int {
		hits := byteHits{s: s, b: bytes, at: [2]int{-2, -2}}
		for i := off; ; {
			j := hits.next(i)
			if j < 0 {
				return -1
			}
			p := j - off // where the anchor would start
			if p >= 0 && foldedAt(s, p, runes[k:]) {
				if start, ok := foldedBefore(s, p, before); ok {
					return start
				}
			}
			i = j + 1
		}
	}
}

// byteHits finds the places of either of two bytes (the same byte twice for one) in s, in
// order, with one IndexByte at a time of each.
type byteHits struct {
	s  string
	b  [2]byte
	at [2]int // each byte's next place at or after the last asked, -1 when none is left; -2 not looked for
}

// next is the first place at or after i of either byte, or -1.
func (h *byteHits) next(i int) int {
	if i >= len(h.s) {
		return -1
	}
	n := 2
	if h.b[0] == h.b[1] {
		n = 1
	}
	best := -1
	for x := range n {
		if h.at[x] == -2 || (h.at[x] >= 0 && h.at[x] < i) {
			h.at[x] = -1
			if j := strings.IndexByte(h.s[i:], h.b[x]); j >= 0 {
				h.at[x] = i + j
			}
		}
		if h.at[x] >= 0 && (best < 0 || h.at[x] < best) {
			best = h.at[x]
		}
	}
	return best
}

// The classes of ASCII runes that runes outside ASCII fold into (docRec.wide): Chinese prose holds
// full-width punctuation (，：；), seldom full-width letters or digits.
const (
	wideLetter uint8 = 1 << iota
	wideDigit
	widePunct
	wideAll = wideLetter | wideDigit | widePunct
)

func asciiClass(r rune) uint8 {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
		return wideLetter
	case '0' <= r && r <= '9':
		return wideDigit
	}
	return widePunct
}

// wideIn is the classes of ASCII runes that runes of s outside ASCII fold into (full-width
// forms, the Kelvin sign).
func wideIn(s string) uint8 {
	var wide uint8
	for _, r := range s {
		if r >= utf8.RuneSelf {
			if f := fold(r); f < utf8.RuneSelf {
				wide |= asciiClass(f)
			}
		}
	}
	return wide
}

// foldedAt reports whether the runes of s from byte i on, folded, begin with runes.
func foldedAt(s string, i int, runes []rune) bool {
	for _, want := range runes {
		if i >= len(s) {
			return false
		}
		r, n := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(s[i:])
		}
		if fold(r) != want {
			return false
		}
		i += n
	}
	return true
}

// foldedBefore reports whether the runes of s before byte i, folded, end with runes, and where
// they start.
func foldedBefore(s string, i int, runes []rune) (int, bool) {
	for k := len(runes) - 1; k >= 0; k-- {
		if i <= 0 {
			return 0, false
		}
		r, n := utf8.DecodeLastRuneInString(s[:i])
		if fold(r) != runes[k] {
			return 0, false
		}
		i -= n
	}
	return i, true
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
