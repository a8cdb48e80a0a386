package query

import (
	"crypto/sha256"
	"fmt"
	"time"

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

	t0 := time.Now()
	sc, err := s.buildSchema(g, entries, rd, names)
	s.counters.built(time.Since(t0))
	if err != nil {
		err = fmt.Errorf("build schema generation %d for %s: %w", g.gen, key, err)
	}
	g.mu.Lock()
	delete(g.building, id)
	if err == nil {
		if len(cache) >= bound {
			// Rare: more access profiles than the bound; all are rebuilt on use. What is kept
			// per schema goes too, so that nothing holds a dropped schema alive.
			clear(cache)
			clear(g.valid)
			clear(g.sizes)
			clear(g.warmed)
		}
		cache[key] = sc
	}
	g.mu.Unlock()
	b.sc, b.err = sc, err
	close(b.done)
	return sc, err
}

// validKey names a document text found valid against a schema of the generation.
type validKey struct {
	sc  *graphql.Schema
	doc [32]byte
}

// maxValid bounds the valid documents a generation remembers; past it they are forgotten.
const maxValid = 4096

// validated reports whether the document text was found valid against sc before: validation
// depends on the schema and the text alone, and applications send the same text again with
// other variables, so it is not done again (a third of a point query's own CPU).
func (g *generation) validated(sc *graphql.Schema, text string) bool {
	k := validKey{sc: sc, doc: sha256.Sum256([]byte(text))}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.valid[k]
}

// noteValid remembers that the document text is valid against sc.
func (g *generation) noteValid(sc *graphql.Schema, text string) {
	k := validKey{sc: sc, doc: sha256.Sum256([]byte(text))}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.valid) >= maxValid {
		clear(g.valid)
	}
	g.valid[k] = true
}
