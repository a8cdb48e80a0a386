package postgres_test

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/ingest/postgres/pgtest"
)

// One server for the package's tests; every test makes tables of its own in its database.
var shared pgtest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	shared.Stop()
	os.Exit(code)
}

// The sources read as a login role of their own with a password (SCRAM over TCP), allowed to
// SELECT what the superuser creates in public. The password has quotes, a blank and Chinese, so
// that no quoting of it can go unnoticed, and is distinctive enough to find in any text.
const (
	readerUser     = "ecolake_reader"
	readerPassword = `Pw-9f3c'e1 "秘密"\x`
)

var (
	readerOnce sync.Once
	readerErr  error
	tableSeq   atomic.Int64
)

// server returns the shared server with the reader role in place.
func server(t testing.TB) *pgtest.Server {
	t.Helper()
	srv := shared.Get(t)
	readerOnce.Do(func() {
		ctx := context.Background()
		c, err := pgx.Connect(ctx, srv.ConnString(srv.Database))
		if err != nil {
			readerErr = err
			return
		}
		defer c.Close(ctx)
		_, readerErr = c.Exec(ctx, fmt.Sprintf(`CREATE ROLE %s LOGIN PASSWORD '%s';
			ALTER DEFAULT PRIVILEGES FOR ROLE %s IN SCHEMA public GRANT SELECT ON TABLES TO %s`,
			readerUser, strings.ReplaceAll(readerPassword, "'", "''"), srv.User, readerUser))
	})
	require.NoError(t, readerErr, "create the reader role")
	return srv
}

// admin is a superuser connection to the test database, closed when the test ends.
func admin(t testing.TB) *pgx.Conn {
	t.Helper()
	srv := server(t)
	ctx := context.Background()
	c, err := pgx.Connect(ctx, srv.ConnString(srv.Database))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close(ctx) })
	return c
}

// exec runs statements as the superuser.
func exec(t testing.TB, c *pgx.Conn, sql string, args ...any) {
	t.Helper()
	_, err := c.Exec(context.Background(), sql, args...)
	require.NoError(t, err, sql)
}

// newTable names a table no other test uses.
func newTable(prefix string) string {
	return fmt.Sprintf("%s_%d", prefix, tableSeq.Add(1))
}

// config is a reader's configuration of table with the given mapping and watermark column,
// changed by extra.
func config(srv *pgtest.Server, table, mapping, watermark string, extra map[string]string) map[string]string {
	cfg := map[string]string{
		"host":             srv.Host,
		"port":             strconv.Itoa(srv.Port),
		"database":         srv.Database,
		"user":             readerUser,
		"password":         readerPassword,
		"table":            table,
		"mapping":          mapping,
		"watermark_column": watermark,
	}
	maps.Copy(cfg, extra)
	return cfg
}

func open(t testing.TB, cfg map[string]string) ingest.Source {
	t.Helper()
	src, err := ingest.OpenSource("postgres", cfg)
	require.NoError(t, err)
	return src
}

// readAll reads a whole stream: its header, records (copied) and final watermark.
func readAll(t testing.TB, src ingest.Source, since string) (head []string, recs [][]string, mark string) {
	t.Helper()
	st, err := src.Read(context.Background(), since)
	require.NoError(t, err, "read since %q", since)
	defer func() { require.NoError(t, st.Close()) }()
	for {
		rec, line, err := st.Next()
		if err != nil {
			require.ErrorIs(t, err, io.EOF)
			return head, recs, st.Watermark()
		}
		if line == 1 {
			head = append([]string(nil), rec...)
			continue
		}
		require.Equal(t, len(recs)+2, line)
		recs = append(recs, append([]string(nil), rec...))
	}
}
