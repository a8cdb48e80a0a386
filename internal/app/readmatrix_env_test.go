package app

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/internal/demo"
	"github.com/cqeco/ecolake/schemas"
)

const (
	wanzhou  = "500101"
	jiangbei = "500105"
)

type matrixEnv struct {
	a   *App
	srv *httptest.Server
	db  *sql.DB
	// audited counts the requests of each principal to the doors the audit records (GraphQL
	// and the SDL download).
	audited map[string]int
}

func newMatrixEnv(t *testing.T) *matrixEnv {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.MaxRejectedPercent = 100 // the runs below keep their valid rows beside rejected ones
	a, err := Open(ctx, cfg, log, true)
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	require.NoError(t, demo.Load(ctx, a.Cat, a.Bucket, time.Now, log))
	env := &matrixEnv{a: a, audited: map[string]int{}}
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
			Domains: []string{"WATER"}, Items: catalog.ItemsOf(items...),
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
		if door, _, _ := strings.Cut(path, "?"); door == "/graphql" || door == "/api/v1/schema.graphql" {
			env.audited[p.ID]++
		}
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
	return env.gqlErrAt(t, p, "/graphql", q, out)
}

// gqlErrAt is gqlErr at path, /graphql with a query string.
func (env *matrixEnv) gqlErrAt(t *testing.T, p *catalog.Principal, path, q string, out any) []string {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"query": q})
	status, body := env.request(t, p, http.MethodPost, path, bytes.NewReader(b))
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
