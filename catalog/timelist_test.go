package catalog

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type timed struct {
	at int // the time key
	id int
}

func timedOrder(a, b *timed) int {
	if c := cmp.Compare(a.at, b.at); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

// TestTimeList: objects added mostly at the end and sometimes before, and replaced by new
// versions at their key or at another, through the short list, its growth into chunks and
// their splits, read back in order both ways, by last and by a time bound, against a sorted
// oracle; every older version reads as it did.
func TestTimeList(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var (
		l      timeList[timed]
		oracle []*timed
	)
	type version struct {
		l    timeList[timed]
		want []*timed
	}
	var versions []version
	check := func(l timeList[timed], want []*timed) {
		t.Helper()
		require.Equal(t, len(want), l.Len())
		assert.Equal(t, want, slices.Collect(l.All()))
		back := slices.Clone(want)
		slices.Reverse(back)
		assert.Equal(t, back, slices.Collect(l.Backward()))
		if len(want) == 0 {
			assert.Nil(t, l.last())
		} else {
			assert.Same(t, want[len(want)-1], l.last())
		}
		for range 5 {
			bound := r.IntN(len(want)*10 + 20)
			var expect *timed
			for _, x := range want {
				if x.at < bound {
					expect = x
				}
			}
			assert.Same(t, expect, l.lastWhere(func(x *timed) bool { return x.at < bound }), "bound %d", bound)
		}
		if l.big != nil {
			assert.Greater(t, l.Len(), timeChunk, "only a long list is chunked")
			for _, c := range l.big.chunks {
				assert.NotEmpty(t, c)
				assert.LessOrEqual(t, len(c), 2*timeChunk)
			}
		}
	}
	check(l, oracle)
	nextID := 0
	for step := range 1500 {
		var old, x *timed
		switch k := r.IntN(10); {
		case k < 7 || len(oracle) == 0: // a new one, at the end
			x = &timed{at: len(oracle)*10 + 5, id: nextID}
		case k < 8: // a new one, late, among the others
			x = &timed{at: r.IntN(len(oracle)*10 + 1), id: nextID}
		case k < 9: // a new version at its key
			old = oracle[r.IntN(len(oracle))]
			x = &timed{at: old.at, id: old.id}
		default: // a new version at another key
			old = oracle[r.IntN(len(oracle))]
			x = &timed{at: r.IntN(len(oracle)*10 + 1), id: old.id}
		}
		nextID++
		next, err := l.placed(old, x, timedOrder)
		require.NoError(t, err, "step %d", step)
		want := slices.Clone(oracle)
		if old != nil {
			want = slices.DeleteFunc(want, func(o *timed) bool { return o == old })
		}
		want = append(want, x)
		slices.SortFunc(want, timedOrder)
		check(next, want)
		if step%100 == 0 {
			versions = append(versions, version{l, oracle})
		}
		l, oracle = next, want
	}
	assert.NotNil(t, l.big, "grew into chunks")
	assert.Greater(t, len(l.big.chunks), 3, "and split them")
	for _, v := range versions {
		check(v.l, v.want)
	}
	// A stale object is refused, and the list left as it was.
	_, err := l.placed(&timed{at: 5, id: 0}, &timed{at: 6, id: 0}, timedOrder)
	assert.Error(t, err)
	// A bulk build reads as the list does.
	built := builtTimeList(slices.Clone(oracle))
	check(built, oracle)
	next, err := built.placed(oracle[3], &timed{at: oracle[3].at, id: oracle[3].id}, timedOrder)
	require.NoError(t, err)
	assert.Equal(t, len(oracle), next.Len())
	check(built, oracle)
}
