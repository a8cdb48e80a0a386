package query

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/graphql-go/graphql"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

// target resolves the entry behind a data field in the request's view with the catalogue's
// decision on it: an entry that does not exist for the principal, or holds no queryable data, is
// not found.
func target(p graphql.ResolveParams, code, field string) (*request, *catalog.Entry, catalog.Access, error) {
	r, err := requestFrom(p.Context)
	if err != nil {
		return nil, nil, catalog.Access{}, err
	}
	r.noteField(field)
	e, a, err := r.entry(code)
	if err != nil {
		return r, nil, a, err
	}
	if e.Status != statusPublished || e.Secret || !a.Read {
		return r, nil, a, notFound(code)
	}
	return r, e, a, nil
}

func (s *Service) resolveRows(p graphql.ResolveParams, code, table string) (any, error) {
	r, e, a, err := target(p, code, table)
	if err != nil {
		return nil, err
	}
	plan, err := rowsPlan(r.cfg, e, p.Args, selected(p.Info))
	if err != nil {
		return nil, err
	}
	if err := resolveAsOf(plan, r.view, e, p.Args); err != nil {
		return nil, err
	}
	if err := applyPolicy(plan, e, a); err != nil {
		return nil, s.publicError(r, table, err)
	}
	r.notePlan(e, plan, a)
	// One row more than the limit tells a cut answer from a whole one: a cut is never silent.
	limit := plan.Limit
	if limit > 0 {
		plan.Limit++
	}
	out, err := s.runWithin(p.Context, r, plan)
	if err != nil {
		return nil, s.publicError(r, table, err)
	}
	if len(out) > limit {
		r.refund(len(out) - limit) // the row that told the cut is not returned
		out = out[:limit]
		r.noteTruncated(p.Info.Path.AsArray(), limit)
	}
	return out, nil
}

func (s *Service) resolveAggregate(p graphql.ResolveParams, code, table string) (any, error) {
	field := table + "_aggregate"
	r, e, a, err := target(p, code, field)
	if err != nil {
		return nil, err
	}
	plan, err := aggregatePlan(r.cfg, e, p.Args, selected(p.Info))
	if err != nil {
		return nil, err
	}
	if err := resolveAsOf(plan, r.view, e, p.Args); err != nil {
		return nil, err
	}
	if err := applyPolicy(plan, e, a); err != nil {
		return nil, s.publicError(r, field, err)
	}
	r.notePlan(e, plan, a)
	out, err := s.runWithin(p.Context, r, plan)
	if err != nil {
		return nil, s.publicError(r, field, err)
	}
	if len(out) > r.cfg.MaxLimit {
		return nil, &userError{msg: fmt.Sprintf("%s 的分组数超过上限 %d, 请增加过滤条件或减少分组字段", field, r.cfg.MaxLimit), err: ErrTooLarge}
	}
	return out, nil
}

// runWithin runs a plan within the request's row budget: the plan's limit (rows, or groups
// plus the one that tells a full result from a cut one) is reserved before the query, cut to
// what is left of the budget so the query itself stays bounded, and what the answer did not use
// is given back after it.
func (s *Service) runWithin(ctx context.Context, r *request, p *Plan) ([]map[string]any, error) {
	grant, err := r.reserve(p.Limit)
	if err != nil {
		return nil, err
	}
	if grant < p.Limit {
		p.Limit = grant + 1 // one more, to tell a result that fits from one that was cut
	}
	out, err := s.run(ctx, r, p)
	if err != nil {
		_ = r.settle(grant, 0)
		return nil, err
	}
	if err := r.settle(grant, len(out)); err != nil {
		return nil, err
	}
	return out, nil
}

// run reads the plan's snapshot: manifest, local files from the cache, the SQL, release.
func (s *Service) run(ctx context.Context, r *request, p *Plan) ([]map[string]any, error) {
	out := []map[string]any{}
	if p.Snapshot == "" {
		return s.emptyResult(p, r, out), nil
	}
	snap, err := r.view.Snapshot(p.Snapshot)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s of %s: %w", p.Snapshot, p.Entry, err)
	}
	if snap.Expired() { // by time, id or page cursor: its files may be gone
		err := catalog.ExpiredError(p.Entry, snap)
		msg, _ := schemas.UserMessage(err)
		return nil, &userError{msg: msg, err: err}
	}
	m, err := s.manifest(ctx, snap.ManifestKey)
	if err != nil {
		return nil, err
	}
	if len(m.Files) == 0 {
		return s.emptyResult(p, r, out), nil
	}
	// The statement is made before the files are fetched (their paths are its first argument,
	// not its text), so that an answer kept for it is given without fetching them.
	st, err := BuildSQL(p, Files{Present: presentColumns(m), Uniform: len(m.Files) == 1 || lake.SameSchema(m.Files)})
	if err != nil {
		return nil, err
	}
	key := resultKey(p.Snapshot, st)
	if kept, ok := s.results.get(key); ok {
		r.noteRead(p.Table, p.Snapshot, len(kept))
		return kept, nil
	}
	files := func(ctx context.Context) ([]string, func(), error) {
		paths, release, err := s.cache.Acquire(ctx, m.Files)
		if err != nil {
			return nil, nil, fmt.Errorf("acquire files of snapshot %s: %w", p.Snapshot, err)
		}
		return paths, release, nil
	}
	var copied *nativeCopy
	if s.native != nil {
		nk := nativeKey(p)
		if c, release, ok := s.native.acquire(nk); ok {
			defer release()
			if st, err = BuildSQL(p, Files{Native: c.table}); err != nil {
				return nil, err
			}
			copied = c
		} else if !p.Past {
			s.native.want(nk, p, m, files)
		}
	}
	if copied == nil {
		// Only the files that may hold the plan's rows are fetched and read (prune.go); the
		// native copy above is made of all of them.
		read := prune(p, m.Files)
		if len(read) == 0 {
			return s.emptyResult(p, r, out), nil
		}
		paths, release, err := s.cache.Acquire(ctx, read)
		if err != nil {
			return nil, fmt.Errorf("acquire files of snapshot %s: %w", p.Snapshot, err)
		}
		defer release()
		if err := checkPaths(paths); err != nil {
			return nil, err
		}
		st.Args[0] = paths
	}
	if s.sqlHook != nil {
		s.sqlHook(st)
	}
	var rows *sql.Rows
	if copied != nil {
		rows, err = s.native.query(ctx, copied, st)
	} else {
		rows, err = s.db.QueryContext(ctx, st.SQL, st.Args...)
	}
	if err != nil {
		return nil, fmt.Errorf("query %s snapshot %s: %w", p.Table, p.Snapshot, err)
	}
	defer rows.Close()
	out, err = scanRows(rows, p)
	if err != nil {
		return nil, fmt.Errorf("read %s snapshot %s: %w", p.Table, p.Snapshot, err)
	}
	s.results.put(key, out)
	r.noteRead(p.Table, p.Snapshot, len(out))
	return slices.Clip(out), nil
}

// emptyResult is the answer for a snapshot without files: no rows, and for an ungrouped
// aggregate the one group SQL would give over an empty table (count 0).
func (s *Service) emptyResult(p *Plan, r *request, out []map[string]any) []map[string]any {
	if p.Aggregate && len(p.GroupBy) == 0 && p.MinGroup == 0 {
		out = append(out, map[string]any{"count": int64(0), "group": nil,
			"sum": map[string]any{}, "avg": map[string]any{}, "min": map[string]any{}, "max": map[string]any{}})
	}
	r.noteRead(p.Table, p.Snapshot, len(out))
	return out
}

// manifest reads a manifest once; manifests are immutable under their key.
func (s *Service) manifest(ctx context.Context, key string) (*lake.Manifest, error) {
	s.mmu.Lock()
	m, ok := s.manifests[key]
	s.mmu.Unlock()
	if ok {
		return m, nil
	}
	m, err := lake.ReadManifest(ctx, s.bucket, key)
	if err != nil {
		return nil, fmt.Errorf("read manifest %s: %w", key, err)
	}
	s.mmu.Lock()
	if len(s.manifests) >= maxManifests {
		s.manifests = map[string]*lake.Manifest{}
	}
	s.manifests[key] = m
	s.mmu.Unlock()
	return m, nil
}

func scanRows(rows *sql.Rows, p *Plan) ([]map[string]any, error) {
	out := []map[string]any{}
	var cols []Column // types of the result columns, in order
	if p.Aggregate {
		cols = append(cols, p.GroupBy...)
		cols = append(cols, Column{Field: "count", Type: schemas.Int})
		for _, a := range p.Aggs {
			c := a.Column
			if a.Func == AggSum || a.Func == AggAvg {
				c.Type = schemas.Float
			}
			cols = append(cols, c)
		}
	} else {
		cols = p.Columns
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		conv := make([]any, len(cols))
		for i, c := range cols {
			conv[i] = outValue(c.Type, vals[i])
		}
		if !p.Aggregate {
			m := make(map[string]any, len(cols))
			for i, c := range cols {
				m[c.Field] = conv[i]
			}
			out = append(out, m)
			continue
		}
		m := map[string]any{}
		if len(p.GroupBy) > 0 {
			g := map[string]any{}
			for i, c := range p.GroupBy {
				g[c.Field] = conv[i]
			}
			m["group"] = g
		}
		n := len(p.GroupBy)
		m["count"] = conv[n]
		for i, a := range p.Aggs {
			sub, _ := m[string(a.Func)].(map[string]any)
			if sub == nil {
				sub = map[string]any{}
				m[string(a.Func)] = sub
			}
			sub[a.Column.Field] = conv[n+1+i]
		}
		for _, f := range []AggFunc{AggSum, AggAvg, AggMin, AggMax} {
			if _, ok := m[string(f)]; !ok {
				m[string(f)] = map[string]any{}
			}
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// outValue converts a value DuckDB returned to what the GraphQL type serialises: dates and
// timestamps as ISO-8601 text of the wall clock they were written as.
func outValue(t schemas.DataType, v any) any {
	tm, ok := v.(time.Time)
	if !ok {
		return v
	}
	switch t {
	case schemas.Date:
		return tm.Format(time.DateOnly)
	default:
		if tm.Nanosecond() == 0 {
			return tm.Format("2006-01-02T15:04:05")
		}
		return tm.Format("2006-01-02T15:04:05.999999")
	}
}
