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

// TestPastDaysWithoutScenesAreIncomplete: a past day with events but no summary, or with a
// summary written before summaries counted scenes, is reported rather than read as no use; the
// latter's consumers still count.
func TestPastDaysWithoutScenesAreIncomplete(t *testing.T) {
	dir := t.TempDir()
	c := &clock{}
	l, err := Open(dir, 0, c.Now)
	require.NoError(t, err)
	c.set(at("2026-02-02 10:00"))
	require.NoError(t, l.Record(sceneRead("app1", "t1.a")))
	c.set(at("2026-02-03 10:00"))
	require.NoError(t, l.Record(sceneRead("app2", "t1.a")))
	require.NoError(t, l.Close())
	stripScenes(t, dir, "2026-02-02")
	line, err := json.Marshal(sceneRead("app3"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "2026-02-01.jsonl"), append(line, '\n'), 0o644))

	l, err = Open(dir, 0, func() time.Time { return at("2026-03-01 10:00") })
	require.NoError(t, err)
	defer l.Close()
	from, to := at("2026-01-31 00:00"), at("2026-02-05 00:00")
	readers := map[string]func() (SceneUse, error){
		"ScenesUsed":     func() (SceneUse, error) { return l.ScenesUsed(from, to) },
		"ReadScenesUsed": func() (SceneUse, error) { return ReadScenesUsed(dir, from, to) },
	}
	for name, read := range readers {
		for range 2 { // read, then from the cache
			u, err := read()
			require.NoError(t, err, name)
			assertScenes(t, []SceneRequests{{"app2", 1, at("2026-02-03 10:00")}}, u, name)
			assert.Equal(t, []string{"2026-02-01", "2026-02-02"}, u.Incomplete, name)
		}
	}
	cons, err := l.Consumption(entryA, from, to, 10)
	require.NoError(t, err)
	assert.Len(t, cons.Consumers, 2, "the summary without scenes still tells its consumers")
	assert.Equal(t, []string{"2026-02-01"}, cons.Incomplete)
}

// TestSceneReadStopsBeforeEntries: the scenes of a past day are read from the head of its file,
// the entries after them never.
func TestSceneReadStopsBeforeEntries(t *testing.T) {
	dir := t.TempDir()
	c := &clock{now: at("2026-02-02 10:00")}
	l, err := Open(dir, 0, c.Now)
	require.NoError(t, err)
	require.NoError(t, l.Record(sceneRead("app1", "t1.a")))
	require.NoError(t, l.Close())
	path := filepath.Join(dir, "consumers-2026-02-02.json")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	head, _, found := strings.Cut(string(b), `"entries":`)
	require.True(t, found)
	require.NoError(t, os.WriteFile(path, []byte(head+`"entries":{"0101/000001":[broken`), 0o644))

	from, to := at("2026-02-02 00:00"), at("2026-02-03 00:00")
	u, err := ReadScenesUsed(dir, from, to)
	require.NoError(t, err)
	assertScenes(t, []SceneRequests{{"app1", 1, at("2026-02-02 10:00")}}, u)
	l, err = Open(dir, 0, func() time.Time { return at("2026-03-01 10:00") })
	require.NoError(t, err)
	defer l.Close()
	u, err = l.ScenesUsed(from, to)
	require.NoError(t, err)
	assertScenes(t, []SceneRequests{{"app1", 1, at("2026-02-02 10:00")}}, u)
	_, err = ReadConsumption(dir, entryA, from, to, 10)
	assert.Error(t, err, "the entries are broken indeed")
}

// TestReadScenesUsedWritesNothing: a process that does not keep the audit reads from the files
// what the Log answered, once it has closed, and leaves the directory as it was.
func TestReadScenesUsedWritesNothing(t *testing.T) {
	dir := t.TempDir()
	c := &clock{}
	l, err := Open(dir, 0, c.Now)
	require.NoError(t, err)
	for _, r := range []struct {
		when  string
		scene string
	}{{"2026-03-01 09:00", "app1"}, {"2026-03-01 09:10", "app2"}, {"2026-03-02 09:00", "app1"}, {"2026-03-02 09:00", "app3"}} {
		c.set(at(r.when))
		require.NoError(t, l.Record(sceneReq(r.scene)))
	}
	from, to := at("2026-02-28 00:00"), at("2026-03-03 00:00")
	want, err := l.ScenesUsed(from, to)
	require.NoError(t, err)
	require.Len(t, want.Scenes, 3)
	require.NoError(t, l.Close())
	closed, err := l.ScenesUsed(from, to)
	require.NoError(t, err)
	assert.Equal(t, want, closed)

	listing := func() map[string]string {
		ents, err := os.ReadDir(dir)
		require.NoError(t, err)
		out := map[string]string{}
		for _, e := range ents {
			info, err := e.Info()
			require.NoError(t, err)
			out[e.Name()] = fmt.Sprint(info.Size(), info.ModTime().UnixNano())
		}
		return out
	}
	before := listing()
	got, err := ReadScenesUsed(dir, from, to)
	require.NoError(t, err)
	assertScenes(t, want.Scenes, got)
	assert.Equal(t, want.Incomplete, got.Incomplete)
	assert.Equal(t, before, listing(), "nothing written")
}

// TestSceneBoundPerDay: a day counts at most MaxDayScenes scene accounts; the requests of the
// others are counted, not kept, and so they are once written.
func TestSceneBoundPerDay(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := range MaxDayScenes + 5 {
		ev := sceneReq(fmt.Sprintf("s%05d", i))
		ev.At = at("2026-03-01 08:00").Add(time.Duration(i) * time.Millisecond)
		line, err := json.Marshal(ev)
		require.NoError(t, err)
		b.Write(line)
		b.WriteByte('\n')
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "2026-03-01.jsonl"), []byte(b.String()), 0o644))
	c := &clock{now: at("2026-03-01 10:00")}
	l, err := Open(dir, 0, c.Now)
	require.NoError(t, err)
	require.NoError(t, l.Record(sceneReq("s00000")))
	require.NoError(t, l.Record(sceneReq("s99999")))
	check := func(u SceneUse, msg string) {
		t.Helper()
		require.Len(t, u.Scenes, MaxDayScenes, msg)
		assert.Equal(t, "s00000", u.Scenes[0].Scene, msg)
		assert.Equal(t, 2, u.Scenes[0].Requests, "%s: a scene kept goes on counting", msg)
		assert.True(t, u.Scenes[0].Last.Equal(at("2026-03-01 10:00")), msg)
		assert.Equal(t, fmt.Sprintf("s%05d", MaxDayScenes-1), u.Scenes[MaxDayScenes-1].Scene, msg)
		assert.Equal(t, 6, u.Overflow, msg)
		assert.Empty(t, u.Incomplete, msg)
	}
	from, to := at("2026-03-01 00:00"), at("2026-03-02 00:00")
	u, err := l.ScenesUsed(from, to)
	require.NoError(t, err)
	check(u, "in memory")
	require.NoError(t, l.Close())
	u, err = ReadScenesUsed(dir, from, to)
	require.NoError(t, err)
	check(u, "from the file")
}
