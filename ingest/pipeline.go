package ingest

import (
	"context"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
)

// recordWriter is what the write-behind stage feeds: lake.TableWriter.
type recordWriter interface {
	Write(ctx context.Context, rec arrow.RecordBatch) error
}

// writeBehind writes record batches on a goroutine of its own, so that decoding and validating
// the next batch overlaps with Parquet encoding and compression of the previous one. Batches
// are written in the order sent. The first write error stops the stage: later batches are
// released unwritten and every later send returns that error.
//
// The writer belongs to the stage from start until stop returns; only then may the caller
// Close or Abort it.
type writeBehind struct {
	ch       chan arrow.RecordBatch
	failed   chan struct{} // closed on the first write error
	done     chan struct{} // closed when the goroutine has ended
	err      error         // the first write error; read after failed or done is closed
	stopOnce sync.Once
}

// startWriteBehind starts the stage; depth is how many built batches may wait for the writer.
func startWriteBehind(ctx context.Context, w recordWriter, depth int) *writeBehind {
	p := &writeBehind{
		ch:     make(chan arrow.RecordBatch, depth),
		failed: make(chan struct{}),
		done:   make(chan struct{}),
	}
	go func() {
		defer close(p.done)
		for rec := range p.ch {
			if p.err == nil {
				if err := w.Write(ctx, rec); err != nil {
					p.err = err
					close(p.failed)
				}
			}
			rec.Release()
		}
	}()
	return p
}

// send hands rec to the writer, which releases it. It blocks while depth batches are waiting,
// and returns the writer's error once a write failed or ctx's error once ctx is done.
func (p *writeBehind) send(ctx context.Context, rec arrow.RecordBatch) error {
	select {
	case <-p.failed:
		rec.Release()
		return p.err
	default:
	}
	select {
	case p.ch <- rec:
		return nil
	case <-p.failed:
		rec.Release()
		return p.err
	case <-ctx.Done():
		rec.Release()
		return ctx.Err()
	}
}

// stop waits until every batch sent was written (or released after a failure) and returns the
// first write error. It may be called more than once.
func (p *writeBehind) stop() error {
	p.stopOnce.Do(func() { close(p.ch) })
	<-p.done
	return p.err
}
