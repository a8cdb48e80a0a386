package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// SnapshotReads tells which snapshots the audit shows were read, and when each was read last:
// snapshot retention keeps those read recently, so that a read under investigation can be
// repeated on the data it saw.
//
// It reads each day file once: a call reads the events written since the call before (from the
// byte it stopped at, complete lines only), so that a collection run every day reads one day of
// events, not the whole window again; the first call of a process reads the window.
type SnapshotReads struct {
	l  *Log
	mu sync.Mutex
	// offsets are the bytes of each day file already read; last the newest read of each
	// snapshot seen within the window.
	offsets map[string]int64
	last    map[string]time.Time
	read    int64 // bytes read in all, for the log
}

// SnapshotReads returns a reader of the snapshots l's events name.
func (l *Log) SnapshotReads() *SnapshotReads {
	return &SnapshotReads{l: l, offsets: map[string]int64{}, last: map[string]time.Time{}}
}

// snapshotsRead is the part of an event that names snapshots.
type snapshotsRead struct {
	At        time.Time `json:"at"`
	Snapshots []string  `json:"snapshots"`
}

// Since returns every snapshot an event at or after since names, with the time it was read
// last, and how many bytes of events this call read. Events of days before since are forgotten.
func (r *SnapshotReads) Since(ctx context.Context, since time.Time) (map[string]time.Time, int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	first := dayOf(since)
	days, err := r.l.days()
	if err != nil {
		return nil, 0, err
	}
	var read int64
	for _, d := range days {
		if d < first {
			continue
		}
		n, err := r.readDay(ctx, d, since)
		read += n
		if err != nil {
			return nil, read, err
		}
	}
	for d := range r.offsets {
		if d < first {
			delete(r.offsets, d)
		}
	}
	out := make(map[string]time.Time, len(r.last))
	for id, at := range r.last {
		if at.Before(since) {
			delete(r.last, id)
			continue
		}
		out[id] = at
	}
	r.read += read
	return out, read, nil
}

// readDay reads the complete lines of day's file after its offset.
func (r *SnapshotReads) readDay(ctx context.Context, day string, since time.Time) (int64, error) {
	f, err := os.Open(filepath.Join(r.l.dir, day+suffix))
	if errors.Is(err, os.ErrNotExist) {
		delete(r.offsets, day) // expired meanwhile
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("open audit day %s: %w", day, err)
	}
	defer f.Close()
	start := r.offsets[day]
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		return 0, fmt.Errorf("seek audit day %s: %w", day, err)
	}
	br := bufio.NewReaderSize(f, 256<<10)
	off, lines := start, 0
	for {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			break // a last line without its newline is being written: read next time
		}
		if err != nil {
			return off - start, fmt.Errorf("read audit day %s: %w", day, err)
		}
		if lines++; lines%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				r.offsets[day] = off
				return off - start, err
			}
		}
		off += int64(len(line))
		if !bytes.Contains(line, []byte(`"snapshots"`)) {
			continue // an event that read no snapshot (a refusal, a directory query) needs no decode
		}
		var ev snapshotsRead
		if err := json.Unmarshal(bytes.TrimSpace(line), &ev); err != nil {
			r.offsets[day] = off - int64(len(line))
			return off - start, fmt.Errorf("audit day %s at byte %d: %w", day, off-int64(len(line)), err)
		}
		if ev.At.Before(since) {
			continue
		}
		for _, id := range ev.Snapshots {
			if ev.At.After(r.last[id]) {
				r.last[id] = ev.At
			}
		}
	}
	r.offsets[day] = off
	return off - start, nil
}
