package audit

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sceneReq is a successful request of scene account scene that read no entry.
func sceneReq(scene string) Event {
	return Event{Principal: scene, Role: "scene", Scene: scene, Outcome: OutcomeOK}
}

func failedReq(ev Event) Event {
	ev.Outcome, ev.Error = "FORBIDDEN", "not granted"
	return ev
}

func scenesOf(t *testing.T, l *Log, from, to string) SceneUse {
	t.Helper()
	u, err := l.ScenesUsed(at(from), at(to))
	require.NoError(t, err)
	return u
}

func assertScenes(t *testing.T, want []SceneRequests, got SceneUse, msg ...any) {
	t.Helper()
	require.Len(t, got.Scenes, len(want), msg...)
	for i, w := range want {
		g := got.Scenes[i]
		assert.Equal(t, w.Scene, g.Scene, msg...)
		assert.Equal(t, w.Requests, g.Requests, "requests of %s", w.Scene)
		assert.True(t, w.Last.Equal(g.Last), "last of %s: %v, want %v", w.Scene, g.Last, w.Last)
	}
}

// scenesOnDisk returns the requests of each scene in day's summary file, nil when it has none.
func scenesOnDisk(t *testing.T, dir, day string) map[string]int {
	t.Helper()
	var f dayFile
	b, err := os.ReadFile(filepath.Join(dir, "consumers-"+day+".json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &f))
	if f.Scenes == nil {
		return nil
	}
	out := map[string]int{}
	for s, c := range f.Scenes {
		out[s] = c.Requests
	}
	return out
}

// stripScenes rewrites day's summary file as written before summaries counted scenes.
func stripScenes(t *testing.T, dir, day string) {
	t.Helper()
	path := filepath.Join(dir, "consumers-"+day+".json")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var f map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &f))
	require.Contains(t, f, "scenes")
	delete(f, "scenes")
	delete(f, "sceneOverflow")
	delete(f, "scenesIncomplete")
	b, err = json.Marshal(f)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o644))
}

func TestScenesUsedOverDays(t *testing.T) {
	dir := t.TempDir()
	c := &clock{}
	l, err := Open(dir, 0, c.Now)
	require.NoError(t, err)
	defer l.Close()
	rec := func(when string, ev Event) {
		c.set(at(when))
		require.NoError(t, l.Record(ev))
	}
	rec("2026-03-01 09:00", sceneRead("app1", "t1.a"))
	rec("2026-03-01 10:00", sceneReq("app2"))
	rec("2026-03-01 11:00", failedReq(sceneReq("app1")))
	rec("2026-03-01 11:30", personRead("zhang", "analyst", []string{entryA}, "t1.a"))
	rec("2026-03-01 12:00", sceneReq("app1"))
	rec("2026-03-02 08:00", sceneReq("app1"))
	rec("2026-03-02 09:00", failedReq(sceneReq("app2")))
	rec("2026-03-02 09:30", sceneReq("app2"))
	rec("2026-03-02 10:00", failedReq(sceneReq("app3")))

	firstDay := []SceneRequests{{"app1", 2, at("2026-03-01 12:00")}, {"app2", 1, at("2026-03-01 10:00")}}
	both := []SceneRequests{{"app1", 3, at("2026-03-02 08:00")}, {"app2", 2, at("2026-03-02 09:30")}}
	periods := []struct {
		name     string
		from, to string
		want     []SceneRequests
	}{
		{"the first day", "2026-03-01 00:00", "2026-03-02 00:00", firstDay},
		{"the second day", "2026-03-02 00:00", "2026-03-03 00:00",
			[]SceneRequests{{"app1", 1, at("2026-03-02 08:00")}, {"app2", 1, at("2026-03-02 09:30")}}},
		{"both days", "2026-03-01 00:00", "2026-03-03 00:00", both},
		{"the days touched count whole", "2026-03-01 12:30", "2026-03-02 00:01", both},
		{"a day without requests", "2026-03-05 00:00", "2026-03-06 00:00", nil},
	}
	check := func(stage string) {
		for _, p := range periods {
			u := scenesOf(t, l, p.from, p.to)
			assertScenes(t, p.want, u, stage+": "+p.name)
			assert.Empty(t, u.Incomplete, stage+": "+p.name)
			assert.Zero(t, u.Overflow, stage+": "+p.name)
		}
	}
	check("in memory")
	u := scenesOf(t, l, "2026-03-01 00:00", "2026-03-03 00:00")
	assert.True(t, u.Last("app2").Equal(at("2026-03-02 09:30")))
	assert.True(t, u.Last("zhang").IsZero(), "a person's requests are not a scene's")
	assert.True(t, u.Last("app3").IsZero(), "a failed request does not count")

	// A third day sends the first out of memory: it is read back from its file, and then kept.
	rec("2026-03-03 08:00", sceneReq("app3"))
	require.NoError(t, l.flushSummaries(true))
	l.cons.mu.Lock()
	_, live := l.cons.days["2026-03-01"]
	l.cons.mu.Unlock()
	require.False(t, live, "at most two days in memory")
	assert.Equal(t, map[string]int{"app1": 2, "app2": 1}, scenesOnDisk(t, dir, "2026-03-01"))
	check("from its file")
	require.NoError(t, os.Remove(filepath.Join(dir, "consumers-2026-03-01.json")))
	check("kept once read")
	assertScenes(t, []SceneRequests{{"app3", 1, at("2026-03-03 08:00")}}, scenesOf(t, l, "2026-03-03 00:00", "2026-03-04 00:00"))

	// A late request for the first day brings it back into memory, made again from its day file
	// (its summary is gone), and out once written: what is read then is not the day kept before.
	late := sceneReq("app4")
	late.At = at("2026-03-01 23:00")
	require.NoError(t, l.Record(late))
	require.NoError(t, l.flushSummaries(true))
	l.cons.mu.Lock()
	_, live = l.cons.days["2026-03-01"]
	l.cons.mu.Unlock()
	require.False(t, live)
	want := append(firstDay, SceneRequests{"app4", 1, at("2026-03-01 23:00")})
	assertScenes(t, want, scenesOf(t, l, "2026-03-01 00:00", "2026-03-02 00:00"))
	assert.Equal(t, map[string]int{"app1": 2, "app2": 1, "app4": 1}, scenesOnDisk(t, dir, "2026-03-01"))
}

func TestScenesUsedPeriodBounds(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, 0, func() time.Time { return at("2026-03-01 10:00") })
	require.NoError(t, err)
	defer l.Close()
	from := at("2026-03-01 00:00")
	readers := map[string]func(from, to time.Time) (SceneUse, error){
		"ScenesUsed":     l.ScenesUsed,
		"ReadScenesUsed": func(from, to time.Time) (SceneUse, error) { return ReadScenesUsed(dir, from, to) },
	}
	for name, read := range readers {
		for _, p := range []struct {
			name     string
			from, to time.Time
			ok       bool
		}{
			{"empty", from, from, false},
			{"backwards", from, from.Add(-time.Hour), false},
			{"401 days", from, from.AddDate(0, 0, MaxConsumerDays+1), false},
			{"from the zero time", time.Time{}, from, false},
			{"400 days", from, from.AddDate(0, 0, MaxConsumerDays), true},
			{"an hour", from, from.Add(time.Hour), true},
		} {
			_, err := read(p.from, p.to)
			if p.ok {
				assert.NoError(t, err, name+": "+p.name)
			} else {
				assert.ErrorIs(t, err, ErrConsumersQuery, name+": "+p.name)
			}
		}
	}
}

// TestScenesContinuedAfterRestart: after Close and Open in the middle of a day, and after a
// crash that left events the summary file does not count, the day's scenes go on counting.
func TestScenesContinuedAfterRestart(t *testing.T) {
	for _, crash := range []bool{false, true} {
		t.Run(fmt.Sprintf("crash=%t", crash), func(t *testing.T) {
			dir := t.TempDir()
			c := &clock{}
			l, err := Open(dir, 0, c.Now)
			require.NoError(t, err)
			rec := func(l *Log, after time.Duration, ev Event) {
				c.set(at("2026-03-01 10:00").Add(after))
				require.NoError(t, l.Record(ev))
			}
			rec(l, 0, sceneReq("app1"))
			rec(l, 30*time.Second, sceneRead("app2", "t1.a"))
			rec(l, 61*time.Second, sceneReq("app1"))
			assert.Equal(t, map[string]int{"app1": 2, "app2": 1}, scenesOnDisk(t, dir, "2026-03-01"))
			rec(l, 90*time.Second, sceneReq("app2"))
			if crash {
				crashed := t.TempDir()
				for _, name := range []string{"2026-03-01.jsonl", "consumers-2026-03-01.json"} {
					b, err := os.ReadFile(filepath.Join(dir, name))
					require.NoError(t, err)
					require.NoError(t, os.WriteFile(filepath.Join(crashed, name), b, 0o644))
				}
				defer l.Close()
				dir = crashed
			} else {
				require.NoError(t, l.Close())
			}
			l, err = Open(dir, 0, c.Now)
			require.NoError(t, err)
			rec(l, 2*time.Minute, sceneReq("app1"))
			want := []SceneRequests{{"app1", 3, at("2026-03-01 10:02")}, {"app2", 2, at("2026-03-01 10:01").Add(30 * time.Second)}}
			u := scenesOf(t, l, "2026-03-01 00:00", "2026-03-02 00:00")
			assertScenes(t, want, u)
			assert.Empty(t, u.Incomplete)
			require.NoError(t, l.Close())
			assert.Equal(t, map[string]int{"app1": 3, "app2": 2}, scenesOnDisk(t, dir, "2026-03-01"))
		})
	}
}

// TestScenesRemadeAtOpen: today's summary is made again from the day file at Open, scenes
// included, when it has no summary or one that does not count scenes; when the events cannot be
// read again, the scenes counted from then on are kept and the day is incomplete.
func TestScenesRemadeAtOpen(t *testing.T) {
	for _, tc := range []struct {
		name       string
		prepare    func(t *testing.T, dir string)
		want       []SceneRequests
		incomplete []string
	}{
		{"without a summary", func(t *testing.T, dir string) {
			require.NoError(t, os.Remove(filepath.Join(dir, "consumers-2026-03-01.json")))
		}, []SceneRequests{{"app1", 3, at("2026-03-01 11:00")}, {"app2", 1, at("2026-03-01 10:00")}}, nil},
		{"with a summary without scenes", func(t *testing.T, dir string) {
			stripScenes(t, dir, "2026-03-01")
		}, []SceneRequests{{"app1", 3, at("2026-03-01 11:00")}, {"app2", 1, at("2026-03-01 10:00")}}, nil},
		{"with a summary without scenes and no events to read", func(t *testing.T, dir string) {
			stripScenes(t, dir, "2026-03-01")
			require.NoError(t, os.Remove(filepath.Join(dir, "2026-03-01.jsonl")))
		}, []SceneRequests{{"app1", 1, at("2026-03-01 11:00")}}, []string{"2026-03-01"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			c := &clock{now: at("2026-03-01 09:00")}
			l, err := Open(dir, 0, c.Now)
			require.NoError(t, err)
			require.NoError(t, l.Record(sceneRead("app1", "t1.a")))
			c.set(at("2026-03-01 10:00"))
			require.NoError(t, l.Record(sceneReq("app2")))
			require.NoError(t, l.Record(sceneReq("app1")))
			require.NoError(t, l.Close())
			tc.prepare(t, dir)

			c.set(at("2026-03-01 11:00"))
			l, err = Open(dir, 0, c.Now)
			require.NoError(t, err)
			require.NoError(t, l.Record(sceneReq("app1")))
			u := scenesOf(t, l, "2026-03-01 00:00", "2026-03-02 00:00")
			assertScenes(t, tc.want, u)
			assert.Equal(t, tc.incomplete, u.Incomplete)
			require.NoError(t, l.Close())
			r, err := ReadScenesUsed(dir, at("2026-03-01 00:00"), at("2026-03-02 00:00"))
			require.NoError(t, err)
			assertScenes(t, tc.want, r, "as written")
			assert.Equal(t, tc.incomplete, r.Incomplete, "as written")
		})
	}
}
