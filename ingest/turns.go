package ingest

import (
	"context"
	"sync"
)

// entryTurns lets one load of an entry run at a time in the service: a second waits for its
// turn (within its context) before its run begins, instead of racing the first to the commit.
type entryTurns struct {
	mu    sync.Mutex
	turns map[string]*turn
}

type turn struct {
	ch      chan struct{} // holds a token while a load of the entry runs
	waiting int           // loads holding or waiting for it
}

// take waits for the entry's turn; release must be called when the load is done.
func (e *entryTurns) take(ctx context.Context, entry string) (release func(), err error) {
	e.mu.Lock()
	t := e.turns[entry]
	if t == nil {
		t = &turn{ch: make(chan struct{}, 1)}
		e.turns[entry] = t
	}
	t.waiting++
	e.mu.Unlock()
	leave := func() {
		e.mu.Lock()
		if t.waiting--; t.waiting == 0 {
			delete(e.turns, entry)
		}
		e.mu.Unlock()
	}
	select {
	case t.ch <- struct{}{}:
		return func() { <-t.ch; leave() }, nil
	case <-ctx.Done():
		leave()
		return nil, ctx.Err()
	}
}
