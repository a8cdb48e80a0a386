package app

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/internal/demo"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

// TestReadMatrix walks roles × clearance × district scope over the demo directory (plus a district's
// own entry, another district's entry and a city entry without a district item) and checks every
// read door — entries, entry, the SDL, introspection, rows, counts, aggregates with groupBy, the
// figures and their lists, run lists and the rejected-rows download — against catalog.Decide.
// Expected row counts are computed here straight from the snapshot's Parquet files with DuckDB, so a
// door that bypassed the decision (or applied it differently) fails.
func TestReadMatrix(t *testing.T) {
	env := newMatrixEnv(t)
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
	seenRows, seenScoped := 0, 0
	for _, p := range principals {
		t.Run(p.ID, func(t *testing.T) {
			decided := map[string]catalog.Access{}
			var exists []string
			for _, e := range entries {
				a := catalog.Decide(p, e)
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
	require.Greater(t, seenRows, 0, "the matrix read no rows at all")
	require.Greater(t, seenScoped, 0, "the matrix met no row-scoped read")
	_ = env.get(t, nil, "/api/v1/runs/nope/rejects", http.StatusUnauthorized)
}

const (
	wanzhou  = "500101"
	jiangbei = "500105"
)

type matrixEnv struct {
	a   *App
	srv *httptest.Server
	db  *sql.DB
}

func newMatrixEnv(t *testing.T) *matrixEnv {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	a, err := Open(ctx, cfg, log, true)
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	require.NoError(t, demo.Load(ctx, a.Cat, a.Bucket, time.Now, log))
	env := &matrixEnv{a: a}
	env.addEntries(t)
	env.srv = httptest.NewServer(a.Routes())
	t.Cleanup(env.srv.Close)
	env.db, err = sql.Open("duckdb", "")
	require.NoError(t, err)
	t.Cleanup(func() { _ = env.db.Close() })
	return env
}

// addEntries adds what the demo lacks: an entry of 万州's own, one of 江北's, and a city entry
// without any district item, each with data; and runs with rejected rows from a district and
// from the steward.
func (env *matrixEnv) addEntries(t *testing.T) {
	ctx := context.Background()
	mk := func(code, table, name, district string, items ...catalog.Item) {
		e := &catalog.Entry{
			ResourceCode: code, Table: table, Name: name, CategoryCode: strings.Split(code, "/")[0],
			ProviderName: "重庆市生态环境局", ProviderCode: "11500000MB0000000X", Abstract: name, FormatType: "DATABASE",
			ShareType: "UNCONDITIONAL", ShareMode: "TABLE", OpenType: "CONDITIONAL", UpdateCycle: schemas.Irregular,
			Status: catalog.StatusPublished, Department: "DIV_WATER", District: district, SourceKind: "DISTRICT_SUBMISSION",
			Domains: []string{"WATER"}, Items: items,
		}
		require.NoError(t, env.a.Cat.PutEntry(ctx, e))
	}
	dist := catalog.Item{Name: "区县", Field: "district_code", Type: schemas.String, Required: true, CodeList: "districts", Grade: schemas.General1}
	val := catalog.Item{Name: "数值", Field: "amount", Type: schemas.Int, Required: true, Grade: schemas.General1}
	day := catalog.Item{Name: "日期", Field: "day", Type: schemas.Date, Required: true, Grade: schemas.General1}
	mk("0102/900001", "wanzhou_patrol", "万州区巡河记录", wanzhou, dist, val)
	mk("0102/900002", "jiangbei_patrol", "江北区巡河记录", jiangbei, dist, val)
	mk("0102/900003", "city_water_index", "全市水质指数", schemas.CityCode, day, val)
	env.load(t, "0102/900001", "", "区县,数值\n万州区,1\n万州区,2\n江北区,3\n")
	env.load(t, "0102/900002", "", "区县,数值\n江北区,4\n")
	env.load(t, "0102/900003", "", "日期,数值\n2025-01-01,5\n2025-01-02,6\n不是日期,7\n")
	// A steward's load "for" 万州 that carries another district's row, and 万州's own load.
	env.load(t, "0201/000003", wanzhou, "区县,数量\n万州区,1\n涪陵区,不是数字\n")
	loader := env.principal("wz-loader", catalog.RoleDistrict, schemas.General1, wanzhou)
	sub := ingestAsOperator("0201/000003", "", "区县,数量\n万州区,2\n万州区,不是数字\n")
	sub.Principal = loader
	_, err := env.a.Ingest.Submit(ctx, sub)
	require.NoError(t, err)
}

func (env *matrixEnv) principal(id, role string, g schemas.Grade, districts ...string) *catalog.Principal {
	p := catalog.Principal{ID: id, Name: id, Role: role, Clearance: g, Districts: districts, TokenHash: catalog.HashToken("tok-" + id)}
	if err := env.a.Cat.PutPrincipal(context.Background(), p); err != nil {
		panic(err)
	}
	return &p
}

func (env *matrixEnv) request(t *testing.T, p *catalog.Principal, method, path string, body io.Reader) (int, string) {
	req, err := http.NewRequest(method, env.srv.URL+path, body)
	require.NoError(t, err)
	if p != nil {
		req.Header.Set("Authorization", "Bearer tok-"+p.ID)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func (env *matrixEnv) get(t *testing.T, p *catalog.Principal, path string, want int) string {
	status, body := env.request(t, p, http.MethodGet, path, nil)
	require.Equal(t, want, status, "GET %s: %s", path, body)
	return body
}

// gql runs a query that must succeed and decodes its data into out.
func (env *matrixEnv) gql(t *testing.T, p *catalog.Principal, q string, out any) {
	t.Helper()
	errs := env.gqlErr(t, p, q, out)
	require.Empty(t, errs, "%s", q)
}

func (env *matrixEnv) gqlErr(t *testing.T, p *catalog.Principal, q string, out any) []string {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"query": q})
	status, body := env.request(t, p, http.MethodPost, "/graphql", bytes.NewReader(b))
	require.Equal(t, http.StatusOK, status, body)
	var res struct {
		Data   json.RawMessage
		Errors []struct{ Message string }
	}
	require.NoError(t, json.Unmarshal([]byte(body), &res))
	var msgs []string
	for _, e := range res.Errors {
		msgs = append(msgs, e.Message)
	}
	if out != nil && len(res.Data) > 0 && string(res.Data) != "null" {
		require.NoError(t, json.Unmarshal(res.Data, out))
	}
	return msgs
}

// queryFields returns the root field names of the SDL's Query type.
func queryFields(sdl string) map[string]bool {
	out := map[string]bool{}
	in := false
	for _, line := range strings.Split(sdl, "\n") {
		switch {
		case strings.HasPrefix(line, "type Query {"):
			in = true
		case in && line == "}":
			return out
		case in && strings.HasPrefix(line, "  ") && !strings.HasPrefix(strings.TrimSpace(line), `"""`):
			name := strings.TrimSpace(line)
			name = name[:strings.IndexAny(name, "(:")]
			out[name] = true
		}
	}
	return out
}

// checkData reads entry e's data through every data path as p and compares with DuckDB's own
// answer over the snapshot's files under the decision's row scope. It returns the rows p saw.
func (env *matrixEnv) checkData(t *testing.T, p *catalog.Principal, e *catalog.Entry, a catalog.Access) (int, bool) {
	t.Helper()
	ctx := context.Background()
	v := env.a.Cat.View()
	snap, err := v.Snapshot(e.CurrentSnapshot)
	require.NoError(t, err)
	m, err := lake.ReadManifest(ctx, env.a.Bucket, snap.ManifestKey)
	require.NoError(t, err)
	paths, release, err := env.a.Cache.Acquire(ctx, m.Files)
	require.NoError(t, err)
	defer release()
	quoted := make([]string, len(paths))
	for i, p := range paths {
		quoted[i] = "'" + strings.ReplaceAll(p, "'", "''") + "'"
	}
	where := "TRUE"
	if a.Rows != nil {
		var ors []string
		for _, f := range a.Rows.Fields {
			ors = append(ors, fmt.Sprintf("%s IN ('%s')", f, strings.Join(a.Rows.Districts, "','")))
		}
		where = strings.Join(ors, " OR ")
	}
	var want int
	require.NoError(t, env.db.QueryRow(fmt.Sprintf("SELECT count(*) FROM read_parquet([%s], union_by_name=true) WHERE %s",
		strings.Join(quoted, ","), where)).Scan(&want))

	// count
	var cnt map[string][]struct{ Count int }
	env.gql(t, p, fmt.Sprintf(`{ %s_aggregate { count } }`, e.Table), &cnt)
	if a.MinGroupSize > 0 && want < a.MinGroupSize {
		// A total of fewer rows than the minimum group is withheld from aggregates-only readers.
		assert.Empty(t, cnt[e.Table+"_aggregate"], "count of %s below the minimum group", e.Table)
	} else {
		require.Len(t, cnt[e.Table+"_aggregate"], 1)
		assert.Equal(t, want, cnt[e.Table+"_aggregate"][0].Count, "count of %s", e.Table)
	}

	fields := catalog.DistrictFields(e)
	sel := fields
	if len(sel) == 0 {
		sel = []string{e.Items[0].Field}
	}
	inScope := func(row map[string]any) bool {
		if a.Rows == nil {
			return true
		}
		for _, f := range a.Rows.Fields {
			if s, ok := row[f].(string); ok && slices.Contains(a.Rows.Districts, s) {
				return true
			}
		}
		return false
	}

	// aggregates with groupBy on the district item: every group is in scope, counts add up.
	if len(fields) > 0 {
		var groups map[string][]struct {
			Group map[string]any
			Count int
		}
		env.gql(t, p, fmt.Sprintf(`{ %s_aggregate(groupBy: [%s]) { group { %s } count } }`, e.Table, fields[0], strings.Join(fields, " ")), &groups)
		total := 0
		for _, g := range groups[e.Table+"_aggregate"] {
			total += g.Count
			assert.True(t, inScope(g.Group), "group %v of %s is outside the row scope", g.Group, e.Table)
			assert.GreaterOrEqual(t, g.Count, a.MinGroupSize, "a group below the minimum of %s", e.Table)
		}
		// DuckDB's own answer: the rows of groups at least as large as the minimum.
		var wantGrouped, wantGroups int
		require.NoError(t, env.db.QueryRow(fmt.Sprintf(`SELECT coalesce(sum(n), 0), count(*) FROM (SELECT count(*) AS n
			FROM read_parquet([%s], union_by_name=true) WHERE %s GROUP BY %s HAVING count(*) >= %d)`,
			strings.Join(quoted, ","), where, fields[0], max(a.MinGroupSize, 1))).Scan(&wantGrouped, &wantGroups))
		assert.Equal(t, wantGrouped, total, "grouped counts of %s", e.Table)
		assert.Len(t, groups[e.Table+"_aggregate"], wantGroups, "groups of %s", e.Table)
	}

	// rows
	var rows map[string][]map[string]any
	q := fmt.Sprintf(`{ %s(limit: 10000) { %s } }`, e.Table, strings.Join(sel, " "))
	errs := env.gqlErr(t, p, q, &rows)
	if a.AggregatesOnly {
		require.NotEmpty(t, errs, "rows of %s for an aggregates-only reader", e.Table)
		assert.Empty(t, rows[e.Table])
		return 0, a.Rows != nil
	}
	require.Empty(t, errs, q)
	got := rows[e.Table]
	assert.Equal(t, min(want, 10000), len(got), "rows of %s", e.Table)
	for _, row := range got {
		if !inScope(row) {
			t.Errorf("row %v of %s is outside the row scope %v", row, e.Table, a.Rows)
			break
		}
	}
	if p.Role == catalog.RoleDistrict && len(fields) > 0 {
		seen := map[string]bool{}
		for _, row := range got {
			for _, f := range fields {
				if s, ok := row[f].(string); ok {
					seen[s] = true
				}
			}
		}
		keys := make([]string, 0, len(seen))
		for k := range seen {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !slices.Contains(p.Districts, k) && len(fields) == 1 {
				t.Errorf("%s read a row of district %s in %s", p.ID, k, e.Table)
			}
		}
	}
	return len(got), a.Rows != nil
}

// submitterOf is the principal that started run r, nil for the operator.
func submitterOf(v *catalog.View, r *catalog.Run) *catalog.Principal {
	if r.Principal == "" {
		return nil
	}
	p, err := v.Principal(r.Principal)
	if err != nil {
		return nil
	}
	return p
}

// load submits a CSV as the offline operator, for district when it is not empty.
func (env *matrixEnv) load(t *testing.T, code, district, csv string) {
	t.Helper()
	_, err := env.a.Ingest.Submit(context.Background(), ingestAsOperator(code, district, csv))
	require.NoError(t, err)
}
