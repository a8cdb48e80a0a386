package search

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFoldFinder: the folding finders find a word in a text as stored exactly where the text's
// normalized form holds it, for words with and without ideographs, against texts of upper case,
// full-width forms, blanks and ideographs mixed, whichever rune the prose's byte counts make the
// anchor; its position is where the folded run starts. A finder for the classes of ASCII a text
// holds other than as ASCII (wideIn) finds the same there, as the engine asks it.
func TestFoldFinder(t *testing.T) {
	g := newEngine()
	for _, c := range []struct {
		text, word string
		at         int
	}{
		{"ＰＭ２．５浓度", "pm2.5浓度", 0},
		{"万州区中的PM2.5浓度", "中的pm2.5浓度", len("万州区")},
		{"按日汇总，报送。", "汇总,报送", len("按日")},
		{"COD 排放", "cod", 0},
		{"COD 排放", "d排", -1}, // a blank lies between
		{"水质\u3000监测", "质监", -1},
		{"ab监测AB监测", "b监测ab", 1},
		{"监测", "监测站", -1},
		{"测监测站", "监测站", len("测")},
		{"PM2.5 pm2.5", "m2.5", 1},
		{"温度 \u212a", "k", len("温度 ")},
	} {
		assert.Equal(t, c.at, g.foldFinder(c.word, wideAll)(c.text), "%q in %q", c.word, c.text)
		assert.Equal(t, c.at, g.foldFinder(c.word, wideIn(c.text))(c.text), "%q in %q, as wide as it is", c.word, c.text)
	}

	alphabet := []rune("aAｂＢcC1１.．,，监测水质站 \u3000\t中的浓度")
	r := rand.New(rand.NewPCG(7, 11))
	text := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteRune(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	found, narrow := 0, 0
	for i := range 40000 {
		if i%100 == 0 {
			for b := range g.bytes {
				g.bytes[b] = r.Uint64N(1000)
			}
		}
		s := text(r.IntN(24))
		norm := normalize(s)
		var w string
		if r.IntN(2) == 0 && norm != "" {
			// A piece of the normalized text, cut at a blank: what a query of it looks for.
			runes := []rune(norm)
			i := r.IntN(len(runes))
			j := i + 1 + r.IntN(len(runes)-i)
			pieces := strings.Fields(string(runes[i:j]))
			if len(pieces) == 0 {
				continue
			}
			w = pieces[0]
		} else {
			w = strings.Fields(normalize(text(1+r.IntN(4))) + " x")[0]
		}
		want := strings.Contains(norm, w)
		got := g.foldFinder(w, wideAll)(s)
		if wide := wideIn(s); wide != wideAll {
			narrow++
			require.Equal(t, got, g.foldFinder(w, wide)(s), "%q in %q, as wide as it is (%b)", w, s, wide)
		}
		require.Equal(t, want, got >= 0, "%q in %q (normalized %q)", w, s, norm)
		if got >= 0 {
			found++
			require.True(t, strings.HasPrefix(normalize(s[got:]), w), "%q found at %d of %q", w, got, s)
		}
	}
	assert.Greater(t, found, 10000, "the generated words are found often enough to test the finding")
	assert.Greater(t, narrow, 5000, "texts without every kind of full-width form are generated often enough")
}
