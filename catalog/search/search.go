// Package search is the Chinese full-text search of the directory: an index in memory (roaring
// bitmaps, engine.go) built from the catalogue when the process starts, in the background, and
// fed from it (the entries changed since the journal index it covers), asked under the access
// decision of catalog: a principal never finds, nor counts in a facet, an entry that does not
// exist for it.
//
// It replaced a bleve index on disk, which had to visit every match to count, score and rank
// it: at 100,000 entries of 20 items a broad query took up to a second, where bitmaps answer in
// milliseconds; the price is a build of about ten seconds at every start, during which searches
// answer ErrRebuilding (BenchmarkSearch measures both).
package search

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cqeco/ecolake/catalog"
)

// Config tunes the index.
type Config struct {
	// Dir is where the bleve index of earlier versions lived (<data>/search): removed when it
	// holds one, nothing is written there. May be empty.
	Dir string
	// BatchSize is the number of entries indexed under one hold of the index's lock while
	// catching up: searches wait for at most one batch.
	BatchSize int
	// MaxWait bounds how long a search waits for the index to reach the catalogue view it is
	// asked on before it answers ErrBehind.
	MaxWait time.Duration
}

// DefaultConfig returns the settings used when nothing is set.
func DefaultConfig() Config {
	return Config{BatchSize: 500, MaxWait: 2 * time.Second}
}

// Validate reports the first unusable setting.
func (c Config) Validate() error {
	switch {
	case c.BatchSize <= 0:
		return fmt.Errorf("search config: batch size %d must be positive", c.BatchSize)
	case c.MaxWait <= 0:
		return fmt.Errorf("search config: max wait %s must be positive", c.MaxWait)
	}
	return nil
}

// Source is what the index follows: *catalog.Store.
type Source interface {
	View() *catalog.View
	Changed() <-chan struct{}
}

// reorderMin is the drift (engine.drift: entries registered since the last build, parts no
// entry holds any more) below which the index is never rebuilt while running; above it, once it
// passes an eighth of the directory, it is rebuilt in the background and swapped in, so that
// pages stay a read of bitmaps in resource-code order, texts the new entries share become shared
// parts, and memory stays in proportion.
var reorderMin = 4096

// Index is the search index of one catalogue.
type Index struct {
	cfg Config
	src Source
	log *slog.Logger

	rw  sync.RWMutex // guards eng: searches read it, the follower changes or replaces it
	eng *engine

	covered    atomic.Uint64 // every entry change up to this journal index is indexed
	rebuilding atomic.Bool
	reordered  atomic.Int64 // rebuilds swapped in while running (reorderMin)

	chMu  sync.Mutex
	moved chan struct{} // closed and replaced when covered moves or a rebuild ends

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// Open starts building the index of src in the background and following it; searches answer
// ErrRebuilding until the build is complete, then wait (up to cfg.MaxWait) for the index to
// reach the view they are asked on.
func Open(ctx context.Context, cfg Config, src Source, log *slog.Logger) (*Index, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Dir != "" {
		// Only a directory that holds a bleve index: Dir may be misconfigured.
		if _, err := os.Stat(filepath.Join(cfg.Dir, "index_meta.json")); err == nil {
			log.Info("removing the search index of an earlier version; the index is now kept in memory", "dir", cfg.Dir)
			if err := os.RemoveAll(cfg.Dir); err != nil {
				log.Warn("remove the earlier search index", "dir", cfg.Dir, "err", err)
			}
		}
	}
	ix := &Index{cfg: cfg, src: src, log: log, eng: newEngine(), moved: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	ix.rebuilding.Store(true)
	go ix.follow()
	return ix, nil
}

// Close stops following the catalogue and lets the index go.
func (ix *Index) Close() error {
	ix.closeOnce.Do(func() {
		close(ix.stop)
		<-ix.done
		ix.rw.Lock()
		ix.eng = newEngine()
		ix.rw.Unlock()
	})
	return nil
}

// Covered returns the journal index up to which every entry change is indexed.
func (ix *Index) Covered() uint64 { return ix.covered.Load() }

// Rebuilding reports whether the index is being built from the catalogue.
func (ix *Index) Rebuilding() bool { return ix.rebuilding.Load() }

// follow builds the index, then keeps it in step with the catalogue until Close, rebuilding it
// in the background when it has drifted (reorderMin).
func (ix *Index) follow() {
	defer close(ix.done)
	start := time.Now()
	eng, at, err := ix.build(ix.src.View())
	if err != nil {
		return // closed
	}
	// The build's garbage, several times the index's size, would stay resident until the heap
	// grew back into it: given back to the system before searches begin.
	debug.FreeOSMemory()
	ix.swap(eng, at)
	ix.rebuilding.Store(false)
	ix.broadcast()
	ix.log.Info("search index built", "covered", at, "entries", len(eng.codes), "seconds", time.Since(start).Seconds())

	type built struct {
		eng *engine
		at  uint64
	}
	var rebuilt chan built // non-nil while a rebuild runs
	for {
		ch := ix.src.Changed()
		if err := ix.update(ix.src.View()); err != nil {
			return // closed
		}
		ix.rw.RLock()
		drift, size := ix.eng.drift(), len(ix.eng.codes)
		ix.rw.RUnlock()
		if rebuilt == nil && drift > max(reorderMin, size/8) {
			rebuilt = make(chan built, 1)
			go func() {
				eng, at, err := ix.build(ix.src.View())
				if err == nil {
					rebuilt <- built{eng, at}
				}
			}()
		}
		select {
		case <-ch:
		case b := <-rebuilt:
			rebuilt = nil
			// Catch the new engine up with what the old one saw since, out of sight, then swap.
			v := ix.src.View()
			if err := catchUp(ix, b.eng, b.at, v, false); err != nil {
				return
			}
			ix.reordered.Add(1)
			ix.swap(b.eng, v.Index())
			debug.FreeOSMemory() // the old engine and the build's garbage
			ix.log.Info("search index rebuilt in order", "entries", len(b.eng.codes), "drift", drift)
		case <-ix.stop:
			return
		}
	}
}

// build is a new engine of every entry of v, and the journal index it covers. Entries are
// indexed as they are read, in resource-code order, after a first reading that finds which texts
// several entries share (census).
func (ix *Index) build(v *catalog.View) (*engine, uint64, error) {
	eng := newEngine()
	shared, entries, err := census(v, eng.seed, ix.stop)
	if err != nil {
		return nil, 0, err
	}
	eng.shared = shared
	eng.codes = make([]string, 0, entries)
	eng.docs = make([]docRec, 0, entries)
	n := 0
	v.EachEntry("", func(e *catalog.Entry) bool {
		if n%1000 == 0 && stopped(ix.stop) {
			err = ErrClosed
			return false
		}
		n++
		eng.put(eng.docOf(v, e))
		return true
	})
	if err != nil {
		return nil, 0, err
	}
	eng.built()
	return eng, v.Index(), nil
}

func (ix *Index) swap(eng *engine, at uint64) {
	ix.rw.Lock()
	ix.eng = eng
	ix.rw.Unlock()
	ix.covered.Store(at)
	ix.broadcast()
}

// update indexes the entries changed since the covered index as v sees them.
func (ix *Index) update(v *catalog.View) error {
	return catchUp(ix, ix.eng, ix.covered.Load(), v, true)
}

// catchUp puts into eng the entries v changed after journal index from, cfg.BatchSize of them
// under one hold of the lock. When live (eng is the one searches read), covered moves with every
// batch; a batch never ends inside one journal index, so that covered never claims half of a
// command that changed several entries.
func catchUp(ix *Index, eng *engine, from uint64, v *catalog.View, live bool) error {
	head := v.Index()
	if from >= head {
		return nil
	}
	var err error
	var last uint64
	n := 0
	ix.rw.Lock()
	v.EntriesChangedSince(from, func(e *catalog.Entry) bool {
		if n >= ix.cfg.BatchSize && e.ModifyIndex != last {
			ix.rw.Unlock()
			if live {
				ix.covered.Store(last)
				ix.broadcast()
			}
			select {
			case <-ix.stop:
				err = ErrClosed
			default:
			}
			ix.rw.Lock()
			if err != nil {
				return false
			}
			n = 0
		}
		eng.put(eng.docOf(v, e))
		last = e.ModifyIndex
		n++
		return true
	})
	ix.rw.Unlock()
	if err != nil {
		return err
	}
	if live {
		ix.covered.Store(head)
		ix.broadcast()
	}
	return nil
}

func (ix *Index) broadcast() {
	ix.chMu.Lock()
	close(ix.moved)
	ix.moved = make(chan struct{})
	ix.chMu.Unlock()
}

func (ix *Index) movedCh() <-chan struct{} {
	ix.chMu.Lock()
	defer ix.chMu.Unlock()
	return ix.moved
}

// ready waits until the index covers journal index target: ErrRebuilding at once during a
// rebuild, ErrBehind after cfg.MaxWait, the context's error when it ends first.
func (ix *Index) ready(ctx context.Context, target uint64) error {
	if !ix.rebuilding.Load() && ix.covered.Load() >= target {
		return nil // the common case: no timer
	}
	timeout := time.NewTimer(ix.cfg.MaxWait)
	defer timeout.Stop()
	for {
		ch := ix.movedCh()
		switch {
		case ix.rebuilding.Load():
			return ErrRebuilding
		case ix.covered.Load() >= target:
			return nil
		}
		select {
		case <-ch:
		case <-timeout.C:
			return ErrBehind
		case <-ctx.Done():
			return ctx.Err()
		case <-ix.stop:
			return ErrClosed
		}
	}
}

// Wait blocks until the index has caught up with the catalogue as it is now (a rebuild
// included): the offline command line, which has time, asks it before searching.
func (ix *Index) Wait(ctx context.Context) error {
	target := ix.src.View().Index()
	for {
		ch := ix.movedCh()
		if !ix.rebuilding.Load() && ix.covered.Load() >= target {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-ix.stop:
			return ErrClosed
		}
	}
}
