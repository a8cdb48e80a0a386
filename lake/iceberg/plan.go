package iceberg

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	ice "github.com/apache/iceberg-go"

	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

// entry is one data file as a snapshot's manifest lists it.
type entry struct {
	status   ice.ManifestEntryStatus
	file     lake.DataFile
	snapshot int64 // the Iceberg snapshot it is attributed to (planSnapshots)
	seq      int64 // its data and file sequence number
}

// snapPlan is what one snapshot publishes.
type snapPlan struct {
	id, parent  int64 // parent 0: none
	s           Snapshot
	schemaID    int
	entries     []entry
	manifestKey string // "" when the snapshot lists no file at all
	listKey     string
	op          string
	added       []lake.DataFile
	deleted     []lake.DataFile
}

// Plan is everything one publication of a table writes, with its keys fixed in advance.
type Plan struct {
	t         Table
	parent    *Snapshot // the parent of the oldest published snapshot, when known
	spec      ice.PartitionSpec
	specCols  []lake.PartitionColumn // the partition columns spec holds, in its order
	schemas   []*ice.Schema          // in order of first use
	schemaIDs []int                  // of each published snapshot
	snaps     []snapPlan
	// MetadataKey is the key of the metadata JSON; Metadata its content.
	MetadataKey string
	Metadata    []byte
}

// Prepare computes the plan of publishing t; it does no I/O.
func Prepare(t Table) (*Plan, error) {
	if err := t.validate(); err != nil {
		return nil, err
	}
	parent, published := t.window()
	t.Snapshots = published
	p := &Plan{t: t, parent: parent}
	if err := p.planSchemas(); err != nil {
		return nil, err
	}
	if err := p.planSpec(); err != nil {
		return nil, err
	}
	p.planSnapshots()
	if err := p.planMetadata(); err != nil {
		return nil, err
	}
	return p, nil
}

// Keys lists every object the publication consists of, the metadata JSON last.
func (p *Plan) Keys() []string {
	var out []string
	for _, s := range p.snaps {
		if s.manifestKey != "" {
			out = append(out, s.manifestKey)
		}
		out = append(out, s.listKey)
	}
	return append(out, p.MetadataKey)
}

// MetadataLocation is the absolute URI of the metadata JSON.
func (p *Plan) MetadataLocation() string { return URI(p.t.Location, p.MetadataKey) }

// icebergType is the Iceberg type of a column of t, as ingest writes it to Parquet (timestamps are
// microseconds without a time zone).
func icebergType(t string) (ice.Type, error) {
	switch schemas.DataType(t) {
	case schemas.String:
		return ice.PrimitiveTypes.String, nil
	case schemas.Int:
		return ice.PrimitiveTypes.Int64, nil
	case schemas.Float:
		return ice.PrimitiveTypes.Float64, nil
	case schemas.Bool:
		return ice.PrimitiveTypes.Bool, nil
	case schemas.Date:
		return ice.PrimitiveTypes.Date, nil
	case schemas.Timestamp:
		return ice.PrimitiveTypes.Timestamp, nil
	}
	return nil, fmt.Errorf("type %q has no Iceberg type: %w", t, ErrInvalid)
}

// planSchemas gives each distinct schema of the published snapshots an id: the schema version of
// the first snapshot with it, so that ids stay as they were while the oldest snapshots leave.
// Columns are declared optional: a column added later is absent from older files, which Iceberg
// readers then read as null, and that a required column may not be.
func (p *Plan) planSchemas() error {
	p.schemaIDs = make([]int, len(p.t.Snapshots))
	for i := range p.t.Snapshots {
		m := p.t.Snapshots[i].Manifest
		j := slices.IndexFunc(p.t.Snapshots[:i], func(s Snapshot) bool { return slices.Equal(s.Manifest.Schema, m.Schema) })
		if j >= 0 {
			p.schemaIDs[i] = p.schemaIDs[j]
			continue
		}
		fs := make([]ice.NestedField, len(m.Schema))
		for k, f := range m.Schema {
			typ, err := icebergType(f.Type)
			if err != nil {
				return fmt.Errorf("table %s column %s: %w", p.t.Name, f.Name, err)
			}
			fs[k] = ice.NestedField{ID: f.ID, Name: f.Name, Type: typ}
		}
		id := m.SchemaVersion
		if n := len(p.schemas); n > 0 && p.schemas[n-1].ID >= id {
			id = p.schemas[n-1].ID + 1
		}
		p.schemas = append(p.schemas, ice.NewSchema(id, fs...))
		p.schemaIDs[i] = id
	}
	return nil
}

// schema is the schema of id.
func (p *Plan) schema(id int) *ice.Schema {
	for _, s := range p.schemas {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// planSpec declares the partition columns every kept file records a value of: a file without a
// value of a column would read as a null partition and be skipped by a filter on it. A month
// column becomes Iceberg's month (months since 1970) only beside a year column of the same
// source, which it then replaces; a month alone is not declared.
func (p *Plan) planSpec() error {
	cur := p.t.Snapshots[len(p.t.Snapshots)-1].Manifest.Schema
	years := map[string]bool{}
	for _, c := range p.t.Partitions {
		if c.Transform == lake.TransformYear {
			years[c.Source] = true
		}
	}
	months := map[string]bool{}
	for _, c := range p.t.Partitions {
		if c.Transform == lake.TransformMonth && years[c.Source] {
			months[c.Source] = true
		}
	}
	var fields []ice.PartitionField
	for _, c := range p.t.Partitions {
		i := slices.IndexFunc(cur, func(f lake.Field) bool { return f.Name == c.Source })
		if i < 0 || !p.allFilesHave(c.Name) {
			continue
		}
		if c.Transform == lake.TransformYear && months[c.Source] {
			continue
		}
		f := ice.PartitionField{SourceIDs: []int{cur[i].ID}, FieldID: 1000 + len(fields)}
		switch c.Transform {
		case lake.TransformIdentity:
			f.Name, f.Transform = c.Source, ice.IdentityTransform{}
		case lake.TransformYear:
			f.Name, f.Transform = c.Source+"_year", ice.YearTransform{}
		case lake.TransformMonth:
			if !months[c.Source] || !p.allFilesHave(yearOf(p.t.Partitions, c.Source)) {
				continue
			}
			f.Name, f.Transform = c.Source+"_month", ice.MonthTransform{}
		default:
			continue
		}
		fields = append(fields, f)
		p.specCols = append(p.specCols, c)
	}
	p.spec = ice.NewPartitionSpecID(0, fields...)
	return nil
}

// yearOf is the name of the year column of source.
func yearOf(cols []lake.PartitionColumn, source string) string {
	for _, c := range cols {
		if c.Transform == lake.TransformYear && c.Source == source {
			return c.Name
		}
	}
	return ""
}

func (p *Plan) allFilesHave(name string) bool {
	if name == "" {
		return false
	}
	for _, s := range p.t.Snapshots {
		for _, f := range s.Manifest.Files {
			if _, ok := f.Partition[name]; !ok {
				return false
			}
		}
	}
	return true
}

// partition is the Iceberg partition tuple of f, by partition field id.
func (p *Plan) partition(f lake.DataFile, schema []lake.Field) (map[int]any, error) {
	out := map[int]any{}
	for i, c := range p.specCols {
		pf := p.spec.Field(i)
		v := f.Partition[c.Name]
		if v == lake.NullPartition {
			out[pf.FieldID] = nil
			continue
		}
		var err error
		switch c.Transform {
		case lake.TransformYear:
			var y int
			y, err = strconv.Atoi(v)
			out[pf.FieldID] = int32(y - 1970)
		case lake.TransformMonth:
			var y, m int
			yv := f.Partition[yearOf(p.t.Partitions, c.Source)]
			if y, err = strconv.Atoi(yv); err == nil {
				m, err = strconv.Atoi(v)
			}
			out[pf.FieldID] = int32((y-1970)*12 + m - 1)
		default:
			j := slices.IndexFunc(schema, func(fl lake.Field) bool { return fl.Name == c.Source })
			typ := schemas.String
			if j >= 0 {
				typ = schemas.DataType(schema[j].Type)
			}
			switch typ {
			case schemas.Int:
				out[pf.FieldID], err = strconv.ParseInt(v, 10, 64)
			case schemas.Bool:
				out[pf.FieldID], err = strconv.ParseBool(v)
			case schemas.Date:
				var d time.Time
				d, err = time.Parse("2006-01-02", v)
				out[pf.FieldID] = ice.Date(d.Unix() / 86400)
			default:
				out[pf.FieldID] = v
			}
		}
		if err != nil {
			return nil, fmt.Errorf("file %s: partition %s value %q: %v: %w", f.Key, c.Name, v, err, ErrInvalid)
		}
	}
	return out, nil
}

// planSnapshots decides each snapshot's manifest entries and keys. A file new against the
// snapshot's parent is ADDED by it; a file the parent held is EXISTING, attributed to the parent
// (where it was already, whichever snapshot added it), so that a snapshot's manifest depends on
// it and its parent alone and stays the same while older snapshots are expired or leave the
// published window. The oldest published snapshot whose parent is not given lists all its files
// as EXISTING; one without a parent, as ADDED.
func (p *Plan) planSnapshots() {
	var prev map[string]lake.DataFile
	var prevFiles []lake.DataFile
	prevSeq := int64(0)
	if p.parent != nil {
		prevFiles, prevSeq = p.parent.Manifest.Files, p.parent.Sequence
	}
	if prevFiles != nil || p.parent != nil {
		prev = map[string]lake.DataFile{}
		for _, f := range prevFiles {
			prev[f.Key] = f
		}
	}
	for i, s := range p.t.Snapshots {
		m := s.Manifest
		sp := snapPlan{id: SnapshotID(m.SnapshotID), s: s, schemaID: p.schemaIDs[i]}
		if m.Parent != "" {
			sp.parent = SnapshotID(m.Parent)
		}
		if i > 0 {
			prevSeq = p.t.Snapshots[i-1].Sequence
		} else if p.parent == nil {
			prevSeq = s.Sequence - 1
		}
		unknown := prev == nil && m.Parent != ""
		cur := map[string]lake.DataFile{}
		for _, f := range m.Files {
			cur[f.Key] = f
			if _, held := prev[f.Key]; held || unknown {
				sp.entries = append(sp.entries, entry{ice.EntryStatusEXISTING, f, sp.parent, prevSeq})
				continue
			}
			sp.entries = append(sp.entries, entry{ice.EntryStatusADDED, f, sp.id, s.Sequence})
			sp.added = append(sp.added, f)
		}
		for _, f := range prevFiles {
			if _, ok := cur[f.Key]; !ok {
				sp.entries = append(sp.entries, entry{ice.EntryStatusDELETED, f, sp.id, prevSeq})
				sp.deleted = append(sp.deleted, f)
			}
		}
		switch {
		case len(sp.deleted) > 0 && len(sp.added) == 0:
			sp.op = "delete"
		case len(sp.deleted) > 0:
			sp.op = "overwrite"
		default:
			sp.op = "append"
		}
		dir := MetadataDir(p.t.Name)
		parts := []string{p.t.Location, p.spec.String(), fmt.Sprint(p.schema(sp.schemaID))}
		for _, e := range sp.entries {
			parts = append(parts, fmt.Sprintf("%d|%s|%d|%d|%d|%d|%v", e.status, e.file.Key, e.file.Rows, e.file.Bytes, e.snapshot, e.seq, e.file.Partition))
		}
		if len(sp.entries) > 0 {
			sp.manifestKey = dir + m.SnapshotID + "-" + digest(parts...) + "-m0.avro"
		}
		sp.listKey = fmt.Sprintf("%ssnap-%d-%s.avro", dir, sp.id, digest(sp.manifestKey, strconv.FormatInt(s.Sequence, 10), strconv.FormatInt(sp.parent, 10)))
		p.snaps = append(p.snaps, sp)
		prev, prevFiles = cur, m.Files
	}
}
