package ingest

import (
	"context"
	"fmt"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

// snapshotProfiles is the profile of a new snapshot whose files are all, the last added of them
// the load's own (whose rows load profiled). The files before them hold the parent's kept rows.
// When every row of the parent is kept, the parent's stored profile is merged. When rows were
// taken out (a replacement within a scope, an upsert), a profile cannot subtract them: reading
// every kept file back would make each district's correction cost a scan of the whole table,
// which the replacement itself avoids (replace.go), so the parent's profile is merged still and
// the rows taken out are counted as stale (lake.Profile.Stale), until they would be more than
// half the snapshot's rows: then the kept files are read and the profile is exact again. They
// are read too when the parent's profile cannot be merged: a manifest written before profiles
// existed, or an item the parent's profile lacks or has of another type.
func (s *Service) snapshotProfiles(ctx context.Context, pm *lake.Manifest, all []lake.DataFile, added int,
	load *profiler) ([]lake.Profile, error) {
	if load == nil {
		return nil, nil // no item layout to profile by: the snapshot goes without, as before profiles
	}
	base := all[:len(all)-added]
	acc := load.fresh()
	if len(base) > 0 {
		removed := int64(-1)
		if pm != nil {
			removed = pm.Rows - fileRows(base)
		}
		merged := removed >= 0 && acc.mergeManifest(pm)
		if merged && removed > 0 {
			merged = acc.markStale(removed, fileRows(all))
		}
		if !merged {
			acc = load.fresh() // whatever a failed merge added
			if err := s.profileFiles(ctx, acc, base); err != nil {
				return nil, err
			}
		}
	}
	own, err := load.profiles()
	if err != nil {
		return nil, err
	}
	for i := range own {
		if err := acc.merge(i, &own[i]); err != nil {
			return nil, err
		}
	}
	return acc.profiles()
}

func fileRows(files []lake.DataFile) int64 {
	var n int64
	for _, f := range files {
		n += f.Rows
	}
	return n
}

// markStale counts removed more rows as stale in a snapshot of rows rows; false when the stale
// rows would then be more than half of them.
func (p *profiler) markStale(removed, rows int64) bool {
	for i := range p.cols {
		c := &p.cols[i]
		if c.stale += removed; c.stale > rows/2 {
			return false
		}
	}
	return true
}

// fresh is an empty profiler of the same items.
func (p *profiler) fresh() *profiler {
	q := &profiler{cols: make([]colProfile, len(p.cols))}
	for i, c := range p.cols {
		q.cols[i] = colProfile{field: c.field, typ: c.typ, kind: c.kind}
		if c.codes != nil {
			q.cols[i].codes = map[string]*lake.CodeCount{}
		}
	}
	return q
}

// mergeManifest merges the stored profiles of pm, every item's; false when one cannot be.
func (p *profiler) mergeManifest(pm *lake.Manifest) bool {
	if pm == nil || len(pm.Profiles) == 0 {
		return false
	}
	byField := make(map[string]*lake.Profile, len(pm.Profiles))
	for i := range pm.Profiles {
		byField[pm.Profiles[i].Field] = &pm.Profiles[i]
	}
	for i, c := range p.cols {
		sp := byField[c.field]
		if sp == nil || sp.Rows-sp.Stale != pm.Rows || p.merge(i, sp) != nil {
			return false
		}
	}
	return true
}

// profileFiles adds the rows of files to p, reading the items' columns by name as queries do: a
// file without an item's column holds nulls of it.
func (s *Service) profileFiles(ctx context.Context, p *profiler, files []lake.DataFile) error {
	for _, f := range files {
		if err := s.profileFile(ctx, p, f); err != nil {
			return fmt.Errorf("profile %s: %w", f.Key, err)
		}
	}
	return nil
}

func (s *Service) profileFile(ctx context.Context, p *profiler, f lake.DataFile) error {
	tmp, err := lake.FetchDataFile(ctx, s.bucket, f, s.cfg.Writer.TmpDir)
	if err != nil {
		return err
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	pf, err := file.NewParquetReader(tmp)
	if err != nil {
		return err
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: int64(s.cfg.BatchRows)}, memory.DefaultAllocator)
	if err != nil {
		return err
	}
	var cols []int
	byName := map[string]int{}
	for i, c := range p.cols {
		if col := pf.MetaData().Schema.ColumnIndexByName(c.field); col >= 0 {
			cols = append(cols, col)
			byName[c.field] = i
			continue
		}
		p.cols[i].rows += f.Rows
		p.cols[i].nulls += f.Rows
	}
	if len(cols) == 0 {
		return nil
	}
	return eachBatch(ctx, fr, cols, func(rec arrow.RecordBatch) error {
		for j, fd := range rec.Schema().Fields() {
			if i, ok := byName[fd.Name]; ok {
				p.cols[i].addArray(ctx, rec.Column(j))
			}
		}
		return nil
	})
}

// addArray profiles a column of stored rows. A column stored in another type than the item's
// (an item whose type changed) is cast; values that cannot be leave the profile approximate.
func (c *colProfile) addArray(ctx context.Context, arr arrow.Array) {
	c.rows += int64(arr.Len())
	c.nulls += int64(arr.NullN())
	if !storedAs(arr.DataType(), c.typ) {
		cast, err := compute.CastArray(ctx, arr, compute.SafeCastOptions(c.typ.ArrowType()))
		if err != nil {
			c.approximate = true
			return
		}
		defer cast.Release()
		arr = cast
	}
	valid := func(i int) bool { return arr.IsValid(i) }
	switch a := arr.(type) {
	case *array.String:
		for i := range a.Len() {
			if valid(i) {
				c.addString(a.Value(i))
			}
		}
	case *array.Int64:
		for i := range a.Len() {
			if valid(i) {
				c.addInt(a.Value(i))
			}
		}
	case *array.Float64:
		for i := range a.Len() {
			if valid(i) {
				c.addFloat(a.Value(i))
			}
		}
	case *array.Boolean:
		for i := range a.Len() {
			if valid(i) {
				c.addBool(a.Value(i))
			}
		}
	case *array.Date32:
		for i := range a.Len() {
			if valid(i) {
				c.addInt(int64(a.Value(i)))
			}
		}
	case *array.Timestamp:
		for i := range a.Len() {
			if valid(i) {
				c.addInt(int64(a.Value(i)))
			}
		}
	default:
		c.approximate = true
	}
}

// storedAs reports whether values of type dt are stored as items of type t are (a timestamp in
// microseconds, whatever zone its metadata names).
func storedAs(dt arrow.DataType, t schemas.DataType) bool {
	want := t.ArrowType()
	if ts, ok := dt.(*arrow.TimestampType); ok {
		w, isTS := want.(*arrow.TimestampType)
		return isTS && ts.Unit == w.Unit
	}
	return arrow.TypeEqual(dt, want)
}
