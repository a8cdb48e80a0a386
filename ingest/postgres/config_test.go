package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/schemas"
)

// TestConfigRefused: names that are not identifiers never reach SQL; the configuration is
// refused with the field at fault.
func TestConfigRefused(t *testing.T) {
	base := map[string]string{"host": "127.0.0.1", "database": "env", "user": "u", "password": readerPassword,
		"table": "public.readings", "mapping": "code=code; at=at", "watermark_column": "at"}
	cases := []struct {
		name, key, value string
	}{
		{"statement after the table", "table", "readings; DROP TABLE readings"},
		{"quote out of the table name", "table", `readings" WHERE false; DROP TABLE readings; --`},
		{"comment in the table name", "table", "readings--"},
		{"three-part name", "table", "env.public.readings"},
		{"empty schema", "table", ".readings"},
		{"leading digit", "table", "1readings"},
		{"blank in the table name", "table", "my readings"},
		{"too long", "table", "t" + strings.Repeat("x", 63)},
		{"quote out of a column", "mapping", `code=code" FROM pg_authid; --; at=at`},
		{"expression as a column", "mapping", "code=upper(code); at=at"},
		{"subquery as a column", "mapping", "code=(SELECT 1); at=at"},
		{"watermark not mapped", "watermark_column", "id"},
		{"watermark as an expression", "watermark_column", "at OR 1=1"},
		{"host list", "host", "a,b"},
		{"socket path as host", "host", "/var/run/postgresql"},
		{"unknown time zone", "time_zone", "Asia/Chongqing_City"},
		{"port out of range", "port", "70000"},
		{"sslmode of another library", "sslmode", "verify-ca"},
		{"negative statement timeout", "statement_timeout", "-1s"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := map[string]string{}
			for k, v := range base {
				cfg[k] = v
			}
			cfg[tc.key] = tc.value
			_, err := ingest.OpenSource("postgres", cfg)
			require.ErrorIs(t, err, ingest.ErrInvalidConnector)
			var inv *schemas.InvalidError
			require.True(t, errors.As(err, &inv), "%v", err)
			require.NotEmpty(t, inv.Problems)
			assert.Equal(t, tc.key, inv.Problems[0].Field, "%v", inv.Problems)
			assert.NotContains(t, err.Error(), readerPassword)
		})
	}
	_, err := ingest.OpenSource("postgres", base)
	require.NoError(t, err, "the base configuration is fine")
}

// TestQuotedNames reads a table whose names are reserved words, mixed case and Chinese: quoted,
// they name exactly what was written; and a name written in another case names nothing.
func TestQuotedNames(t *testing.T) {
	srv := server(t)
	c := admin(t)
	schema := newTable("Schema")
	table := "监测Readings"
	exec(t, c, fmt.Sprintf(`CREATE SCHEMA %q; GRANT USAGE ON SCHEMA %q TO %s;
		CREATE TABLE %q.%q ("select" int, "From" text, "水质类别" text, "a$b" text);
		GRANT SELECT ON %q.%q TO %s;
		INSERT INTO %q.%q VALUES (1, 'x', 'Ⅱ类', 'y'), (2, 'z', 'Ⅲ类', NULL)`,
		schema, schema, readerUser, schema, table, schema, table, readerUser, schema, table))
	src := open(t, config(srv, schema+"."+table, "id=select; from=From; class=水质类别; ab=a$b", "select", nil))
	head, recs, mark := readAll(t, src, "1")
	assert.Equal(t, []string{"id", "from", "class", "ab"}, head)
	assert.Equal(t, [][]string{{"2", "z", "Ⅲ类", ""}}, recs)
	assert.Equal(t, "2", mark)

	wrongCase := open(t, config(srv, schema+"."+table, "id=select; from=from", "select", nil))
	_, err := wrongCase.Read(context.Background(), "")
	require.ErrorIs(t, err, ingest.ErrSourceFailed)
	assert.Contains(t, err.Error(), "没有列 from")
}

// TestSpecFields: the spec lists every field with a Chinese title and description, the
// password as a secret.
func TestSpecFields(t *testing.T) {
	conn, ok := ingest.ConnectorOf("postgres")
	require.True(t, ok, "registered")
	var keys []string
	for _, f := range conn.Spec.Fields {
		keys = append(keys, f.Key)
		assert.NotEmpty(t, f.Title, f.Key)
		assert.NotEmpty(t, f.Description, f.Key)
	}
	assert.Equal(t, []string{"host", "port", "database", "user", "password", "sslmode", "table", "mapping",
		"watermark_column", "batch_rows", "time_zone", "connect_timeout", "statement_timeout"}, keys)
	pw, _ := conn.Spec.Field("password")
	assert.Equal(t, ingest.TypeSecret, pw.Type)
	assert.Equal(t, map[string]string{"password": "[redacted]", "host": "h"},
		ingest.Redacted("postgres", map[string]string{"password": readerPassword, "host": "h"}))
}
