package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/lineage"
	"github.com/cqeco/ecolake/lineage/openlineage"
	"github.com/cqeco/ecolake/schemas"
)

// TestLineageEventDoor: what ecolake emits for a load is taken back as an outside tool's event,
// its output mapped onto the entry of that table; invalid events are refused with their JSON
// pointers, oversize ones with 413, and an account that may not edit the directory with 403.
func TestLineageEventDoor(t *testing.T) {
	srv, cat, in := submissionServerWith(t, nil)
	ctx := context.Background()
	res, err := in.Submit(ctx, ingest.Submission{Entry: "0201/000003", Filename: "减排.csv", Principal: catalog.Operator(),
		Body: strings.NewReader("区县,数量\n万州区,3\n")})
	require.NoError(t, err)
	r, err := cat.View().Run(res.Run.ID)
	require.NoError(t, err)
	ev := lineage.RunEvent(cat.View(), *r)
	ev.Job.Namespace = "airflow://bureau" // as an outside tool would name its job
	event, err := openlineage.Marshal(ev)
	require.NoError(t, err)

	post := func(tok string, body []byte) (int, string) {
		req, err := http.NewRequest("POST", srv.URL+"/api/v1/lineage", bytes.NewReader(body))
		require.NoError(t, err)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(out)
	}
	status, body := post("tok", event)
	require.Equal(t, http.StatusCreated, status, body)
	var got externalJobView
	require.NoError(t, json.Unmarshal([]byte(body), &got))
	assert.Equal(t, "airflow://bureau/load.air_emission_reduction_counts", got.Job)
	assert.Equal(t, []datasetJSON{{Namespace: lineage.Namespace, Name: "air_emission_reduction_counts", Entry: "0201/000003"}}, got.Outputs)
	assert.Len(t, cat.View().ExternalJobsOf("0201/000003", true), 1)

	status, body = post("tok", []byte(strings.Replace(string(event), `"eventType":"COMPLETE"`, `"eventType":"FINISHED"`, 1)))
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, body, "/eventType")
	status, _ = post("tok", []byte(`{"eventTime": "`+strings.Repeat("x", openlineage.MaxEventBytes)+`"}`))
	assert.Equal(t, http.StatusRequestEntityTooLarge, status)
	status, _ = post("scene-tok", event)
	assert.Equal(t, http.StatusForbidden, status)
	status, _ = post("", event)
	assert.Equal(t, http.StatusUnauthorized, status)
}

// TestMaterialiseDoor: a derived entry is materialised by hand, then found up to date; an
// account that may not load it is refused before any run.
func TestMaterialiseDoor(t *testing.T) {
	srv, cat, in := submissionServerWith(t, nil)
	ctx := context.Background()
	require.NoError(t, cat.PutPrincipal(ctx, catalog.Principal{ID: "air", Name: "大气处数据管理员", Role: catalog.RoleSteward,
		Department: "DIV_AIR", Clearance: schemas.Core, TokenHash: catalog.HashToken("air-tok")}))
	_, err := in.Submit(ctx, ingest.Submission{Entry: "0201/000003", Filename: "减排.csv", Principal: catalog.Operator(),
		Body: strings.NewReader("区县,数量\n万州区,3\n涪陵区,4\n")})
	require.NoError(t, err)
	src, err := cat.View().Entry("0201/000003")
	require.NoError(t, err)
	d := src.Copy()
	d.ResourceCode, d.Table, d.Name, d.CurrentSnapshot = "0201/000004", "reduction_total", "减排企业合计", ""
	d.Items = catalog.ItemsOf(catalog.Item{Name: "合计", Field: "total", Type: schemas.Int, Grade: schemas.General1})
	d.Transform = &catalog.Transform{SQL: "SELECT sum(enterprise_count) AS total FROM air_emission_reduction_counts",
		Inputs: []string{"0201/000003"}, Columns: []catalog.DerivedColumn{{Field: "total",
			Sources: []catalog.ColumnSource{{Entry: "0201/000003", Field: "enterprise_count", Via: catalog.ViaAggregate}}}}}
	require.NoError(t, cat.PutEntry(ctx, d))

	post := func(tok string) (int, string) {
		req, err := http.NewRequest("POST", srv.URL+"/api/v1/entries/0201%2F000004/materialise", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(out)
	}
	status, body := post("scene-tok")
	assert.Equal(t, http.StatusForbidden, status, body)
	assert.Empty(t, cat.View().Runs("0201/000004"), "refused before any run")
	status, body = post("air-tok")
	require.Equal(t, http.StatusCreated, status, body)
	e, err := cat.View().Entry("0201/000004")
	require.NoError(t, err)
	require.NotEmpty(t, e.CurrentSnapshot)
	runs := cat.View().Runs("0201/000004")
	require.Len(t, runs, 1)
	assert.Equal(t, ingest.KindDerived, runs[0].Kind)
	assert.Equal(t, []catalog.RunInput{{Entry: "0201/000003", Snapshot: src.CurrentSnapshot}}, runs[0].Inputs)
	status, body = post("air-tok")
	assert.Equal(t, http.StatusOK, status, "inputs unchanged: %s", body)
}
