package api

import (
	"net/http"
	"sync"
	"time"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/schemas"
)

// A submission's run begins only once its file has arrived, and its answer comes when the load
// has ended. In between, the page that sent it follows the load's progress: it names its upload
// by the request id it sent (X-Request-ID) and asks GET /api/v1/submissions/{request}/run which
// run that upload began. Only the principal that sent the upload learns it, and only while the
// catalogue's decision lets it see the run.

// startedKeep is how long the run of an ended submission stays known to its request id, so that
// a page that asks late (or after a refusal) still learns it.
const startedKeep = 2 * time.Minute

// maxStarted bounds the runs kept; past it the oldest ended ones are forgotten first.
const maxStarted = 4096

type startedKey struct{ principal, request string }

type startedRun struct {
	run   string
	ended time.Time // zero while the submission runs
}

// startedRuns are the runs submissions began, by principal and request id.
type startedRuns struct {
	mu sync.Mutex
	m  map[startedKey]startedRun
}

func (s *startedRuns) begin(principal, request, run string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[startedKey]startedRun{}
	}
	s.pruneLocked(time.Now())
	s.m[startedKey{principal, request}] = startedRun{run: run}
}

func (s *startedRuns) end(principal, request string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := startedKey{principal, request}
	if r, ok := s.m[k]; ok {
		r.ended = time.Now()
		s.m[k] = r
	}
}

func (s *startedRuns) run(principal, request string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruneLocked(time.Now())
	r, ok := s.m[startedKey{principal, request}]
	return r.run, ok
}

// pruneLocked forgets the runs that ended startedKeep ago, and the oldest ended ones while more
// than maxStarted are kept (those still running are bounded by Uploads).
func (s *startedRuns) pruneLocked(now time.Time) {
	var oldest startedKey
	for len(s.m) > 0 {
		found := false
		var at time.Time
		for k, r := range s.m {
			if r.ended.IsZero() {
				continue
			}
			if now.Sub(r.ended) > startedKeep {
				delete(s.m, k)
				continue
			}
			if !found || r.ended.Before(at) {
				oldest, at, found = k, r.ended, true
			}
		}
		if !found || len(s.m) <= maxStarted {
			return
		}
		delete(s.m, oldest)
	}
}

// startedBy returns the Begun hook of a submission that records the run it begins under the
// request's id, and the function to call when the submission has been answered.
func (s *Server) startedBy(r *http.Request, principal string) (func(run string), func()) {
	id := audit.RequestID(r.Context())
	if id == "" {
		return func(string) {}, func() {}
	}
	return func(run string) { s.started.begin(principal, id, run) },
		func() { s.started.end(principal, id) }
}

// handleSubmissionRun answers the run the caller's submission sent with the request id began:
// {"run": id} once it has begun, 404 before and for any other caller's request.
func (s *Server) handleSubmissionRun(w http.ResponseWriter, r *http.Request) {
	p := s.principal(w, r)
	if p == nil {
		return
	}
	request := r.PathValue("request")
	id, ok := s.started.run(p.ID, request)
	if !ok {
		WriteError(w, s.Log, schemas.Userf(schemas.ErrNotFound, "报送 %s 尚未开始归集，或不是本账号的报送", schemas.Clip(request, 64)))
		return
	}
	if _, _, ok := s.visibleRunID(w, s.Cat.View(), p, id); !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"run": id})
}
