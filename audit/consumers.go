package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Consumption summaries: which scene or person read which entry and which of its items, kept by
// the Log per day so that lineage answers "who reads this entry" from one small file a day
// instead of the day's events; and how many successful requests each scene account made
// (scenes.go), so that the "一件事" figure tells the scenes in use the same way.
//
// An event enters its day's summary when it becomes durable, in the order of the day file, so a
// summary always covers a prefix of its day file (dayFile.Covered bytes). The current days'
// summaries live in memory and are written (temp file, fsync, rename) when a newer day starts, at
// most once a minute otherwise, and on Close. Open continues today's summary from its file and
// reads only the events written after it (a crash loses none); older days are read from their
// files when asked for, the last few read kept.

const (
	// MaxConsumerItems is the most items kept per consumer of an entry in a day (and in a merged
	// answer); beyond, Consumer.ItemsTruncated is set.
	MaxConsumerItems = 200
	// MaxEntryConsumers is the most consumers kept per entry and day; the requests of any more
	// are counted in Consumption.Overflow.
	MaxEntryConsumers = 10000

	summaryEvery   = time.Minute // the most often the current day's summary is written
	summaryPrefix  = "consumers-"
	summarySuffix  = ".json"
	summaryVersion = 1
	liveDays       = 2        // days kept in memory: today, and yesterday for late requests
	maxReplay      = 64 << 20 // the most event bytes read to continue a summary
)

// consumers is the Log's summary state.
type consumers struct {
	// Guarded by Log.mu.
	size  int64    // bytes in the current day file
	queue []queued // events written, not yet durable, in file order
	off   bool     // summaries disabled (benchmarks measure the Log without them)

	mu    sync.Mutex // guards what follows; taken under Log.mu, never the reverse
	days  map[string]*daySum
	epoch uint64    // moves when a day's file may change under a reader: its read is not cached
	cache pastCache // whole past days (cachedDays)
	heads pastCache // past days' heads, their scenes without their entries (cachedHeadDays)

	due atomic.Bool // a summary is due for writing
	wmu sync.Mutex  // one writer of summary files at a time, snapshots written in order
}

// queued is an event written to the day file and waiting for its fsync.
type queued struct {
	seq  uint64
	day  string
	end  int64 // offset after the event's line
	size int64 // the line's length
	use  use
}

// use is what an event tells about consumption; entries is nil when it tells nothing.
type use struct {
	at                     time.Time
	principal, role, scene string
	ok                     bool // the request succeeded
	entries, items         []string
}

func useOf(ev *Event) use {
	u := use{at: ev.At, principal: ev.Principal, role: ev.Role, scene: ev.Scene, ok: ev.Outcome == OutcomeOK}
	if ev.Outcome == OutcomeOK && len(ev.Entries) > 0 {
		u.entries, u.items = ev.Entries, ev.Items
	}
	return u
}

// daySum is one day's summary in memory. Consumers' Items are kept sorted.
type daySum struct {
	day        string
	entries    map[string]*entrySum
	covered    int64 // bytes of the day file summarised
	incomplete bool  // events of the day that the summary misses (a replay too long)
	// The scene accounts' successful requests (scenes.go): at most MaxDayScenes accounts, the
	// requests of others counted in sceneOverflow. scenesIncomplete: the summary was continued
	// from a file that did not count scenes, so the scenes miss its events.
	scenes           map[string]sceneCount
	sceneOverflow    int
	scenesIncomplete bool
	dirty            bool // changed since written
	retire           bool // to leave memory once written
	lastWrite        time.Time
}

type entrySum struct {
	overflow  int
	consumers map[ckey]*Consumer
	gen       uint64          // counts changes
	enc       json.RawMessage // the entry as last written; nil when changed since
}

// ckey is a consumer's identity: the scene account, or the principal for a person's account.
type ckey struct {
	scene bool
	id    string
}

func keyOf(principal, scene string) ckey {
	if scene != "" {
		return ckey{true, scene}
	}
	return ckey{false, principal}
}

// add counts u in the summary.
func (ds *daySum) add(u *use) {
	if u.ok && u.scene != "" {
		ds.addScene(u.scene, u.at)
	}
	key := keyOf(u.principal, u.scene)
	for i, code := range u.entries {
		if slices.Contains(u.entries[:i], code) {
			continue
		}
		es := ds.entries[code]
		if es == nil {
			es = &entrySum{consumers: map[ckey]*Consumer{}}
			ds.entries[code] = es
		}
		es.gen, es.enc = es.gen+1, nil
		c := es.consumers[key]
		if c == nil {
			if len(es.consumers) >= MaxEntryConsumers {
				es.overflow++
				continue
			}
			c = &Consumer{Principal: u.principal, Role: u.role, Scene: u.scene, First: u.at, Last: u.at}
			es.consumers[key] = c
		}
		c.Requests++
		if u.at.Before(c.First) {
			c.First = u.at
		}
		if !u.at.Before(c.Last) {
			c.Last, c.Principal, c.Role = u.at, u.principal, u.role
		}
		for _, it := range u.items {
			c.Items, c.ItemsTruncated = insertItem(c.Items, it, c.ItemsTruncated)
		}
	}
}

// insertItem adds it to the sorted items unless present or the bound is reached.
func insertItem(items []string, it string, truncated bool) ([]string, bool) {
	i, found := slices.BinarySearch(items, it)
	if found {
		return items, truncated
	}
	if len(items) >= MaxConsumerItems {
		return items, true
	}
	return slices.Insert(items, i, it), truncated
}

// queueLocked notes the event just written as the seq-th, of size bytes, to be summarised once
// durable. Callers hold mu.
func (l *Log) queueLocked(seq uint64, size int, ev *Event) {
	if l.cons.off {
		return
	}
	l.cons.queue = append(l.cons.queue, queued{seq: seq, day: l.day, end: l.cons.size, size: int64(size), use: useOf(ev)})
}

// settleLocked summarises the queued events that are now durable. Callers hold mu.
func (l *Log) settleLocked() {
	q := l.cons.queue
	n := 0
	for n < len(q) && q[n].seq <= l.durable {
		n++
	}
	if n == 0 {
		return
	}
	l.cons.mu.Lock()
	for i := range q[:n] {
		ds := l.cons.days[q[i].day]
		if ds == nil {
			ds = l.openDayLocked(q[i].day, q[i].end-q[i].size)
		}
		ds.add(&q[i].use)
		ds.covered, ds.dirty = q[i].end, true
	}
	due := l.dueLocked(l.clock())
	l.cons.mu.Unlock()
	rest := copy(q, q[n:])
	clear(q[rest:])
	l.cons.queue = q[:rest]
	if due {
		l.cons.due.Store(true)
	}
}

func (l *Log) dueLocked(now time.Time) bool {
	for _, ds := range l.cons.days {
		if ds.dirty && now.Sub(ds.lastWrite) >= summaryEvery {
			return true
		}
	}
	return false
}

// openDayLocked brings day's summary into memory: from its file, continued with the day's
// events from what the file covers up to offset upto, or made from those events when there is
// no file. Older days in memory are then due for writing, and the oldest beyond liveDays leave
// memory once written. Callers hold cons.mu.
func (l *Log) openDayLocked(day string, upto int64) *daySum {
	ds := &daySum{day: day, entries: map[string]*entrySum{}}
	loaded := l.loadSummary(ds, upto)
	replayed := l.replay(ds, upto)
	if loaded && !replayed {
		ds.lastWrite = l.clock()
	} else {
		ds.dirty = ds.dirty || replayed
	}
	for _, o := range l.cons.days {
		if o.day < day {
			o.lastWrite = time.Time{} // the day rolled over: write it now
		}
	}
	l.cons.days[day] = ds
	l.cons.forget(day)
	for {
		var oldest *daySum
		staying := 0
		for _, o := range l.cons.days {
			if !o.retire {
				staying++
				if oldest == nil || o.day < oldest.day {
					oldest = o
				}
			}
		}
		if staying <= liveDays {
			return ds
		}
		oldest.retire, oldest.dirty, oldest.lastWrite = true, true, time.Time{}
	}
}

// loadSummary reads ds's day from its file, if there is a usable one. A file that does not
// count scenes is not used when the events it covers, up to offset upto of the day file, can be
// read again within maxReplay: the day is made again from them, scenes included; otherwise the
// day's scenes are incomplete.
func (l *Log) loadSummary(ds *daySum, upto int64) bool {
	b, err := os.ReadFile(l.summaryPath(ds.day))
	if err != nil {
		return false
	}
	var f dayFile
	if json.Unmarshal(b, &f) != nil || f.Version != summaryVersion || f.Day != ds.day {
		return false // made again from the day's events
	}
	if f.Scenes == nil && f.Covered > 0 {
		if f.Covered <= upto && upto <= maxReplay {
			return false
		}
		f.ScenesIncomplete = true
	}
	entries := make(map[string]*entrySum, len(f.Entries))
	for code, raw := range f.Entries {
		var e entryFile
		if json.Unmarshal(raw, &e) != nil {
			return false
		}
		es := &entrySum{overflow: e.Overflow, consumers: make(map[ckey]*Consumer, len(e.Consumers)), enc: raw}
		for i := range e.Consumers {
			c := &e.Consumers[i]
			slices.Sort(c.Items)
			c.Items = slices.Compact(c.Items)
			es.consumers[keyOf(c.Principal, c.Scene)] = c
		}
		entries[code] = es
	}
	ds.entries, ds.covered, ds.incomplete = entries, f.Covered, f.Incomplete
	ds.scenes, ds.sceneOverflow, ds.scenesIncomplete = f.Scenes, f.SceneOverflow, f.ScenesIncomplete
	return true
}

// replay summarises the whole lines of ds's day file from what ds covers up to offset upto, and
// says whether ds changed. Beyond maxReplay bytes (or without the file) it reads none and marks
// the day incomplete.
func (l *Log) replay(ds *daySum, upto int64) bool {
	if upto <= ds.covered {
		return false
	}
	if upto-ds.covered > maxReplay {
		ds.covered, ds.incomplete = upto, true
		return true
	}
	f, err := os.Open(filepath.Join(l.dir, ds.day+suffix))
	if err != nil {
		ds.covered, ds.incomplete = upto, true
		return true
	}
	defer f.Close()
	r := bufio.NewReader(io.NewSectionReader(f, ds.covered, upto-ds.covered))
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return true // the rest is not a whole line (yet)
		}
		ds.covered += int64(len(line))
		var ev Event
		if json.Unmarshal(bytes.TrimSpace(line), &ev) != nil {
			ds.incomplete = true
			continue
		}
		u := useOf(&ev)
		ds.add(&u)
	}
}

// openToday continues today's summary at Open, if today has a summary or events.
func (l *Log) openToday() {
	today := dayOf(l.clock())
	var size int64
	if st, err := os.Stat(filepath.Join(l.dir, today+suffix)); err == nil {
		size = st.Size()
	} else if _, err := os.Stat(l.summaryPath(today)); err != nil {
		return
	}
	l.cons.mu.Lock()
	l.openDayLocked(today, size)
	l.cons.mu.Unlock()
}
