package pgtest

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStartAcceptsPasswordOnly(t *testing.T) {
	srv := Start(t)
	ctx := context.Background()
	c, err := pgx.Connect(ctx, srv.ConnString(srv.Database))
	require.NoError(t, err)
	defer c.Close(ctx)
	var db, enc string
	require.NoError(t, c.QueryRow(ctx, "SELECT current_database(), pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()").Scan(&db, &enc))
	assert.Equal(t, srv.Database, db)
	assert.Equal(t, "UTF8", enc)

	wrong := strings.Replace(srv.ConnString(srv.Database), "password="+srv.Password, "password=not-the-password", 1)
	_, err = pgx.Connect(ctx, wrong)
	require.Error(t, err, "TCP connections need the password")
	var pgErr *pgconn.PgError
	require.ErrorAs(t, err, &pgErr)
	assert.Equal(t, "28P01", pgErr.Code, "refused by password authentication")

	srv.Stop()
	srv.Stop()
	_, err = os.Stat(srv.dir)
	assert.True(t, os.IsNotExist(err), "Stop removes the data directory")
}

func TestFindBinaries(t *testing.T) {
	notServer := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(notServer, "initdb"), []byte("x"), 0o644))
	t.Setenv("ECOLAKE_POSTGRES_BIN", notServer)
	_, err := findBinaries()
	assert.ErrorContains(t, err, "ECOLAKE_POSTGRES_BIN")

	t.Setenv("ECOLAKE_POSTGRES_BIN", "")
	dir, err := findBinaries()
	require.NoError(t, err, "make test installs PostgreSQL")
	assert.True(t, hasServer(dir))
}

func TestVersionOrder(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/9.6/bin", 1},
		{"/usr/lib/postgresql/10/bin", "/usr/lib/postgresql/9.6/bin", 1},
		{"/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/16/bin", 0},
		{"/usr/lib/postgresql/x/bin", "/usr/lib/postgresql/12/bin", -1},
	} {
		assert.Equal(t, tc.want, slices.Compare(versionOf(tc.a), versionOf(tc.b)), "%s vs %s", tc.a, tc.b)
	}
}
