package query

import (
	"sync"
	"time"

	"github.com/graphql-go/graphql"

	"github.com/cqeco/ecolake/audit"
)

// Stats counts what the service has done since New, for operators (metrics): the schema
// generations and builds, and the GraphQL requests by how they ended.
type Stats struct {
	// Generation is the number of the current schema generation, 0 before the first is built.
	Generation uint64
	// Generations counts the generations built (a catalogue change that leaves the queryable
	// entries as they were builds one but keeps the current).
	Generations uint64
	// SchemaBuilds counts the GraphQL schemas built (one per generation and access key, and per
	// scoped table set); SchemaBuildTime is their total build time.
	SchemaBuilds    uint64
	SchemaBuildTime time.Duration
	// Requests counts the GraphQL requests by outcome: audit.OutcomeOK or the error code the
	// audit records (a bounded set of codes, never a message).
	Requests map[string]uint64
}

// counters are the service's Stats, safe for concurrent use.
type counters struct {
	mu        sync.Mutex
	builds    uint64
	buildTime time.Duration
	outcomes  map[string]uint64
}

func (c *counters) built(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.builds++
	c.buildTime += d
}

func (c *counters) answered(outcome string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.outcomes == nil {
		c.outcomes = map[string]uint64{}
	}
	c.outcomes[outcome]++
}

// Stats returns the service's counters.
func (s *Service) Stats() Stats {
	st := Stats{Generations: s.gens.Load(), Requests: map[string]uint64{}}
	if cur := s.cur.Load(); cur != nil {
		st.Generation = cur.g.gen
	}
	s.counters.mu.Lock()
	defer s.counters.mu.Unlock()
	st.SchemaBuilds, st.SchemaBuildTime = s.counters.builds, s.counters.buildTime
	for k, v := range s.counters.outcomes {
		st.Requests[k] = v
	}
	return st
}

// SchemaReady reports whether the service answers: a schema generation is built from the
// catalogue and the service is not closed.
func (s *Service) SchemaReady() bool {
	return s.cur.Load() != nil && !s.closed.Load()
}

// outcomeOf is how a request ended, as the audit records it: audit.OutcomeOK, or the code of its
// first error ("ERROR" when it has none).
func outcomeOf(res *graphql.Result) string {
	if len(res.Errors) == 0 {
		return audit.OutcomeOK
	}
	if code, ok := res.Errors[0].Extensions["code"].(string); ok && code != "" {
		return code
	}
	return "ERROR"
}
