// Package search is the Chinese full-text search of the directory: a bleve index of the
// catalogue's entries kept in the data directory, fed from the catalogue (the entries changed
// since the journal index it covers), rebuilt from it when lost, and asked under the access
// decision of catalog: a principal never finds, nor counts in a facet, an entry that does not
// exist for it.
package search

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"

	"github.com/cqeco/ecolake/catalog"
)

// Config tunes the index.
type Config struct {
	Dir string // where the index lives, e.g. <data>/search; it is derived data, rebuilt when lost
	// BatchSize is the number of entries indexed in one bleve batch while catching up.
	BatchSize int
	// MaxWait bounds how long a search waits for the index to reach the catalogue view it is
	// asked on before it answers ErrBehind.
	MaxWait time.Duration
}

// DefaultConfig returns the settings used when nothing is set; Dir must still be given.
func DefaultConfig() Config {
	return Config{BatchSize: 2000, MaxWait: 2 * time.Second}
}

// Validate reports the first unusable setting.
func (c Config) Validate() error {
	switch {
	case c.Dir == "":
		return errors.New("search config: dir is required")
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

// Keys of bleve's internal storage. covered is written in the same batch as the entries it
// accounts for, so that the index on disk never claims more than it holds.
var (
	keyCovered = []byte("ecolake_covered")
	keyVersion = []byte("ecolake_mapping_version")
)

// retryDelay is how long the follower waits after a failed update before trying again.
const retryDelay = 5 * time.Second

// Index is the search index of one catalogue.
type Index struct {
	cfg Config
	src Source
	log *slog.Logger
	bi  bleve.Index

	mu         sync.Mutex    // serialises updates
	covered    atomic.Uint64 // every entry change up to this journal index is indexed
	persisted  chan struct{} // closed once the last batch is on disk; under mu
	rebuilding atomic.Bool

	chMu  sync.Mutex
	moved chan struct{} // closed and replaced when covered moves or a rebuild ends

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// Open opens the index in cfg.Dir and starts following src. It does not wait for the index to
// catch up: an index found on disk catches up in the background (searches wait for it up to
// cfg.MaxWait); one that is missing, unreadable, of another version or ahead of the catalogue is
// recreated empty and rebuilt in the background, searches answering ErrRebuilding meanwhile.
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
	ix := &Index{cfg: cfg, src: src, log: log, moved: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	head := src.View().Index()
	bi, covered, err := openExisting(cfg.Dir, head)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			log.Warn("search index unusable, rebuilding from the catalogue", "err", err)
		}
		if bi, err = create(cfg.Dir); err != nil {
			return nil, err
		}
		covered = 0
		ix.rebuilding.Store(true)
	}
	ix.bi = bi
	ix.covered.Store(covered)
	log.Info("search index open", "dir", cfg.Dir, "covered", covered, "catalog", head, "rebuilding", ix.rebuilding.Load())
	go ix.follow()
	return ix, nil
}

// scorchConfig: a batch returns once it is searchable, without waiting for its fsync; the
// index is derived data, and what a crash loses is indexed again from the covered index.
var scorchConfig = map[string]any{"unsafe_batch": true}

func openExisting(dir string, head uint64) (bleve.Index, uint64, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, 0, err
	}
	bi, err := bleve.OpenUsing(dir, scorchConfig)
	if err != nil {
		return nil, 0, fmt.Errorf("open %s: %w", dir, err)
	}
	covered, err := checkIndex(bi, head)
	if err != nil {
		_ = bi.Close()
		return nil, 0, err
	}
	return bi, covered, nil
}

func checkIndex(bi bleve.Index, head uint64) (uint64, error) {
	v, err := bi.GetInternal(keyVersion)
	if err != nil {
		return 0, fmt.Errorf("read version: %w", err)
	}
	if string(v) != mappingVersion {
		return 0, fmt.Errorf("index of mapping version %q, want %q", v, mappingVersion)
	}
	c, err := bi.GetInternal(keyCovered)
	if err != nil || len(c) != 8 {
		return 0, fmt.Errorf("read covered index: %v (%d bytes)", err, len(c))
	}
	covered := binary.BigEndian.Uint64(c)
	if covered > head {
		// A catalogue restored from an older backup: what the index holds is not its state.
		return 0, fmt.Errorf("index covers journal index %d, the catalogue only reaches %d", covered, head)
	}
	return covered, nil
}

func create(dir string) (bleve.Index, error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("remove search index %s: %w", dir, err)
	}
	bi, err := bleve.NewUsing(dir, newMapping(), scorch.Name, scorch.Name, scorchConfig)
	if err != nil {
		return nil, fmt.Errorf("create search index %s: %w", dir, err)
	}
	b := bi.NewBatch()
	b.SetInternal(keyVersion, []byte(mappingVersion))
	b.SetInternal(keyCovered, binary.BigEndian.AppendUint64(nil, 0))
	if err := bi.Batch(b); err != nil {
		_ = bi.Close()
		return nil, fmt.Errorf("create search index %s: %w", dir, err)
	}
	return bi, nil
}

// persistWait bounds how long Close waits for the last batch to reach the disk.
const persistWait = 30 * time.Second

// Close stops following the catalogue, lets the last batch reach the disk (a batch returns
// once searchable, before it is written: scorchConfig) and closes the index.
func (ix *Index) Close() error {
	var err error
	ix.closeOnce.Do(func() {
		close(ix.stop)
		<-ix.done
		ix.mu.Lock()
		persisted := ix.persisted
		ix.mu.Unlock()
		if persisted != nil {
			select {
			case <-persisted:
			case <-time.After(persistWait):
				ix.log.Warn("search index closed before its last batch was written; it catches up at the next start")
			}
		}
		err = ix.bi.Close()
	})
	return err
}

// Covered returns the journal index up to which every entry change is indexed.
func (ix *Index) Covered() uint64 { return ix.covered.Load() }

// Rebuilding reports whether the index is being rebuilt from the catalogue.
func (ix *Index) Rebuilding() bool { return ix.rebuilding.Load() }

// follow keeps the index in step with the catalogue until Close.
func (ix *Index) follow() {
	defer close(ix.done)
	start := time.Now()
	for {
		ch := ix.src.Changed()
		err := ix.update(ix.src.View())
		switch {
		case errors.Is(err, ErrClosed):
			return
		case err != nil:
			ix.log.Error("search index update", "err", err)
			select {
			case <-time.After(retryDelay):
				continue
			case <-ix.stop:
				return
			}
		}
		if ix.rebuilding.Load() {
			ix.compact()
			ix.log.Info("search index rebuilt", "covered", ix.covered.Load(), "seconds", time.Since(start).Seconds())
			ix.rebuilding.Store(false)
			ix.broadcast()
		}
		select {
		case <-ch:
		case <-ix.stop:
			return
		}
	}
}

// update indexes the entries changed since the covered index as v sees them, in batches of
// cfg.BatchSize; covered moves with every batch. A batch never ends inside one journal index,
// so that covered never claims half of a command that changed several entries.
func (ix *Index) update(v *catalog.View) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	from, head := ix.covered.Load(), v.Index()
	if from >= head {
		return nil
	}
	b := ix.bi.NewBatch()
	var last uint64
	var err error
	flush := func(upTo uint64) error {
		b.SetInternal(keyCovered, binary.BigEndian.AppendUint64(nil, upTo))
		persisted := make(chan struct{})
		var once sync.Once
		b.SetPersistedCallback(func(error) { once.Do(func() { close(persisted) }) })
		if err := ix.bi.Batch(b); err != nil {
			return fmt.Errorf("index entries up to journal index %d: %w", upTo, err)
		}
		ix.persisted = persisted
		b.Reset()
		ix.covered.Store(upTo)
		ix.broadcast()
		return nil
	}
	v.EntriesChangedSince(from, func(e *catalog.Entry) bool {
		if b.Size() >= ix.cfg.BatchSize && e.ModifyIndex != last {
			if err = flush(last); err != nil {
				return false
			}
			select {
			case <-ix.stop:
				err = ErrClosed
				return false
			default:
			}
		}
		if err = b.Index(e.ResourceCode, documentOf(v, e)); err != nil {
			err = fmt.Errorf("index entry %s: %w", e.ResourceCode, err)
			return false
		}
		last = e.ModifyIndex
		return true
	})
	if err != nil {
		return err
	}
	return flush(head)
}

// compact merges a rebuilt index into one segment before it answers: a search costs in
// proportion to the segments it visits, and the rebuild wrote one per batch.
func (ix *Index) compact() {
	adv, err := ix.bi.Advanced()
	if err != nil {
		ix.log.Warn("search index: no merge after rebuild", "err", err)
		return
	}
	if sc, ok := adv.(*scorch.Scorch); ok {
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			select {
			case <-ix.stop:
			case <-ctx.Done():
			}
			cancel()
		}()
		defer cancel()
		if err := sc.ForceMerge(ctx, nil); err != nil {
			ix.log.Warn("search index: merge after rebuild", "err", err)
		}
	}
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
