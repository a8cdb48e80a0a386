package openlineage

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// customFacet is a facet of someone else's, compact, with characters json.Marshal would escape.
const customFacet = `{"_producer":"https://example.org/x","_schemaURL":"https://example.org/x.json#/$defs/X","note":"a < b && c > d，中文","n":[1,2.50,{"z":null}]}`

// sampleEvent is a failed load as ecolake reports it, built with the helpers only.
func sampleEvent(t testing.TB) *RunEvent {
	t.Helper()
	at := time.Date(2024, 5, 1, 8, 30, 15, 123456789, time.FixedZone("CST", 8*3600))
	ev := NewRunEvent(EventFail, "load-42", at, "ecolake://cq", "load.air_quality")
	ev.Run.Facets.ErrorMessage = NewErrorMessageFacet("第 3 行：日期无法解析", "goroutine 1 [running]:")
	ev.Job.Facets.SQL = NewSQLFacet("SELECT station, avg(pm25) FROM raw GROUP BY station", "duckdb")
	ev.Job.Facets.JobType = NewJobTypeFacet("BATCH", "ECOLAKE", "LOAD")

	dq := NewDataQualityMetricsFacet(1200, 48_000)
	dq.ColumnMetrics["pm25"] = ColumnMetrics{NullCount: Ptr(int64(3)), DistinctCount: Ptr(int64(310)), Min: Ptr(0.0), Max: Ptr(412.5)}
	in := InputDataset{Namespace: "file://uploads", Name: "air_quality_2024_05.csv"}
	in.Facets.Schema = NewSchemaFacet(
		SchemaField{Name: "station", Type: "VARCHAR", Description: "监测站编码"},
		SchemaField{Name: "pm25", Type: "DOUBLE"},
	)
	in.InputFacets.DataQualityMetrics = dq
	in.Facets.Other = map[string]json.RawMessage{"custom": json.RawMessage(customFacet)}

	cl := NewColumnLineageFacet()
	cl.Add("station", InputField{Namespace: in.Namespace, Name: in.Name, Field: "station",
		Transformations: []Transformation{{Type: TransformationDirect, Subtype: SubtypeIdentity}}})
	cl.Add("pm25_avg", InputField{Namespace: in.Namespace, Name: in.Name, Field: "pm25",
		Transformations: []Transformation{{Type: TransformationDirect, Subtype: SubtypeAggregation, Description: "avg"}}})
	out := OutputDataset{Namespace: "ecolake://cq", Name: "air_quality"}
	out.Facets.Schema = NewSchemaFacet(SchemaField{Name: "station", Type: "VARCHAR"}, SchemaField{Name: "pm25_avg", Type: "DOUBLE"})
	out.Facets.ColumnLineage = cl
	out.OutputFacets.OutputStatistics = NewOutputStatisticsFacet(0, 0)
	ev.Inputs = []InputDataset{in}
	ev.Outputs = []OutputDataset{out}
	return ev
}

// sampleDoc is sampleEvent as a generic JSON document, for tests that break it.
func sampleDoc(t testing.TB) map[string]any {
	t.Helper()
	b, err := Marshal(sampleEvent(t))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

// at walks doc along keys (strings for objects, ints for arrays) and returns the object there.
func at(t testing.TB, doc any, path ...any) map[string]any {
	t.Helper()
	for _, p := range path {
		switch p := p.(type) {
		case string:
			doc = doc.(map[string]any)[p]
		case int:
			doc = doc.([]any)[p]
		}
	}
	m, ok := doc.(map[string]any)
	require.True(t, ok, "no object at %v", path)
	return m
}
