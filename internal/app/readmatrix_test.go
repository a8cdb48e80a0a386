package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// TestReadMatrix walks roles × clearance × district scope over the demo directory (plus a district's
// own entry, another district's entry and a city entry without a district item) and checks every
// read door — entries, entry, search, the SDL, introspection, rows, counts, aggregates with
// groupBy, the figures and their lists, run lists and the rejected-rows download — against
// catalog.Decide, and the audit: every request has its event, naming the masks and row scopes
// the decision applied.
// Expected row counts are computed here straight from the snapshot's Parquet files with DuckDB, so a
// door that bypassed the decision (or applied it differently) fails.
func TestReadMatrix(t *testing.T) {
	env := newMatrixEnv(t)
	require.NoError(t, env.a.Search.Wait(context.Background()))
	var principals []*catalog.Principal
	for _, role := range catalog.Roles {
		for _, g := range []schemas.Grade{schemas.General1, schemas.General2, schemas.Core} {
			scopes := [][]string{nil}
			if role == catalog.RoleDistrict {
				scopes = [][]string{{wanzhou}, {wanzhou, jiangbei}}
			}
			for _, ds := range scopes {
				id := fmt.Sprintf("%s-%s-%d", role, strings.ToLower(string(g)), len(ds))
				principals = append(principals, env.principal(id, role, g, ds...))
			}
		}
	}
	v := env.a.Cat.View()
	entries := v.Entries()
	require.NotEmpty(t, entries)
	seenRows, seenScoped, seenMasked := 0, 0, 0
	for _, p := range principals {
		t.Run(p.ID, func(t *testing.T) {
			decided := map[string]catalog.Access{}
			var exists []string
			for _, e := range entries {
				a := v.Decide(p, e, time.Now())
				decided[e.ResourceCode] = a
				if a.Exists {
					exists = append(exists, e.ResourceCode)
					// Independent of the decision's own text: the clearance and the district rule.
					assert.True(t, p.Clearance.Covers(e.Grade()), "%s sees %s above its clearance", p.ID, e.ResourceCode)
					if p.Role == catalog.RoleDistrict {
						assert.True(t, e.District == schemas.CityCode || slices.Contains(p.Districts, e.District),
							"%s sees another district's entry %s", p.ID, e.ResourceCode)
					}
				}
			}

			// entries and entry(code)
			var list struct {
				Entries []struct{ ResourceCode string }
			}
			env.gql(t, p, `{ entries { resourceCode } }`, &list)
			var got []string
			for _, e := range list.Entries {
				got = append(got, e.ResourceCode)
			}
			assert.ElementsMatch(t, exists, got, "entries")
			env.checkSearch(t, p, exists)
			for _, e := range entries {
				var one struct{ Entry *struct{ Name string } }
				env.gql(t, p, fmt.Sprintf(`{ entry(code: %q) { name } }`, e.ResourceCode), &one)
				assert.Equal(t, decided[e.ResourceCode].Exists, one.Entry != nil, "entry(%s)", e.ResourceCode)
			}

			// The SDL and introspection name exactly the readable tables; aggregates-only readers
			// get no row field.
			sdlFields := queryFields(env.get(t, p, "/api/v1/schema.graphql", http.StatusOK))
			var intro struct {
				Schema struct {
					QueryType struct{ Fields []struct{ Name string } }
				} `json:"__schema"`
			}
			env.gql(t, p, `{ __schema { queryType { fields { name } } } }`, &intro)
			introFields := map[string]bool{}
			for _, f := range intro.Schema.QueryType.Fields {
				introFields[f.Name] = true
			}
			// A schema scoped to tables (?tables=) shows of them exactly what the whole one does.
			var tables []string
			for _, e := range entries[:min(len(entries), 100)] {
				tables = append(tables, e.Table)
			}
			scope := "?tables=" + strings.Join(tables, ",")
			scopedSDL := queryFields(env.get(t, p, "/api/v1/schema.graphql"+scope, http.StatusOK))
			var scopedIntro struct {
				Schema struct {
					QueryType struct{ Fields []struct{ Name string } }
				} `json:"__schema"`
			}
			require.Empty(t, env.gqlErrAt(t, p, "/graphql"+scope, `{ __schema { queryType { fields { name } } } }`, &scopedIntro))
			scopedFields := map[string]bool{}
			for _, f := range scopedIntro.Schema.QueryType.Fields {
				scopedFields[f.Name] = true
			}
			for _, e := range entries[:len(tables)] {
				for _, f := range []string{e.Table, e.Table + "_aggregate"} {
					assert.Equal(t, sdlFields[f], scopedSDL[f], "scoped SDL %s", f)
					assert.Equal(t, sdlFields[f], scopedFields[f], "scoped introspection %s", f)
				}
			}
			for _, e := range entries {
				a := decided[e.ResourceCode]
				readable := a.Read && e.CurrentSnapshot != ""
				assert.Equal(t, readable && !a.AggregatesOnly, sdlFields[e.Table], "SDL row field %s", e.Table)
				assert.Equal(t, readable, sdlFields[e.Table+"_aggregate"], "SDL aggregate field %s", e.Table)
				assert.Equal(t, sdlFields[e.Table], introFields[e.Table], "introspection %s", e.Table)
				assert.Equal(t, sdlFields[e.Table+"_aggregate"], introFields[e.Table+"_aggregate"], "introspection %s_aggregate", e.Table)
				if !readable {
					continue
				}
				rows, scoped := env.checkData(t, p, e, a)
				seenMasked += env.readVisible(t, p, e, a)
				seenRows += rows
				if scoped {
					seenScoped++
				}
			}

			// The figure counts only entries that exist for the reader; its lists name no other.
			var fig struct {
				CollectionRate struct {
					Denominator int
					Lagging     []struct{ Entry string }
					ByDistrict  []struct{ Key string }
				}
			}
			env.gql(t, p, `{ collectionRate { denominator lagging { entry } byDistrict { key } } }`, &fig)
			due := 0
			for _, e := range entries {
				if decided[e.ResourceCode].Exists && e.Status == catalog.StatusPublished && !e.Secret && !e.Exempt {
					due++
				}
			}
			assert.Equal(t, due, fig.CollectionRate.Denominator, "collectionRate denominator")
			for _, l := range fig.CollectionRate.Lagging {
				assert.True(t, decided[l.Entry].Exists, "lagging names hidden entry %s", l.Entry)
			}

			// Runs: the list of entry.runs and the rejected-rows download.
			for _, e := range entries {
				a := decided[e.ResourceCode]
				var want []string
				for _, r := range v.Runs(e.ResourceCode) {
					if a.MaySeeRun(r) {
						want = append(want, r.ID)
					}
					if r.RejectedKey == "" {
						continue
					}
					status := http.StatusNotFound
					switch {
					case a.MaySeeRun(r) && catalog.MayReadRejects(p, e, r, submitterOf(v, r)):
						status = http.StatusOK
					case a.MaySeeRun(r):
						status = http.StatusForbidden
					}
					body := env.get(t, p, "/api/v1/runs/"+r.ID+"/rejects", status)
					if status == http.StatusNotFound {
						missing := env.get(t, p, "/api/v1/runs/no-such-run/rejects", http.StatusNotFound)
						assert.Equal(t, missing, strings.ReplaceAll(body, r.ID, "no-such-run"), "a hidden run answers as a missing one")
					}
				}
				if !a.Exists {
					continue
				}
				var runs struct {
					Entry struct {
						Runs      []struct{ ID string }
						Snapshots []struct{ Rows *json.Number }
					}
				}
				env.gql(t, p, fmt.Sprintf(`{ entry(code: %q) { runs { id } snapshots { rows } } }`, e.ResourceCode), &runs)
				for _, sn := range runs.Entry.Snapshots {
					// A row-scoped reader must not learn the whole table's size.
					assert.Equal(t, a.Rows == nil, sn.Rows != nil, "snapshot size of %s", e.ResourceCode)
				}
				var gotRuns []string
				for _, r := range runs.Entry.Runs {
					gotRuns = append(gotRuns, r.ID)
				}
				assert.ElementsMatch(t, want, gotRuns, "runs of %s", e.ResourceCode)
			}
		})
	}
	env.checkAudit(t, principals, entries)
	require.Greater(t, seenRows, 0, "the matrix read no rows at all")
	require.Greater(t, seenScoped, 0, "the matrix met no row-scoped read")
	require.Greater(t, seenMasked, 0, "the matrix met no masked item")
	_ = env.get(t, nil, "/api/v1/runs/nope/rejects", http.StatusUnauthorized)
}
