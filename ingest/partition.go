package ingest

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

// fileWriter writes a load's rows to data files: one table writer, or one per partition.
type fileWriter interface {
	Write(ctx context.Context, rec arrow.RecordBatch) error
	Close(ctx context.Context) ([]lake.DataFile, error)
	Abort()
}

// partitionColumns are entry e's partition columns (Entry.Partitions) as the lake writes them. A
// year or month column is named "year" or "month" unless an item of e is, then after its field
// (sample_date_year): a partition value is only ever read as the value of its own column.
func partitionColumns(e *catalog.Entry) ([]lake.PartitionColumn, error) {
	var out []lake.PartitionColumn
	for _, spec := range e.Partitions {
		pt, err := catalog.ParsePartition(e.Items, spec)
		if err != nil {
			return nil, fmt.Errorf("entry %s partition %q: %w", e.ResourceCode, spec, err)
		}
		name := pt.Field
		if pt.Transform != "" {
			name = pt.Transform
			if _, _, taken := e.Items.Field(name); taken {
				name = pt.Field + "_" + pt.Transform
			}
		}
		out = append(out, lake.PartitionColumn{Name: name, Source: pt.Field, Transform: pt.Transform})
	}
	return out, nil
}

// newFileWriter opens the writer of entry e's new data files with schema: partitioned when the
// entry declares partitions.
func (s *Service) newFileWriter(ctx context.Context, e *catalog.Entry, schema *arrow.Schema) (fileWriter, error) {
	cols, err := partitionColumns(e)
	if err != nil {
		return nil, err
	}
	if len(cols) == 0 {
		return lake.NewTableWriter(ctx, s.bucket, lake.DataPrefix(e.Table), schema, s.cfg.Writer)
	}
	pw, err := lake.NewPartitionedWriter(ctx, s.bucket, lake.DataPrefix(e.Table), schema, cols, s.cfg.Writer)
	if err != nil {
		return nil, err
	}
	return partitionErrors{pw}, nil
}

// partitionErrors says in Chinese when a load touches more partitions than a write may hold.
type partitionErrors struct{ *lake.PartitionedWriter }

func (p partitionErrors) Write(ctx context.Context, rec arrow.RecordBatch) error {
	err := p.PartitionedWriter.Write(ctx, rec)
	if errors.Is(err, lake.ErrTooManyPartitions) {
		return schemas.Userf(ErrInvalidSubmission, "本次报送的数据分属超过 %d 个分区（%v）：请分批报送", lake.MaxPartitionsPerWrite, p.names())
	}
	return err
}

func (p partitionErrors) names() []string {
	var out []string
	for _, c := range p.Columns() {
		out = append(out, c.Name)
	}
	return out
}
