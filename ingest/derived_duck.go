package ingest

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

// A materialisation's DuckDB: an in-memory database of its own, opened for the one run and
// closed after it, so that the views of concurrent materialisations never meet and each is
// bounded on its own. Beyond derivedMemoryBytes DuckDB spills to a directory of the run's, and
// fails the run when that is not enough either.
const (
	derivedMemoryBytes = 2 << 30
	derivedMaxThreads  = 4
)

// derivedCacheBytes bounds what a materialisation's read-through cache keeps of files no view
// reads any more: nothing, as the cache lives only as long as the run.
const derivedCacheBytes = 1

// derive runs e's transform over ins and loads its rows into e as a replacement (res.Run has
// begun). Every file it makes lives in a directory of its own, removed on return.
func (s *Service) derive(ctx context.Context, p *catalog.Principal, e *catalog.Entry, ins []derivedInput, res *Result) error {
	dir, err := os.MkdirTemp(s.cfg.Writer.TmpDir, "derive-")
	if err != nil {
		return fmt.Errorf("derive %s: %w", e.ResourceCode, err)
	}
	defer os.RemoveAll(dir)
	if dir, err = filepath.Abs(dir); err != nil {
		return fmt.Errorf("derive %s: %w", e.ResourceCode, err)
	}
	// The input files are made local as the query layer makes them: through the lake's
	// read-through cache, checked against their manifests' checksums (a local lake's own files
	// are read in place).
	cache, err := lake.NewCache(s.bucket, filepath.Join(dir, "cache"), derivedCacheBytes)
	if err != nil {
		return fmt.Errorf("derive %s: %w", e.ResourceCode, err)
	}
	spill := filepath.Join(dir, "spill")
	if err := os.Mkdir(spill, 0o700); err != nil {
		return fmt.Errorf("derive %s: %w", e.ResourceCode, err)
	}
	d, err := openDuck(ctx, spill)
	if err != nil {
		return fmt.Errorf("derive %s: %w", e.ResourceCode, err)
	}
	defer d.close()
	d.hide = append(d.hide, dir)
	for _, in := range ins {
		m, err := lake.ReadManifest(ctx, s.bucket, in.snap.ManifestKey)
		if err != nil {
			return fmt.Errorf("derive %s: read manifest of input %s: %w", e.ResourceCode, in.entry.ResourceCode, err)
		}
		paths, release, err := cache.Acquire(ctx, m.Files)
		if err != nil {
			return fmt.Errorf("derive %s: acquire files of input %s: %w", e.ResourceCode, in.entry.ResourceCode, err)
		}
		defer release()
		if err := d.view(ctx, in.entry, m, paths); err != nil {
			return fmt.Errorf("derive %s: %w", e.ResourceCode, err)
		}
	}
	if err := d.lock(ctx, spill); err != nil {
		return fmt.Errorf("derive %s: %w", e.ResourceCode, err)
	}
	st, err := d.query(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	sub := Submission{Entry: e.ResourceCode, Filename: res.Run.Source, Principal: p, Replace: true, stream: st}
	return s.load(ctx, e, sub, nil, res)
}

// duck is a materialisation's DuckDB and its one connection.
type duck struct {
	db    *sql.DB
	conn  *sql.Conn
	paths []string // every file a view reads: all the transform may read
	hide  []string // local paths no message may show
}

// openDuck opens an in-memory DuckDB that loads no extension, spills to spill, and is bounded
// in memory and threads.
func openDuck(ctx context.Context, spill string) (*duck, error) {
	lit, err := sqlPath(spill)
	if err != nil {
		return nil, err
	}
	sets := []string{"SET autoinstall_known_extensions = false", "SET autoload_known_extensions = false",
		fmt.Sprintf("SET memory_limit = '%dB'", derivedMemoryBytes),
		fmt.Sprintf("SET threads = %d", min(derivedMaxThreads, runtime.GOMAXPROCS(0))),
		"SET temp_directory = " + lit}
	c, err := duckdb.NewConnector("", func(ex driver.ExecerContext) error {
		for _, q := range sets {
			if _, err := ex.ExecContext(ctx, q, nil); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	db := sql.OpenDB(c)
	conn, err := db.Conn(ctx)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	return &duck{db: db, conn: conn}, nil
}

func (d *duck) close() {
	_ = d.conn.Close()
	_ = d.db.Close()
}

// view exposes input in as a view named by its table over the files of its snapshot (manifest
// m, local paths): each item as its type, NULL where the snapshot's files have no such column
// (an item added since), no rows when the snapshot has no file.
func (d *duck) view(ctx context.Context, in *catalog.Entry, m *lake.Manifest, paths []string) error {
	present := map[string]bool{}
	for _, f := range m.Schema {
		present[f.Name] = true
	}
	if err := schemas.CheckIdent(in.Table); err != nil {
		return fmt.Errorf("input %s: table: %w", in.ResourceCode, err)
	}
	var b strings.Builder
	b.WriteString("CREATE TEMP VIEW " + schemas.QuoteIdent(in.Table) + " AS SELECT ")
	for i, it := range in.Items.All() {
		if err := schemas.CheckIdent(it.Field); err != nil {
			return fmt.Errorf("input %s: item: %w", in.ResourceCode, err)
		}
		src := schemas.QuoteIdent(it.Field)
		if len(paths) == 0 || len(m.Schema) > 0 && !present[it.Field] {
			src = "NULL"
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "CAST(%s AS %s) AS %s", src, it.Type.DuckDBType(), schemas.QuoteIdent(it.Field))
	}
	if len(paths) == 0 {
		b.WriteString(" WHERE false")
	} else {
		lits := make([]string, len(paths))
		for i, p := range paths {
			lit, err := sqlPath(p)
			if err != nil {
				return fmt.Errorf("input %s: %w", in.ResourceCode, err)
			}
			lits[i] = lit
		}
		// Partitioned files sit under Hive-style paths; their columns are in the files.
		b.WriteString(" FROM read_parquet([" + strings.Join(lits, ", ") + "], union_by_name = true, hive_partitioning = false)")
	}
	if _, err := d.conn.ExecContext(ctx, b.String()); err != nil {
		return fmt.Errorf("view of input %s: %w", in.ResourceCode, err)
	}
	d.paths = append(d.paths, paths...)
	d.hide = append(d.hide, paths...)
	return nil
}

// lock leaves the transform nothing to read but the views' files and nothing to change in the
// settings: the catalogue checked at definition that the SQL reads only catalogue tables, and
// this holds it so whatever the SQL says.
func (d *duck) lock(ctx context.Context, spill string) error {
	lits := make([]string, len(d.paths))
	for i, p := range d.paths {
		lits[i], _ = sqlPath(p) // checked by view
	}
	dir, err := sqlPath(spill + string(filepath.Separator))
	if err != nil {
		return err
	}
	for _, q := range []string{
		"SET allowed_paths = [" + strings.Join(lits, ", ") + "]",
		"SET allowed_directories = [" + dir + "]",
		"SET enable_external_access = false",
		"SET lock_configuration = true",
	} {
		if _, err := d.conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("lock duckdb: %s: %w", schemas.Clip(q, 80), err)
		}
	}
	return nil
}

// query runs e's transform and returns its rows as a stream of records.
func (d *duck) query(ctx context.Context, e *catalog.Entry) (*derivedStream, error) {
	rows, err := d.conn.QueryContext(ctx, e.Transform.SQL)
	if err != nil {
		return nil, d.sqlError(ctx, e, err)
	}
	st, err := newDerivedStream(e, rows, func(err error) error { return d.sqlError(ctx, e, err) })
	if err != nil {
		_ = rows.Close()
		return nil, err
	}
	return st, nil
}

// sqlError is the run's error for err from DuckDB running e's transform: an interruption when
// ctx ended, otherwise DuckDB's own message (its first line, without local paths) in a Chinese
// sentence that says what it means for the entry.
func (d *duck) sqlError(ctx context.Context, e *catalog.Entry, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("transform of %s: %w", e.ResourceCode, errors.Join(cerr, err))
	}
	msg := strings.TrimSpace(err.Error())
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = strings.TrimSpace(msg[:i])
	}
	for _, p := range d.hide {
		msg = strings.ReplaceAll(msg, p, "…")
	}
	return fmt.Errorf("transform of %s: %w", e.ResourceCode, schemas.Userf(ErrTransformFailed,
		"目录 %s（%s）的加工 SQL 执行失败，未提交任何数据，目录数据保持不变。DuckDB 报告：%s",
		e.ResourceCode, e.Name, schemas.Clip(msg, 400)))
}

// sqlPath quotes a local path as a SQL string literal. The paths come from the lake's cache and
// the service's temporary directory, not from users; still, a path with a quote or glob
// character (read_parquet would expand it to other files) is refused, not escaped.
func sqlPath(p string) (string, error) {
	switch {
	case p == "" || !filepath.IsAbs(p) || filepath.Clean(p) != p && filepath.Clean(p)+string(filepath.Separator) != p:
		return "", fmt.Errorf("data file path %q is not a clean absolute path", p)
	case strings.ContainsAny(p, "*?[]{}\x00\n\r'\""):
		return "", fmt.Errorf("data file path %q holds glob or quote characters", p)
	}
	return "'" + p + "'", nil
}
