package search

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestAnalyzer: text is folded and cut at white space only; its grams are every rune and every
// two runes in a row within a piece, none spanning two pieces.
func TestAnalyzer(t *testing.T) {
	var got []string
	textGrams(normalize("ＰＭ2.5浓度\n氧 Ab"), func(g string) { got = append(got, g) })
	assert.Equal(t, []string{
		"p", "m", "pm", "2", "m2", ".", "2.", "5", ".5", "浓", "5浓", "度", "浓度",
		"氧",
		"a", "b", "ab",
	}, got)
	assert.Equal(t, []string{"pm", "m2", "2.", ".5"}, grams("pm2.5"))
	assert.Equal(t, []string{"水"}, grams("水"))
	assert.Equal(t, "pm2.5 浓度", normalize("  ＰＭ２．５\t\n浓度 "))
	// Text that is already normal is returned as it is; anything else goes the long way.
	for _, s := range []string{"", "水质 pm2.5", "ｱ", "Ａ", "a  b", " a", "a ", "a\tb", "Ω", "\xff", "a\u3000b", "，（）"} {
		assert.Equal(t, normalize(s) == s, normal(s), "%q", s)
	}
}
