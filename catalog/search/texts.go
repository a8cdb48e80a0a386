package search

import (
	"encoding/binary"
	"hash/maphash"
	"slices"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/cqeco/ecolake/catalog"
)

// partRec is a shared part: a text several documents hold, kept once.
type partRec struct {
	text  string   // normalized
	grams []uint32 // distinct gram ids
	docs  *roaring.Bitmap
	used  bool // some document has held it: once empty again, it counts as dead
}

// part returns the id of a shared text, interning it and indexing its grams when new.
func (g *engine) part(text string) uint32 {
	if id, ok := g.partID[text]; ok {
		return id
	}
	id := uint32(len(g.parts))
	text = strings.Clone(text) // not a piece of the entry's memory, which outlives it
	g.partID[text] = id
	grams := slices.Clip(g.gramIDs(text))
	g.parts = append(g.parts, partRec{text: text, grams: grams, docs: roaring.New()})
	for _, gid := range grams {
		bitmapAt(&g.partGram, gid).Add(id)
	}
	return id
}

// docOf is what the engine holds of an entry; it interns the entry's shared parts. Of its own
// texts only those found through v are copied (docRec.extra); the others are read from e.
func (g *engine) docOf(v *catalog.View, e *catalog.Entry) doc {
	name := normalize(e.Name)
	d := doc{code: e.ResourceCode, rank: e.Grade().Rank()}
	var ids []uint32
	var extra []string
	eachPart(v, e, func(p part, viaView bool) {
		text := normalize(p.Text)
		if text == "" || text == name {
			return
		}
		id, ok := g.partID[text]
		switch {
		case ok:
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		case g.shared != nil && g.isShared(text):
			ids = append(ids, g.part(text))
		case viaView:
			if !slices.Contains(extra, text) {
				extra = append(extra, text)
			}
		default: // read from the entry when verified
			if p.Label == labelItemName {
				d.rec.ownNames = true
			}
			if text != p.Text && !p.ident() {
				d.rec.folds = true
				d.rec.wide |= wideIn(p.Text)
			}
		}
	})
	d.rec.name, d.rec.e, d.rec.parts = name, e, g.list(ids)
	d.rec.extra = g.joined(extra)
	d.rec.raw = true
	for _, it := range e.Items.All() {
		for _, s := range [...]string{it.Field, string(it.Type), string(it.Grade), it.PIType, it.CodeList} {
			if !ascii(s) {
				d.rec.raw = false
			}
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

// joined is texts separated by blanks, which no word of a query holds, so that a word found in
// it lies within one text; "" for none.
func (g *engine) joined(texts []string) string {
	if len(texts) == 0 {
		return ""
	}
	b := g.buf[:0]
	for i, t := range texts {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, t...)
	}
	g.buf = b
	return string(b)
}

// list returns ids sorted, as a slice the engine shares among the documents of the same parts
// (entries made from one template hold the same item names).
func (g *engine) list(ids []uint32) []uint32 {
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	b := make([]byte, 0, 4*len(ids))
	for _, id := range ids {
		b = binary.LittleEndian.AppendUint32(b, id)
	}
	k := maphash.Bytes(g.seed, b)
	if l, ok := g.lists[k]; ok && slices.Equal(l, ids) {
		return l
	}
	l := slices.Clone(ids)
	g.lists[k] = l // a collision keeps the later list: both stay correct, one is not shared
	return l
}

// textsOf calls fn with every searchable text of e (partsOf), normalized, the empty ones left
// out, and whether it is an identifier.
func textsOf(v *catalog.View, e *catalog.Entry, fn func(norm string, ident bool)) {
	for _, p := range partsOf(v, e) {
		if t := normalize(p.Text); t != "" {
			fn(t, p.ident())
		}
	}
}

// isShared reports whether the census of a build found text in several entries.
func (g *engine) isShared(text string) bool {
	_, ok := g.shared[maphash.String(g.seed, text)]
	return ok
}

// census returns the hashes (by seed) of the texts other than its name that more than one entry
// of v holds, and the number of entries: what a build keeps as shared parts. It holds a hash per
// text while it runs, a fraction of what a text's record would cost. A collision makes a text
// held by one entry a part: the index holds it one way or the other, the answer is the same.
func census(v *catalog.View, seed maphash.Seed, stop <-chan struct{}) (map[uint64]struct{}, int, error) {
	// Gathered in chunks, then into one slice of the exact size: growing a slice of millions
	// copies it over and over.
	const chunk = 1 << 16
	var chunks [][]uint64
	var mine []uint64
	entries, total := 0, 0
	var err error
	v.EachEntry("", func(e *catalog.Entry) bool {
		if entries%1000 == 0 && stopped(stop) {
			err = ErrClosed
			return false
		}
		entries++
		name := normalize(e.Name)
		mine = mine[:0]
		textsOf(v, e, func(text string, _ bool) {
			if text != name {
				mine = append(mine, maphash.String(seed, text))
			}
		})
		slices.Sort(mine)
		for _, h := range slices.Compact(mine) { // an entry counts once per text
			if len(chunks) == 0 || len(chunks[len(chunks)-1]) == chunk {
				chunks = append(chunks, make([]uint64, 0, chunk))
			}
			chunks[len(chunks)-1] = append(chunks[len(chunks)-1], h)
			total++
		}
		return true
	})
	if err != nil {
		return nil, 0, err
	}
	all := make([]uint64, 0, total)
	for _, c := range chunks {
		all = append(all, c...)
	}
	chunks = nil
	slices.Sort(all)
	shared := map[uint64]struct{}{}
	for i := 1; i < len(all); i++ {
		if all[i] == all[i-1] {
			shared[all[i]] = struct{}{}
		}
	}
	return shared, entries, nil
}

func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}
