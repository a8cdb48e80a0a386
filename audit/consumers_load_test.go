package audit

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConsumersUnderConcurrentRecords: requests recorded from many goroutines, while others read
// consumers and scenes and the clock moves on (writes of the summary), are all counted once.
func TestConsumersUnderConcurrentRecords(t *testing.T) {
	dir := t.TempDir()
	c := &clock{now: at("2026-03-01 10:00")}
	l, err := Open(dir, 0, c.Now)
	require.NoError(t, err)
	const writers, each = 8, 40
	var wg, readers sync.WaitGroup
	stop := make(chan struct{})
	for range 3 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, err := l.Consumers(entryA, at("2026-03-01 00:00"), at("2026-03-02 00:00"), 10)
				assert.NoError(t, err)
				_, err = l.ScenesUsed(at("2026-03-01 00:00"), at("2026-03-02 00:00"))
				assert.NoError(t, err)
			}
		}()
	}
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if i%10 == 0 {
					c.set(c.Now().Add(31 * time.Second))
				}
				assert.NoError(t, l.Record(sceneRead(fmt.Sprintf("app%d", w%4), fmt.Sprintf("t1.f%d", i%3))))
			}
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	count := func(l *Log) int {
		n := 0
		for _, c := range consumersOf(t, l, entryA, "2026-03-01 00:00", "2026-03-02 00:00") {
			n += c.Requests
			assert.Equal(t, []string{"t1.f0", "t1.f1", "t1.f2"}, c.Items)
		}
		scenes := 0
		for _, s := range scenesOf(t, l, "2026-03-01 00:00", "2026-03-02 00:00").Scenes {
			scenes += s.Requests
		}
		assert.Equal(t, n, scenes, "every request counted for its scene")
		return n
	}
	assert.Equal(t, writers*each, count(l))
	require.NoError(t, l.Close())
	c.set(at("2026-03-01 12:00"))
	l, err = Open(dir, 0, c.Now)
	require.NoError(t, err)
	defer l.Close()
	assert.Equal(t, writers*each, count(l))
}

// BenchmarkRecordWithConsumers compares Record with and without the summaries, one recorder
// at a time and many at once (sharing fsyncs).
func BenchmarkRecordWithConsumers(b *testing.B) {
	ev := sceneRead("app1", "t1.a", "t1.b", "t1.c", "t1.d")
	ev.Entries = []string{entryA, entryB}
	for _, mode := range []string{"serial", "parallel"} {
		for _, with := range []bool{false, true} {
			name := mode + "/without"
			if with {
				name = mode + "/with"
			}
			b.Run(name, func(b *testing.B) {
				c := &clock{now: at("2026-03-01 10:00")}
				l, err := Open(b.TempDir(), 0, c.Now)
				require.NoError(b, err)
				l.cons.off = !with
				b.ReportAllocs()
				b.ResetTimer()
				if mode == "serial" {
					for i := 0; b.Loop(); i++ {
						ev := ev
						ev.Principal, ev.Scene = fmt.Sprintf("app%d", i%500), fmt.Sprintf("app%d", i%500)
						if err := l.Record(ev); err != nil {
							b.Fatal(err)
						}
					}
				} else {
					b.RunParallel(func(pb *testing.PB) {
						for i := 0; pb.Next(); i++ {
							if err := l.Record(ev); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				b.StopTimer()
				require.NoError(b, l.Close())
			})
		}
	}
}

// BenchmarkSummarySnapshot measures how long a write of a busy day's summary holds the lock
// that Record's bookkeeping takes (encoding and writing happen outside it): 2,000 entries of 20
// consumers reading 20 items each, at the day's first write (every entry copied) and a minute
// later when 100 entries changed (the others reuse their encoding).
func BenchmarkSummarySnapshot(b *testing.B) {
	ds := &daySum{day: "2026-03-01", entries: map[string]*entrySum{}}
	for e := range 2000 {
		for c := range 20 {
			u := use{at: at("2026-03-01 10:00"), principal: fmt.Sprintf("app%d", c), role: "scene", scene: fmt.Sprintf("app%d", c), ok: true,
				entries: []string{fmt.Sprintf("%04d/%06d", e%100, e)}}
			for i := range 20 {
				u.items = append(u.items, fmt.Sprintf("t%d.f%d", e, i))
			}
			ds.add(&u)
		}
	}
	b.Run("all", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ds.snapshot()
		}
	})
	s := ds.snapshot()
	if _, err := s.encode(); err != nil {
		b.Fatal(err)
	}
	n := 0
	for code, es := range ds.entries {
		if n++; n > 100 {
			es.enc = s.encoded[code]
		}
	}
	b.Run("minute", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ds.snapshot()
		}
	})
}

// BenchmarkScenesOf30Days reads the scenes of 30 past days whose summaries each hold 500 scenes
// and 200 entries of 20 consumers (about 1.5 MB a day) from the files, as the figure's period asks
// them: from their heads, and, for comparison, whole.
func BenchmarkScenesOf30Days(b *testing.B) {
	dir := b.TempDir()
	first := at("2026-02-01 00:00")
	for d := range 30 {
		ds := &daySum{day: dayOf(first.AddDate(0, 0, d)), entries: map[string]*entrySum{}}
		for i := range 500 {
			ds.addScene(fmt.Sprintf("scene%03d", i), first.AddDate(0, 0, d))
		}
		for e := range 200 {
			for c := range 20 {
				u := use{at: first.AddDate(0, 0, d), principal: fmt.Sprintf("p%d", c), entries: []string{fmt.Sprintf("%04d/%06d", e%100, e)}}
				for i := range 20 {
					u.items = append(u.items, fmt.Sprintf("t%d.f%d", e, i))
				}
				ds.add(&u)
			}
		}
		l := &Log{dir: dir}
		require.NoError(b, l.writeSummary(ds.snapshot()))
	}
	from, to := first, first.AddDate(0, 0, 30)
	b.Run("heads", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			u, err := ReadScenesUsed(dir, from, to)
			if err != nil || len(u.Scenes) != 500 {
				b.Fatal(err, len(u.Scenes))
			}
		}
	})
	b.Run("whole", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for d := range 30 {
				if _, err := readDay(dir, dayOf(first.AddDate(0, 0, d))); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
