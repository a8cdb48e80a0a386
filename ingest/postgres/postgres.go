// Package postgres is the connector that reads an entry's records from a table or view of a
// business system's PostgreSQL database, incrementally by one column (an update time, a serial
// number). Names from the configuration are checked as identifiers and always quoted; the
// watermark travels as a bound parameter, never inside the SQL text.
package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cqeco/ecolake/ingest"
)

func init() { ingest.Register(ingest.Connector{Spec: Spec, New: New}) }

// Source is a configured table of a PostgreSQL database.
type Source struct {
	c config
}

// New makes a source from resolved settings; it does not connect.
func New(s ingest.Settings) (ingest.Source, error) {
	c, err := newConfig(s)
	if err != nil {
		return nil, err
	}
	return &Source{c: c}, nil
}

// Describe names the server, database and table; never the password.
func (s *Source) Describe() string {
	return fmt.Sprintf("postgres %s/%s %s", s.c.addr(), s.c.database, s.c.tableText)
}

// String and GoString print a source as Describe does: fmt prints unexported fields without
// their String methods, so the configuration's Secret would otherwise print as its text.
func (s *Source) String() string { return s.Describe() }

// GoString is String for %#v.
func (s *Source) GoString() string { return s.Describe() }

// cursorName is the one cursor of a read's connection.
const cursorName = "ecolake_pull"

// closeTimeout bounds saying goodbye to the server.
const closeTimeout = 5 * time.Second

// Read connects, checks the table and its columns, and opens a cursor over the rows whose
// watermark column is greater than since (all rows with one when since is ""), in its order.
func (s *Source) Read(ctx context.Context, since string) (ingest.Stream, error) {
	conn, err := s.connect(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.open(ctx, conn, since)
	if err != nil {
		closeConn(conn)
		return nil, err
	}
	return st, nil
}

func (s *Source) connect(ctx context.Context) (*pgx.Conn, error) {
	cc, err := pgx.ParseConfig(s.c.connString())
	if err != nil {
		return nil, s.fail(ctx, stageConnect, err)
	}
	cc.Password = s.c.password.Reveal()
	cc.ConnectTimeout = s.c.connectTimeout
	// The text the server sends is what the stream passes on: fix its forms here rather than
	// trust the server's defaults. extra_float_digits > 0 is the shortest exact float form.
	for k, v := range map[string]string{
		"application_name":   "ecolake",
		"DateStyle":          "ISO, YMD",
		"IntervalStyle":      "postgres",
		"TimeZone":           s.c.timeZone,
		"extra_float_digits": "3",
		"statement_timeout":  strconv.FormatInt(s.c.statementTimeout.Milliseconds(), 10),
	} {
		cc.RuntimeParams[k] = v
	}
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return nil, s.fail(ctx, stageConnect, err)
	}
	return conn, nil
}

// open checks the table and columns, then declares the cursor in a read-only transaction: its
// rows are fetched batch_rows at a time, so this side holds at most one batch, and the statement
// timeout bounds each fetch rather than the whole read.
func (s *Source) open(ctx context.Context, conn *pgx.Conn, since string) (*stream, error) {
	if err := s.checkColumns(ctx, conn); err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "BEGIN TRANSACTION READ ONLY"); err != nil {
		return nil, s.fail(ctx, stageQuery, err)
	}
	var params [][]byte
	if since != "" {
		params = [][]byte{[]byte(since)}
	}
	// The parameter is sent as text with no type: the server gives it the watermark column's
	// type from the comparison and parses it as that type, so a timestamptz, a bigint or a
	// numeric watermark is compared exactly, as the server itself wrote it.
	rr := conn.PgConn().ExecParams(ctx, s.declare(since != ""), params, nil, nil, nil)
	if _, err := rr.Close(); err != nil {
		if since != "" && isDataException(err) {
			return nil, s.badWatermark(since, err)
		}
		return nil, s.fail(ctx, stageQuery, err)
	}
	return newStream(ctx, s, conn, since), nil
}

// declare is the cursor's SQL: only identifiers from the configuration, each quoted.
func (s *Source) declare(incremental bool) string {
	cols := make([]string, len(s.c.columns))
	for i, c := range s.c.columns {
		cols[i] = pgx.Identifier{c}.Sanitize()
	}
	wm := cols[s.c.watermark]
	where := wm + " IS NOT NULL"
	if incremental {
		where = wm + " > $1"
	}
	return fmt.Sprintf("DECLARE %s NO SCROLL CURSOR FOR SELECT %s FROM %s WHERE %s ORDER BY %s",
		cursorName, strings.Join(cols, ", "), s.c.table.Sanitize(), where, wm)
}

// checkColumns tells a missing table or column by name before the query would, in one round trip.
func (s *Source) checkColumns(ctx context.Context, conn *pgx.Conn) error {
	const q = `SELECT r.oid IS NOT NULL, coalesce((
		SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
		WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped), '{}')
		FROM (SELECT pg_catalog.to_regclass($1) AS oid) r`
	var (
		exists bool
		have   []string
	)
	if err := conn.QueryRow(ctx, q, s.c.table.Sanitize()).Scan(&exists, &have); err != nil {
		return s.fail(ctx, stageQuery, err)
	}
	if !exists {
		return s.missingTable()
	}
	known := make(map[string]bool, len(have))
	for _, h := range have {
		known[h] = true
	}
	var missing []string
	for _, c := range s.c.columns {
		if !known[c] && !slices.Contains(missing, c) {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return s.missingColumns(missing, have)
	}
	return nil
}

// closeConn ends a connection; the server rolls back its transaction and drops its cursor.
func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	_ = conn.Close(ctx)
}
