package audit

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, Zone)
	if err != nil {
		panic(err)
	}
	return t
}

func all(t *testing.T, l *Log, f Filter) []Event {
	t.Helper()
	var out []Event
	after := ""
	for {
		page, next, err := l.Query(context.Background(), f, after, 3)
		require.NoError(t, err)
		out = append(out, page...)
		if next == "" {
			return out
		}
		after = next
	}
}

// TestConcurrentRecordsAreDurableAndComplete: every event recorded by concurrent requests is
// read back after the log is closed and opened again, none lost, none twice.
func TestConcurrentRecordsAreDurableAndComplete(t *testing.T) {
	dir := t.TempDir()
	c := &clock{now: at("2026-03-01 10:00")}
	l, err := Open(dir, 0, c.Now)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, l.Record(Event{ID: fmt.Sprintf("r%02d", i), Principal: "app", Outcome: OutcomeOK, Rows: i}))
		}()
	}
	wg.Wait()
	require.NoError(t, l.Close())
	require.Error(t, l.Record(Event{ID: "late"}), "a closed log records nothing")

	l, err = Open(dir, 0, c.Now)
	require.NoError(t, err)
	defer l.Close()
	got := all(t, l, Filter{})
	require.Len(t, got, 64)
	seen := map[string]bool{}
	for _, ev := range got {
		seen[ev.ID] = true
		assert.Equal(t, at("2026-03-01 10:00"), ev.At.In(Zone))
	}
	assert.Len(t, seen, 64)
}

func TestQueryFiltersAcrossDaysAndPages(t *testing.T) {
	dir := t.TempDir()
	c := &clock{}
	l, err := Open(dir, 0, c.Now)
	require.NoError(t, err)
	defer l.Close()
	rec := func(when, id, who, entry, outcome string, unmasked ...string) {
		c.set(at(when))
		require.NoError(t, l.Record(Event{ID: id, Principal: who, Entries: []string{entry}, Outcome: outcome, Unmasked: unmasked}))
	}
	rec("2026-03-01 23:59", "a", "app1", "0101/000001", OutcomeOK)
	rec("2026-03-02 00:01", "b", "app2", "0101/000001", "FORBIDDEN")
	rec("2026-03-02 08:00", "c", "app1", "0102/000001", OutcomeOK, "t.phone")
	rec("2026-03-03 09:00", "d", "app1", "0101/000001", OutcomeOK)
	rec("2026-03-03 10:00", "e", "app2", "0101/000001", OutcomeOK)
	days, err := filepath.Glob(filepath.Join(dir, "*"+suffix)) // beside them, consumers.go's summaries
	require.NoError(t, err)
	assert.Len(t, days, 3, "one file per day in Chongqing time")

	ids := func(evs []Event) string {
		var s []string
		for _, e := range evs {
			s = append(s, e.ID)
		}
		return strings.Join(s, "")
	}
	assert.Equal(t, "abcde", ids(all(t, l, Filter{})))
	assert.Equal(t, "acd", ids(all(t, l, Filter{Principal: "app1"})))
	assert.Equal(t, "abde", ids(all(t, l, Filter{Entry: "0101/000001"})))
	assert.Equal(t, "b", ids(all(t, l, Filter{Outcome: "FORBIDDEN"})))
	assert.Equal(t, "c", ids(all(t, l, Filter{Unmasked: true})))
	assert.Equal(t, "bcd", ids(all(t, l, Filter{From: at("2026-03-02 00:00"), To: at("2026-03-03 10:00")})))

	page, next, err := l.Query(context.Background(), Filter{}, "", 2)
	require.NoError(t, err)
	assert.Equal(t, "ab", ids(page))
	page, _, err = l.Query(context.Background(), Filter{}, next, 2)
	require.NoError(t, err)
	assert.Equal(t, "cd", ids(page))
	_, _, err = l.Query(context.Background(), Filter{}, "x/1", 2)
	assert.ErrorIs(t, err, ErrBadCursor)
}

// TestPartialLastLineIsNotRead: an event being written (no newline yet) is not an event.
func TestPartialLastLineIsNotRead(t *testing.T) {
	dir := t.TempDir()
	c := &clock{now: at("2026-03-01 10:00")}
	l, err := Open(dir, 0, c.Now)
	require.NoError(t, err)
	require.NoError(t, l.Record(Event{ID: "whole", Outcome: OutcomeOK}))
	require.NoError(t, l.Close())
	f, err := os.OpenFile(filepath.Join(dir, "2026-03-01.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"id":"torn","at":`)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	l, err = Open(dir, 0, c.Now)
	require.NoError(t, err)
	defer l.Close()
	got := all(t, l, Filter{})
	require.Len(t, got, 1)
	assert.Equal(t, "whole", got[0].ID)
}

func TestExpireKeepsTheRetention(t *testing.T) {
	dir := t.TempDir()
	c := &clock{}
	l, err := Open(dir, 30*24*time.Hour, c.Now)
	require.NoError(t, err)
	for _, d := range []string{"2026-01-01 12:00", "2026-01-31 12:00", "2026-02-01 12:00", "2026-03-02 12:00"} {
		c.set(at(d))
		require.NoError(t, l.Record(Event{ID: d, Outcome: OutcomeOK}))
	}
	n, err := l.Expire() // now 2026-03-02: kept from 2026-01-31 on
	require.NoError(t, err)
	assert.Equal(t, 1, n, "only the day wholly before the retention")
	got := all(t, l, Filter{})
	require.Len(t, got, 3)
	assert.Equal(t, "2026-01-31 12:00", got[0].ID)
	require.NoError(t, l.Close())
}

func TestExportIsCSVWithChineseHeaders(t *testing.T) {
	dir := t.TempDir()
	c := &clock{now: at("2026-03-01 10:00")}
	l, err := Open(dir, 0, c.Now)
	require.NoError(t, err)
	defer l.Close()
	require.NoError(t, l.Record(Event{ID: "r1", Principal: "app", Role: "scene", Scene: "app",
		Entries: []string{"0101/000001"}, Items: []string{"t.a", "t.b"}, Masked: []string{"t.b:MOBILE"}, Rows: 2, Outcome: OutcomeOK}))
	require.NoError(t, l.Record(Event{ID: "r2", Principal: "app", Outcome: "INVALID", Error: "=HYPERLINK(\"x\")"}))
	var buf bytes.Buffer
	n, err := l.Export(context.Background(), &buf, Filter{}, func(ev *Event) int {
		if ev.ID == "r2" {
			ev.Entries = nil
			return 1
		}
		return 0
	})
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	require.True(t, strings.HasPrefix(buf.String(), "\uFEFF"))
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\uFEFF"))).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 3)
	assert.Equal(t, csvHeader, rows[0])
	assert.Equal(t, []string{"r1", "2026-03-01 10:00:00.000", "app", "scene", "app", "0101/000001", "t.a；t.b", "t.b:MOBILE", "", "", "", "", "2", "0.0", "OK", "", "0"}, rows[1])
	assert.Equal(t, `'=HYPERLINK("x")`, rows[2][15], "a cell is never a formula")
	assert.Equal(t, "1", rows[2][16], "what the reader may not see is counted")
}

// TestQueryStopsWithItsContext: a long read (a filter that matches little over many events)
// ends when the request's context does, instead of reading on.
func TestQueryStopsWithItsContext(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := range 2 * checkEvery {
		fmt.Fprintf(&b, `{"id":"r%d","at":"2026-03-01T10:00:00+08:00","principal":"app","rows":0,"ms":0,"outcome":"OK"}`+"\n", i)
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "2026-03-01.jsonl"), []byte(b.String()), 0o644))
	l, err := Open(dir, 0, func() time.Time { return at("2026-03-01 12:00") })
	require.NoError(t, err)
	defer l.Close()
	evs, _, err := l.Query(context.Background(), Filter{Principal: "nobody"}, "", 10)
	require.NoError(t, err)
	assert.Empty(t, evs)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err = l.Query(ctx, Filter{Principal: "nobody"}, "", 10)
	assert.ErrorIs(t, err, context.Canceled)
}
