package lineage

import (
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lineage/openlineage"
)

// OpenLineage out: every run of a load or a transform becomes a START event when it begins and a
// COMPLETE or FAIL event when it ends (an UNCHANGED run, which wrote nothing, completes too),
// built from what the catalogue recorded of it, and handed to an emitter that never blocks the
// load (openlineage.Emitter: a full queue drops and counts).

// Namespace is the OpenLineage namespace of ecolake's jobs and datasets; a dataset is named by
// its entry's table.
const Namespace = "ecolake"

// Publisher turns runs into OpenLineage events.
type Publisher struct {
	cat *catalog.Store
	em  *openlineage.Emitter
}

// NewPublisher publishes the runs of cat's entries through em.
func NewPublisher(cat *catalog.Store, em *openlineage.Emitter) *Publisher {
	return &Publisher{cat: cat, em: em}
}

// RunChanged publishes run id as the catalogue holds it now: its START while it runs, its end
// once it ended (ingest.RunObserver).
func (p *Publisher) RunChanged(id string) {
	v := p.cat.View()
	r, err := v.Run(id)
	if err != nil {
		return
	}
	if ev := RunEvent(v, *r); ev != nil {
		p.em.Emit(ev)
	}
}

// RunEvent is the OpenLineage event of r as the catalogue in v holds it: START while it runs,
// COMPLETE once committed or UNCHANGED, FAIL with the run's error; nil when r's entry is not
// there. The output dataset carries the entry's items as its schema and the rows and bytes the
// run wrote; a derived entry's run names its inputs with their snapshots and the column lineage
// of its transform, and the job carries the SQL.
func RunEvent(v *catalog.View, r catalog.Run) *openlineage.RunEvent {
	e, err := v.Entry(r.Entry)
	if err != nil {
		return nil
	}
	typ, at := openlineage.EventStart, r.StartedAt
	switch r.Status {
	case catalog.RunSucceeded, catalog.RunPartial, catalog.RunUnchanged:
		typ, at = openlineage.EventComplete, r.FinishedAt
	case catalog.RunFailed:
		typ, at = openlineage.EventFail, r.FinishedAt
	}
	job := "load." + e.Table
	if e.Transform != nil {
		job = "transform." + e.Table
	}
	ev := openlineage.NewRunEvent(typ, r.ID, at, Namespace, job)
	ev.Job.Facets.JobType = openlineage.NewJobTypeFacet("BATCH", "ECOLAKE", r.Kind)
	if typ == openlineage.EventFail && r.Error != "" {
		ev.Run.Facets.ErrorMessage = openlineage.NewErrorMessageFacet(r.Error, "")
	}
	out := openlineage.OutputDataset{Namespace: Namespace, Name: e.Table}
	fields := make([]openlineage.SchemaField, 0, e.Items.Len())
	for i, it := range e.Items.All() {
		fields = append(fields, openlineage.SchemaField{Name: it.Field, Type: string(it.Type), Description: it.Name, OrdinalPosition: i + 1})
	}
	out.Facets.Schema = openlineage.NewSchemaFacet(fields...)
	if typ == openlineage.EventComplete {
		out.OutputFacets.OutputStatistics = openlineage.NewOutputStatisticsFacet(r.RowsAccepted, snapshotBytes(v, r.Snapshot))
	}
	if t := e.Transform; t != nil {
		ev.Job.Facets.SQL = openlineage.NewSQLFacet(t.SQL, "duckdb")
		out.Facets.ColumnLineage = columnLineage(v, t)
		for _, in := range r.Inputs {
			ie, err := v.Entry(in.Entry)
			if err != nil {
				continue
			}
			ds := openlineage.InputDataset{Namespace: Namespace, Name: ie.Table}
			if s, err := v.Snapshot(in.Snapshot); err == nil {
				ds.InputFacets.DataQualityMetrics = openlineage.NewDataQualityMetricsFacet(s.Rows, s.Bytes)
			}
			ev.Inputs = append(ev.Inputs, ds)
		}
	}
	ev.Outputs = []openlineage.OutputDataset{out}
	return ev
}

func snapshotBytes(v *catalog.View, id string) int64 {
	if s, err := v.Snapshot(id); err == nil {
		return s.Bytes
	}
	return 0
}

// viaSubtypes maps how an item reaches an output onto OpenLineage's transformations.
var viaSubtypes = map[string]openlineage.Transformation{
	catalog.ViaDirect:    {Type: openlineage.TransformationDirect, Subtype: openlineage.SubtypeTransformation},
	catalog.ViaAggregate: {Type: openlineage.TransformationDirect, Subtype: openlineage.SubtypeAggregation},
	catalog.ViaWindow:    {Type: openlineage.TransformationIndirect, Subtype: openlineage.SubtypeWindow},
	catalog.ViaFilter:    {Type: openlineage.TransformationIndirect, Subtype: openlineage.SubtypeFilter},
	catalog.ViaGroup:     {Type: openlineage.TransformationIndirect, Subtype: openlineage.SubtypeGroupBy},
}

// columnLineage is t's column lineage as an OpenLineage facet, inputs named by their tables; the
// filters affect the whole dataset.
func columnLineage(v *catalog.View, t *catalog.Transform) *openlineage.ColumnLineageDatasetFacet {
	tables := map[string]string{}
	field := func(s catalog.ColumnSource) openlineage.InputField {
		name, ok := tables[s.Entry]
		if !ok {
			if e, err := v.Entry(s.Entry); err == nil {
				name = e.Table
			}
			tables[s.Entry] = name
		}
		return openlineage.InputField{Namespace: Namespace, Name: name, Field: s.Field,
			Transformations: []openlineage.Transformation{viaSubtypes[s.Via]}}
	}
	f := openlineage.NewColumnLineageFacet()
	for _, c := range t.Columns {
		ins := make([]openlineage.InputField, 0, len(c.Sources))
		for _, s := range c.Sources {
			ins = append(ins, field(s))
		}
		f.Add(c.Field, ins...)
	}
	for _, s := range t.Filters {
		f.Dataset = append(f.Dataset, field(s))
	}
	return f
}
