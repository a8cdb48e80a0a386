package ingest

import (
	"context"
	"fmt"
	"os"
	"path"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/cqeco/ecolake/lake"
)

// A replacement limited to a row scope (a district replacing its rows of a city-wide table)
// builds the new snapshot from the parent's rows that are not the principal's, kept exactly,
// plus the new rows. Data files are immutable, so each parent file is
//   - referenced again when none of its rows is the principal's,
//   - left out when all of them are,
//   - otherwise rewritten without the principal's rows.
// The files' bounds decide the first two cases without reading; files without bounds, and those
// the bounds cannot settle, are read.

// split is what becomes of one parent file: itself, its rewrite, or nothing.
type split struct {
	files     []lake.DataFile
	removed   int64
	read      bool // the file had to be read
	rewritten bool
}

// splits remembers the splits of parent files across the compare-and-swap retries of one
// commit: a file that is still in the newer parent need not be read or rewritten again.
type splits map[string]split

// kept is what a scoped replacement keeps of its parent.
type kept struct {
	files                             []lake.DataFile
	rows, removed                     int64
	reused, rewritten, dropped, reads int
}

// rowFilter selects the parent rows a load removes: a scoped replacement's (rowScope), an
// upsert's matched keys (keySet), or both.
type rowFilter interface {
	// classify judges a data file by its recorded bounds without reading it.
	classify(f lake.DataFile) fileClass
	// columns are the columns within reads.
	columns() []string
	// within reports for each row of rec whether it is removed.
	within(rec arrow.RecordBatch) ([]bool, error)
}

// keepOutside returns the parent's files with the rows sc selects taken out.
func (s *Service) keepOutside(ctx context.Context, table string, pm *lake.Manifest, sc rowFilter, memo splits) (kept, error) {
	var k kept
	for _, f := range pm.Files {
		sp, ok := memo[f.Key]
		if !ok {
			switch sc.classify(f) {
			case classOutside:
				sp = split{files: []lake.DataFile{f}}
			case classWithin:
				sp = split{removed: f.Rows}
			default:
				var err error
				if sp, err = s.splitFile(ctx, table, f, sc); err != nil {
					return kept{}, err
				}
			}
			memo[f.Key] = sp
		}
		k.files = append(k.files, sp.files...)
		for _, nf := range sp.files {
			k.rows += nf.Rows
		}
		k.removed += sp.removed
		if sp.read {
			k.reads++
		}
		switch {
		case sp.rewritten:
			k.rewritten++
		case len(sp.files) == 0:
			k.dropped++
		default:
			k.reused++
		}
	}
	return k, nil
}

// splitFile reads a parent file: first only its district columns, to count the principal's
// rows; then, when the file holds some but not only such rows, all of it, writing the other rows
// to new files through the table writer as a load does. The rewrite keeps the file's own schema.
func (s *Service) splitFile(ctx context.Context, table string, f lake.DataFile, sc rowFilter) (split, error) {
	tmp, err := lake.FetchDataFile(ctx, s.bucket, f, s.cfg.Writer.TmpDir)
	if err != nil {
		return split{}, err
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	pf, err := file.NewParquetReader(tmp)
	if err != nil {
		return split{}, fmt.Errorf("open %s: %w", f.Key, err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: int64(s.cfg.BatchRows)}, memory.DefaultAllocator)
	if err != nil {
		return split{}, fmt.Errorf("open %s: %w", f.Key, err)
	}

	var cols []int
	fields := sc.columns()
	for _, f := range fields {
		if c := pf.MetaData().Schema.ColumnIndexByName(f); c >= 0 {
			cols = append(cols, c)
		}
	}
	var removed int64
	if len(cols) == len(fields) { // a file without a district (period, key) column has none of the rows
		err := eachBatch(ctx, fr, cols, func(rec arrow.RecordBatch) error {
			in, err := sc.within(rec)
			for _, ok := range in {
				if ok {
					removed++
				}
			}
			return err
		})
		if err != nil {
			return split{}, fmt.Errorf("read %s: %w", f.Key, err)
		}
	}
	switch removed {
	case 0:
		return split{files: []lake.DataFile{f}, read: true}, nil
	case f.Rows:
		return split{removed: removed, read: true}, nil
	}

	files, err := s.rewrite(ctx, table, f, fr, sc)
	if err != nil {
		return split{}, fmt.Errorf("rewrite %s: %w", f.Key, err)
	}
	var rows int64
	for _, nf := range files {
		rows += nf.Rows
	}
	if rows+removed != f.Rows {
		return split{}, fmt.Errorf("rewrite %s: %d rows kept and %d removed of %d", f.Key, rows, removed, f.Rows)
	}
	return split{files: files, removed: removed, read: true, rewritten: true}, nil
}

// rewrite writes the rows of fr, parent file f, that are not within sc to new data files of
// table. A partition's file is rewritten into the same partition: its rows all share its values.
func (s *Service) rewrite(ctx context.Context, table string, f lake.DataFile, fr *pqarrow.FileReader, sc rowFilter) ([]lake.DataFile, error) {
	schema, err := fr.Schema()
	if err != nil {
		return nil, err
	}
	prefix := lake.DataPrefix(table)
	if f.Partition != nil {
		prefix = path.Dir(f.Key) + "/"
	}
	tw, err := lake.NewTableWriter(ctx, s.bucket, prefix, schema, s.cfg.Writer)
	if err != nil {
		return nil, err
	}
	err = eachBatch(ctx, fr, nil, func(rec arrow.RecordBatch) error {
		in, err := sc.within(rec)
		if err != nil {
			return err
		}
		keep := array.NewBooleanBuilder(memory.DefaultAllocator)
		defer keep.Release()
		keep.Reserve(len(in))
		for _, ok := range in {
			keep.UnsafeAppend(!ok)
		}
		mask := keep.NewArray()
		defer mask.Release()
		out, err := compute.FilterRecordBatch(ctx, rec, mask, compute.DefaultFilterOptions())
		if err != nil {
			return err
		}
		defer out.Release()
		if out.NumRows() == 0 {
			return nil
		}
		return tw.Write(ctx, out)
	})
	if err != nil {
		tw.Abort()
		return nil, err
	}
	files, err := tw.Close(ctx)
	for i := range files {
		files[i].Partition = f.Partition
	}
	return files, err
}

// eachBatch calls fn with every record batch of the given columns (nil for all) of fr.
func eachBatch(ctx context.Context, fr *pqarrow.FileReader, cols []int, fn func(arrow.RecordBatch) error) error {
	rr, err := fr.GetRecordReader(ctx, cols, nil)
	if err != nil {
		return err
	}
	defer rr.Release()
	for rr.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(rr.RecordBatch()); err != nil {
			return err
		}
	}
	return rr.Err()
}
