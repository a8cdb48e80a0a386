package ingest

import (
	"context"
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeWriter records the first value of every batch it is given; it fails the write numbered
// failAt (1-based) and blocks each write until release is signalled, when release is set.
type fakeWriter struct {
	got     []int64
	failAt  int
	release chan struct{}
	started chan struct{}
}

var errWriteFailed = errors.New("disk full")

func (w *fakeWriter) Write(ctx context.Context, rec arrow.RecordBatch) error {
	if w.started != nil {
		w.started <- struct{}{}
	}
	if w.release != nil {
		<-w.release
	}
	w.got = append(w.got, rec.Column(0).(*array.Int64).Value(0))
	if len(w.got) == w.failAt {
		return errWriteFailed
	}
	return nil
}

func intBatch(mem memory.Allocator, v int64) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).Append(v)
	return b.NewRecordBatch()
}

func TestWriteBehindOrder(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	w := &fakeWriter{}
	wb := startWriteBehind(context.Background(), w, 1)
	for i := range 100 {
		require.NoError(t, wb.send(context.Background(), intBatch(mem, int64(i))))
	}
	require.NoError(t, wb.stop())
	require.NoError(t, wb.stop(), "stop twice")
	require.Len(t, w.got, 100)
	for i, v := range w.got {
		require.Equal(t, int64(i), v)
	}
}

func TestWriteBehindError(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	w := &fakeWriter{failAt: 3}
	wb := startWriteBehind(context.Background(), w, 1)
	var err error
	for i := 0; i < 1000 && err == nil; i++ {
		err = wb.send(context.Background(), intBatch(mem, int64(i)))
	}
	require.ErrorIs(t, err, errWriteFailed, "the producer learns of the failure")
	require.ErrorIs(t, wb.send(context.Background(), intBatch(mem, -1)), errWriteFailed)
	require.ErrorIs(t, wb.stop(), errWriteFailed)
	assert.Equal(t, []int64{0, 1, 2}, w.got, "nothing is written after the failure")
}

func TestWriteBehindCancel(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	w := &fakeWriter{release: make(chan struct{}), started: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	wb := startWriteBehind(ctx, w, 1)
	require.NoError(t, wb.send(ctx, intBatch(mem, 0)))
	<-w.started // the writer holds batch 0
	require.NoError(t, wb.send(ctx, intBatch(mem, 1)))
	// The queue is full and the writer is stuck: only cancellation frees the producer.
	cancel()
	require.ErrorIs(t, wb.send(ctx, intBatch(mem, 2)), context.Canceled)
	close(w.release)
	<-w.started
	require.NoError(t, wb.stop())
	assert.Equal(t, []int64{0, 1}, w.got)
}
