package chunked

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

// TestList: objects added mostly at the end and sometimes before, replaced by new versions at
// their key or at another, and removed, through the short list, its growth into chunks and their
// splits, read back in order both ways, by last, by a bound and by key, against a sorted oracle;
// every older version reads as it did.
func TestList(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var (
		l      List[timed]
		oracle []*timed
	)
	type version struct {
		l    List[timed]
		want []*timed
	}
	var versions []version
	check := func(l List[timed], want []*timed) {
		t.Helper()
		require.Equal(t, len(want), l.Len())
		want = append([]*timed{}, want...)
		assert.Equal(t, want, append([]*timed{}, slices.Collect(l.All())...))
		back := slices.Clone(want)
		slices.Reverse(back)
		assert.Equal(t, back, append([]*timed{}, slices.Collect(l.Backward())...))
		if len(want) == 0 {
			assert.Nil(t, l.Last())
			assert.Nil(t, l.First())
		} else {
			assert.Same(t, want[len(want)-1], l.Last())
			assert.Same(t, want[0], l.First())
		}
		for range 5 {
			bound := r.IntN(len(want)*10 + 20)
			var expect *timed
			for _, x := range want {
				if x.at < bound {
					expect = x
				}
			}
			assert.Same(t, expect, l.LastWhere(func(x *timed) bool { return x.at < bound }), "bound %d", bound)
		}
		for range 5 { // by key: one listed, and one that is not
			if len(want) > 0 {
				x := want[r.IntN(len(want))]
				assert.Same(t, x, l.Find(func(y *timed) int { return timedOrder(y, x) }))
			}
			absent := &timed{at: r.IntN(len(want)*10 + 20), id: -1}
			assert.Nil(t, l.Find(func(y *timed) int { return timedOrder(y, absent) }))
		}
		if l.big != nil {
			assert.Greater(t, l.Len(), Chunk, "only a long list is chunked")
			short := 0
			for _, c := range l.big.chunks {
				assert.NotEmpty(t, c)
				assert.LessOrEqual(t, len(c), 2*Chunk)
				if len(c) < Chunk/2 {
					short++
				}
			}
			assert.LessOrEqual(t, short, 1, "removals merge the chunks they leave short")
		}
	}
	check(l, oracle)
	nextID := 0
	for step := range 1500 {
		var old, x *timed
		switch k := r.IntN(12); {
		case k < 7 || len(oracle) == 0: // a new one, at the end
			x = &timed{at: len(oracle)*10 + 5, id: nextID}
		case k < 8: // a new one, late, among the others
			x = &timed{at: r.IntN(len(oracle)*10 + 1), id: nextID}
		case k < 9: // a new version at its key
			old = oracle[r.IntN(len(oracle))]
			x = &timed{at: old.at, id: old.id}
		case k < 11: // one removed
			old = oracle[r.IntN(len(oracle))]
		default: // a new version at another key
			old = oracle[r.IntN(len(oracle))]
			x = &timed{at: r.IntN(len(oracle)*10 + 1), id: old.id}
		}
		nextID++
		next, err := l.Placed(old, x, timedOrder)
		require.NoError(t, err, "step %d", step)
		want := slices.Clone(oracle)
		if old != nil {
			want = slices.DeleteFunc(want, func(o *timed) bool { return o == old })
		}
		if x != nil {
			want = append(want, x)
		}
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
	_, err := l.Placed(&timed{at: 5, id: 0}, &timed{at: 6, id: 0}, timedOrder)
	assert.ErrorIs(t, err, ErrNotListed)
	_, err = List[timed]{}.Placed(&timed{}, nil, timedOrder)
	assert.ErrorIs(t, err, ErrNotListed, "nothing is listed in an empty list")
	// A bulk build reads as the list does.
	built := Built(slices.Clone(oracle))
	check(built, oracle)
	next, err := built.Placed(oracle[3], &timed{at: oracle[3].at, id: oracle[3].id}, timedOrder)
	require.NoError(t, err)
	assert.Equal(t, len(oracle), next.Len())
	check(built, oracle)
	// Removed one by one in random order, down to the short list and to nothing.
	remaining := slices.Clone(oracle)
	for i, k := range r.Perm(len(oracle)) {
		victim := built.Find(func(y *timed) int { return timedOrder(y, oracle[k]) })
		require.Same(t, oracle[k], victim)
		built, err = built.Placed(victim, nil, timedOrder)
		require.NoError(t, err)
		remaining = slices.DeleteFunc(remaining, func(o *timed) bool { return o == victim })
		if i%50 == 0 || built.Len() <= Chunk+1 {
			check(built, remaining)
		}
	}
	assert.Zero(t, built.Len())
	assert.Nil(t, built.big, "an empty list holds no chunks")
}
