package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Consumer is one reader of an entry over a period.
type Consumer struct {
	// Principal and Role are those of the latest request; Scene is the scene account ("" for a
	// person's account), which identifies the consumer when set, the principal otherwise.
	Principal string    `json:"principal"`
	Role      string    `json:"role,omitempty"`
	Scene     string    `json:"scene,omitempty"`
	Requests  int       `json:"requests"`
	First     time.Time `json:"first"`
	Last      time.Time `json:"last"`
	// Items are the "table.field" its requests read, sorted. An event does not say which entry
	// an item belongs to, so a request reading several entries lists its items under each: the
	// reader who knows the entry's table keeps those of its table.
	Items []string `json:"items,omitempty"`
	// ItemsTruncated: more items were read than MaxConsumerItems, the rest are not listed.
	ItemsTruncated bool `json:"itemsTruncated,omitempty"`
}

// Consumption is who read an entry over a period, with what the summaries leave out.
type Consumption struct {
	Consumers []Consumer // at most the limit asked, the latest first
	Total     int        // consumers in the period, before the limit
	// Overflow counts the requests of consumers beyond MaxEntryConsumers in a day, not
	// attributed to anyone.
	Overflow int
	// Incomplete lists the days of the period whose events are not all summarised: days kept
	// before summaries were, or whose summary could not be continued at start-up.
	Incomplete []string
}

const (
	// MaxConsumerDays is the longest period, in days, Consumers reads.
	MaxConsumerDays = 400
	// MaxConsumers is the most consumers one call returns.
	MaxConsumers   = 1000
	cachedDays     = 8  // decoded past days' summaries kept
	cachedHeadDays = 64 // past days' heads (their scenes) kept: two periods of the figure's 30 days
)

// ErrConsumersQuery is returned for a Consumers or ScenesUsed call outside its bounds.
var ErrConsumersQuery = errors.New("consumers query out of bounds")

// Consumers returns who read entry code between from (inclusive) and to (exclusive) by days,
// merged over the days' summaries (today's from memory), sorted by Last descending then key, at
// most limit.
func (l *Log) Consumers(code string, from, to time.Time, limit int) ([]Consumer, error) {
	c, err := l.Consumption(code, from, to, limit)
	return c.Consumers, err
}

// Consumption is Consumers with the totals and the gaps. Every day the period touches counts
// whole (summaries are by day); it reads one summary per day, the events never.
func (l *Log) Consumption(code string, from, to time.Time, limit int) (Consumption, error) {
	days, err := consumersPeriod(code, from, to, limit)
	if err != nil {
		return Consumption{}, err
	}
	m := merger{by: map[ckey]*Consumer{}}
	past, err := l.summaries(days, false, func(ds *daySum) {
		if es := ds.entries[code]; es != nil {
			m.overflow += es.overflow
			for _, c := range es.consumers {
				m.add(c)
			}
		}
		if ds.incomplete {
			m.incomplete = append(m.incomplete, ds.day)
		}
	})
	if err != nil {
		return Consumption{}, err
	}
	for _, p := range past {
		if err := m.addDay(p, code); err != nil {
			return Consumption{}, err
		}
	}
	return m.result(limit), nil
}

// summaries hands the days in memory among days to live, under cons.mu, and returns the
// summaries of the others, from the caches or read from their files and then cached: whole, or
// only their heads when heads is set (a whole day cached serves as its head).
func (l *Log) summaries(days []string, heads bool, live func(*daySum)) ([]*pastDay, error) {
	var past []*pastDay
	var missing []string
	l.cons.mu.Lock()
	epoch := l.cons.epoch
	for _, d := range days {
		if ds := l.cons.days[d]; ds != nil {
			live(ds)
			continue
		}
		p := l.cons.cache.get(d)
		if p == nil && heads {
			p = l.cons.heads.get(d)
		}
		if p != nil {
			past = append(past, p)
		} else {
			missing = append(missing, d)
		}
	}
	l.cons.mu.Unlock()
	read, cache, size := readDay, &l.cons.cache, cachedDays
	if heads {
		read, cache, size = readHead, &l.cons.heads, cachedHeadDays
	}
	loaded := make([]*pastDay, 0, len(missing))
	for _, d := range missing {
		p, err := read(l.dir, d)
		if err != nil {
			return nil, err
		}
		loaded = append(loaded, p)
	}
	if len(loaded) > 0 {
		l.cons.mu.Lock()
		if epoch == l.cons.epoch { // no file read above can have changed since
			for _, p := range loaded[max(0, len(loaded)-size):] {
				cache.put(p, size)
			}
		}
		l.cons.mu.Unlock()
	}
	return append(past, loaded...), nil
}

// addDay adds the consumers of entry code in day p's summary.
func (m *merger) addDay(p *pastDay, code string) error {
	if p.incomplete {
		m.incomplete = append(m.incomplete, p.day)
	}
	raw, ok := p.entries[code]
	if !ok {
		return nil
	}
	var e entryFile
	if err := json.Unmarshal(raw, &e); err != nil {
		return fmt.Errorf("consumers of %s: entry %s: %w", p.day, code, err)
	}
	m.overflow += e.Overflow
	for i := range e.Consumers {
		m.add(&e.Consumers[i])
	}
	return nil
}

// consumersPeriod checks a Consumers call and returns the days of its period.
func consumersPeriod(code string, from, to time.Time, limit int) ([]string, error) {
	if code == "" {
		return nil, fmt.Errorf("%w: no entry code", ErrConsumersQuery)
	}
	if limit < 1 || limit > MaxConsumers {
		return nil, fmt.Errorf("%w: limit %d not within 1..%d", ErrConsumersQuery, limit, MaxConsumers)
	}
	return periodDays(from, to)
}

// periodDays checks a period and returns its days: every day it touches, at most
// MaxConsumerDays.
func periodDays(from, to time.Time) ([]string, error) {
	if !from.Before(to) {
		return nil, fmt.Errorf("%w: period from %s to %s is empty", ErrConsumersQuery,
			from.In(Zone).Format(time.DateTime), to.In(Zone).Format(time.DateTime))
	}
	first, last := dateOf(from), dateOf(to.Add(-time.Nanosecond))
	n := int(last.Sub(first)/(24*time.Hour)) + 1
	if n > MaxConsumerDays {
		return nil, fmt.Errorf("%w: period of %d days, at most %d", ErrConsumersQuery, n, MaxConsumerDays)
	}
	days := make([]string, n)
	for i := range days {
		days[i] = first.AddDate(0, 0, i).Format(time.DateOnly)
	}
	return days, nil
}

func dateOf(t time.Time) time.Time {
	y, m, d := t.In(Zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, Zone)
}

// pastDay is a day's summary file, its entries left encoded until asked for (nil in a head).
type pastDay struct {
	day        string
	incomplete bool
	entries    map[string]json.RawMessage
	// The scenes (nil when the file has none), and whether the day's scenes are incomplete:
	// the day is, or its file does not count scenes, or not all its events.
	scenes           map[string]sceneCount
	sceneOverflow    int
	scenesIncomplete bool
}

// ReadConsumption is Log.Consumption for a process that does not keep the audit (the command
// line beside a running service): it reads the summary files in dir only, never writing, so
// today counts as far as the service last wrote its summary (about a minute behind).
func ReadConsumption(dir, code string, from, to time.Time, limit int) (Consumption, error) {
	days, err := consumersPeriod(code, from, to, limit)
	if err != nil {
		return Consumption{}, err
	}
	m := merger{by: map[ckey]*Consumer{}}
	for _, d := range days {
		p, err := readDay(dir, d)
		if err != nil {
			return Consumption{}, err
		}
		if err := m.addDay(p, code); err != nil {
			return Consumption{}, err
		}
	}
	return m.result(limit), nil
}

// readDay reads day's summary file in dir. A day with events but no summary is incomplete.
func readDay(dir, day string) (*pastDay, error) {
	b, err := os.ReadFile(filepath.Join(dir, summaryPrefix+day+summarySuffix))
	if errors.Is(err, os.ErrNotExist) {
		return unsummarised(dir, day), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read consumers of %s: %w", day, err)
	}
	var f dayFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("read consumers of %s: %w", day, err)
	}
	p, err := headOf(day, &f)
	if err != nil {
		return nil, err
	}
	p.entries = f.Entries
	return p, nil
}

// unsummarised is a day without a summary file: incomplete when it has events.
func unsummarised(dir, day string) *pastDay {
	_, err := os.Stat(filepath.Join(dir, day+suffix))
	return &pastDay{day: day, incomplete: err == nil, scenesIncomplete: err == nil}
}

// headOf is day's summary file f without its entries.
func headOf(day string, f *dayFile) (*pastDay, error) {
	if f.Version != summaryVersion || f.Day != day {
		return nil, fmt.Errorf("read consumers of %s: version %d of day %q not understood", day, f.Version, f.Day)
	}
	return &pastDay{day: day, incomplete: f.Incomplete, scenes: f.Scenes, sceneOverflow: f.SceneOverflow,
		scenesIncomplete: f.Incomplete || f.ScenesIncomplete || (f.Scenes == nil && f.Covered > 0)}, nil
}

// forget drops day from the caches: its file is about to change. Callers hold cons.mu.
func (c *consumers) forget(day string) {
	c.cache.drop(day)
	c.heads.drop(day)
	c.epoch++
}

// pastCache keeps the latest read past days, the most recently used last. Guarded by cons.mu.
type pastCache struct{ days []*pastDay }

func (c *pastCache) get(day string) *pastDay {
	for i, p := range c.days {
		if p.day == day {
			c.days = append(append(c.days[:i:i], c.days[i+1:]...), p)
			return p
		}
	}
	return nil
}

func (c *pastCache) put(p *pastDay, size int) {
	c.drop(p.day)
	if len(c.days) >= size {
		c.days = slices.Delete(c.days, 0, 1)
	}
	c.days = append(c.days, p)
}

func (c *pastCache) drop(day string) {
	c.days = slices.DeleteFunc(c.days, func(p *pastDay) bool { return p.day == day })
}

// merger adds up consumers over days.
type merger struct {
	by         map[ckey]*Consumer
	overflow   int
	incomplete []string
}

func (m *merger) add(c *Consumer) {
	k := keyOf(c.Principal, c.Scene)
	cur := m.by[k]
	if cur == nil {
		cp := *c
		cp.Items = slices.Clone(c.Items)
		m.by[k] = &cp
		return
	}
	cur.Requests += c.Requests
	if c.First.Before(cur.First) {
		cur.First = c.First
	}
	if c.Last.After(cur.Last) {
		cur.Last, cur.Principal, cur.Role = c.Last, c.Principal, c.Role
	}
	cur.ItemsTruncated = cur.ItemsTruncated || c.ItemsTruncated
	for _, it := range c.Items {
		cur.Items, cur.ItemsTruncated = insertItem(cur.Items, it, cur.ItemsTruncated)
	}
}

func (m *merger) result(limit int) Consumption {
	out := Consumption{Total: len(m.by), Overflow: m.overflow, Consumers: make([]Consumer, 0, min(limit, len(m.by)))}
	all := make([]*Consumer, 0, len(m.by))
	for _, c := range m.by {
		all = append(all, c)
	}
	slices.SortFunc(all, func(a, b *Consumer) int {
		if c := b.Last.Compare(a.Last); c != 0 {
			return c
		}
		return compareKey(*a, *b)
	})
	for _, c := range all[:min(limit, len(all))] {
		out.Consumers = append(out.Consumers, *c)
	}
	slices.Sort(m.incomplete)
	out.Incomplete = m.incomplete
	return out
}

// compareKey orders consumers by identity: persons' accounts, then scenes', each by id.
func compareKey(a, b Consumer) int {
	ka, kb := keyOf(a.Principal, a.Scene), keyOf(b.Principal, b.Scene)
	if ka.scene != kb.scene {
		if kb.scene {
			return -1
		}
		return 1
	}
	return strings.Compare(ka.id, kb.id)
}
