package query

import (
	"container/list"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"time"
)

// The result cache. A snapshot's files never change, and a statement carries the whole of the
// policy that shaped it: the columns read, masking expressions, the row scope and the
// aggregates-only group bound as arguments. So the same statement text with the same arguments
// over the same snapshot is the same answer, whoever asks: an answer is only ever given to a
// request whose own plan, after its own access decision, produced that statement. Scenes ask
// the same questions of the same snapshots again and again (a dashboard's aggregates); they are
// answered without DuckDB until the entry's next load gives a new snapshot, and so a new key.

// maxCachedRows is the largest answer kept: larger ones are rarely asked twice and would crowd
// out the many small ones.
const maxCachedRows = 1000

// resultCache keeps answers by key, least recently used first out, within max bytes (an
// estimate of the answers' memory).
type resultCache struct {
	mu    sync.Mutex
	max   int64
	used  int64
	items map[[32]byte]*list.Element
	lru   list.List // of *cachedResult, most recently used in front
}

type cachedResult struct {
	key   [32]byte
	rows  []map[string]any
	bytes int64
}

func newResultCache(maxBytes int64) *resultCache {
	if maxBytes <= 0 {
		return nil
	}
	return &resultCache{max: maxBytes, items: map[[32]byte]*list.Element{}}
}

// resultKey is the key of a statement's answer over a snapshot. The first argument, the files'
// local paths, is left out: the snapshot names the files.
func resultKey(snapshot string, st Statement) [32]byte {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	put := func(s string) {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
		h.Write([]byte(s))
	}
	put(snapshot)
	put(st.SQL)
	for _, a := range st.Args[min(1, len(st.Args)):] {
		// Every argument is one of the types bindValue and the builder produce; its type is in
		// the key beside its value, so that "1" and 1 differ.
		put(fmt.Sprintf("%T:%v", a, a))
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// get returns the answer kept under k, as a slice the caller may not grow into the kept one.
func (c *resultCache) get(k [32]byte) ([]map[string]any, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[k]
	if !ok {
		return nil, false
	}
	c.lru.MoveToFront(el)
	return slices.Clip(el.Value.(*cachedResult).rows), true
}

// put keeps rows under k when they are small enough, evicting the least recently used answers
// to stay within the bound. The rows must not be changed afterwards, by the caller or anyone.
func (c *resultCache) put(k [32]byte, rows []map[string]any) {
	if c == nil || len(rows) > maxCachedRows {
		return
	}
	size := resultBytes(rows)
	if size > c.max/16 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[k]; ok {
		return
	}
	for c.used+size > c.max && c.lru.Len() > 0 {
		old := c.lru.Remove(c.lru.Back()).(*cachedResult)
		delete(c.items, old.key)
		c.used -= old.bytes
	}
	c.items[k] = c.lru.PushFront(&cachedResult{key: k, rows: slices.Clip(rows), bytes: size})
	c.used += size
}

// resultBytes estimates the memory of an answer: maps, their keys (shared with the plan) and
// values.
func resultBytes(rows []map[string]any) int64 {
	var n int64 = 64
	for _, r := range rows {
		n += 48
		for _, v := range r {
			n += 32
			n += valueBytes(v)
		}
	}
	return n
}

func valueBytes(v any) int64 {
	switch v := v.(type) {
	case string:
		return int64(len(v))
	case map[string]any:
		var n int64 = 48
		for _, x := range v {
			n += 32 + valueBytes(x)
		}
		return n
	case time.Time:
		return 24
	}
	return 8
}
