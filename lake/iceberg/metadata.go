package iceberg

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/apache/iceberg-go/table"
	"github.com/google/uuid"
)

// tableNamespace derives the table uuids: the same table in the same lake keeps its uuid from
// one metadata version to the next.
var tableNamespace = uuid.MustParse("6f1d4c1e-3b7a-5c5e-9a52-8f0e3a7d2c11")

// planMetadata builds the metadata JSON through iceberg-go's builder, one snapshot at a time as
// if each had been committed to it in turn, so that the snapshot log lists them all.
func (p *Plan) planMetadata() error {
	var meta table.Metadata
	lastSchema := -1
	for i, sp := range p.snaps {
		var b *table.MetadataBuilder
		var err error
		if i == 0 {
			if b, err = p.newBuilder(); err != nil {
				return err
			}
		} else if b, err = table.MetadataBuilderFromBase(meta, ""); err != nil {
			return fmt.Errorf("iceberg metadata of %s: %w", p.t.Name, err)
		}
		if sp.schemaID != lastSchema {
			if err := b.AddSchema(p.schema(sp.schemaID)); err != nil {
				return fmt.Errorf("iceberg schema of %s: %w", p.t.Name, err)
			}
			if err := b.SetCurrentSchemaID(-1); err != nil {
				return fmt.Errorf("iceberg schema of %s: %w", p.t.Name, err)
			}
			lastSchema = sp.schemaID
		}
		if i == 0 {
			if err := p.initSpec(b); err != nil {
				return err
			}
		}
		schemaID := sp.schemaID
		snap := &table.Snapshot{
			SnapshotID:     sp.id,
			SequenceNumber: sp.s.Sequence,
			TimestampMs:    sp.s.CommittedAt.UnixMilli(),
			ManifestList:   URI(p.t.Location, sp.listKey),
			Summary:        &table.Summary{Operation: table.Operation(sp.op), Properties: p.summary(sp)},
			SchemaID:       &schemaID,
		}
		if sp.parent != 0 {
			parent := sp.parent
			snap.ParentSnapshotID = &parent
		}
		if err := b.AddSnapshot(snap); err != nil {
			return fmt.Errorf("iceberg snapshot %s of %s: %w", sp.s.Manifest.SnapshotID, p.t.Name, err)
		}
		if err := b.SetSnapshotRef(table.MainBranch, sp.id, table.BranchRef); err != nil {
			return fmt.Errorf("iceberg snapshot %s of %s: %w", sp.s.Manifest.SnapshotID, p.t.Name, err)
		}
		if meta, err = b.Build(); err != nil {
			return fmt.Errorf("iceberg metadata of %s: %w", p.t.Name, err)
		}
	}
	data, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("encode iceberg metadata of %s: %w", p.t.Name, err)
	}
	sum := sha256.Sum256(data)
	last := p.snaps[len(p.snaps)-1]
	p.Metadata = data
	p.MetadataKey = fmt.Sprintf("%s%05d-%05d-%s.metadata.json", MetadataDir(p.t.Name), last.s.Sequence, p.snaps[0].s.Sequence, hex.EncodeToString(sum[:8]))
	return nil
}

func (p *Plan) newBuilder() (*table.MetadataBuilder, error) {
	b, err := table.NewMetadataBuilder(2)
	if err != nil {
		return nil, err
	}
	loc := TableLocation(p.t.Location, p.t.Name)
	if err := b.SetUUID(uuid.NewSHA1(tableNamespace, []byte(loc))); err != nil {
		return nil, err
	}
	if err := b.SetLoc(loc); err != nil {
		return nil, err
	}
	if err := b.SetProperties(map[string]string{"ecolake.table": p.t.Name, "write.parquet.compression-codec": "zstd"}); err != nil {
		return nil, err
	}
	return b, nil
}

func (p *Plan) initSpec(b *table.MetadataBuilder) error {
	spec := p.spec
	if err := b.AddPartitionSpec(&spec, true); err != nil {
		return fmt.Errorf("iceberg partition spec of %s: %w", p.t.Name, err)
	}
	if err := b.SetDefaultSpecID(-1); err != nil {
		return fmt.Errorf("iceberg partition spec of %s: %w", p.t.Name, err)
	}
	order := table.UnsortedSortOrder
	if err := b.AddSortOrder(&order); err != nil {
		return fmt.Errorf("iceberg sort order of %s: %w", p.t.Name, err)
	}
	if err := b.SetDefaultSortOrderID(-1); err != nil {
		return fmt.Errorf("iceberg sort order of %s: %w", p.t.Name, err)
	}
	return nil
}

// summary is the snapshot summary: Iceberg's totals and our ids.
func (p *Plan) summary(sp snapPlan) map[string]string {
	m := sp.s.Manifest
	var addedRows, addedBytes, deletedRows, deletedBytes int64
	for _, f := range sp.added {
		addedRows += f.Rows
		addedBytes += f.Bytes
	}
	for _, f := range sp.deleted {
		deletedRows += f.Rows
		deletedBytes += f.Bytes
	}
	var rows, size int64
	for _, f := range m.Files {
		rows += f.Rows
		size += f.Bytes
	}
	out := map[string]string{
		"added-data-files":   strconv.Itoa(len(sp.added)),
		"added-records":      strconv.FormatInt(addedRows, 10),
		"added-files-size":   strconv.FormatInt(addedBytes, 10),
		"deleted-data-files": strconv.Itoa(len(sp.deleted)),
		"deleted-records":    strconv.FormatInt(deletedRows, 10),
		"removed-files-size": strconv.FormatInt(deletedBytes, 10),
		"total-data-files":   strconv.Itoa(len(m.Files)),
		"total-records":      strconv.FormatInt(rows, 10),
		"total-files-size":   strconv.FormatInt(size, 10),
		"total-delete-files": "0",
		SummarySnapshot:      m.SnapshotID,
		SummaryRun:           m.Run,
	}
	if m.Parent != "" {
		out[SummaryParent] = m.Parent
	}
	return out
}
