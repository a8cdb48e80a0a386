package search

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestAnalyzer: pieces are cut at white space only, folded, and become their two-rune grams at
// consecutive positions plus the last rune alone; no gram spans two pieces.
func TestAnalyzer(t *testing.T) {
	type tok struct {
		term string
		pos  int
	}
	var got []tok
	for _, tk := range (grammer{}).Analyze([]byte("ＰＭ2.5浓度\n氧 Ab")) {
		got = append(got, tok{string(tk.Term), tk.Position})
	}
	assert.Equal(t, []tok{
		{"pm", 1}, {"m2", 2}, {"2.", 3}, {".5", 4}, {"5浓", 5}, {"浓度", 6}, {"度", 7},
		{"氧", 9},
		{"ab", 11}, {"b", 12},
	}, got)
	assert.Equal(t, []string{"pm", "m2", "2.", ".5"}, grams("pm2.5"))
	assert.Equal(t, []string{"水"}, grams("水"))
	assert.Equal(t, "pm2.5 浓度", normalize("  ＰＭ２．５\t\n浓度 "))
}
