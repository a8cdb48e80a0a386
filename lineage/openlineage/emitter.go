package openlineage

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
)

// DefaultQueue is the Emitter's queue length when none is given.
const DefaultQueue = 1024

// Emitter sends events to its sinks from one goroutine, through a bounded queue, so that the code
// that emits lineage never waits for — or fails because of — a slow or unreachable receiver.
// Lineage is best effort: when the queue is full the event is dropped and counted.
type Emitter struct {
	log   *slog.Logger
	sinks []Sink
	queue chan *RunEvent

	// mu orders Emit against Close: Emit sends while holding it shared, Close takes it to stop
	// admissions before closing the queue, so no Emit ever sends on a closed channel.
	mu     sync.RWMutex
	closed bool

	ctx    context.Context // of the sends; cancelled when Close gives up waiting
	cancel context.CancelFunc
	done   chan struct{}

	sent, failed, dropped atomic.Uint64
}

// NewEmitter starts an emitter with a queue of queue events (DefaultQueue when not positive)
// sending to sinks in order. log receives delivery failures; nil discards them. The emitter does
// not close the sinks: close them after Close returns.
func NewEmitter(log *slog.Logger, queue int, sinks ...Sink) *Emitter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if queue <= 0 {
		queue = DefaultQueue
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &Emitter{log: log, sinks: sinks, queue: make(chan *RunEvent, queue), ctx: ctx, cancel: cancel, done: make(chan struct{})}
	go e.run()
	return e
}

// Emit queues ev and returns at once. It never blocks and never fails: when the queue is full, or
// the emitter closed, ev is dropped and counted. ev belongs to the emitter afterwards; do not
// change it.
func (e *Emitter) Emit(ev *RunEvent) {
	if ev == nil {
		return
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if !e.closed {
		select {
		case e.queue <- ev:
			return
		default:
		}
	}
	// Logged at the 1st, 2nd, 4th, 8th… drop: a flood of drops must not become a flood of logs.
	if n := e.dropped.Add(1); n&(n-1) == 0 {
		e.log.LogAttrs(context.Background(), slog.LevelWarn, "lineage event dropped", slog.String("run", ev.Run.RunID),
			slog.String("err", fmt.Sprintf("血缘事件队列已满或已关闭，事件被丢弃（累计 %d 个）", n)))
	}
}

// run delivers queued events until the queue is closed and drained. An event counts as sent when
// every sink took it, as failed otherwise; each sink's failure is logged.
func (e *Emitter) run() {
	defer close(e.done)
	for ev := range e.queue {
		if e.ctx.Err() != nil { // Close gave up: what is left is dropped, not attempted
			e.dropped.Add(1)
			continue
		}
		ok := true
		for _, s := range e.sinks {
			if err := s.Send(e.ctx, ev); err != nil {
				ok = false
				e.log.LogAttrs(context.Background(), slog.LevelWarn, "lineage event not delivered",
					slog.String("run", ev.Run.RunID), slog.String("err", err.Error()))
			}
		}
		if ok {
			e.sent.Add(1)
		} else {
			e.failed.Add(1)
		}
	}
}

// Close stops admissions and delivers what is queued until ctx ends; then it cancels the send in
// flight, counts what is left as dropped and returns ctx's error. A later Close waits for the
// delivery goroutine to finish (a sink that ignores cancellation may hold it).
func (e *Emitter) Close(ctx context.Context) error {
	e.mu.Lock()
	if !e.closed {
		e.closed = true
		close(e.queue)
	}
	e.mu.Unlock()
	select {
	case <-e.done:
		e.cancel()
		return nil
	case <-ctx.Done():
		e.cancel()
		return fmt.Errorf("血缘事件未能在限期内发完：%w", ctx.Err())
	}
}

// Stats counts events: sent to every sink, failed at one sink at least, dropped unsent.
func (e *Emitter) Stats() (sent, failed, dropped uint64) {
	return e.sent.Load(), e.failed.Load(), e.dropped.Load()
}
