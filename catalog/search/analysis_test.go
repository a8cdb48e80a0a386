package search

import (
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"golang.org/x/text/width"
)

// TestAnalyzer: text is folded and cut at white space only; its grams are every rune and every
// two runes in a row within a piece, none spanning two pieces.
func TestAnalyzer(t *testing.T) {
	var got []string
	textGrams(normalize("ＰＭ2.5浓度\n氧 Ab"), func(g gram) { got = append(got, g.String()) })
	assert.Equal(t, []string{
		"p", "m", "pm", "2", "m2", ".", "2.", "5", ".5", "浓", "5浓", "度", "浓度",
		"氧",
		"a", "b", "ab",
	}, got)
	assert.Equal(t, []string{"pm", "m2", "2.", ".5"}, gramStrings(grams("pm2.5")))
	assert.Equal(t, []string{"水"}, gramStrings(grams("水")))
	assert.Equal(t, []string{"水质"}, gramStrings(grams("水质")))
	assert.Empty(t, grams(""))
	assert.Equal(t, "pm2.5 浓度", normalize("  ＰＭ２．５\t\n浓度 "))
	// Text that is already normal is returned as it is; anything else goes the long way.
	for _, s := range []string{"", "水质 pm2.5", "ｱ", "Ａ", "a  b", " a", "a ", "a\tb", "Ω", "\xff", "a\u3000b", "，（）"} {
		assert.Equal(t, normalize(s) == s, normal(s), "%q", s)
	}
	// normalize folds rune by rune as width.Fold does the whole string.
	var all []rune
	for r := rune(0); r < 0x3100; r++ {
		all = append(all, r)
	}
	for r := rune(0xfe00); r <= 0xffff; r++ {
		all = append(all, r)
	}
	for _, s := range []string{string(all), "ＰＭ２．５ ｱｲｳ Ａｂｃ \xff\xfe 水　质", "地表水国控断面，（按日）"} {
		assert.Equal(t, foldWhole(s), normalize(s), "%q", s)
	}
	// normal takes CJK ideographs without asking the tables: they must agree.
	for r := cjkFirst; r <= cjkLast; r++ {
		if unicode.ToLower(r) != r || width.LookupRune(r).Folded() != 0 || unicode.IsSpace(r) {
			t.Fatalf("%q changes when normalized", r)
		}
	}
}

func gramStrings(gs []gram) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.String())
	}
	return out
}

// foldWhole is normalize as it was first written: the whole string folded by width.Fold.
func foldWhole(s string) string {
	var b strings.Builder
	space := false
	for _, r := range width.Fold.String(s) {
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
