package iceberg

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	ice "github.com/apache/iceberg-go"
	"github.com/google/uuid"
)

// tableNamespace derives the table uuids: the same table in the same lake keeps its uuid from
// one metadata version to the next.
var tableNamespace = uuid.MustParse("6f1d4c1e-3b7a-5c5e-9a52-8f0e3a7d2c11")

// tableMetadata is a table metadata file of Iceberg's format version 2 ("Table Metadata" of the
// specification). It is written here rather than through iceberg-go's table.MetadataBuilder:
// that package's initialisation (its expression and substrait support) costs every process
// 34 MB of allocations, about 70 ms and 20 MB of resident memory at start-up, for a JSON
// document of a few fixed fields. Schemas and the partition spec are iceberg-go's own types and
// encode themselves; the manifests and lists are written by iceberg-go (write.go); and the tests
// read what is published with iceberg-go's reader and REST client, which validate it.
type tableMetadata struct {
	FormatVersion      int                    `json:"format-version"`
	TableUUID          string                 `json:"table-uuid"`
	Location           string                 `json:"location"`
	LastSequenceNumber int64                  `json:"last-sequence-number"`
	LastUpdatedMs      int64                  `json:"last-updated-ms"`
	LastColumnID       int                    `json:"last-column-id"`
	Schemas            []*ice.Schema          `json:"schemas"`
	CurrentSchemaID    int                    `json:"current-schema-id"`
	PartitionSpecs     []ice.PartitionSpec    `json:"partition-specs"`
	DefaultSpecID      int                    `json:"default-spec-id"`
	LastPartitionID    int                    `json:"last-partition-id"`
	Properties         map[string]string      `json:"properties"`
	CurrentSnapshotID  int64                  `json:"current-snapshot-id"`
	Snapshots          []snapshotMetadata     `json:"snapshots"`
	SnapshotLog        []snapshotLogEntry     `json:"snapshot-log"`
	SortOrders         []sortOrder            `json:"sort-orders"`
	DefaultSortOrderID int                    `json:"default-sort-order-id"`
	Refs               map[string]snapshotRef `json:"refs"`
}

type snapshotMetadata struct {
	SnapshotID       int64             `json:"snapshot-id"`
	ParentSnapshotID *int64            `json:"parent-snapshot-id,omitempty"`
	SequenceNumber   int64             `json:"sequence-number"`
	TimestampMs      int64             `json:"timestamp-ms"`
	ManifestList     string            `json:"manifest-list"`
	Summary          map[string]string `json:"summary"` // "operation" and the totals
	SchemaID         int               `json:"schema-id"`
}

type snapshotLogEntry struct {
	SnapshotID  int64 `json:"snapshot-id"`
	TimestampMs int64 `json:"timestamp-ms"`
}

type sortOrder struct {
	OrderID int   `json:"order-id"`
	Fields  []any `json:"fields"`
}

type snapshotRef struct {
	SnapshotID int64  `json:"snapshot-id"`
	Type       string `json:"type"`
}

// planMetadata makes the metadata JSON of the planned snapshots: the schemas they use, the
// partition spec, every snapshot with its summary, the snapshot log, and main at the newest.
func (p *Plan) planMetadata() error {
	loc := TableLocation(p.t.Location, p.t.Name)
	meta := tableMetadata{
		FormatVersion:   2,
		TableUUID:       uuid.NewSHA1(tableNamespace, []byte(loc)).String(),
		Location:        loc,
		PartitionSpecs:  []ice.PartitionSpec{p.spec},
		DefaultSpecID:   p.spec.ID(),
		LastPartitionID: p.spec.LastAssignedFieldID(),
		Properties:      map[string]string{"ecolake.table": p.t.Name, "write.parquet.compression-codec": "zstd"},
		SortOrders:      []sortOrder{{OrderID: 0, Fields: []any{}}},
	}
	for _, sp := range p.snaps {
		if !slices.ContainsFunc(meta.Schemas, func(s *ice.Schema) bool { return s.ID == sp.schemaID }) {
			sc := p.schema(sp.schemaID)
			if sc == nil {
				return fmt.Errorf("iceberg schema %d of %s: %w", sp.schemaID, p.t.Name, ErrInvalid)
			}
			meta.Schemas = append(meta.Schemas, sc)
			meta.LastColumnID = max(meta.LastColumnID, sc.HighestFieldID())
		}
		summary := p.summary(sp)
		summary["operation"] = sp.op
		snap := snapshotMetadata{
			SnapshotID:     sp.id,
			SequenceNumber: sp.s.Sequence,
			TimestampMs:    sp.s.CommittedAt.UnixMilli(),
			ManifestList:   URI(p.t.Location, sp.listKey),
			Summary:        summary,
			SchemaID:       sp.schemaID,
		}
		if sp.parent != 0 {
			parent := sp.parent
			snap.ParentSnapshotID = &parent
		}
		meta.Snapshots = append(meta.Snapshots, snap)
		meta.SnapshotLog = append(meta.SnapshotLog, snapshotLogEntry{SnapshotID: sp.id, TimestampMs: snap.TimestampMs})
		meta.LastSequenceNumber = max(meta.LastSequenceNumber, sp.s.Sequence)
		meta.LastUpdatedMs = max(meta.LastUpdatedMs, snap.TimestampMs)
	}
	last := p.snaps[len(p.snaps)-1]
	meta.CurrentSchemaID = last.schemaID
	meta.CurrentSnapshotID = last.id
	meta.Refs = map[string]snapshotRef{"main": {SnapshotID: last.id, Type: "branch"}}
	data, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("encode iceberg metadata of %s: %w", p.t.Name, err)
	}
	sum := sha256.Sum256(data)
	p.Metadata = data
	p.MetadataKey = fmt.Sprintf("%s%05d-%05d-%s.metadata.json", MetadataDir(p.t.Name), last.s.Sequence, p.snaps[0].s.Sequence, hex.EncodeToString(sum[:8]))
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
