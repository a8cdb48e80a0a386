package openlineage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// blockingSink holds every Send until released, ignoring cancellation, as a hung receiver would.
type blockingSink struct {
	release chan struct{}
	got     atomic.Int64
}

func (s *blockingSink) Send(context.Context, *RunEvent) error {
	<-s.release
	s.got.Add(1)
	return nil
}

// recordingSink keeps what it is sent, failing when fail is set.
type recordingSink struct {
	mu   sync.Mutex
	runs []string
	fail error
}

func (s *recordingSink) Send(_ context.Context, ev *RunEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.runs = append(s.runs, ev.Run.RunID)
	return nil
}

// lockedBuffer is a log destination safe for the emitter's goroutine and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestEmitNeverBlocks(t *testing.T) {
	sink := &blockingSink{release: make(chan struct{})}
	e := NewEmitter(nil, 16, sink)
	const total = 10_000
	ev := sampleEvent(t)
	returned := 0
	for range total {
		e.Emit(ev)
		returned++
	}
	assert.Equal(t, total, returned, "every Emit returned while the sink was stuck")
	sent, failed, dropped := e.Stats()
	assert.Zero(t, sent+failed)
	assert.GreaterOrEqual(t, dropped, uint64(total-16-1), "the queue holds 16, the stuck send one more")

	close(sink.release)
	require.NoError(t, e.Close(context.Background()))
	sent, failed, dropped = e.Stats()
	assert.EqualValues(t, total, sent+failed+dropped)
	assert.EqualValues(t, sink.got.Load(), sent)
	assert.Zero(t, failed)
}

func TestEmitterDeliversInOrderAndDrainsOnClose(t *testing.T) {
	a, b := &recordingSink{}, &recordingSink{}
	e := NewEmitter(nil, 1000, a, b)
	var want []string
	for i := range 500 {
		ev := NewRunEvent(EventComplete, fmt.Sprintf("run-%d", i), time.Now(), "n", "j")
		want = append(want, ev.Run.RunID)
		e.Emit(ev)
	}
	require.NoError(t, e.Close(context.Background()))
	assert.Equal(t, want, a.runs)
	assert.Equal(t, want, b.runs)
	sent, failed, dropped := e.Stats()
	assert.Equal(t, [3]uint64{500, 0, 0}, [3]uint64{sent, failed, dropped})

	e.Emit(sampleEvent(t)) // after Close: dropped, no panic
	_, _, dropped = e.Stats()
	assert.EqualValues(t, 1, dropped)
	require.NoError(t, e.Close(context.Background()), "a second Close is harmless")
}

func TestEmitterCountsAndLogsFailures(t *testing.T) {
	var logs lockedBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	good, bad := &recordingSink{}, &recordingSink{fail: errors.New("接收端不可用")}
	e := NewEmitter(log, 10, good, bad)
	ev := sampleEvent(t)
	e.Emit(ev)
	e.Emit(ev)
	require.NoError(t, e.Close(context.Background()))
	sent, failed, dropped := e.Stats()
	assert.Equal(t, [3]uint64{0, 2, 0}, [3]uint64{sent, failed, dropped})
	assert.Len(t, good.runs, 2, "one sink failing does not keep the event from the others")
	assert.Contains(t, logs.String(), `"run":"`+ev.Run.RunID+`"`)
	assert.Contains(t, logs.String(), `"err":"接收端不可用"`)
}

// TestEmitterUnreachableEndpoint: an HTTP receiver on a closed port costs the emitting code
// nothing; the failures are counted and logged without the token.
func TestEmitterUnreachableEndpoint(t *testing.T) {
	var logs lockedBuffer
	s := fastSink(t, closedPort(t), 1)
	file, err := NewFileSink(filepath.Join(t.TempDir(), "lineage.jsonl"))
	require.NoError(t, err)
	defer file.Close()
	e := NewEmitter(slog.New(slog.NewTextHandler(&logs, nil)), 8, s, file)
	const total = 2000
	for range total {
		e.Emit(sampleEvent(t))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, e.Close(ctx))
	sent, failed, dropped := e.Stats()
	assert.Zero(t, sent)
	assert.Positive(t, failed)
	assert.EqualValues(t, total, failed+dropped)
	assert.Contains(t, logs.String(), "连接被拒绝")
	assert.NotContains(t, logs.String(), testToken)
}

func TestEmitterCloseGivesUpAtDeadline(t *testing.T) {
	sink := &blockingSink{release: make(chan struct{})}
	e := NewEmitter(nil, 100, sink)
	for range 50 {
		e.Emit(sampleEvent(t))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := e.Close(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	close(sink.release) // the stuck send ends; what is left is dropped, not sent
	require.NoError(t, e.Close(context.Background()))
	sent, failed, dropped := e.Stats()
	assert.EqualValues(t, 50, sent+failed+dropped)
	assert.LessOrEqual(t, sent, uint64(1))
	assert.GreaterOrEqual(t, dropped, uint64(49))
}
