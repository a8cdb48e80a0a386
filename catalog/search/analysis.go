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
	s = width.Fold.String(s)
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
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

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
		case r == utf8.RuneError || unicode.IsSpace(r) || unicode.ToLower(r) != r || width.LookupRune(r).Folded() != 0:
			return false
		}
		prev = r
	}
	return prev != ' ' || s == ""
}

// textGrams calls fn with every gram of a normalized text: each rune, and each pair of
// consecutive runes within a piece (no gram spans a blank). A gram may come more than once.
func textGrams(norm string, fn func(gram string)) {
	prev := -1 // start of the previous rune of the piece, -1 at a piece's start
	for i, r := range norm {
		if r == ' ' {
			prev = -1
			continue
		}
		n := utf8.RuneLen(r) // normalize wrote every rune, so the text is valid UTF-8
		fn(norm[i : i+n])
		if prev >= 0 {
			fn(norm[prev : i+n])
		}
		prev = i
	}
}

// grams returns the two-rune grams of one normalized word, or the word itself when it is a single
// rune: what a query looks up.
func grams(word string) []string {
	if utf8.RuneCountInString(word) < 2 {
		return []string{word}
	}
	var out []string
	for i := 0; i < len(word); {
		_, n1 := utf8.DecodeRuneInString(word[i:])
		j := i + n1
		if j >= len(word) {
			break
		}
		_, n2 := utf8.DecodeRuneInString(word[j:])
		out = append(out, word[i:j+n2])
		i = j
	}
	return out
}
