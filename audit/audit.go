// Package audit keeps the durable record of every governed read: who asked, for which entries and
// items, under which masks, row scopes and grants, how many rows left, how long it took and how
// it ended. Events are JSON lines in one file per day under a directory of their own, fsynced
// before the answer they describe is handed out (concurrent requests share an fsync), kept for a
// retention period and read back by time range with filters.
//
// The catalogue's journal is not the place for them: they arrive at the rate of requests, never
// change, and are read by time range, not by key.
package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Event is one request as the audit keeps it.
type Event struct {
	ID        string    `json:"id"` // request id, also in the service's log line
	At        time.Time `json:"at"`
	Principal string    `json:"principal"`
	Role      string    `json:"role"`
	// Scene is the scene account the request came from ("" for a person's account): the
	// "一件事" figure counts scenes in use from it.
	Scene     string   `json:"scene,omitempty"`
	Entries   []string `json:"entries,omitempty"`   // resource codes read
	Items     []string `json:"items,omitempty"`     // table.field read
	Masked    []string `json:"masked,omitempty"`    // table.field returned masked, with its pi_type
	Unmasked  []string `json:"unmasked,omitempty"`  // table.field returned in clear under a grant
	RowScopes []string `json:"rowScopes,omitempty"` // table: the row scope applied
	Grants    []string `json:"grants,omitempty"`    // grant ids applied
	Snapshots []string `json:"snapshots,omitempty"` // snapshot ids read
	Rows      int      `json:"rows"`                // rows and groups returned
	Millis    float64  `json:"ms"`                  // duration
	Outcome   string   `json:"outcome"`             // OK or the error code
	Error     string   `json:"error,omitempty"`     // the first error message
}

// OutcomeOK is the outcome of a request answered without error.
const OutcomeOK = "OK"

// Zone is the bureau's time zone: a day of the audit is a day in Chongqing, and so is a date
// the API takes.
var Zone = time.FixedZone("CST", 8*3600)

func dayOf(t time.Time) string { return t.In(Zone).Format("2006-01-02") }

const suffix = ".jsonl"

// Log is the audit store of one directory.
type Log struct {
	dir       string
	retention time.Duration
	clock     func() time.Time

	mu      sync.Mutex
	synced  *sync.Cond // on mu: an fsync ended
	f       *os.File
	day     string
	written uint64 // events written to files
	durable uint64 // events covered by an fsync
	syncing bool
	failed  error // a write or fsync failed: nothing more is recorded, requests fail
	torn    bool  // the last write may have left part of a line at the end of f
	closed  bool

	cons consumers // consumers.go: per-day consumption summaries
}

// Open opens (creating) the audit directory dir. Events older than retention are removed at
// open and by Expire; retention 0 keeps everything. clock, when nil, is time.Now.
func Open(dir string, retention time.Duration, clock func() time.Time) (*Log, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("audit directory: %w", err)
	}
	if clock == nil {
		clock = time.Now
	}
	l := &Log{dir: dir, retention: retention, clock: clock}
	l.synced = sync.NewCond(&l.mu)
	l.cons.days = map[string]*daySum{} // consumers.go
	if _, err := l.Expire(); err != nil {
		return nil, err
	}
	l.openToday() // consumers.go: continue today's summary
	return l, nil
}

// Record appends ev and returns once it is durable. An event that cannot be made durable is an
// error: the caller must not hand out the answer it describes.
func (l *Log) Record(ev Event) error {
	if ev.At.IsZero() {
		ev.At = l.clock()
	}
	line, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode audit event: %w", err)
	}
	line = append(line, '\n')
	defer l.flushIfDue() // consumers.go: runs after mu is released
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usableLocked(); err != nil {
		return err
	}
	if err := l.writeLocked(dayOf(ev.At), line); err != nil {
		if !l.cutLocked(err) {
			l.failed = err
		}
		return err
	}
	seq := l.written
	l.queueLocked(seq, len(line), &ev) // consumers.go: summarised once durable
	for l.durable < seq {
		if l.failed != nil {
			return l.failed
		}
		if l.syncing {
			l.synced.Wait()
			continue
		}
		l.syncLocked()
	}
	return l.failed
}

func (l *Log) usableLocked() error {
	if l.closed {
		return errors.New("audit log closed")
	}
	if l.failed != nil {
		return fmt.Errorf("audit log unusable: %w", l.failed)
	}
	return nil
}

// writeLocked appends line to the file of day, switching files (the old one fsynced first) when
// the day changed. Callers hold mu.
func (l *Log) writeLocked(day string, line []byte) error {
	if l.f == nil || day != l.day {
		for l.syncing {
			l.synced.Wait()
		}
		if l.f != nil {
			if err := l.f.Sync(); err != nil {
				return fmt.Errorf("sync audit file: %w", err)
			}
			l.durable = l.written
			l.settleLocked() // consumers.go
			if err := l.f.Close(); err != nil {
				return fmt.Errorf("close audit file: %w", err)
			}
			l.f = nil
		}
		f, err := os.OpenFile(filepath.Join(l.dir, day+suffix), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("open audit file: %w", err)
		}
		st, err := f.Stat() // consumers.go: summaries note how much of the file they cover
		if err != nil {
			f.Close()
			return fmt.Errorf("open audit file: %w", err)
		}
		l.f, l.day, l.cons.size = f, day, st.Size()
	}
	if _, err := l.f.Write(line); err != nil {
		l.torn = true
		return fmt.Errorf("write audit event: %w", err)
	}
	l.cons.size += int64(len(line)) // consumers.go
	l.written++
	return nil
}

// cutLocked mends a write refused for want of space (ENOSPC, EDQUOT under a quota): the part of
// the line that was written is cut off, so that the file holds whole events only, and the log
// takes events again, which succeed once space is freed. It reports whether the log is usable;
// any other failure, or a cut that fails, leaves it failed. Callers hold mu.
func (l *Log) cutLocked(err error) bool {
	if !errors.Is(err, syscall.ENOSPC) && !errors.Is(err, syscall.EDQUOT) {
		return false
	}
	if !l.torn {
		return true // refused before a byte was written (opening a new day's file)
	}
	if l.f.Truncate(l.cons.size) != nil {
		return false
	}
	l.torn = false
	return true
}

// syncLocked fsyncs what is written; concurrent recorders wait for it and share it. Callers hold
// mu; it is released during the fsync.
func (l *Log) syncLocked() {
	l.syncing = true
	upto, f := l.written, l.f
	l.mu.Unlock()
	err := f.Sync()
	l.mu.Lock()
	l.syncing = false
	if err != nil {
		l.failed = fmt.Errorf("sync audit file: %w", err)
	} else if upto > l.durable {
		l.durable = upto
		l.settleLocked() // consumers.go
	}
	l.synced.Broadcast()
}

// Expire removes the day files wholly older than the retention and returns how many it removed.
func (l *Log) Expire() (int, error) {
	if l.retention <= 0 {
		return 0, nil
	}
	oldest := dayOf(l.clock().Add(-l.retention))
	days, err := l.days()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range days {
		if d >= oldest {
			break
		}
		l.mu.Lock()
		current := d == l.day
		l.mu.Unlock()
		if current {
			continue
		}
		if err := os.Remove(filepath.Join(l.dir, d+suffix)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return n, fmt.Errorf("expire audit day %s: %w", d, err)
		}
		n++
	}
	if err := l.expireSummaries(oldest); err != nil { // consumers.go
		return n, err
	}
	return n, nil
}

// days lists the days that have a file, oldest first.
func (l *Log) days() ([]string, error) {
	ents, err := os.ReadDir(l.dir)
	if err != nil {
		return nil, fmt.Errorf("list audit directory: %w", err)
	}
	var out []string
	for _, e := range ents {
		name := e.Name()
		if d, ok := strings.CutSuffix(name, suffix); ok && len(d) == len("2006-01-02") {
			if _, err := time.Parse("2006-01-02", d); err == nil {
				out = append(out, d)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// Close fsyncs and closes the current file, and writes the consumption summaries.
func (l *Log) Close() error {
	first, err := l.closeFile()
	if !first {
		return nil
	}
	return errors.Join(err, l.flushSummaries(true)) // consumers.go
}

func (l *Log) closeFile() (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false, nil
	}
	l.closed = true
	for l.syncing {
		l.synced.Wait()
	}
	if l.f == nil {
		return true, nil
	}
	err := l.f.Sync()
	if err == nil { // consumers.go: what this fsync made durable is summarised
		l.durable = l.written
		l.settleLocked()
	}
	err = errors.Join(err, l.f.Close())
	l.f = nil
	return true, err
}
