package lineage

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
)

// olEvent is an OpenLineage COMPLETE event of an outside job writing one output whose field
// "pm25" comes from the given input fields ({namespace, name, field, subtype} each).
func olEvent(job, outNS, outName string, inputs ...[4]string) []byte {
	fields := ""
	for i, in := range inputs {
		if i > 0 {
			fields += ","
		}
		fields += fmt.Sprintf(`{"namespace":%q,"name":%q,"field":%q,"transformations":[{"type":"DIRECT","subtype":%q}]}`,
			in[0], in[1], in[2], in[3])
	}
	return fmt.Appendf(nil, `{"eventType":"COMPLETE","eventTime":"2026-03-01T08:00:00Z",
		"producer":"https://airflow.example/","schemaURL":"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
		"run":{"runId":"0190d3a4-0000-7000-8000-000000000001"},"job":{"namespace":"airflow://bureau","name":%q},
		"inputs":[{"namespace":"postgres://plant","name":"readings"}],
		"outputs":[{"namespace":%q,"name":%q,"facets":{"columnLineage":{
			"_producer":"https://airflow.example/","_schemaURL":"https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet",
			"fields":{"pm25":{"inputFields":[%s]}}}}}]}`, job, outNS, outName, fields)
}

// TestColumnLineageThroughExternalJobs: an outside tool's columnLineage facet, posted as an
// event, links fields at column level: upstream of A.pm25, the external field it is aggregated
// from and the entry item it copies; downstream of that item, A.pm25. An item of an entry that
// does not exist for the principal is not shown (counted hidden).
func TestColumnLineageThroughExternalJobs(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	j, err := Record(ctx, f.cat, admin, olEvent("load_hourly", Namespace, "air_hourly",
		[4]string{"postgres://plant", "readings", "value", "AGGREGATION"}, [4]string{Namespace, "important", "pm25", "IDENTITY"}))
	require.NoError(t, err)
	require.Len(t, j.Outputs, 1)
	assert.Equal(t, codeA, j.Outputs[0].Entry)
	assert.Equal(t, []catalog.ExternalColumn{{Field: "pm25", Sources: []catalog.ExternalField{
		{Namespace: "postgres://plant", Name: "readings", Field: "value", Via: catalog.ViaAggregate},
		{Namespace: Namespace, Name: "important", Entry: codeH, Field: "pm25", Via: catalog.ViaDirect},
	}}}, j.Outputs[0].Columns)

	up := Options{Direction: Upstream, Level: ColumnLevel, Field: "pm25", Depth: 3}
	g := f.trace(admin, codeA, up)
	assert.Subset(t, edges(g), []string{
		"dataset:postgres://plant/readings.value → column:" + codeA + ".pm25 (aggregate)",
		"column:" + codeH + ".pm25 → column:" + codeA + ".pm25 (direct)",
	})
	g = f.trace(analyst, codeA, up)
	assert.Contains(t, edges(g), "dataset:postgres://plant/readings.value → column:"+codeA+".pm25 (aggregate)")
	assert.NotContains(t, ids(g), "column:"+codeH+".pm25")
	assert.Equal(t, 1, g.Hidden)

	// Downstream of the entry item the job reads: the job's output field, beside the transforms.
	g = f.trace(admin, codeH, Options{Direction: Downstream, Level: ColumnLevel, Field: "pm25", Depth: 1})
	assert.Equal(t, []string{"column:" + codeH + ".pm25 → column:" + codeA + ".pm25 (direct)"}, edges(g))

	// Refusals: an unknown way, and one account's jobs beyond the bound are checked by the
	// catalogue whatever the door.
	_, err = f.cat.PutExternalJob(ctx, admin, catalog.ExternalJob{Namespace: "x", Name: "y", LastRun: "r",
		Outputs: []catalog.DatasetRef{{Namespace: "x", Name: "o", Columns: []catalog.ExternalColumn{{Field: "a",
			Sources: []catalog.ExternalField{{Namespace: "x", Name: "i", Field: "b", Via: "guess"}}}}}}})
	require.ErrorIs(t, err, catalog.ErrInvalid)
	assert.Contains(t, err.Error(), "未知的加工方式“guess”")
}
