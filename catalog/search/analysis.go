package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
	"golang.org/x/text/width"
)

// gramAnalyzer is the analyzer of the text fields. Chinese has no spaces between words and the
// directory's names are long compounds (统一社会信用代码, 地表水国控断面水质监测), so every substring
// must be findable, not only dictionary words. The text is folded (full-width ＰＭ２．５ is
// PM2.5, upper case is lower case) and cut at white space only; each piece becomes its overlapping
// two-rune grams at consecutive positions, ASCII and punctuation included, plus its last rune alone.
// A query word of two runes or more is then the phrase of its own grams (an exact substring of
// one piece), and a single rune is the prefix of a gram (the last rune alone covers a piece's end).
//
// bleve's own cjk analyzer was measured against this on the generated directory of the tests
// (recall_test.go): it bigrams ideographs only and keeps ASCII words whole, so a query cutting an
// ASCII word ("M2.5", "5浓度") or a single character inside a word is not found.
const gramAnalyzer = "ecolake_gram"

func init() {
	err := registry.RegisterAnalyzer(gramAnalyzer, func(map[string]any, *registry.Cache) (analysis.Analyzer, error) {
		return grammer{}, nil
	})
	if err != nil {
		panic(err)
	}
}

type grammer struct{}

func (grammer) Analyze(input []byte) analysis.TokenStream {
	norm := []byte(normalize(string(input)))
	out := make(analysis.TokenStream, 0, len(norm)/2)
	pos := 1
	for start := 0; start < len(norm); {
		// pieces are separated by white space, which normalize turned into plain blanks
		for start < len(norm) && norm[start] == ' ' {
			start++
		}
		end := start
		for end < len(norm) && norm[end] != ' ' {
			end++
		}
		if end > start {
			out, pos = appendGrams(out, norm, start, end, pos)
		}
		start = end
	}
	return out
}

// appendGrams adds the grams of norm[start:end] from position pos and returns the position the
// next piece starts at, one past a gap so that no phrase spans two pieces.
func appendGrams(out analysis.TokenStream, norm []byte, start, end, pos int) (analysis.TokenStream, int) {
	for i := start; i < end; {
		_, n1 := utf8.DecodeRune(norm[i:end])
		j := i + n1
		if j >= end {
			out = append(out, &analysis.Token{Term: norm[i:j:j], Start: i, End: j, Position: pos, Type: analysis.Single})
			return out, pos + 2
		}
		_, n2 := utf8.DecodeRune(norm[j:end])
		out = append(out, &analysis.Token{Term: norm[i : j+n2 : j+n2], Start: i, End: j + n2, Position: pos, Type: analysis.Double})
		pos++
		i = j
	}
	return out, pos + 1
}

// normalize folds width and case and turns every run of white space into one blank.
func normalize(s string) string {
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
