package lineage

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lineage/openlineage"
	"github.com/cqeco/ecolake/schemas"
)

// Record takes one OpenLineage RunEvent an outside tool posted on behalf of p: validated
// against the embedded 2-0-2 schemas and facets (a refusal lists each problem under its JSON
// pointer), it becomes the catalogue's record of the tool's job (catalog.PutExternalJob), its
// datasets mapped onto the entries p can see whose table or resource code is their name.
func Record(ctx context.Context, cat *catalog.Store, p *catalog.Principal, data []byte) (*catalog.ExternalJob, error) {
	ev, err := openlineage.Parse(data)
	if err != nil {
		var ve *openlineage.ValidationError
		if errors.As(err, &ve) {
			inv := &schemas.InvalidError{Subject: "OpenLineage 事件", Err: schemas.ErrInvalid}
			for _, pr := range ve.Problems {
				inv.Problems = append(inv.Problems, schemas.Problem{Field: pr.Pointer, Message: pr.Message})
			}
			return nil, inv
		}
		return nil, schemas.Userf(errors.Join(schemas.ErrInvalid, err), "OpenLineage 事件无法接收：%s", err.Error())
	}
	j := catalog.ExternalJob{Namespace: ev.Job.Namespace, Name: ev.Job.Name, LastRun: ev.Run.RunID,
		LastEvent: ev.EventType, Producer: ev.Producer}
	for _, in := range ev.Inputs {
		j.Inputs = append(j.Inputs, catalog.DatasetRef{Namespace: in.Namespace, Name: in.Name})
	}
	for _, out := range ev.Outputs {
		j.Outputs = append(j.Outputs, catalog.DatasetRef{Namespace: out.Namespace, Name: out.Name,
			Columns: columnsOf(out.Facets.ColumnLineage)})
	}
	return cat.PutExternalJob(ctx, p, j)
}

// columnsOf reads an output's columnLineage facet: each field with the input fields it is made
// from, and the inputs that affect the whole dataset (its "dataset" list) as filters of every
// field. Fields come sorted, so that the same event records the same job.
func columnsOf(f *openlineage.ColumnLineageDatasetFacet) []catalog.ExternalColumn {
	if f == nil || len(f.Fields) == 0 {
		return nil
	}
	fields := slices.Sorted(maps.Keys(f.Fields))
	out := make([]catalog.ExternalColumn, 0, len(fields))
	for _, name := range fields {
		c := catalog.ExternalColumn{Field: name}
		for _, in := range f.Fields[name].InputFields {
			c.Sources = append(c.Sources, externalField(in, catalog.ViaDirect))
		}
		for _, in := range f.Dataset {
			c.Sources = append(c.Sources, externalField(in, catalog.ViaFilter))
		}
		out = append(out, c)
	}
	return out
}

// externalField is an input field as the catalogue keeps it; its way is read from its first
// transformation, else def.
func externalField(in openlineage.InputField, def string) catalog.ExternalField {
	via := def
	if len(in.Transformations) > 0 {
		via = viaOf(in.Transformations[0])
	}
	return catalog.ExternalField{Namespace: in.Namespace, Name: in.Name, Field: in.Field, Via: via}
}

// viaOf maps an OpenLineage transformation onto how an item reaches an output: the inverse of
// viaSubtypes, with what the catalogue has no name for read as the nearest way (an indirect
// join, sort or condition decides which rows appear, as a filter does).
func viaOf(t openlineage.Transformation) string {
	switch t.Subtype {
	case openlineage.SubtypeAggregation:
		return catalog.ViaAggregate
	case openlineage.SubtypeWindow:
		return catalog.ViaWindow
	case openlineage.SubtypeGroupBy:
		return catalog.ViaGroup
	case openlineage.SubtypeFilter:
		return catalog.ViaFilter
	}
	if t.Type == openlineage.TransformationIndirect {
		return catalog.ViaFilter
	}
	return catalog.ViaDirect
}
