package ingest

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
)

// runLog records what a RunObserver hears, with the run's status the catalogue held then.
type runLog struct {
	mu     sync.Mutex
	cat    *catalog.Store
	events []string
}

func (l *runLog) RunChanged(id string) {
	r, err := l.cat.View().Run(id)
	status := "missing"
	if err == nil {
		status = r.Status
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, id+" "+status)
}

// TestRunsAreObserved: the observer hears of a load's run when the catalogue recorded its
// beginning and again its end, committed or failed (the OpenLineage publisher's START and
// COMPLETE or FAIL).
func TestRunsAreObserved(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	e.putEntry(nil)
	l := &runLog{cat: e.cat}
	e.svc.ObserveRuns(l)
	res, err := e.submit("报送.csv", "站点编码,区县,监测日期\nS1,渝中区,2024-01-01\n", nil)
	require.NoError(t, err)
	id := res.Run.ID
	assert.Equal(t, []string{id + " " + catalog.RunRunning, id + " " + catalog.RunSucceeded}, l.events)

	l.events = nil
	res, err = e.submit("坏.csv", "站点编码,区县,监测日期\nS1,火星区,不是日期\n", nil)
	require.NoError(t, err, "a file without a valid row is a FAILED run, not an error")
	id = res.Run.ID
	assert.Equal(t, []string{id + " " + catalog.RunRunning, id + " " + catalog.RunFailed}, l.events)
}

// TestEveryObserverHearsRuns: observers added one after another (the OpenLineage publisher and
// the metrics) all hear of each run, in the order added.
func TestEveryObserverHearsRuns(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	e.putEntry(nil)
	first, second := &runLog{cat: e.cat}, &runLog{cat: e.cat}
	e.svc.ObserveRuns(first)
	e.svc.ObserveRuns(second)
	res, err := e.submit("报送.csv", "站点编码,区县,监测日期\nS1,渝中区,2024-01-01\n", nil)
	require.NoError(t, err)
	want := []string{res.Run.ID + " " + catalog.RunRunning, res.Run.ID + " " + catalog.RunSucceeded}
	assert.Equal(t, want, first.events)
	assert.Equal(t, want, second.events)
}
