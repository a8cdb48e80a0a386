package audit

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	entryA = "0101/000001"
	entryB = "0102/000001"
)

func sceneRead(who string, items ...string) Event {
	return Event{Principal: who, Role: "scene", Scene: who, Entries: []string{entryA}, Items: items, Outcome: OutcomeOK}
}

func personRead(who, role string, entries []string, items ...string) Event {
	return Event{Principal: who, Role: role, Entries: entries, Items: items, Outcome: OutcomeOK}
}

func consumersOf(t *testing.T, l *Log, code, from, to string) []Consumer {
	t.Helper()
	cs, err := l.Consumers(code, at(from), at(to), MaxConsumers)
	require.NoError(t, err)
	return cs
}

// summaryOnDisk returns the requests of each consumer of code in day's summary file.
func summaryOnDisk(t *testing.T, dir, day, code string) map[string]int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "consumers-"+day+".json"))
	require.NoError(t, err)
	var f dayFile
	require.NoError(t, json.Unmarshal(b, &f))
	out := map[string]int{}
	if raw := f.Entries[code]; raw != nil {
		var e entryFile
		require.NoError(t, json.Unmarshal(raw, &e))
		for _, c := range e.Consumers {
			out[c.Principal] = c.Requests
		}
	}
	return out
}

func TestConsumersOverTwoDays(t *testing.T) {
	dir := t.TempDir()
	c := &clock{}
	l, err := Open(dir, 0, c.Now)
	require.NoError(t, err)
	defer l.Close()
	rec := func(when string, ev Event) {
		c.set(at(when))
		require.NoError(t, l.Record(ev))
	}
	rec("2026-03-01 09:00", sceneRead("app1", "t1.b", "t1.a"))
	rec("2026-03-01 10:00", personRead("zhang", "analyst", []string{entryA, entryB}, "t1.c", "t2.x"))
	failed := sceneRead("app1", "t1.secret")
	failed.Outcome = "FORBIDDEN"
	rec("2026-03-01 11:00", failed)
	rec("2026-03-01 11:30", Event{Principal: "li", Role: "analyst", Outcome: OutcomeOK}) // read no entry
	rec("2026-03-02 08:00", sceneRead("app1", "t1.d", "t1.a"))
	rec("2026-03-02 09:00", personRead("zhang", "steward", []string{entryA}, "t1.a"))

	_, err = os.Stat(filepath.Join(dir, "consumers-2026-03-01.json"))
	require.NoError(t, err, "the day that rolled over is written")
	want := []Consumer{
		{Principal: "zhang", Role: "steward", Requests: 2, First: at("2026-03-01 10:00"), Last: at("2026-03-02 09:00"),
			Items: []string{"t1.a", "t1.c", "t2.x"}},
		{Principal: "app1", Role: "scene", Scene: "app1", Requests: 2, First: at("2026-03-01 09:00"), Last: at("2026-03-02 08:00"),
			Items: []string{"t1.a", "t1.b", "t1.d"}},
	}
	assertConsumers(t, want, consumersOf(t, l, entryA, "2026-03-01 00:00", "2026-03-03 00:00"))
	assertConsumers(t, want, consumersOf(t, l, entryA, "2026-03-01 12:00", "2026-03-02 00:01"), "a day the period touches counts whole")

	firstDay := consumersOf(t, l, entryA, "2026-03-01 00:00", "2026-03-02 00:00")
	require.Len(t, firstDay, 2)
	assert.Equal(t, "zhang", firstDay[0].Principal, "the latest first")
	assert.Equal(t, 1, firstDay[0].Requests)
	assert.Equal(t, "analyst", firstDay[0].Role)
	assert.Equal(t, []string{"t1.a", "t1.b"}, firstDay[1].Items, "the failed request is not counted")

	b := consumersOf(t, l, entryB, "2026-03-01 00:00", "2026-03-03 00:00")
	require.Len(t, b, 1)
	assert.Equal(t, "zhang", b[0].Principal)

	cons, err := l.Consumption(entryA, at("2026-03-01 00:00"), at("2026-03-03 00:00"), 1)
	require.NoError(t, err)
	assert.Equal(t, 2, cons.Total)
	require.Len(t, cons.Consumers, 1)
	assert.Equal(t, "zhang", cons.Consumers[0].Principal)
	assert.Empty(t, cons.Incomplete)

	// A third day sends the first out of memory: it is read back from its file, and then kept
	// decoded.
	rec("2026-03-03 08:00", sceneRead("app2", "t1.a"))
	require.NoError(t, l.flushSummaries(true))
	l.cons.mu.Lock()
	_, live := l.cons.days["2026-03-01"]
	l.cons.mu.Unlock()
	require.False(t, live, "at most two days in memory")
	assertConsumers(t, want, consumersOf(t, l, entryA, "2026-03-01 00:00", "2026-03-03 00:00"))
	require.NoError(t, os.Remove(filepath.Join(dir, "consumers-2026-03-01.json")))
	assertConsumers(t, want, consumersOf(t, l, entryA, "2026-03-01 00:00", "2026-03-03 00:00"), "a past day is read once")

	// A late request for the first day brings it back into memory, made again from its day file
	// (its summary is gone), and out once written: what is read then is not the cached day.
	late := sceneRead("app1", "t1.e")
	late.At = at("2026-03-01 23:00")
	require.NoError(t, l.Record(late))
	require.NoError(t, l.flushSummaries(true))
	firstDay = consumersOf(t, l, entryA, "2026-03-01 00:00", "2026-03-02 00:00")
	require.Len(t, firstDay, 2)
	assert.Equal(t, "app1", firstDay[0].Principal)
	assert.Equal(t, 2, firstDay[0].Requests)
	assert.Equal(t, []string{"t1.a", "t1.b", "t1.e"}, firstDay[0].Items)
	assert.Equal(t, map[string]int{"app1": 2, "zhang": 1}, summaryOnDisk(t, dir, "2026-03-01", entryA))
}

func assertConsumers(t *testing.T, want, got []Consumer, msg ...any) {
	t.Helper()
	require.Len(t, got, len(want), msg...)
	for i := range want {
		assert.True(t, want[i].First.Equal(got[i].First) && want[i].Last.Equal(got[i].Last),
			"times of %s: %v..%v", got[i].Principal, got[i].First, got[i].Last)
		w, g := want[i], got[i]
		w.First, w.Last, g.First, g.Last = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		assert.Equal(t, w, g, msg...)
	}
}

// TestSummaryWrittenEveryMinuteAndContinuedAfterRestart: the current day's summary is written
// at most once a minute, continued after Close and Open, and after a crash the events it had
// not yet counted are read from the day file.
func TestSummaryWrittenEveryMinuteAndContinuedAfterRestart(t *testing.T) {
	dir := t.TempDir()
	c := &clock{now: at("2026-03-01 10:00")}
	l, err := Open(dir, 0, c.Now)
	require.NoError(t, err)
	rec := func(after time.Duration, who string) {
		c.set(at("2026-03-01 10:00").Add(after))
		require.NoError(t, l.Record(sceneRead(who, "t1.a")))
	}
	rec(0, "app1")
	assert.Equal(t, map[string]int{"app1": 1}, summaryOnDisk(t, dir, "2026-03-01", entryA), "a new day is written at once")
	rec(30*time.Second, "app1")
	assert.Equal(t, map[string]int{"app1": 1}, summaryOnDisk(t, dir, "2026-03-01", entryA), "not again within the minute")
	rec(61*time.Second, "app2")
	assert.Equal(t, map[string]int{"app1": 2, "app2": 1}, summaryOnDisk(t, dir, "2026-03-01", entryA))
	rec(90*time.Second, "app2")

	// A crash now: the directory as it is on disk, opened elsewhere.
	crashed := t.TempDir()
	for _, name := range []string{"2026-03-01.jsonl", "consumers-2026-03-01.json"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(crashed, name), b, 0o644))
	}
	after, err := Open(crashed, 0, c.Now)
	require.NoError(t, err)
	requests := map[string]int{}
	for _, c := range consumersOf(t, after, entryA, "2026-03-01 00:00", "2026-03-02 00:00") {
		requests[c.Principal] = c.Requests
	}
	assert.Equal(t, map[string]int{"app1": 2, "app2": 2}, requests, "the event after the last write is read from the day file")
	require.NoError(t, after.Close())

	require.NoError(t, l.Close())
	assert.Equal(t, map[string]int{"app1": 2, "app2": 2}, summaryOnDisk(t, dir, "2026-03-01", entryA), "Close writes")
	l, err = Open(dir, 0, c.Now)
	require.NoError(t, err)
	rec(2*time.Minute, "app1")
	got := consumersOf(t, l, entryA, "2026-03-01 00:00", "2026-03-02 00:00")
	require.Len(t, got, 2)
	assert.Equal(t, "app1", got[0].Principal)
	assert.Equal(t, 3, got[0].Requests, "today's summary continued")
	assert.True(t, got[0].First.Equal(at("2026-03-01 10:00")))
	require.NoError(t, l.Close())
	assert.Equal(t, map[string]int{"app1": 3, "app2": 2}, summaryOnDisk(t, dir, "2026-03-01", entryA))
}

// TestLateRequestCountsInItsDay: a request begun before midnight and recorded after counts in
// the day it began, also when that day is no longer in memory.
func TestLateRequestCountsInItsDay(t *testing.T) {
	dir := t.TempDir()
	c := &clock{now: at("2026-03-01 23:59").Add(20 * time.Second)}
	l, err := Open(dir, 0, c.Now)
	require.NoError(t, err)
	require.NoError(t, l.Record(sceneRead("app1")))
	c.set(at("2026-03-01 23:59").Add(30 * time.Second))
	require.NoError(t, l.Record(sceneRead("app1")))
	assert.Equal(t, map[string]int{"app1": 1}, summaryOnDisk(t, dir, "2026-03-01", entryA))
	c.set(at("2026-03-02 00:00").Add(10 * time.Second))
	require.NoError(t, l.Record(sceneRead("app1")))
	assert.Equal(t, map[string]int{"app1": 2}, summaryOnDisk(t, dir, "2026-03-01", entryA), "written when the day rolls over")
	late := sceneRead("app2")
	late.At = at("2026-03-01 23:59")
	require.NoError(t, l.Record(late))
	require.NoError(t, l.Close())

	c.set(at("2026-03-02 00:05"))
	l, err = Open(dir, 0, c.Now)
	require.NoError(t, err)
	defer l.Close()
	late.At = at("2026-03-01 23:58")
	require.NoError(t, l.Record(late))
	got := consumersOf(t, l, entryA, "2026-03-01 00:00", "2026-03-02 00:00")
	require.Len(t, got, 2)
	assert.Equal(t, "app1", got[0].Principal, "last read at 23:59:30")
	assert.Equal(t, 2, got[0].Requests)
	assert.Equal(t, "app2", got[1].Principal)
	assert.Equal(t, 2, got[1].Requests)
	assert.True(t, got[1].First.Equal(at("2026-03-01 23:58")) && got[1].Last.Equal(at("2026-03-01 23:59")))
	today := consumersOf(t, l, entryA, "2026-03-02 00:00", "2026-03-03 00:00")
	require.Len(t, today, 1)
	assert.Equal(t, "app1", today[0].Principal)
}

// TestSummaryBounds: a consumer keeps at most MaxConsumerItems items, an entry at most
// MaxEntryConsumers consumers a day; the requests of the others are counted, not kept. The
// second half also makes today's summary from a day file that has none.
func TestSummaryBounds(t *testing.T) {
	dir := t.TempDir()
	c := &clock{now: at("2026-03-01 10:00")}
	l, err := Open(dir, 0, c.Now)
	require.NoError(t, err)
	var items []string
	for i := range MaxConsumerItems + 50 {
		items = append(items, fmt.Sprintf("t1.f%03d", i))
	}
	require.NoError(t, l.Record(sceneRead("app1", items...)))
	require.NoError(t, l.Record(sceneRead("app1", "t1.f000")))
	got := consumersOf(t, l, entryA, "2026-03-01 00:00", "2026-03-02 00:00")
	require.Len(t, got, 1)
	assert.Len(t, got[0].Items, MaxConsumerItems)
	assert.Equal(t, "t1.f199", got[0].Items[MaxConsumerItems-1])
	assert.True(t, got[0].ItemsTruncated)
	require.NoError(t, l.Close())

	dir = t.TempDir()
	var b strings.Builder
	for i := range MaxEntryConsumers + 5 {
		line, err := json.Marshal(personRead(fmt.Sprintf("p%05d", i), "analyst", []string{entryA}, "t1.a"))
		require.NoError(t, err)
		b.Write(line)
		b.WriteByte('\n')
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "2026-03-01.jsonl"), []byte(b.String()), 0o644))
	l, err = Open(dir, 0, c.Now)
	require.NoError(t, err)
	defer l.Close()
	cons, err := l.Consumption(entryA, at("2026-03-01 00:00"), at("2026-03-02 00:00"), 10)
	require.NoError(t, err)
	assert.Equal(t, MaxEntryConsumers, cons.Total)
	assert.Equal(t, 5, cons.Overflow)
	assert.Len(t, cons.Consumers, 10)
	assert.Empty(t, cons.Incomplete)
}

func TestExpireRemovesSummaries(t *testing.T) {
	dir := t.TempDir()
	c := &clock{}
	l, err := Open(dir, 30*24*time.Hour, c.Now)
	require.NoError(t, err)
	for _, d := range []string{"2026-01-01 12:00", "2026-01-31 12:00", "2026-02-01 12:00", "2026-03-02 12:00"} {
		c.set(at(d))
		require.NoError(t, l.Record(sceneRead("app1")))
	}
	require.NoError(t, l.flushSummaries(true))
	require.Len(t, consumersOf(t, l, entryA, "2026-01-01 00:00", "2026-01-02 00:00"), 1)
	_, err = l.Expire()
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(dir, "consumers-2026-01-01.json"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	_, err = os.Stat(filepath.Join(dir, "consumers-2026-01-31.json"))
	assert.NoError(t, err)
	assert.Empty(t, consumersOf(t, l, entryA, "2026-01-01 00:00", "2026-01-02 00:00"), "not from the cache either")
	assert.Len(t, consumersOf(t, l, entryA, "2026-01-01 00:00", "2026-03-03 00:00"), 1)
	require.NoError(t, l.Close())
}

// TestDaysWithoutSummaryAreIncomplete: days audited before summaries existed are said to be
// missing from the answer rather than silently empty.
func TestDaysWithoutSummaryAreIncomplete(t *testing.T) {
	dir := t.TempDir()
	line, err := json.Marshal(sceneRead("app1"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "2026-02-01.jsonl"), append(line, '\n'), 0o644))
	l, err := Open(dir, 0, func() time.Time { return at("2026-03-01 10:00") })
	require.NoError(t, err)
	defer l.Close()
	cons, err := l.Consumption(entryA, at("2026-01-15 00:00"), at("2026-03-02 00:00"), 10)
	require.NoError(t, err)
	assert.Empty(t, cons.Consumers)
	assert.Equal(t, []string{"2026-02-01"}, cons.Incomplete)
}

func TestConsumersQueryBounds(t *testing.T) {
	l, err := Open(t.TempDir(), 0, func() time.Time { return at("2026-03-01 10:00") })
	require.NoError(t, err)
	defer l.Close()
	from := at("2026-03-01 00:00")
	for name, call := range map[string]func() error{
		"no code":     func() error { _, err := l.Consumers("", from, from.Add(time.Hour), 10); return err },
		"limit 0":     func() error { _, err := l.Consumers(entryA, from, from.Add(time.Hour), 0); return err },
		"limit 1001":  func() error { _, err := l.Consumers(entryA, from, from.Add(time.Hour), MaxConsumers+1); return err },
		"empty":       func() error { _, err := l.Consumers(entryA, from, from, 10); return err },
		"backwards":   func() error { _, err := l.Consumers(entryA, from, from.Add(-time.Hour), 10); return err },
		"401 days":    func() error { _, err := l.Consumers(entryA, from, from.AddDate(0, 0, 401), 10); return err },
		"zero period": func() error { _, err := l.Consumers(entryA, time.Time{}, from, 10); return err },
	} {
		assert.ErrorIs(t, call(), ErrConsumersQuery, name)
	}
	_, err = l.Consumers(entryA, from, from.AddDate(0, 0, MaxConsumerDays), MaxConsumers)
	assert.NoError(t, err, "400 days and 1000 consumers are allowed")
}

// TestReadConsumptionFromFiles: a process that does not keep the audit reads the same
// consumers from the summary files the service wrote, and never writes to the directory.
func TestReadConsumptionFromFiles(t *testing.T) {
	dir := t.TempDir()
	c := &clock{}
	l, err := Open(dir, 0, c.Now)
	require.NoError(t, err)
	rec := func(when string, ev Event) {
		c.set(at(when))
		require.NoError(t, l.Record(ev))
	}
	rec("2026-03-01 09:00", sceneRead("app1", "t1.b"))
	rec("2026-03-02 09:00", personRead("zhang", "steward", []string{entryA}, "t1.a"))
	require.NoError(t, l.flushSummaries(true))
	from, to := at("2026-03-01 00:00"), at("2026-03-03 00:00")
	want, err := l.Consumption(entryA, from, to, MaxConsumers)
	require.NoError(t, err)
	require.Len(t, want.Consumers, 2)

	before, err := os.ReadDir(dir)
	require.NoError(t, err)
	got, err := ReadConsumption(dir, entryA, from, to, MaxConsumers)
	require.NoError(t, err)
	assertConsumers(t, want.Consumers, got.Consumers)
	assert.Equal(t, want.Total, got.Total)
	after, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Equal(t, len(before), len(after), "nothing written")

	// Today's later requests are read once the service has written them.
	rec("2026-03-02 10:00", sceneRead("app2", "t1.a"))
	require.NoError(t, l.Close())
	got, err = ReadConsumption(dir, entryA, from, to, MaxConsumers)
	require.NoError(t, err)
	assert.Len(t, got.Consumers, 3)

	_, err = ReadConsumption(dir, "", from, to, MaxConsumers)
	require.ErrorIs(t, err, ErrConsumersQuery)
}
