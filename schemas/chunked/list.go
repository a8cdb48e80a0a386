// Package chunked is a sorted list of objects that is persistent: a new version shares what it
// did not change with the old one, which readers of the old version (a memdb snapshot, a query
// generation) keep reading unchanged. A list of up to Chunk objects is one slice; a longer one is
// kept in chunks, so that a change copies the chunk it touches and the slice of chunks, not every
// pointer of the list: at 100,000 objects, about 800 chunk pointers and 128 object pointers.
package chunked

import (
	"errors"
	"iter"
	"slices"
	"sort"
)

// List is a sorted list of objects; the zero value is empty. The order is the caller's (the cmp
// given to Placed), and a list is only ever changed through Placed with the same order.
type List[T any] struct {
	small []*T
	big   *chunks[T] // set instead of small past Chunk objects
}

// chunks holds a long list: every chunk is sorted and non-empty, and comes before the next.
type chunks[T any] struct {
	chunks [][]*T
	n      int
}

// Chunk is the size of the chunks a long list is built or split into; a chunk grows to twice
// that before it is split.
const Chunk = 128

// ErrNotListed is Placed's refusal of an object to replace that is not listed in its place.
var ErrNotListed = errors.New("the object replaced is not listed in its place")

// Built is the list of sorted, whose slice it keeps.
func Built[T any](sorted []*T) List[T] {
	if len(sorted) <= Chunk {
		return List[T]{small: slices.Clip(sorted)}
	}
	big := &chunks[T]{n: len(sorted)}
	for len(sorted) > 0 {
		k := min(len(sorted), Chunk)
		big.chunks = append(big.chunks, slices.Clip(sorted[:k]))
		sorted = sorted[k:]
	}
	return List[T]{big: big}
}

// Len is the number of objects listed.
func (l List[T]) Len() int {
	if l.big != nil {
		return l.big.n
	}
	return len(l.small)
}

// First is the first object, nil when there is none.
func (l List[T]) First() *T {
	if l.big != nil {
		return l.big.chunks[0][0]
	}
	if len(l.small) == 0 {
		return nil
	}
	return l.small[0]
}

// Last is the last object, nil when there is none.
func (l List[T]) Last() *T {
	if l.big != nil {
		c := l.big.chunks[len(l.big.chunks)-1]
		return c[len(c)-1]
	}
	if len(l.small) == 0 {
		return nil
	}
	return l.small[len(l.small)-1]
}

// LastWhere is the last object for which before holds, nil when it holds for none; before holds
// for a prefix of the list (a bound in its order).
func (l List[T]) LastWhere(before func(*T) bool) *T {
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

// Find is the object at a key, nil when none is: cmp compares an object with the key in the
// list's order (negative when the object comes before it).
func (l List[T]) Find(cmp func(*T) int) *T {
	x := l.LastWhere(func(x *T) bool { return cmp(x) <= 0 })
	if x == nil || cmp(x) != 0 {
		return nil
	}
	return x
}

// All iterates the objects in order.
func (l List[T]) All() iter.Seq[*T] {
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

// Backward iterates the objects, last first.
func (l List[T]) Backward() iter.Seq[*T] {
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

func (l List[T]) chunks() [][]*T {
	if l.big != nil {
		return l.big.chunks
	}
	if len(l.small) == 0 {
		return nil
	}
	return [][]*T{l.small}
}

// Placed returns a new version of the list with old taken out (nil for none: x is new) and x
// put in its place in the order cmp (nil for none: old is removed). old must be listed, as the
// stored object: its place is found by its key, not by a walk. Only the chunks old and x are in
// are copied; l itself is unchanged.
func (l List[T]) Placed(old, x *T, cmp func(a, b *T) int) (List[T], error) {
	cs := slices.Clone(l.chunks())
	n := l.Len()
	if old != nil {
		if len(cs) == 0 {
			return l, ErrNotListed
		}
		ci := chunkFor(cs, old, cmp)
		j, found := slices.BinarySearchFunc(cs[ci], old, cmp)
		if !found || cs[ci][j] != old {
			return l, ErrNotListed
		}
		cs[ci] = slices.Delete(slices.Clone(cs[ci]), j, j+1)
		n--
		cs = merged(cs, ci)
	}
	if x != nil {
		if len(cs) == 0 {
			return List[T]{small: []*T{x}}, nil
		}
		ci := chunkFor(cs, x, cmp)
		j, _ := slices.BinarySearchFunc(cs[ci], x, cmp)
		c := slices.Insert(slices.Clone(cs[ci]), j, x)
		n++
		if len(c) > 2*Chunk {
			half := len(c) / 2
			cs = slices.Insert(cs, ci+1, slices.Clip(c[half:]))
			c = slices.Clip(c[:half])
		}
		cs[ci] = c
	}
	switch {
	case n == 0:
		return List[T]{}, nil
	case len(cs) == 1 && n <= Chunk:
		return List[T]{small: cs[0]}, nil
	case n <= Chunk:
		return List[T]{small: slices.Concat(cs...)}, nil
	}
	return List[T]{big: &chunks[T]{chunks: cs, n: n}}, nil
}

// merged joins chunk ci, made smaller than half a chunk by a removal, with its neighbour (split
// again in two if that makes it too long), and drops it when empty: removals never leave many
// small chunks whose slice every change would copy. cs is a copy; its chunks are not changed.
func merged[T any](cs [][]*T, ci int) [][]*T {
	switch {
	case len(cs[ci]) == 0:
		return slices.Delete(cs, ci, ci+1)
	case len(cs[ci]) >= Chunk/2 || len(cs) == 1:
		return cs
	}
	if ci == len(cs)-1 {
		ci--
	}
	c := slices.Concat(cs[ci], cs[ci+1])
	if len(c) <= 2*Chunk {
		cs[ci] = c
		return slices.Delete(cs, ci+1, ci+2)
	}
	half := len(c) / 2
	cs[ci], cs[ci+1] = slices.Clip(c[:half]), slices.Clip(c[half:])
	return cs
}

// chunkFor is the chunk x belongs in: the first whose last object is at or after x, else the
// last one.
func chunkFor[T any](cs [][]*T, x *T, cmp func(a, b *T) int) int {
	ci := sort.Search(len(cs), func(i int) bool { return cmp(cs[i][len(cs[i])-1], x) >= 0 })
	return min(ci, len(cs)-1)
}
