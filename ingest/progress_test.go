package ingest

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
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
