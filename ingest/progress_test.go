package ingest

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
)

// TestProgressReported: a long load reports how far it is, to its caller and to whoever asks the
// service by run, with the share of the file read when its size is known; the report ends with
// the load.
func TestProgressReported(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	e.putEntry(nil)
	var b strings.Builder
	b.WriteString("站点编码,区县,监测日期\n")
	for i := range 20000 {
		fmt.Fprintf(&b, "S%d,渝中区,2024-05-07\n", i)
	}
	file := b.String()
	half := len(file) / 2
	pr, pw := io.Pipe()
	go func() {
		_, _ = io.WriteString(pw, file[:half])
		time.Sleep(2 * progressEvery) // the district's upload stalls halfway
		_, _ = io.WriteString(pw, file[half:])
		_ = pw.Close()
	}()
	var mu sync.Mutex
	var seen []Progress
	var running []bool
	done := make(chan *Result, 1)
	go func() {
		res, err := e.svc.Submit(t.Context(), Submission{Principal: catalog.Operator(), Entry: "0101/000001", Filename: "大文件.csv",
			Body: pr, Size: int64(len(file)), Progress: func(p Progress) {
				_, live := e.svc.Progress(p.Run)
				mu.Lock()
				defer mu.Unlock()
				seen = append(seen, p)
				running = append(running, live)
			}})
		assert.NoError(t, err)
		done <- res
	}()
	res := <-done
	mu.Lock()
	defer mu.Unlock()
	require.GreaterOrEqual(t, len(seen), 3, "at the start, at least once while it stalled, and at the end")
	for i := 1; i < len(seen); i++ {
		assert.GreaterOrEqual(t, seen[i].RowsRead, seen[i-1].RowsRead)
		assert.GreaterOrEqual(t, seen[i].BytesRead, seen[i-1].BytesRead)
		assert.True(t, running[i], "the service answers for a running load")
	}
	stalled := false
	for _, p := range seen {
		pct, ok := p.Percent()
		require.True(t, ok)
		assert.LessOrEqual(t, pct, 100.0)
		if p.RowsRead > 0 && pct > 45 && pct <= 50 {
			stalled = true // half of the file read, and its rows
			assert.InDelta(t, 10000, p.RowsRead, 1500)
		}
	}
	assert.True(t, stalled, "a report while the upload stalled halfway: %+v", seen)
	last := seen[len(seen)-1]
	assert.EqualValues(t, 20000, last.RowsRead)
	assert.EqualValues(t, len(file), last.BytesRead)
	assert.Equal(t, res.Run.ID, last.Run)
	_, live := e.svc.Progress(res.Run.ID)
	assert.False(t, live, "the report ends with the load")
}

// TestOneLoadPerEntryAtATime: a second load of an entry waits for the first to end before its
// run begins, so the entry never has two runs at once; one that gives up waiting begins none.
// Loads of other entries do not wait.
func TestOneLoadPerEntryAtATime(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	e.putEntry(nil)
	e.putEntry(func(en *catalog.Entry) { en.ResourceCode, en.Table = "0101/000002", "air_daily_2" })
	pr, pw := io.Pipe()
	first := make(chan *Result, 1)
	go func() {
		res, err := e.svc.Submit(t.Context(), Submission{Principal: catalog.Operator(), Entry: "0101/000001", Filename: "慢.csv", Body: pr})
		assert.NoError(t, err)
		first <- res
	}()
	_, err := io.WriteString(pw, "站点编码,区县,监测日期\nS1,渝中区,2024-05-07\n")
	require.NoError(t, err)
	running := func() (n int) {
		for _, r := range e.cat.View().Runs("0101/000001") {
			if r.Status == catalog.RunRunning {
				n++
			}
		}
		return n
	}
	require.Eventually(t, func() bool { return running() == 1 }, 5*time.Second, 10*time.Millisecond)

	second := make(chan *Result, 1)
	go func() {
		res, err := e.submit("后.csv", "站点编码,区县,监测日期\nS2,渝中区,2024-05-08\n", nil)
		assert.NoError(t, err)
		second <- res
	}()
	other, err := e.submit("别的目录.csv", "站点编码,区县,监测日期\nS3,渝中区,2024-05-08\n", func(s *Submission) { s.Entry = "0101/000002" })
	require.NoError(t, err, "another entry does not wait")
	assert.NotNil(t, other.Snapshot)

	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err = e.svc.Submit(ctx, Submission{Principal: catalog.Operator(), Entry: "0101/000001", Filename: "放弃.csv",
		Body: strings.NewReader("站点编码,区县,监测日期\nS4,渝中区,2024-05-09\n")})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "该目录正在归集另一批数据")
	assert.Equal(t, 1, running(), "the second waits without a run; the one that gave up began none")
	assert.Len(t, e.cat.View().Runs("0101/000001"), 1)

	require.NoError(t, pw.Close())
	r1, r2 := <-first, <-second
	require.NotNil(t, r1.Snapshot)
	require.NotNil(t, r2.Snapshot)
	assert.Equal(t, r1.Snapshot.ID, r2.Snapshot.Parent, "the second began after the first had committed")
	assert.Equal(t, 0, running())
}

// TestSubmissionPeriod: a submission is attributed to the reporting period its accepted rows
// cover (the entry's period item), in the result, its summary and the snapshot's manifest.
func TestSubmissionPeriod(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxRejectedShare = 1
	e := newEnv(t, cfg)
	e.putEntry(nil)
	res, err := e.submit("5月.csv", "站点编码,区县,监测日期\nS1,渝中区,2024-05-07\nS2,渝中区,2024-05-01\nS3,渝中区,2024-05-31\nS4,渝中区,2024-07-01x\n", nil)
	require.NoError(t, err)
	p := res.Period
	assert.Equal(t, "2024-05-01", p.From.Format(time.DateOnly))
	assert.Equal(t, "2024-05-31", p.To.Format(time.DateOnly), "the rejected row's date does not count")
	assert.Contains(t, res.Summary(), "报送时段（监测日期）：2024-05-01 至 2024-05-31")
	m, err := lake.ReadManifest(t.Context(), e.bucket, res.Snapshot.ManifestKey)
	require.NoError(t, err)
	assert.Equal(t, "sample_date", m.Summary["period_item"])
	assert.Equal(t, "2024-05-01 至 2024-05-31", m.Summary["period"])
}
