package schemas

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIdentShape: the byte loop accepts exactly what ^[a-z][a-z0-9_]{0,62}$ matches, over
// generated strings of identifier bytes, their neighbours and non-ASCII; CheckIdent then refuses
// the reserved words.
func TestIdentShape(t *testing.T) {
	re := regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	for _, s := range []string{"", "a", "pm25", "_a", "9a", "A", "aB", "a-b", "a b", "a\n", "水质",
		strings.Repeat("a", 63), strings.Repeat("a", 64), "a\x00", "z_9", "{", "`", "/", ":"} {
		assert.Equal(t, re.MatchString(s), identShaped(s), "%q", s)
	}
	alphabet := []byte("az09_AZ`{/:@[ -\n\x00\xe6\xb0\xb4")
	r := rand.New(rand.NewPCG(3, 5))
	accepted := 0
	for range 100000 {
		b := make([]byte, r.IntN(70))
		for i := range b {
			if r.IntN(4) == 0 {
				b[i] = alphabet[r.IntN(len(alphabet))]
			} else {
				b[i] = "abcxyz019_"[r.IntN(10)]
			}
		}
		s := string(b)
		require.Equal(t, re.MatchString(s), identShaped(s), "%q", s)
		if identShaped(s) {
			accepted++
		}
	}
	assert.Greater(t, accepted, 1000, "enough generated strings are identifiers to test both ways")
	assert.NoError(t, CheckIdent("pm25"))
	assert.ErrorIs(t, CheckIdent("select"), ErrInvalid)
	assert.ErrorIs(t, CheckIdent("PM25"), ErrInvalid)
}
