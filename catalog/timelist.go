package catalog

import (
	"fmt"
	"iter"
	"slices"
	"sort"
)

// timeList is an entry's snapshots or runs in time order (loadstate.go), persistent: a new
// version shares what it did not change with the old one, which memdb snapshots keep reading.
// A list of up to timeChunk objects is one slice; a longer one (an entry loaded hourly holds
// thousands of runs within a year) is kept in chunks, so that a load copies the chunk it changes
// and the slice of chunks, not every pointer of the entry's history.
type timeList[T any] struct {
	small []*T
	big   *timeChunks[T] // set instead of small past timeChunk objects
}

// timeChunks holds a long list: every chunk is sorted and non-empty, and comes before the next.
type timeChunks[T any] struct {
	chunks [][]*T
	n      int
}

// timeChunk is the size of the chunks a long list is built or split into; a chunk grows to
// twice that before it is split.
const timeChunk = 128

// builtTimeList is the list of sorted, whose slice it keeps.
func builtTimeList[T any](sorted []*T) timeList[T] {
	if len(sorted) <= timeChunk {
		return timeList[T]{small: slices.Clip(sorted)}
	}
	big := &timeChunks[T]{n: len(sorted)}
	for len(sorted) > 0 {
		k := min(len(sorted), timeChunk)
		big.chunks = append(big.chunks, slices.Clip(sorted[:k]))
		sorted = sorted[k:]
	}
	return timeList[T]{big: big}
}

// Len is the number of objects listed.
func (l timeList[T]) Len() int {
	if l.big != nil {
		return l.big.n
	}
	return len(l.small)
}

// last is the latest object, nil when there is none.
func (l timeList[T]) last() *T {
	if l.big != nil {
		c := l.big.chunks[len(l.big.chunks)-1]
		return c[len(c)-1]
	}
	if len(l.small) == 0 {
		return nil
	}
	return l.small[len(l.small)-1]
}

// lastWhere is the last object for which before holds, nil when it holds for none; before holds
// for a prefix of the list (a time bound).
func (l timeList[T]) lastWhere(before func(*T) bool) *T {
	within := func(s []*T) *T {
		i := sort.Search(len(s), func(i int) bool { return !before(s[i]) })
		if i == 0 {
			return nil
		}
		return s[i-1]
	}
	if l.big == nil {
		return within(l.small)
	}
	cs := l.big.chunks
	// The first chunk whose last object is past the bound holds the answer, or the chunk
	// before it does.
	ci := sort.Search(len(cs), func(i int) bool { return !before(cs[i][len(cs[i])-1]) })
	if ci < len(cs) {
		if x := within(cs[ci]); x != nil {
			return x
		}
	}
	if ci == 0 {
		return nil
	}
	return cs[ci-1][len(cs[ci-1])-1]
}

// All iterates the objects, oldest first.
func (l timeList[T]) All() iter.Seq[*T] {
	return func(yield func(*T) bool) {
		for _, c := range l.chunks() {
			for _, x := range c {
				if !yield(x) {
					return
				}
			}
		}
	}
}

// Backward iterates the objects, newest first.
func (l timeList[T]) Backward() iter.Seq[*T] {
	return func(yield func(*T) bool) {
		for _, c := range slices.Backward(l.chunks()) {
			for _, x := range slices.Backward(c) {
				if !yield(x) {
					return
				}
			}
		}
	}
}

func (l timeList[T]) chunks() [][]*T {
	if l.big != nil {
		return l.big.chunks
	}
	if len(l.small) == 0 {
		return nil
	}
	return [][]*T{l.small}
}

// placed returns a new version of the list with old (nil for none: x is new) taken out and x put
// in its place in the order cmp. old must be listed, as the stored object: its place is found by
// its key, not by a walk. Only the chunks old and x are in are copied.
func (l timeList[T]) placed(old, x *T, cmp func(a, b *T) int) (timeList[T], error) {
	cs := slices.Clone(l.chunks())
	n := l.Len()
	if old != nil {
		ci := chunkFor(cs, old, cmp)
		j, found := slices.BinarySearchFunc(cs[ci], old, cmp)
		if !found || cs[ci][j] != old {
			return l, fmt.Errorf("catalog: the object replaced is not listed in its place")
		}
		if len(cs[ci]) == 1 {
			cs = slices.Delete(cs, ci, ci+1)
		} else {
			cs[ci] = slices.Delete(slices.Clone(cs[ci]), j, j+1)
		}
		n--
	}
	if len(cs) == 0 {
		return timeList[T]{small: []*T{x}}, nil
	}
	ci := chunkFor(cs, x, cmp)
	j, _ := slices.BinarySearchFunc(cs[ci], x, cmp)
	c := slices.Insert(slices.Clone(cs[ci]), j, x)
	n++
	if len(c) > 2*timeChunk {
		half := len(c) / 2
		cs = slices.Insert(cs, ci+1, slices.Clip(c[half:]))
		c = slices.Clip(c[:half])
	}
	cs[ci] = c
	if len(cs) == 1 && n <= timeChunk {
		return timeList[T]{small: c}, nil
	}
	return timeList[T]{big: &timeChunks[T]{chunks: cs, n: n}}, nil
}

// chunkFor is the chunk x belongs in: the first whose last object is at or after x, else the
// last one.
func chunkFor[T any](cs [][]*T, x *T, cmp func(a, b *T) int) int {
	ci := sort.Search(len(cs), func(i int) bool { return cmp(cs[i][len(cs[i])-1], x) >= 0 })
	return min(ci, len(cs)-1)
}
