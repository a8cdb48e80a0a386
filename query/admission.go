package query

import (
	"context"
	"fmt"
	"sync"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
)

// Admission: at most Config.MaxConcurrent requests execute at once, and at most
// Config.MaxConcurrentPerPrincipal of them for one principal, so that one token sending many
// heavy requests cannot hold every slot while a steward's small query waits for its deadline.
// A request first takes its principal's share and only then a global slot: a principal at its
// share waits without holding a global slot meanwhile.

// answer takes one request through the guard, graphql-go's validation and execution on a goroutine
// of its own, and stops waiting when ctx ends: graphql-go's parser and validator do not watch
// the context, but the guard has bounded what they may cost, so an abandoned run soon ends.
// The run holds its slots until it ends, abandoned or not; waiting for a slot ends with ctx
// too, the request then not admitted.
func (s *Service) answer(ctx context.Context, g *generation, r *request, req Request) *graphql.Result {
	if !s.admit(ctx, r) {
		return nil // Do answers that the service is busy
	}
	r.admitted = true
	out := make(chan *graphql.Result, 1)
	go func() {
		defer s.shares.release(r.principal.ID)
		defer func() { <-s.slots }()
		defer func() {
			// A panic here would take the process down: no HTTP server recovers this goroutine.
			if v := recover(); v != nil {
				s.log.Error("query panic", "user", r.principal.ID, "err", capText(fmt.Sprint(v), 1024))
				out <- &graphql.Result{Errors: []gqlerrors.FormattedError{coded(codeInternal, "查询服务内部错误")}}
			}
		}()
		out <- s.execute(ctx, g, r, req)
	}()
	select {
	case res := <-out:
		return res
	case <-ctx.Done():
		return nil // Do answers with the timeout
	}
}

// admit takes the principal's share, then a global slot. A request that fails to get its share
// is marked r.overShare, so that the answer names the bound it met.
func (s *Service) admit(ctx context.Context, r *request) bool {
	if !s.shares.acquire(ctx, r.principal.ID) {
		r.overShare = true
		return false
	}
	if !take(ctx, s.slots) {
		s.shares.release(r.principal.ID)
		return false
	}
	return true
}

// take takes a slot of sem, preferring a free one to an ended ctx so that a request with time
// left at its start is not turned away at random.
func take(ctx context.Context, sem chan struct{}) bool {
	select {
	case sem <- struct{}{}:
		return true
	default:
	}
	select {
	case sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// shares holds one semaphore per principal with requests executing or waiting; an entry is
// removed when its last user leaves, so the map is as large as the principals active now.
type shares struct {
	per int
	mu  sync.Mutex
	by  map[string]*share
}

type share struct {
	slots chan struct{}
	users int // requests holding or waiting for a slot of this share
}

func newShares(per int) *shares {
	return &shares{per: per, by: map[string]*share{}}
}

func (sh *shares) acquire(ctx context.Context, id string) bool {
	sh.mu.Lock()
	s := sh.by[id]
	if s == nil {
		s = &share{slots: make(chan struct{}, sh.per)}
		sh.by[id] = s
	}
	s.users++
	sh.mu.Unlock()
	if take(ctx, s.slots) {
		return true
	}
	sh.leave(id, s)
	return false
}

func (sh *shares) release(id string) {
	sh.mu.Lock()
	s := sh.by[id]
	sh.mu.Unlock()
	<-s.slots
	sh.leave(id, s)
}

func (sh *shares) leave(id string, s *share) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if s.users--; s.users == 0 {
		delete(sh.by, id)
	}
}
