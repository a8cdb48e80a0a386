package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// Text is found by grams. Chinese has no spaces between words and the directory's names are long
// compounds (统一社会信用代码, 地表水国控断面水质监测), so every substring must be findable, not only
// dictionary words. The text is folded (full-width ＰＭ２．５ is PM2.5, upper case is lower case)
// and cut at white space only; each piece is indexed by every rune of it and every two-rune gram
// inside it, ASCII and punctuation included. A query word of one or two runes is then exactly its
// own gram; a longer word has as candidates the texts holding all its grams, which are verified to
// hold the word itself (engine.go).
//
// bleve's cjk analyzer, which the first version of this package was measured against, bigrams
// ideographs only and keeps ASCII words whole, so that a query cutting an ASCII word ("M2.5",
// "5浓度") or a single character inside a word is not found.

// normalize folds width and case and turns every run of white space into one blank.
func normalize(s string) string {
	if normal(s) {
		return s // most text: no copy, and the index shares the catalogue's string
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(fold(r))
	}
	return b.String()
}

// fold is a rune of normalized text: width folded (as width.Fold), then lower case.
func fold(r rune) rune {
	switch {
	case r < utf8.RuneSelf:
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	case cjkFirst <= r && r <= cjkLast:
		return r
	}
	if f := width.LookupRune(r).Folded(); f != 0 {
		r = f
	}
	return unicode.ToLower(r)
}

// The block of CJK unified ideographs.
const cjkFirst, cjkLast = '\u4e00', '\u9fff'

// normal reports whether normalize would return s unchanged.
func normal(s string) bool {
	prev := ' ' // a blank may not start s
	for _, r := range s {
		switch {
		case r == ' ':
			if prev == ' ' {
				return false
			}
		case r < utf8.RuneSelf:
			if ('A' <= r && r <= 'Z') || unicode.IsSpace(r) {
				return false
			}
		case cjkFirst <= r && r <= cjkLast:
			// Most of the text: no case, no width to fold, and the case tables are slow to ask.
		case r == utf8.RuneError || unicode.IsSpace(r) || unicode.ToLower(r) != r || width.LookupRune(r).Folded() != 0:
			return false
		}
		prev = r
	}
	return prev != ' ' || s == ""
}

// gram is a gram as the index keys it: its first rune in the high half, its second rune in the
// low half, or noRune for a gram of one rune. A number, not a string: the build looks up every
// gram of every text, and a map of integers hashes and compares faster.
type gram uint64

const noRune = 0xFFFFFFFF // above every rune

func unigram(r rune) gram     { return gram(uint32(r))<<32 | noRune }
func bigram(r1, r2 rune) gram { return gram(uint32(r1))<<32 | gram(uint32(r2)) }
func (k gram) String() string {
	if uint32(k) == noRune {
		return string(rune(k >> 32))
	}
	return string([]rune{rune(k >> 32), rune(uint32(k))})
}

// textGrams calls fn with every gram of a normalized text: each rune, and each pair of
// consecutive runes within a piece (no gram spans a blank). A gram may come more than once.
func textGrams(norm string, fn func(gram)) {
	prev := rune(-1) // the previous rune of the piece, -1 at a piece's start
	for _, r := range norm {
		if r == ' ' {
			prev = -1
			continue
		}
		fn(unigram(r))
		if prev >= 0 {
			fn(bigram(prev, r))
		}
		prev = r
	}
}

// grams returns the two-rune grams of one normalized word, or the word itself when it is a single
// rune: what a query looks up.
func grams(word string) []gram {
	var out []gram
	prev := rune(-1)
	for _, r := range word {
		if prev >= 0 {
			out = append(out, bigram(prev, r))
		}
		prev = r
	}
	if out == nil && prev >= 0 {
		out = append(out, unigram(prev))
	}
	return out
}
