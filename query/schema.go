package query

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"github.com/graphql-go/graphql"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// statusPublished is the directory status (schemas.EntryStatuses) of entries that may be queried.
const statusPublished = "PUBLISHED"

// generation is the catalogue as far as GraphQL is concerned: the queryable entries, with one
// immutable schema per access key (catalog.Principal.AccessKey: principals the decision cannot
// tell apart share it), built on first use and bounded in number. A catalogue change that alters the
// entries makes a new generation; the old one is dropped whole, never edited.
type generation struct {
	gen         uint64
	fingerprint string
	entries     []*catalog.Entry // queryable entries, ordered by table

	mu    sync.Mutex
	byKey map[string]*graphql.Schema
}

// maxSchemas bounds the schemas a generation keeps; past it the least recently built is dropped
// and rebuilt on its next use.
const maxSchemas = 32

// current pairs a generation with the catalogue's metadata generation (catalog.View.Generation)
// it was built from: until that moves, no entry changed and the generation stands without a look
// at the directory.
type current struct {
	meta uint64
	g    *generation
}

// queryable reports whether an entry gets data fields: published, loaded, and with an
// identifier that may reach SQL.
func queryable(e *catalog.Entry) bool {
	return e.Status == statusPublished && e.CurrentSnapshot != "" && !e.Secret &&
		schemas.CheckIdent(e.Table) == nil && len(columns(e)) > 0
}

// fingerprint hashes what the generated types depend on, so that catalogue changes that do not
// touch them (runs, a new snapshot of a loaded entry) keep the schemas.
func fingerprint(entries []*catalog.Entry) string {
	type itemKey struct {
		Field, Name, Description, Type, Grade, PIType, CodeList string
		Required, IsKey                                         bool
	}
	type entryKey struct {
		Code, Table, Name, Grade, District string
		Items                              []itemKey
	}
	keys := make([]entryKey, 0, len(entries))
	for _, e := range entries {
		k := entryKey{Code: e.ResourceCode, Table: e.Table, Name: e.Name, Grade: string(e.Grade()), District: e.District}
		for _, it := range e.Items {
			k.Items = append(k.Items, itemKey{it.Field, it.Name, it.Description, string(it.Type), string(it.Grade), it.PIType, it.CodeList, it.Required, it.IsKey})
		}
		keys = append(keys, k)
	}
	b, _ := json.Marshal(keys)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// queryableEntries copies the queryable entries of the view, ordered by table; only they are
// copied, not the directory.
func queryableEntries(v *catalog.View) []*catalog.Entry {
	var out []*catalog.Entry
	v.EachEntry("", func(e *catalog.Entry) bool {
		if queryable(e) {
			out = append(out, e.Copy())
		}
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Table < out[j].Table })
	return out
}

// generationFor returns the generation matching the view. While the catalogue's metadata
// generation has not moved (data loads, runs, accounts) that is the current one, found in O(1);
// otherwise the queryable entries are read again and a new generation is swapped in when what
// the schemas depend on changed. A rebuild from an older view never replaces a newer one.
func (s *Service) generationFor(v *catalog.View) *generation {
	meta := v.Generation()
	cur := s.cur.Load()
	if cur != nil && cur.meta >= meta {
		return cur.g
	}
	s.scans.Add(1)
	entries := queryableEntries(v)
	fp := fingerprint(entries)
	var built *generation
	for {
		cur = s.cur.Load()
		if cur != nil && cur.meta >= meta {
			return cur.g // a request with a newer view swapped meanwhile: it wins
		}
		g := built
		if cur != nil && cur.g.fingerprint == fp {
			g = cur.g
		} else if g == nil {
			built = &generation{gen: s.gens.Add(1), fingerprint: fp, entries: entries, byKey: map[string]*graphql.Schema{}}
			g = built
		}
		if s.cur.CompareAndSwap(cur, &current{meta: meta, g: g}) {
			if cur == nil || cur.g != g {
				s.log.Debug("query schema swapped", "generation", g.gen, "metadata_generation", meta, "tables", len(entries))
			}
			return g
		}
	}
}

// schema returns the generation's schema for the principal's access key, building it on first use.
func (s *Service) schema(g *generation, p *catalog.Principal) (*graphql.Schema, error) {
	key := p.AccessKey()
	g.mu.Lock()
	defer g.mu.Unlock()
	if sc, ok := g.byKey[key]; ok {
		return sc, nil
	}
	sc, err := s.buildSchema(g.entries, p)
	if err != nil {
		return nil, fmt.Errorf("build schema generation %d for %s: %w", g.gen, key, err)
	}
	if len(g.byKey) >= maxSchemas {
		clear(g.byKey) // rare: more access profiles than the bound; all are rebuilt on use
	}
	g.byKey[key] = sc
	return sc, nil
}

// fixedTypeNames are the names the generated table types must not take.
var fixedTypeNames = []string{
	"Query", "Entry", "Item", "Grade", "Snapshot", "Run", "CollectionRate", "Breakdown", "Lag",
	"Long", "OrderDirection", "StringFilter", "LongFilter", "FloatFilter", "BooleanFilter",
	"DateFilter", "TimestampFilter", "String", "Int", "Float", "Boolean", "ID",
}

// buildSchema builds the schema principal p sees: entries whose data the decision does not let
// it read are absent, so they appear in no field, type or introspection answer; an
// aggregates-only reader gets no row field.
func (s *Service) buildSchema(entries []*catalog.Entry, p *catalog.Principal) (*graphql.Schema, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	ct := newCatalogTypes()
	query := graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.FieldsThunk(func() graphql.Fields {
		fields := catalogFields(ct, s.cfg.now)
		taken := map[string]bool{}
		for _, n := range fixedTypeNames {
			taken[n] = true
		}
		for _, e := range entries {
			a := catalog.Decide(p, e)
			if !a.Read || len(visibleColumns(e, a)) == 0 {
				continue
			}
			for name, f := range s.tableFields(e, a, typeBase(e.Table, taken)) {
				if _, dup := fields[name]; dup {
					s.log.Warn("query field name taken, skipped", "dataset", e.Table, "field", name)
					continue
				}
				fields[name] = f
			}
		}
		return fields
	})})
	sc, err := graphql.NewSchema(graphql.SchemaConfig{Query: query})
	if err != nil {
		return nil, err
	}
	return &sc, nil
}

// buildMu serialises schema construction: graphql-go defines shared types lazily without locks.
var buildMu sync.Mutex
