package query

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

// Native copies: a snapshot is immutable, so once it is asked for it can be copied into DuckDB's
// own storage, sorted by the entry's key items, and read from there instead of its Parquet files:
// no Parquet page is decompressed and decoded again for every query, and a point or narrow range
// filter on the key reads a few of DuckDB's row groups. The copy sits below the policy: a
// statement reads it through the same projection of source columns, with the same filters,
// masks, row scope and limits above it, so what a principal sees does not depend on whether a
// copy was ready.
//
// Copies live in a database file of their own (Config.NativeDir/copies.duckdb), attached to the
// service's DuckDB as nativeDB, so that DuckDB's buffer manager keeps them within its memory
// limit and the rest on disk. The file is a cache: it is created anew at every start. Copies are
// made one at a time in the background, the first time an entry's current snapshot is read
// without one (a past snapshot read asOf is not copied), and the least recently read are dropped
// to keep their estimated size within Config.NativeBytes. A copy being read is never dropped
// under its reader. The statements over a copy are prepared once per text (query). The file holds
// the rows unmasked, as the lake's cache beside it does: both are the service's own storage.

// nativeDB is the name the copies' database is attached under.
const nativeDB = "native"

// nativeFile is the copies' database file in Config.NativeDir.
const nativeFile = "copies.duckdb"

// nativeRowGroup is the rows of a row group of the copies, as in the lake's files (lake's
// rowGroupRows): a quarter of DuckDB's default, so that a point or narrow range filter on the
// key reads a quarter of the rows (point queries about 25% faster), while a scan of the whole
// copy costs no more.
const nativeRowGroup = 32768

// nativeCopies are the service's copies; nil when Config.NativeBytes is 0.
type nativeCopies struct {
	db     *sql.DB
	budget int64
	log    *slog.Logger
	// sync makes want copy before it returns (tests only), so that the next read uses the copy.
	sync bool

	mu       sync.Mutex
	copies   map[string]*nativeCopy // by key
	used     int64                  // estimated bytes of the copies made or being made
	tick     uint64
	building bool
	closed   bool
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// nativeCopy is one snapshot's copy.
type nativeCopy struct {
	table   string // within nativeDB; n_ and hex digits
	bytes   int64  // estimated
	ready   bool
	dropped bool // evicted: dropped from DuckDB once no reader holds it
	readers int
	last    uint64
	// stmts are the statements prepared over the copy, by text (at most maxCopyStatements): a
	// statement's values are its arguments, so the same text answers every point query of a
	// kind without DuckDB parsing and planning it again. Closed when the copy is dropped.
	stmts map[string]*sql.Stmt
}

// maxCopyStatements bounds the statements kept prepared per copy; a text beyond it is run
// unprepared.
const maxCopyStatements = 64

// openNative attaches a fresh copies' database in dir to db.
func openNative(db *sql.DB, dir string, budget int64, log *slog.Logger) (*nativeCopies, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("native copies: %w", err)
	}
	path := filepath.Join(dir, nativeFile)
	for _, f := range []string{path, path + ".wal"} {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("native copies: remove the last start's %s: %w", f, err)
		}
	}
	if strings.ContainsAny(path, "\x00\n\r") {
		return nil, fmt.Errorf("native copies: directory %q holds control characters: %w", dir, ErrInvalid)
	}
	lit := "'" + strings.ReplaceAll(path, "'", "''") + "'" // a literal: ATTACH takes no parameter
	if _, err := db.Exec(fmt.Sprintf("ATTACH %s AS %s (ROW_GROUP_SIZE %d)", lit, nativeDB, nativeRowGroup)); err != nil {
		return nil, fmt.Errorf("native copies: attach %s: %w", path, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &nativeCopies{db: db, budget: budget, log: log, copies: map[string]*nativeCopy{}, ctx: ctx, cancel: cancel}, nil
}

// nativeKey names the copy of p's snapshot: the snapshot and the columns the copy holds (every
// item of the entry with its type), so that a change of an item's type makes a new copy.
func nativeKey(p *Plan) string {
	var b strings.Builder
	b.WriteString(p.Snapshot)
	for _, c := range p.Stored {
		b.WriteString("\x00" + c.Field + "\x01" + c.Type.DuckDBType())
	}
	b.WriteString("\x00key")
	for _, c := range p.Key {
		b.WriteString("\x00" + c.Field)
	}
	return b.String()
}

// acquire returns the copy named key when it is ready; release must be called when the
// statement reading it is done.
func (n *nativeCopies) acquire(key string) (c *nativeCopy, release func(), ok bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	c = n.copies[key]
	if c == nil || !c.ready || c.dropped {
		return nil, nil, false
	}
	n.tick++
	c.last = n.tick
	c.readers++
	var once sync.Once
	return c, func() {
		once.Do(func() {
			n.mu.Lock()
			c.readers--
			drop := c.dropped && c.readers == 0
			n.mu.Unlock()
			if drop {
				n.drop(c)
			}
		})
	}, true
}

// nativeBytes estimates the size of a copy of m's rows over cols: eight bytes a value, which
// DuckDB's compression rarely exceeds.
func nativeBytes(m *lake.Manifest, cols int) int64 {
	var rows int64
	for _, f := range m.Files {
		rows += f.Rows
	}
	return rows * int64(max(cols, 1)) * 8
}

// want starts a copy of p's snapshot (files m.Files) unless one exists, is being made, or
// would not fit within the budget even with every other copy dropped. Copies are made one at
// a time: while one is made, a want for another is forgotten, and asked again by a later read.
func (n *nativeCopies) want(key string, p *Plan, m *lake.Manifest, files func(context.Context) ([]string, func(), error)) {
	size := nativeBytes(m, len(p.Stored))
	n.mu.Lock()
	if n.closed || n.building || n.copies[key] != nil || size > n.budget {
		n.mu.Unlock()
		return
	}
	n.evict(size)
	if n.used+size > n.budget {
		n.mu.Unlock()
		return
	}
	sum := sha256.Sum256([]byte(key))
	n.tick++
	c := &nativeCopy{table: "n_" + hex.EncodeToString(sum[:12]), bytes: size, last: n.tick}
	n.copies[key] = c
	n.used += size
	n.building = true
	n.wg.Add(1)
	n.mu.Unlock()
	uniform := len(m.Files) == 1 || lake.SameSchema(m.Files)
	present := presentColumns(m)
	run := func() {
		defer n.wg.Done()
		err := n.make(c, p, Files{Present: present, Uniform: uniform}, files)
		n.mu.Lock()
		n.building = false
		if err != nil {
			delete(n.copies, key)
			n.used -= c.bytes
		} else {
			c.ready = true
		}
		n.mu.Unlock()
		if err != nil && n.ctx.Err() == nil {
			n.log.Warn("native copy failed; the snapshot is read from its files", "entry", p.Entry, "snapshot", p.Snapshot, "err", err)
		}
	}
	if n.sync {
		run()
		return
	}
	go run()
}

// evict marks the least recently read copies dropped until size more fits within the budget;
// those no one reads are dropped from DuckDB at once, the others by their last reader.
// n.mu is held.
func (n *nativeCopies) evict(size int64) {
	for n.used+size > n.budget {
		var oldest *nativeCopy
		var key string
		for k, c := range n.copies {
			if c.ready && (oldest == nil || c.last < oldest.last) {
				oldest, key = c, k
			}
		}
		if oldest == nil {
			return
		}
		delete(n.copies, key)
		n.used -= oldest.bytes
		oldest.dropped = true
		if oldest.readers == 0 {
			go n.drop(oldest)
		}
	}
}

// query runs st, a statement over the acquired copy c, prepared once per text.
func (n *nativeCopies) query(ctx context.Context, c *nativeCopy, st Statement) (*sql.Rows, error) {
	n.mu.Lock()
	stmt := c.stmts[st.SQL]
	full := len(c.stmts) >= maxCopyStatements
	n.mu.Unlock()
	if stmt == nil && full {
		return n.db.QueryContext(ctx, st.SQL, st.Args...)
	}
	if stmt == nil {
		prepared, err := n.db.PrepareContext(ctx, st.SQL)
		if err != nil {
			return nil, err
		}
		n.mu.Lock()
		if stmt = c.stmts[st.SQL]; stmt == nil {
			if c.stmts == nil {
				c.stmts = map[string]*sql.Stmt{}
			}
			c.stmts[st.SQL], stmt = prepared, prepared
			prepared = nil
		}
		n.mu.Unlock()
		if prepared != nil { // another reader prepared the same text meanwhile
			_ = prepared.Close()
		}
	}
	return stmt.QueryContext(ctx, st.Args...)
}

// drop removes a copy's statements and table; a failure leaves the table in the file, which the
// next start removes.
func (n *nativeCopies) drop(c *nativeCopy) {
	n.mu.Lock()
	stmts := c.stmts
	c.stmts = nil
	n.mu.Unlock()
	for _, st := range stmts {
		_ = st.Close()
	}
	if _, err := n.db.ExecContext(n.ctx, "DROP TABLE IF EXISTS "+nativeDB+"."+schemas.QuoteIdent(c.table)); err != nil && n.ctx.Err() == nil {
		n.log.Warn("native copy not dropped", "table", c.table, "err", err)
	}
}

// make copies the snapshot's files into c's table, sorted by the entry's key items.
func (n *nativeCopies) make(c *nativeCopy, p *Plan, in Files, files func(context.Context) ([]string, func(), error)) error {
	start := time.Now()
	paths, release, err := files(n.ctx)
	if err != nil {
		return err
	}
	defer release()
	if err := checkPaths(paths); err != nil {
		return err
	}
	var sb strings.Builder
	sb.WriteString("CREATE TABLE " + nativeDB + "." + schemas.QuoteIdent(c.table) + " AS ")
	writeSource(&sb, p.Stored, in)
	if len(p.Key) > 0 {
		sb.WriteString(" ORDER BY " + ascending(p.Key))
	}
	if _, err := n.db.ExecContext(n.ctx, sb.String(), paths); err != nil {
		return fmt.Errorf("copy %s snapshot %s: %w", p.Table, p.Snapshot, err)
	}
	n.log.Debug("native copy made", "entry", p.Entry, "snapshot", p.Snapshot, "table", c.table, "took", time.Since(start))
	return nil
}

// close stops a copy being made and waits for it; the database file stays until the next start.
func (n *nativeCopies) close() {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	n.cancel()
	n.wg.Wait()
}

// presentColumns are the columns a snapshot's files hold, by its manifest; nil when the
// manifest does not say (every column of the plan is then taken to be there).
func presentColumns(m *lake.Manifest) map[string]bool {
	if len(m.Schema) == 0 {
		return nil
	}
	present := make(map[string]bool, len(m.Schema))
	for _, f := range m.Schema {
		present[f.Name] = true
	}
	return present
}

// NativeStats is what the native copies hold: copies ready to read, copies being made, and
// their estimated bytes.
type NativeStats struct {
	Ready, Making int
	Bytes         int64
}

// NativeStats reports the service's native copies (all zero when it makes none).
func (s *Service) NativeStats() NativeStats {
	var st NativeStats
	if s.native == nil {
		return st
	}
	n := s.native
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, c := range n.copies {
		if c.ready {
			st.Ready++
		} else {
			st.Making++
		}
	}
	st.Bytes = n.used
	return st
}
