package query

import (
	"fmt"

	"github.com/graphql-go/graphql"

	"github.com/cqeco/ecolake/catalog"
)

// build is a schema under construction; done is closed when sc or err is set.
type build struct {
	done chan struct{}
	sc   *graphql.Schema
	err  error
}

// cachedSchema returns the schema under key in cache, building it once however many requests
// ask: the first builds, the others wait for it. The generation's lock is held only to look up
// and to store, never during a build, so that requests whose schemas are cached are not held
// behind a build of seconds (a whole schema over thousands of tables). what, called under the
// lock, gives the entries and type names to build from.
func (s *Service) cachedSchema(g *generation, cache map[string]*graphql.Schema, bound int, key string,
	what func() ([]*catalog.Entry, map[string]string), rd reader) (*graphql.Schema, error) {
	id := fmt.Sprintf("%p|%s", cache, key)
	g.mu.Lock()
	if sc, ok := cache[key]; ok {
		g.mu.Unlock()
		return sc, nil
	}
	if b, ok := g.building[id]; ok {
		g.mu.Unlock()
		<-b.done
		return b.sc, b.err
	}
	b := &build{done: make(chan struct{})}
	g.building[id] = b
	entries, names := what()
	g.mu.Unlock()

	sc, err := s.buildSchema(g, entries, rd, names)
	if err != nil {
		err = fmt.Errorf("build schema generation %d for %s: %w", g.gen, key, err)
	}
	g.mu.Lock()
	delete(g.building, id)
	if err == nil {
		if len(cache) >= bound {
			clear(cache) // rare: more access profiles than the bound; all are rebuilt on use
		}
		cache[key] = sc
	}
	g.mu.Unlock()
	b.sc, b.err = sc, err
	close(b.done)
	return sc, err
}
