package lake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// DataFile is one immutable Parquet file of a snapshot.
type DataFile struct {
	Key    string `json:"key"`
	Rows   int64  `json:"rows"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"` // hex
	// Bounds are the value ranges of the file's string and integer columns by column name, so
	// that a file can be judged without reading it. Absent for files written before bounds were
	// recorded and for columns without usable statistics: such a file must be read.
	Bounds map[string]Bound `json:"bounds,omitempty"`
	// Schema is a digest of the file's columns (names, types, nullability, in order): files with
	// the same digest can be read as one table by position. Absent for files written before it
	// was recorded: such a snapshot is read by column name.
	Schema string `json:"schema,omitempty"`
	// Partition holds the file's value of each partition column of a partitioned table (the
	// file's rows all share it; see PartitionedWriter), by partition name. Absent for files of
	// tables without partitions.
	Partition map[string]string `json:"partition,omitempty"`
}

// SchemaDigest is the DataFile.Schema of files written with schema.
func SchemaDigest(schema *arrow.Schema) string {
	sum := sha256.Sum256([]byte(schema.Fingerprint()))
	return hex.EncodeToString(sum[:8])
}

// SameSchema reports whether every file records the same schema digest.
func SameSchema(files []DataFile) bool {
	for _, f := range files {
		if f.Schema == "" || f.Schema != files[0].Schema {
			return false
		}
	}
	return len(files) > 0
}

// WriterConfig tunes a TableWriter.
type WriterConfig struct {
	TargetRows int64  // roll to a new file after this many rows (default 1_000_000)
	TmpDir     string // where files are spilled before upload (default os.TempDir())
}

// DefaultWriterConfig returns the defaults NewTableWriter also applies to zero fields.
func DefaultWriterConfig() WriterConfig {
	return WriterConfig{TargetRows: 1_000_000, TmpDir: os.TempDir()}
}

// rowGroupRows is the rows of a row group: a quarter of DuckDB's own (122,880), so that a point or
// narrow range filter reads a quarter of what it reads in DuckDB's files (the row groups its
// statistics cannot rule out), while whole-table scans still get row groups large enough to
// scan in parallel at the same speed.
const rowGroupRows = 32_768

// TableWriter writes Arrow record batches as zstd-compressed Parquet into one or more files of at
// most TargetRows rows. Each file is spilled to a temp file, fsync'd, hashed and uploaded under
// keyPrefix + NewID() + ".parquet", so keys are never reused. Rows keep the order given.
// A TableWriter is not safe for concurrent use.
type TableWriter struct {
	b      Bucket
	prefix string
	schema *arrow.Schema
	cfg    WriterConfig

	cur    *spillFile
	files  []DataFile
	err    error // sticky: after a failure only Abort makes sense
	closed bool
}

// spillFile is the Parquet file being written.
type spillFile struct {
	f    *os.File
	h    hash.Hash
	n    int64 // bytes written
	fw   *pqarrow.FileWriter
	rows int64
	err  error // the first write error (a full disk): the Parquet library may panic on it
}

func (s *spillFile) Write(p []byte) (int, error) {
	n, err := s.f.Write(p)
	s.h.Write(p[:n])
	s.n += int64(n)
	if err != nil && s.err == nil {
		s.err = err
	}
	return n, err
}

// guard runs fn, a call into the Parquet library writing to s. The library panics on some write
// errors (the file's magic number); a panic after s failed to write is that error, returned.
// Any other panic is a bug and goes on.
func (s *spillFile) guard(what string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if s.err == nil {
				panic(r)
			}
			err = fmt.Errorf("%s: %v: %w", what, r, s.err)
		}
	}()
	return fn()
}

// NewTableWriter returns a writer for records of schema. Zero fields of cfg take their defaults.
func NewTableWriter(ctx context.Context, b Bucket, keyPrefix string, schema *arrow.Schema, cfg WriterConfig) (*TableWriter, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if b == nil {
		return nil, errors.New("table writer: nil bucket")
	}
	if schema == nil || schema.NumFields() == 0 {
		return nil, errors.New("table writer: schema has no fields")
	}
	if keyPrefix != "" {
		if err := CheckPrefix(keyPrefix); err != nil {
			return nil, fmt.Errorf("table writer prefix: %w", err)
		}
	}
	def := DefaultWriterConfig()
	if cfg.TargetRows == 0 {
		cfg.TargetRows = def.TargetRows
	}
	if cfg.TargetRows < 0 {
		return nil, fmt.Errorf("table writer: target rows %d is negative", cfg.TargetRows)
	}
	if cfg.TmpDir == "" {
		cfg.TmpDir = def.TmpDir
	}
	if fi, err := os.Stat(cfg.TmpDir); err != nil {
		return nil, fmt.Errorf("table writer tmp dir: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("table writer tmp dir %s is not a directory", cfg.TmpDir)
	}
	return &TableWriter{b: b, prefix: keyPrefix, schema: schema, cfg: cfg}, nil
}

// Write appends the rows of rec, rolling to new files at TargetRows.
func (w *TableWriter) Write(ctx context.Context, rec arrow.RecordBatch) error {
	if w.closed {
		return ErrClosed
	}
	if w.err != nil {
		return w.err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if !rec.Schema().Equal(w.schema) {
		return fmt.Errorf("table writer: record schema %s does not match %s", rec.Schema(), w.schema)
	}
	if err := w.write(ctx, rec); err != nil {
		w.err = err
		return err
	}
	return nil
}

func (w *TableWriter) write(ctx context.Context, rec arrow.RecordBatch) error {
	var off int64
	for n := rec.NumRows(); off < n; {
		if w.cur == nil {
			if err := w.open(rec.NewSlice(off, n)); err != nil {
				return err
			}
		}
		take := min(n-off, w.cfg.TargetRows-w.cur.rows)
		part := rec
		if off != 0 || take != n {
			part = rec.NewSlice(off, off+take)
		}
		cur := w.cur
		err := cur.guard("write parquet", func() error { return cur.fw.WriteBuffered(part) })
		if part != rec {
			part.Release()
		}
		if err != nil {
			return fmt.Errorf("write parquet: %w", err)
		}
		w.cur.rows += take
		off += take
		if w.cur.rows >= w.cfg.TargetRows {
			if err := w.flush(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// open starts a new file whose first rows are first (which open releases).
func (w *TableWriter) open(first arrow.RecordBatch) error {
	props := w.properties(first)
	first.Release()
	f, err := os.CreateTemp(w.cfg.TmpDir, "ecolake-*.parquet")
	if err != nil {
		return fmt.Errorf("spill file: %w", err)
	}
	s := &spillFile{f: f, h: sha256.New()}
	var fw *pqarrow.FileWriter
	err = s.guard("parquet writer", func() (err error) {
		fw, err = pqarrow.NewFileWriter(w.schema, s, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
		return err
	})
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return fmt.Errorf("parquet writer: %w", err)
	}
	s.fw = fw
	w.cur = s
	return nil
}

// properties are the Parquet settings of a file that starts with the rows of first:
// zstd, statistics, DuckDB-sized row groups, and dictionary encoding only for the columns whose
// leading values repeat (see dictionaryPays).
func (w *TableWriter) properties(first arrow.RecordBatch) *parquet.WriterProperties {
	opts := []parquet.WriterProperty{
		parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithStats(true),
		parquet.WithMaxRowGroupLength(min(rowGroupRows, w.cfg.TargetRows)),
		parquet.WithAllocator(memory.DefaultAllocator),
		parquet.WithCreatedBy("ecolake"),
	}
	for i, f := range w.schema.Fields() {
		if !dictionaryPays(first.Column(i)) {
			opts = append(opts, parquet.WithDictionaryFor(f.Name, false))
		}
	}
	return parquet.NewWriterProperties(opts...)
}

// dictionarySample is how many leading values of a column decide its encoding.
const dictionarySample = 4096

// dictionaryPays reports whether dictionary encoding is worth its hashing for a column, judged
// by its first values: it is when they repeat, on average each at least twice (codes, names,
// dates). Columns of mostly distinct values (identifiers, timestamps of a series) are written
// plain; zstd still compresses them. Measurements (FLOAT) are always written plain: the Parquet
// library boxes each float it puts in a dictionary (an allocation per value), and plain with zstd
// makes files as small as DuckDB's. Columns of other types keep the library's default.
func dictionaryPays(col arrow.Array) bool {
	switch a := col.(type) {
	case *array.String:
		return repeats(a, a.Value)
	case *array.Int64:
		return repeats(a, a.Value)
	case *array.Float64:
		return false // see above
	case *array.Date32:
		return repeats(a, a.Value)
	case *array.Timestamp:
		return repeats(a, a.Value)
	}
	return true
}

func repeats[T comparable](a arrow.Array, value func(int) T) bool {
	n := min(a.Len(), dictionarySample)
	seen := make(map[T]struct{}, 64)
	values := 0
	for i := 0; i < n; i++ {
		if a.IsNull(i) {
			continue
		}
		seen[value(i)] = struct{}{}
		values++
	}
	return len(seen)*2 <= values
}

// flush finishes the current file, makes it durable locally and uploads it.
func (w *TableWriter) flush(ctx context.Context) error {
	s := w.cur
	w.cur = nil
	defer func() {
		s.f.Close()
		os.Remove(s.f.Name())
	}()
	if err := s.guard("close parquet", s.fw.Close); err != nil {
		return fmt.Errorf("close parquet: %w", err)
	}
	md, err := s.fw.FileMetadata()
	if err != nil {
		return fmt.Errorf("parquet footer: %w", err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("sync spill file: %w", err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewind spill file: %w", err)
	}
	df := DataFile{
		Key:    w.prefix + NewID() + ".parquet",
		Rows:   s.rows,
		Bytes:  s.n,
		SHA256: hex.EncodeToString(s.h.Sum(nil)),
		Bounds: fileBounds(md, w.schema),
		Schema: SchemaDigest(w.schema),
	}
	if err := w.b.Upload(ctx, df.Key, s.f, df.Bytes); err != nil {
		return fmt.Errorf("upload %s: %w", df.Key, err)
	}
	w.files = append(w.files, df)
	return nil
}

// Close flushes and uploads the last file and returns every file written, in row order; none if
// no rows were written. After a failed Write, Close cleans up and returns that error.
func (w *TableWriter) Close(ctx context.Context) ([]DataFile, error) {
	if w.closed {
		return nil, ErrClosed
	}
	if w.err != nil {
		w.Abort()
		return nil, w.err
	}
	w.closed = true
	if w.cur != nil && w.cur.rows > 0 {
		if err := w.flush(ctx); err != nil {
			w.Abort()
			return nil, err
		}
	}
	w.Abort()
	return w.files, nil
}

// Abort removes temp files. Files already uploaded stay as orphans for garbage collection.
func (w *TableWriter) Abort() {
	w.closed = true
	if w.cur != nil {
		_ = w.cur.guard("abort parquet", w.cur.fw.Close)
		w.cur.f.Close()
		os.Remove(w.cur.f.Name())
		w.cur = nil
	}
}
