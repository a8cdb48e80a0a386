package query

import (
	"iter"
	"slices"
	"strings"
	"sync"

	"github.com/graphql-go/graphql"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
	"github.com/cqeco/ecolake/schemas/chunked"
)

// statusPublished is the directory status (schemas.EntryStatuses) of entries that may be queried.
const statusPublished = "PUBLISHED"

// generation is the catalogue as far as GraphQL is concerned: the queryable entries, with one
// immutable schema per access key (catalog.View.AccessKey: principals the decision cannot
// tell apart share it), built on first use and bounded in number. A catalogue change that alters the
// entries makes a new generation; the old one is dropped whole, never edited.
type generation struct {
	gen uint64
	tables

	mu       sync.Mutex
	byKey    map[string]*graphql.Schema // whole schemas, per access key
	parts    map[string]*graphql.Schema // schemas of some tables, per access key and tables
	names    map[string]map[string]string
	building map[string]*build                // schemas being built, by cache and key: one build per key
	sizes    map[*graphql.Schema]*schemaSizes // of the schemas introspected (introspect_cost.go)
	valid    map[validKey]bool                // document texts found valid (schema_cache.go)
	warmed   map[warmKey]bool                 // root fields and variable types whose enums are built (warmDocument)
}

// tables are the queryable entries of a generation, in two persistent lists (schemas/chunked)
// of the same tableInfos: by table, the order of the schemas and the lookup of a root field; by
// resource code, the lookup of an entry the catalogue's feed names. A change to a few entries
// makes new lists that share all but a chunk of each with the old ones.
type tables struct {
	byTable chunked.List[tableInfo]
	byCode  chunked.List[tableInfo]
}

// tableInfo is one version of a queryable entry as stored (read only: stored entries are never
// edited in place) with the digest of what the schemas derive from it.
type tableInfo struct {
	e      *catalog.Entry
	digest *entryDigest
}

// entryDigest is entryHash of an entry, computed once when first needed. The versions of an
// entry that the schemas cannot tell apart (a data load changes its current snapshot alone) share
// one, so that the types built for the first are reused for the next, and their digest computed
// at most once: they hash the same, so whichever asks first computes it.
type entryDigest struct {
	once sync.Once
	h    string
}

func (ti *tableInfo) hash() string {
	d := ti.digest
	d.once.Do(func() { d.h = entryHash(ti.e) })
	return d.h
}

func byTableOrder(a, b *tableInfo) int { return strings.Compare(a.e.Table, b.e.Table) }
func byCodeOrder(a, b *tableInfo) int {
	return strings.Compare(a.e.ResourceCode, b.e.ResourceCode)
}

// table is the queryable entry of the table, nil when there is none.
func (t tables) table(name string) *tableInfo {
	return t.byTable.Find(func(ti *tableInfo) int { return strings.Compare(ti.e.Table, name) })
}

// code is the queryable entry of the resource code, nil when there is none.
func (t tables) code(code string) *tableInfo {
	return t.byCode.Find(func(ti *tableInfo) int { return strings.Compare(ti.e.ResourceCode, code) })
}

// len is the number of queryable entries.
func (t tables) len() int { return t.byTable.Len() }

// entries yields the queryable entries ordered by table.
func (t tables) entries() iter.Seq[*catalog.Entry] {
	return func(yield func(*catalog.Entry) bool) {
		for ti := range t.byTable.All() {
			if !yield(ti.e) {
				return
			}
		}
	}
}

// placed returns the tables with old (nil for none) replaced by ti (nil for none).
func (t tables) placed(old, ti *tableInfo) (tables, error) {
	byTable, err := t.byTable.Placed(old, ti, byTableOrder)
	if err != nil {
		return t, err
	}
	byCode, err := t.byCode.Placed(old, ti, byCodeOrder)
	if err != nil {
		return t, err
	}
	return tables{byTable: byTable, byCode: byCode}, nil
}

func newGeneration(gen uint64, t tables) *generation {
	return &generation{gen: gen, tables: t,
		byKey: map[string]*graphql.Schema{}, parts: map[string]*graphql.Schema{}, names: map[string]map[string]string{},
		building: map[string]*build{}, sizes: map[*graphql.Schema]*schemaSizes{}, valid: map[validKey]bool{}, warmed: map[warmKey]bool{}}
}

// fieldEntries calls fn with each entry a root field may belong to: the table of its name, and
// the table whose _aggregate or _page field it is.
func (g *generation) fieldEntries(field string, fn func(*catalog.Entry)) {
	if ti := g.table(field); ti != nil {
		fn(ti.e)
	}
	for _, suffix := range []string{"_aggregate", "_page"} {
		if table, ok := strings.CutSuffix(field, suffix); ok {
			if ti := g.table(table); ti != nil {
				fn(ti.e)
			}
		}
	}
}

// current pairs a generation with the catalogue's metadata generation (catalog.View.Generation)
// and journal index (catalog.View.Index) it was built or last followed to: until the metadata
// generation moves, no entry changed and the generation stands without a look at the directory;
// when it moves, the entries changed after index are what is looked at.
type current struct {
	meta  uint64
	index uint64
	g     *generation
}

// queryable reports whether an entry gets data fields: published, loaded, and with an
// identifier and columns (columns(e)) that may reach SQL.
func queryable(e *catalog.Entry) bool {
	return e.Status == statusPublished && e.CurrentSnapshot != "" && !e.Secret &&
		schemas.CheckIdent(e.Table) == nil && hasColumns(e)
}

// sameSchema reports whether two versions of an entry surely give the same schema and access
// decision: the fields entryHash hashes are equal, and so are the items (an ItemList compares by
// content without reading it: its shape is interned). Versions whose items differ only in what
// the schemas do not show (a length, a bound) are told apart by their digests instead.
func sameSchema(a, b *catalog.Entry) bool {
	return a.ResourceCode == b.ResourceCode && a.Table == b.Table && a.Name == b.Name &&
		a.Grade() == b.Grade() && a.District == b.District && a.ShareType == b.ShareType &&
		a.Department == b.Department && a.Items == b.Items
}

// infoFor is the tableInfo of e, a queryable entry whose last version the generation holds in old
// (nil when it holds none), and whether the schemas can tell the two apart. Only a version
// that differs in more than its data is hashed.
func infoFor(old *tableInfo, e *catalog.Entry) (*tableInfo, bool) {
	switch {
	case old == nil:
		return &tableInfo{e: e, digest: &entryDigest{}}, true
	case old.e == e:
		return old, false
	case sameSchema(old.e, e):
		return &tableInfo{e: e, digest: old.digest}, false
	}
	ti := &tableInfo{e: e, digest: &entryDigest{}}
	if ti.hash() == old.hash() {
		ti.digest = old.digest
		return ti, false
	}
	return ti, true
}

// maxFollowed is the number of changed entries past which a generation is read again from the
// loaded entries rather than followed change by change: each change copies a chunk and the slice
// of chunks of both lists (n/64 pointers), so following more costs more than the read.
func maxFollowed(n int) int { return max(256, n/64) }

// followed returns the tables after the changes the view holds since index (the feed of
// changed entries, catalog.View.EachChangedSince), and whether the schemas can tell them from
// t. ok is false when more entries changed than following is worth (maxFollowed).
func (t tables) followed(v *catalog.View, index uint64) (next tables, changed, ok bool, err error) {
	next, ok = t, true
	limit, seen := maxFollowed(t.len()), 0
	v.EachChangedSince(index, func(e *catalog.Entry) bool {
		if seen++; seen > limit {
			ok = false
			return false
		}
		old := next.code(e.ResourceCode)
		var ti *tableInfo
		if queryable(e) {
			var differs bool
			ti, differs = infoFor(old, e)
			changed = changed || differs
		} else if old != nil {
			changed = true
		}
		if ti == nil && old == nil {
			return true
		}
		next, err = next.placed(old, ti)
		return err == nil
	})
	return next, changed, ok, err
}

// readTables reads the queryable entries of the view (View.EachLoaded: the entries with data,
// not the whole directory), and whether the schemas can tell them from prev's. Both are walked
// in resource-code order, so an entry prev holds keeps its digest without a lookup.
func readTables(v *catalog.View, prev tables) (tables, bool) {
	var (
		byCode  []*tableInfo
		changed bool
	)
	next, stop := iter.Pull(prev.byCode.All())
	defer stop()
	p, more := next()
	matched := 0
	v.EachLoaded(func(e *catalog.Entry) bool {
		for more && p.e.ResourceCode < e.ResourceCode {
			p, more = next()
		}
		var old *tableInfo
		if more && p.e.ResourceCode == e.ResourceCode {
			old = p
		}
		if !queryable(e) {
			return true
		}
		ti, differs := infoFor(old, e)
		changed = changed || differs
		if old != nil {
			matched++
		}
		byCode = append(byCode, ti)
		return true
	})
	changed = changed || matched != prev.len()
	byTable := slices.Clone(byCode)
	slices.SortFunc(byTable, byTableOrder)
	return tables{byTable: chunked.Built(byTable), byCode: chunked.Built(byCode)}, changed
}
