package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/lineage"
	"github.com/cqeco/ecolake/schemas"
)

// TestLineageCapturedOnEveryPath: nobody types lineage. A district's submission over HTTP, a
// scheduled pull and a derived entry's materialisation each leave what lineage reads in the
// command that commits their snapshot: upstream of the entry as of each snapshot stands the
// source that made it, and upstream of the derived entry, its input's snapshot.
func TestLineageCapturedOnEveryPath(t *testing.T) {
	srv, cat, in := submissionServerWith(t, nil)
	ctx := context.Background()
	const code = "0201/000003"
	sources := func(asOf string) []string {
		t.Helper()
		g, err := lineage.Trace(cat.View(), catalog.Operator(), time.Now(), code, lineage.Options{Direction: lineage.Upstream, AsOf: asOf})
		require.NoError(t, err)
		var out []string
		for _, e := range g.Edges {
			from, to := g.Ends(e)
			out = append(out, from+" → "+to+" ("+e.Kind+")")
		}
		return out
	}

	// HTTP: a district's submission.
	status, body := postFile(t, srv, "万州区减排.csv", []byte("区县,数量\n万州区,3\n"), map[string]string{"district": "万州区"})
	require.Equal(t, http.StatusCreated, status, string(body))
	submitted := mustEntry(t, cat, code).CurrentSnapshot
	assert.Equal(t, []string{"source:district:500101 → entry:" + code + " (load)"}, sources(""))

	// Scheduled: a connection pulled by the scheduler's tick.
	api := verticalSystem(t)
	require.NoError(t, in.Connect(ctx, catalog.Operator(), ingest.Connect{Entry: code, Kind: "rest", Enabled: true, Config: map[string]string{
		"url": api.URL + "/data", "token": systemToken, "mapping": "district_code=qx; enterprise_count=n",
		"watermark_field": "enterprise_count", "pagination": "none"}}))
	sched := ingest.NewScheduler(in, ingest.DefaultScheduleConfig(), slog.New(slog.DiscardHandler))
	require.Equal(t, []string{code}, sched.Tick(ctx))
	sched.Wait()
	pulled := mustEntry(t, cat, code).CurrentSnapshot
	require.NotEqual(t, submitted, pulled)
	assert.Equal(t, []string{"source:connection:" + code + " → entry:" + code + " (load)"}, sources(""))
	assert.Equal(t, []string{"source:district:500101 → entry:" + code + " (load)"}, sources(submitted), "as of the submitted snapshot")

	// Derived: materialised over HTTP, its run records the input snapshot it read.
	d := mustEntry(t, cat, code).Copy()
	d.ResourceCode, d.Table, d.Name, d.CurrentSnapshot = "0201/000004", "reduction_total", "减排企业合计", ""
	d.Items = catalog.ItemsOf(catalog.Item{Name: "合计", Field: "total", Type: schemas.Int, Grade: schemas.General1})
	d.Transform = &catalog.Transform{SQL: "SELECT sum(enterprise_count) AS total FROM air_emission_reduction_counts",
		Inputs: []string{code}, Columns: []catalog.DerivedColumn{{Field: "total",
			Sources: []catalog.ColumnSource{{Entry: code, Field: "enterprise_count", Via: catalog.ViaAggregate}}}}}
	require.NoError(t, cat.PutEntry(ctx, d))
	req, err := http.NewRequest("POST", srv.URL+"/api/v1/entries/0201%2F000004/materialise", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var res submissionJSON
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&res))
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	g, err := lineage.Trace(cat.View(), catalog.Operator(), time.Now(), "0201/000004", lineage.Options{Direction: lineage.Upstream})
	require.NoError(t, err)
	var input lineage.Node
	for _, n := range g.Nodes {
		if n.Entry == code {
			input = n
		}
	}
	assert.Equal(t, pulled, input.Snapshot, "the snapshot the transform read")
	assert.Equal(t, mustEntry(t, cat, "0201/000004").CurrentSnapshot, g.Nodes[0].Snapshot)
}
