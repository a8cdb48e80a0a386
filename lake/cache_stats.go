package lake

// CacheStats counts the cache's work since NewCache and says what it holds now.
type CacheStats struct {
	Hits      int64 // files found already fetched
	Misses    int64 // files fetched from the bucket
	Local     int64 // files a local bucket served in place (neither hit nor miss)
	Corrupted int64 // cached copies found changed since their fetch and fetched again
	Bytes     int64 // size of the files held, pinned or not
	Files     int   // files held
	MaxBytes  int64 // the bound on unpinned files
}

// cacheCounts are the counters behind CacheStats, guarded by Cache.mu.
type cacheCounts struct {
	hits, misses, local int64
}

func (c *Cache) count(f func(*cacheCounts)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(&c.counts)
}

// Stats returns the cache's counters and holdings.
func (c *Cache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Hits: c.counts.hits, Misses: c.counts.misses, Local: c.counts.local, Corrupted: c.v.corrupt.Load(),
		Bytes: c.size, Files: len(c.entries), MaxBytes: c.maxBytes}
}
