package lineage

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lineage/openlineage"
)

// TestRunEvents: the events of a derived entry's run, a district load and a failed run validate
// against the OpenLineage 2-0-2 schemas, and parse back with the datasets, schema, column
// lineage and statistics they were given.
func TestRunEvents(t *testing.T) {
	f := newFixture(t)
	v := f.cat.View()
	roundTrip := func(ev *openlineage.RunEvent) *openlineage.RunEvent {
		t.Helper()
		require.NotNil(t, ev)
		b, err := openlineage.Marshal(ev)
		require.NoError(t, err)
		back, err := openlineage.Parse(b)
		require.NoError(t, err, "%s", b)
		return back
	}

	ev := roundTrip(RunEvent(v, runOf(t, f, "run-d1")))
	assert.Equal(t, openlineage.EventComplete, ev.EventType)
	assert.Equal(t, "transform.monthly", ev.Job.Name)
	assert.Equal(t, openlineage.RunUUID("run-d1"), ev.Run.RunID)
	require.NotNil(t, ev.Job.Facets.SQL)
	var inputs []string
	for _, in := range ev.Inputs {
		inputs = append(inputs, in.Name)
		require.NotNil(t, in.InputFacets.DataQualityMetrics)
	}
	assert.Equal(t, []string{"air_hourly", "targets"}, inputs)
	out := ev.Outputs[0]
	assert.Equal(t, "monthly", out.Name)
	require.NotNil(t, out.Facets.Schema)
	assert.Equal(t, "avg_pm25", out.Facets.Schema.Fields[1].Name)
	require.NotNil(t, out.Facets.ColumnLineage)
	avg := out.Facets.ColumnLineage.Fields["avg_pm25"].InputFields
	require.Len(t, avg, 1)
	assert.Equal(t, openlineage.InputField{Namespace: Namespace, Name: "air_hourly", Field: "pm25",
		Transformations: []openlineage.Transformation{{Type: "DIRECT", Subtype: "AGGREGATION"}}}, avg[0])
	assert.Len(t, out.Facets.ColumnLineage.Dataset, 1, "the filter on the targets' district")
	require.NotNil(t, out.OutputFacets.OutputStatistics)

	ev = roundTrip(RunEvent(v, runOf(t, f, "run-a1")))
	assert.Equal(t, "load.air_hourly", ev.Job.Name)
	assert.Empty(t, ev.Inputs)

	// A run that begins and fails: START, then FAIL with its error.
	ctx := context.Background()
	require.NoError(t, f.cat.BeginRun(ctx, catalog.Run{ID: "run-x", Entry: codeA, Kind: runDistrictSubmission, Status: catalog.RunRunning, StartedAt: f.now}))
	ev = roundTrip(RunEvent(f.cat.View(), runOf(t, f, "run-x")))
	assert.Equal(t, openlineage.EventStart, ev.EventType)
	require.NoError(t, f.cat.FailRun(ctx, catalog.Run{ID: "run-x", Error: "第 3 行: 监测时间格式错误", FinishedAt: f.now}))
	ev = roundTrip(RunEvent(f.cat.View(), runOf(t, f, "run-x")))
	assert.Equal(t, openlineage.EventFail, ev.EventType)
	require.NotNil(t, ev.Run.Facets.ErrorMessage)
	assert.Equal(t, "第 3 行: 监测时间格式错误", ev.Run.Facets.ErrorMessage.Message)
}

// runOf is run id as the catalogue holds it now.
func runOf(t *testing.T, f *fixture, id string) catalog.Run {
	t.Helper()
	r, err := f.cat.View().Run(id)
	require.NoError(t, err)
	return *r
}

// TestPublisherWritesEvents: a publisher over a file sink writes a valid event each time a run
// begins and ends, and nothing for a run that is not there.
func TestPublisherWritesEvents(t *testing.T) {
	f := newFixture(t)
	path := filepath.Join(t.TempDir(), "lineage.jsonl")
	sink, err := openlineage.NewFileSink(path)
	require.NoError(t, err)
	em := openlineage.NewEmitter(slog.New(slog.DiscardHandler), 16, sink)
	p := NewPublisher(f.cat, em)
	ctx := context.Background()
	require.NoError(t, f.cat.BeginRun(ctx, catalog.Run{ID: "run-y", Entry: codeB, Kind: runConnectorPull, Status: catalog.RunRunning, StartedAt: f.now}))
	p.RunChanged("run-y")
	require.NoError(t, f.cat.FailRun(ctx, catalog.Run{ID: "run-y", Error: "接口返回 503", FinishedAt: f.now}))
	p.RunChanged("run-y")
	p.RunChanged("no-such-run") // nothing
	require.NoError(t, em.Close(context.Background()))
	require.NoError(t, sink.Close())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Len(t, lines, 2)
	var types []string
	for _, l := range lines {
		ev, err := openlineage.Parse([]byte(l))
		require.NoError(t, err)
		types = append(types, ev.EventType)
	}
	assert.Equal(t, []string{openlineage.EventStart, openlineage.EventFail}, types)
}
