package lineage

import (
	"context"
	"errors"

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
		j.Outputs = append(j.Outputs, catalog.DatasetRef{Namespace: out.Namespace, Name: out.Name})
	}
	return cat.PutExternalJob(ctx, p, j)
}
