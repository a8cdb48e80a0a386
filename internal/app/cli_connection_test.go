package app

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
)

// TestConnectorReferenceIsCurrent: docs/connectors.md is the reference generated from the
// connectors' specs; a spec changed without regenerating it fails here.
func TestConnectorReferenceIsCurrent(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "connectors.md")
	want := ConnectorReference()
	if os.Getenv("ECOLAKE_UPDATE_DOCS") != "" {
		require.NoError(t, os.WriteFile(path, []byte(want), 0o644))
	}
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, want, string(got), "regenerate: go run ./cmd/ecolake connectors --markdown > docs/connectors.md")
	for _, kind := range []string{"## rest：", "## postgres："} {
		assert.Contains(t, want, kind)
	}
}

// TestConnectionCommands: a steward of the entry's department sets a REST connection (its token
// never printed), pulls what is new, pulls again to find nothing, lists the schedule and drops
// the connection; a reviewer of another department may do none of it.
func TestConnectionCommands(t *testing.T) {
	const token = "Bearer cli-secret-5d2e"
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		recs := []map[string]string{{"o": "OF-1", "t": "13900001111"}, {"o": "OF-2", "t": "13900002222"}}
		_ = json.NewEncoder(w).Encode(map[string]any{"data": recs})
	}))
	defer api.Close()
	cfg := grantSetup(t)
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	var out bytes.Buffer
	run := func(f func(context.Context, Config, ConnectionArgs, *bytes.Buffer) int, a ConnectionArgs) int {
		out.Reset()
		code := f(ctx, cfg, a, &out)
		assert.NotContains(t, out.String(), "cli-secret", "the token is never printed")
		return code
	}
	set := func(ctx context.Context, cfg Config, a ConnectionArgs, out *bytes.Buffer) int {
		return RunConnectionSet(ctx, cfg, a, out, log)
	}
	show := func(ctx context.Context, cfg Config, a ConnectionArgs, out *bytes.Buffer) int {
		return RunConnectionShow(ctx, cfg, a, out, log)
	}
	pull := func(ctx context.Context, cfg Config, a ConnectionArgs, out *bytes.Buffer) int {
		return RunPull(ctx, cfg, a, out, log)
	}
	schedules := func(ctx context.Context, cfg Config, a ConnectionArgs, out *bytes.Buffer) int {
		return RunSchedules(ctx, cfg, a, out, log)
	}
	drop := func(ctx context.Context, cfg Config, a ConnectionArgs, out *bytes.Buffer) int {
		return RunConnectionDrop(ctx, cfg, a, out, log)
	}
	conf := map[string]string{"url": api.URL + "/outfalls", "token": token, "mapping": "outfall=o;phone=t",
		"watermark_field": "outfall", "pagination": "none"}

	assert.Equal(t, ExitFailed, run(set, ConnectionArgs{As: "wang", Entry: grantEntryCode, Kind: "rest", Config: conf}))
	assert.Contains(t, out.String(), "无权配置")
	assert.Equal(t, ExitFailed, run(set, ConnectionArgs{As: "zhang", Entry: grantEntryCode, Kind: "rest", Config: map[string]string{"url": "x"}}))
	assert.Contains(t, out.String(), "mapping")

	require.Equal(t, ExitOK, run(set, ConnectionArgs{As: "zhang", Entry: grantEntryCode, Kind: "rest", Config: conf}), out.String())
	assert.Contains(t, out.String(), "token = [redacted]")
	assert.Contains(t, out.String(), "仅手动触发", "不定时 without cron: by hand only")

	assert.Equal(t, ExitFailed, run(pull, ConnectionArgs{As: "wang", Entry: grantEntryCode}))
	require.Equal(t, ExitOK, run(pull, ConnectionArgs{As: "zhang", Entry: grantEntryCode}), out.String())
	assert.Contains(t, out.String(), "水位：OF-2")
	require.Equal(t, ExitOK, run(pull, ConnectionArgs{As: "zhang", Entry: grantEntryCode}), out.String())
	assert.Contains(t, out.String(), "无新数据")

	require.Equal(t, ExitOK, run(show, ConnectionArgs{As: "zhang", Entry: grantEntryCode}))
	assert.Contains(t, out.String(), "水位：OF-2")
	assert.Equal(t, ExitFailed, run(show, ConnectionArgs{As: "wang", Entry: grantEntryCode}))

	require.Equal(t, ExitOK, run(schedules, ConnectionArgs{As: "zhang"}))
	assert.Contains(t, out.String(), grantEntryCode)
	require.Equal(t, ExitOK, run(schedules, ConnectionArgs{As: "wang"}))
	assert.Contains(t, out.String(), "没有配置归集连接的目录")

	a, err := Open(ctx, cfg, log, false)
	require.NoError(t, err)
	c, err := a.Cat.View().ConnectionFor(catalog.Operator(), grantEntryCode)
	require.NoError(t, err)
	runs := a.Cat.View().Runs(grantEntryCode)
	require.NoError(t, a.Close())
	assert.Equal(t, token, c.Config["token"], "stored, for the pull")
	require.Len(t, runs, 1, "a pull that found nothing new leaves no run")
	assert.Equal(t, catalog.RunSucceeded, runs[0].Status)
	assert.True(t, c.LastSuccess.After(runs[0].StartedAt), "but the connection notes it")

	assert.Equal(t, ExitFailed, run(drop, ConnectionArgs{As: "zhang", Entry: grantEntryCode, Base: c.Revision + 100}))
	require.Equal(t, ExitOK, run(drop, ConnectionArgs{As: "zhang", Entry: grantEntryCode, Base: c.Revision}), out.String())
	assert.Equal(t, ExitFailed, run(show, ConnectionArgs{As: "zhang", Entry: grantEntryCode}))
	assert.Contains(t, out.String(), "没有配置归集连接")
}
