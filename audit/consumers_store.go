package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The summary files: written atomically, by one writer at a time, outside the Log's locks;
// expired with their days.

// dayFile is a summary file, its entries (entryFile) left encoded. The scenes came to version 1
// files later, so that a process that does not know them still reads the files that have them:
// a file without them (written before, or by such a process) tells nothing of the day's scenes.
// They are written before the entries, so that they are read without reading the entries.
type dayFile struct {
	Version    int    `json:"version"`
	Day        string `json:"day"`
	Covered    int64  `json:"covered"` // bytes of the day file summarised
	Incomplete bool   `json:"incomplete,omitempty"`
	// SceneOverflow counts the successful requests of scene accounts beyond MaxDayScenes.
	SceneOverflow int `json:"sceneOverflow,omitempty"`
	// ScenesIncomplete: the scenes miss events the entries count (continued from a file without
	// scenes).
	ScenesIncomplete bool                       `json:"scenesIncomplete,omitempty"`
	Scenes           map[string]sceneCount      `json:"scenes"` // by scene account; nil when absent
	Entries          map[string]json.RawMessage `json:"entries"`
}

type entryFile struct {
	Overflow  int        `json:"overflow,omitempty"`
	Consumers []Consumer `json:"consumers"`
}

func (l *Log) summaryPath(day string) string {
	return filepath.Join(l.dir, summaryPrefix+day+summarySuffix)
}

// daySnap is a day's summary taken for writing outside the lock: the entries unchanged since
// the last write as they were encoded then, copies of the others. A busy day holds the lock for
// what changed in a minute, not for the whole day.
type daySnap struct {
	head    dayFile // with a copy of the scenes
	encoded map[string]json.RawMessage
	changed map[string]*entryFile
	gens    map[string]uint64 // of the changed entries, when copied
}

// snapshot takes ds. Callers hold cons.mu.
func (ds *daySum) snapshot() *daySnap {
	s := &daySnap{head: dayFile{Version: summaryVersion, Day: ds.day, Covered: ds.covered, Incomplete: ds.incomplete,
		SceneOverflow: ds.sceneOverflow, ScenesIncomplete: ds.scenesIncomplete, Scenes: maps.Clone(ds.scenes)},
		encoded: make(map[string]json.RawMessage, len(ds.entries)), changed: map[string]*entryFile{}, gens: map[string]uint64{}}
	for code, es := range ds.entries {
		if es.enc != nil {
			s.encoded[code] = es.enc
			continue
		}
		e := &entryFile{Overflow: es.overflow, Consumers: make([]Consumer, 0, len(es.consumers))}
		for _, c := range es.consumers {
			cp := *c
			cp.Items = slices.Clone(c.Items)
			e.Consumers = append(e.Consumers, cp)
		}
		s.changed[code], s.gens[code] = e, es.gen
	}
	return s
}

// encode encodes the changed entries and the whole file, the scenes and then the entries by key.
func (s *daySnap) encode() ([]byte, error) {
	if s.head.Scenes == nil {
		s.head.Scenes = map[string]sceneCount{} // present: the file counts scenes
	}
	scenes, err := json.Marshal(s.head.Scenes)
	if err != nil {
		return nil, err
	}
	for code, e := range s.changed {
		slices.SortFunc(e.Consumers, compareKey)
		b, err := json.Marshal(e)
		if err != nil {
			return nil, err
		}
		s.encoded[code] = b
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"version":%d,"day":"%s","covered":%d,"incomplete":%t,"sceneOverflow":%d,"scenesIncomplete":%t,"scenes":%s,"entries":{`,
		s.head.Version, s.head.Day, s.head.Covered, s.head.Incomplete, s.head.SceneOverflow, s.head.ScenesIncomplete, scenes)
	for i, code := range slices.Sorted(maps.Keys(s.encoded)) {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(code)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(s.encoded[code])
	}
	b.WriteString("}}")
	return b.Bytes(), nil
}

// flushIfDue writes the summaries that are due, unless another writer is at it.
func (l *Log) flushIfDue() {
	if l.cons.due.Load() {
		_ = l.flushSummaries(false) // a failed day stays dirty: retried a minute later, and by Close
	}
}

// flushSummaries writes the days that are due (all changed days when force), outside Log.mu
// and cons.mu: those are held only to copy the days.
func (l *Log) flushSummaries(force bool) error {
	if force {
		l.cons.wmu.Lock()
	} else if !l.cons.wmu.TryLock() {
		return nil
	}
	defer l.cons.wmu.Unlock()
	now := l.clock()
	var snaps []*daySnap
	l.cons.mu.Lock()
	l.cons.due.Store(false)
	for _, ds := range l.cons.days {
		if ds.dirty && (force || now.Sub(ds.lastWrite) >= summaryEvery) {
			snaps = append(snaps, ds.snapshot())
			ds.dirty, ds.lastWrite = false, now
		}
	}
	l.cons.mu.Unlock()
	var errs []error
	for _, s := range snaps {
		err := l.writeSummary(s)
		l.cons.mu.Lock()
		ds := l.cons.days[s.head.Day]
		switch {
		case ds == nil:
		case err != nil:
			errs = append(errs, err)
			ds.dirty = true
		case ds.retire && !ds.dirty:
			delete(l.cons.days, s.head.Day)
		default:
			for code, gen := range s.gens {
				if es := ds.entries[code]; es != nil && es.gen == gen {
					es.enc = s.encoded[code]
				}
			}
		}
		l.cons.mu.Unlock()
	}
	return errors.Join(errs...)
}

// writeSummary writes s atomically: a temp file, fsynced, renamed over the day's summary.
func (l *Log) writeSummary(s *daySnap) error {
	day := s.head.Day
	b, err := s.encode()
	if err != nil {
		return fmt.Errorf("encode consumers of %s: %w", day, err)
	}
	path := l.summaryPath(day)
	tmp := path + ".tmp"
	w, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("write consumers of %s: %w", day, err)
	}
	_, err = w.Write(b)
	if err = errors.Join(err, w.Sync(), w.Close()); err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(l.dir)
	}
	if err != nil {
		return fmt.Errorf("write consumers of %s: %w", day, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// expireSummaries removes the summaries (and temp files) of days before oldest that are not in
// memory.
func (l *Log) expireSummaries(oldest string) error {
	ents, err := os.ReadDir(l.dir)
	if err != nil {
		return fmt.Errorf("list audit directory: %w", err)
	}
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), summaryPrefix)
		if !ok || !(strings.HasSuffix(rest, summarySuffix) || strings.HasSuffix(rest, summarySuffix+".tmp")) ||
			len(rest) < len("2006-01-02") {
			continue
		}
		day := rest[:len("2006-01-02")]
		if _, err := time.Parse("2006-01-02", day); err != nil || day >= oldest {
			continue
		}
		l.cons.mu.Lock()
		_, live := l.cons.days[day]
		if !live {
			l.cons.forget(day)
		}
		l.cons.mu.Unlock()
		if live {
			continue
		}
		if err := os.Remove(filepath.Join(l.dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("expire consumers of %s: %w", day, err)
		}
	}
	return nil
}
