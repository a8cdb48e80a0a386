package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/schemas"
)

// TestReadErrors: what the server or the network refuses is a Chinese message that names the
// server, database, table or column at fault, and never the password.
func TestReadErrors(t *testing.T) {
	srv := server(t)
	c := admin(t)
	table := newTable("errs")
	exec(t, c, fmt.Sprintf("CREATE TABLE %s (id int, at timestamptz, code text)", table))
	hidden := newTable("hidden")
	exec(t, c, fmt.Sprintf("CREATE TABLE %s (id int); REVOKE SELECT ON %s FROM %s", hidden, hidden, readerUser))
	addr := net.JoinHostPort(srv.Host, strconv.Itoa(srv.Port))
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closedPort := strconv.Itoa(closed.Addr().(*net.TCPAddr).Port)
	require.NoError(t, closed.Close())
	silent := silentServer(t)

	cases := []struct {
		name  string
		extra map[string]string
		since string
		want  []string // substrings of the message
	}{
		{"wrong password", map[string]string{"password": "not-" + readerPassword}, "",
			[]string{"PostgreSQL " + addr + "/" + srv.Database, readerUser, "用户名或密码错误"}},
		{"no such user", map[string]string{"user": "nobody_here"}, "",
			[]string{addr, "nobody_here", "用户名或密码错误"}},
		{"no such database", map[string]string{"database": "nope_db"}, "",
			[]string{addr, "没有数据库 nope_db"}},
		{"no such table", map[string]string{"table": "public.nope_table"}, "",
			[]string{addr + "/" + srv.Database, "没有表或视图 public.nope_table"}},
		{"no such column", map[string]string{"mapping": "id=id; code=kode; at=at"}, "",
			[]string{addr + "/" + srv.Database, table, "没有列 kode", "现有列：id、at、code"}},
		{"no privilege", map[string]string{"table": hidden, "mapping": "id=id", "watermark_column": "id"}, "",
			[]string{addr + "/" + srv.Database, readerUser, "无权读取表 " + hidden}},
		{"connection refused", map[string]string{"port": closedPort}, "",
			[]string{"127.0.0.1:" + closedPort, "连接被拒绝"}},
		{"a server that never answers", map[string]string{"port": silent, "connect_timeout": "300ms"}, "",
			[]string{"127.0.0.1:" + silent, "连接失败", "300ms 内无响应"}},
		{"no SSL on the server", map[string]string{"sslmode": "require"}, "",
			[]string{addr, "SSL", "sslmode=require"}},
		{"a watermark of another type", nil, "not a time",
			[]string{"水位“not a time”", table, "增量列 at"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := open(t, config(srv, table, "id=id; at=at; code=code", "at", tc.extra))
			st, err := src.Read(context.Background(), tc.since)
			if err == nil {
				st.Close()
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, ingest.ErrSourceFailed)
			msg, ok := schemas.UserMessage(err)
			require.True(t, ok, "a user message: %v", err)
			for _, w := range tc.want {
				assert.Contains(t, msg, w)
			}
			assert.NotContains(t, err.Error(), readerPassword)
			assert.NotContains(t, msg, readerPassword)
			assert.NotContains(t, src.Describe(), readerPassword)
		})
	}
}

// silentServer accepts TCP connections on a local port and never says a word; it returns the port.
func silentServer(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func TestDescribe(t *testing.T) {
	src := open(t, map[string]string{"host": "db.example.cn", "port": "6543", "database": "env", "user": "u",
		"password": readerPassword, "table": "monitor.readings", "mapping": "a=b", "watermark_column": "b"})
	assert.Equal(t, "postgres db.example.cn:6543/env monitor.readings", src.Describe())
	assert.NotContains(t, fmt.Sprintf("%v %+v %#v", src, src, src), readerPassword, "printing the source shows no password")
}

// slowView is a view whose rows take a second or more to come: each row sleeps.
func slowView(t *testing.T) string {
	view := newTable("slow")
	exec(t, admin(t), fmt.Sprintf(`CREATE VIEW %s AS
		SELECT g AS id, pg_catalog.pg_sleep(1)::text AS nap FROM generate_series(1, 30) g`, view))
	return view
}

// TestCancelDuringFetch cancels a read while the server is still working on a batch: the read
// ends at once with the context's error, and Close after it is clean.
func TestCancelDuringFetch(t *testing.T) {
	src := open(t, config(server(t), slowView(t), "id=id; nap=nap", "id", nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := src.Read(ctx, "")
	require.NoError(t, err)
	_, line, err := st.Next()
	require.NoError(t, err)
	require.Equal(t, 1, line)
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	_, _, err = st.Next()
	require.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), 5*time.Second, "the fetch was abandoned, not waited out")
	_, _, err = st.Next()
	require.ErrorIs(t, err, context.Canceled, "the stream stays ended")
	require.NoError(t, st.Close())
	require.NoError(t, st.Close())
}

func TestStatementTimeout(t *testing.T) {
	src := open(t, config(server(t), slowView(t), "id=id; nap=nap", "id", map[string]string{"statement_timeout": "300ms"}))
	st, err := src.Read(context.Background(), "")
	require.NoError(t, err)
	defer st.Close()
	_, _, err = st.Next()
	require.NoError(t, err)
	_, _, err = st.Next()
	require.ErrorIs(t, err, ingest.ErrSourceFailed)
	assert.False(t, errors.Is(err, io.EOF))
	msg, _ := schemas.UserMessage(err)
	assert.Contains(t, msg, "语句超时 300ms")
}
